"""Directcall's voice and SMS bulk API (Brazil), as the simulator serves it,
under /directcall.

POST /request_token trades the client id and secret for an access token
that expires; POST /sms/send (multipart/form-data: the destinations go as a
CSV file part) sends a text-to-speech call, an MP3, a registered audio or
an SMS to many numbers and answers a caller id. Every answer, refusals
included, is the documented {"api", "modulo", "status", "codigo", "msg"}
shape (JSON, or XML with format=xml); what a code means is in its "codigo",
not in the HTTP status. See DIRECTCALL.md for the user's view; the
reference is the section Directcall of shared/reference/other-providers.md
and its seed, shared/reference/seeds/voice-bulk-api.pt.txt.

Python 3 standard library only.
"""

import hashlib
import json
import re
import secrets
import time
from datetime import datetime
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from core import ControlError, Provider, Raw, decode_for_log, is_int, now_ms

PREFIX = "/directcall"
TOKEN_PATH = PREFIX + "/request_token"
SEND_PATH = PREFIX + "/sms/send"
MAX_TEXT = 700                 # characters of "texto"
MAX_AUDIO = 4 * 1024 * 1024    # bytes of "audio": 4 MB, 4,194,304 accepted
MAX_DESTINO = 10               # numbers in "destino"
MAX_BOUNDARY = 70              # RFC 2046

# The documented return codes, each with our Portuguese text (the texts
# are ours, the codes and what they mean are the reference's).
OK = "000"
BAD_PARAMETER = "001"
CONNECTION = "005"
AUTH = "006"
UNKNOWN_FIELD = "009"
UNKNOWN_ID = "010"
TEXTS = {
    "001": "Parâmetro inválido ou não informado",
    "002": "Falha na requisição da chamada",
    "003": "Chamada não está ativa",
    "004": "Chamada não finalizada",
    "005": "Falha de conexão",
    "006": "Falha na autenticação",
    "007": "Não foi possível conectar ao servidor de SMS",
    "008": "Erro ao enviar a mensagem",
    "009": "Código de campo não existe",
    "010": "Identificador não existe ou já foi cancelado",
    "011": "Problema no serviço de tarifação",
    "100": "Problema na tarifação",
    "101": "Conta de teste não cadastrada",
    "102": "Não há mais chamadas deste tipo disponíveis",
    "200": "Usuário não cadastrado",
    "201": "Saldo insuficiente",
}
# The seed's example, its typo "sucessso" included: its "msg" starts with
# 001 although the code is 000.
SENT_TEXT = "001 - Mensagem enviada com sucessso - CALLER-ID: {}"
INVALID = "Parâmetro inválido"
MISSING = "Parâmetro obrigatório não informado"

# "api" and "modulo" of the answers: the seed's for /sms/send (and for what
# has no endpoint of its own); the token endpoint's are not documented.
SEND_ENVELOPE = ("sms", "enviar")
TOKEN_ENVELOPE = ("token", "request_token")

TEXT_FIELDS = ("origem", "destino", "texto", "audio_id", "tipo", "cron", "enviar_de",
               "enviar_ate", "format", "access_token")
FILE_FIELDS = ("destino_csv", "audio")
SECRET_FIELDS = ("access_token", "client_secret")   # masked in the request log

DEFAULT_CONFIG = {
    "directcall_token_ttl_s": 3600,
    "directcall_token_expiry_field": "expires_in",   # or "none": not stated
    "directcall_auth_status": 401,    # HTTP status of a refused token request
    "directcall_error_status": 200,   # HTTP status of /sms/send's non-000 answers
    "directcall_rate": 0,             # /sms/send requests/s per client; 0 = unlimited
    "directcall_audio_ids": ["1001", "1002"],
}

NUMBER_RE = re.compile(r"[0-9]{10,15}")
CSV_NUMBER_RE = re.compile(rb"[0-9]+")
HOUR_RE = re.compile(r"[0-9]{1,2}")
CRON_RE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})-([0-9]{2})-([0-9]{2})-([0-9]{2})")


class Refusal(Exception):
    """A non-000 answer: its code, "msg" (the text after "NNN - ") and,
    when not the endpoint's usual one, its HTTP status."""

    def __init__(self, code, text, status=None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.status = status


def invalid(field, detail=None):
    """001 naming the field right after the colon, where a client finds it;
    the detail after it names no field, so that a client searching the
    whole msg for a field name finds this one."""
    return Refusal(BAD_PARAMETER, f"{INVALID}: {field}" + (f" ({detail})" if detail else ""))


def missing(field, detail=None):
    return Refusal(BAD_PARAMETER, f"{MISSING}: {field}" + (f" ({detail})" if detail else ""))


def answer(envelope, code, msg, callerid=None):
    item = {"api": envelope[0], "modulo": envelope[1], "status": "ok" if code == OK else "erro",
            "codigo": code, "msg": msg}
    if callerid is not None:
        item["callerid"] = callerid
    return item


def render(item, fmt):
    """format=xml: the same keys, in order, as elements of <retorno>."""
    if fmt != "xml":
        return item
    inner = "".join(f"<{key}>{escape(str(value))}</{key}>" for key, value in item.items())
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<retorno>{inner}</retorno>\n'
    return Raw(body.encode("utf-8"), "application/xml; charset=utf-8")


def code_for_status(status):
    """The code of an answer made from an HTTP status alone (status faults)."""
    if status in (401, 403):
        return AUTH
    if 400 <= status < 500 and status != 429:
        return BAD_PARAMETER
    return CONNECTION


# ----- forms ---------------------------------------------------------------

class FormError(Exception):
    """A body that says it is a form and cannot be read as one (the text
    goes into a 001's msg, so it is in Portuguese)."""


class Part:
    """One form field: name, filename (None for a plain field), the part's
    Content-Type before any ';' (None when absent), and its bytes."""

    __slots__ = ("name", "filename", "content_type", "data")

    def __init__(self, name, filename, content_type, data):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.data = data


class Form:
    """A request body read as a form: kind "multipart" or "urlencoded", or
    None (another or no Content-Type); error says why a form is unreadable."""

    def __init__(self, kind=None, parts=(), error=None):
        self.kind = kind
        self.parts = list(parts)
        self.error = error

    def first(self, name):
        """The first plain field of that name as text, or None."""
        for part in self.parts:
            if part.name == name and part.filename is None:
                return part.data.decode("utf-8", errors="replace")
        return None


def header_value(text):
    """'form-data; name="a"; filename="b"' -> ('form-data', {'name': 'a',
    'filename': 'b'}): parameter names lower-case, quoted strings with
    backslash escapes (RFC 7578 / RFC 2045)."""
    head, _, rest = text.partition(";")
    params = {}
    i = 0
    while i < len(rest):
        if rest[i] in " \t;":
            i += 1
            continue
        eq = rest.find("=", i)
        if eq < 0:
            raise FormError(f"parâmetro sem valor em {text!r}")
        name = rest[i:eq].strip().lower()
        i = eq + 1
        if rest[i:i + 1] == '"':
            value = []
            i += 1
            while i < len(rest) and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < len(rest):
                    i += 1
                value.append(rest[i])
                i += 1
            if i >= len(rest):
                raise FormError(f"aspas não fechadas em {text!r}")
            i += 1
            params[name] = "".join(value)
        else:
            end = rest.find(";", i)
            end = len(rest) if end < 0 else end
            params[name] = rest[i:end].strip()
            i = end
    return head.strip().lower(), params


def header_text(raw):
    """Part headers: UTF-8 as curl and browsers send file names, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_part(raw):
    """One body part: headers, an empty line, the content (RFC 7578)."""
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            raise FormError("cabeçalhos de uma parte sem a linha em branco final")
        head, data = raw[:end], raw[end + 4:]
    headers = {}
    for line in head.split(b"\r\n") if head else ():
        name, colon, value = header_text(line).partition(":")
        if not colon or not name.strip():
            raise FormError(f"linha de cabeçalho inválida {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    if "content-disposition" not in headers:
        raise FormError("uma parte sem Content-Disposition")
    disposition, params = header_value(headers["content-disposition"])
    if disposition != "form-data" or not params.get("name"):
        raise FormError("o Content-Disposition de uma parte não é form-data com name")
    content_type = headers.get("content-type")
    if content_type is not None:
        content_type = content_type.split(";")[0].strip()
    return Part(params["name"], params.get("filename"), content_type, data)


def parse_multipart(body, boundary):
    """multipart/form-data, binary-safe: parts between CRLF--boundary
    delimiters, up to the closing --boundary-- (RFC 2046 section 5.1.1,
    RFC 7578). A preamble and an epilogue are ignored."""
    dash = b"--" + boundary
    delimiter = b"\r\n" + dash
    if body.startswith(dash):
        pos = len(dash)
    else:
        found = body.find(delimiter)
        if found < 0:
            raise FormError("o boundary não aparece no corpo")
        pos = found + len(delimiter)
    parts = []
    while not body.startswith(b"--", pos):
        eol = body.find(b"\r\n", pos)
        if eol < 0 or body[pos:eol].strip(b" \t"):
            raise FormError("texto depois do boundary na mesma linha")
        end = body.find(delimiter, eol + 2)
        if end < 0:
            raise FormError("sem o boundary final (corpo truncado?)")
        parts.append(parse_part(body[eol + 2:end]))
        pos = end + len(delimiter)
    if not parts:
        raise FormError("nenhuma parte")
    return parts


def read_form(request):
    header = request.headers.get("Content-Type") or ""
    media = header.split(";")[0].strip().lower()
    try:
        if media == "multipart/form-data":
            boundary = header_value(header)[1].get("boundary", "")
            if not 1 <= len(boundary) <= MAX_BOUNDARY:
                raise FormError("Content-Type sem boundary de 1 a 70 caracteres")
            # http.server decodes headers as Latin-1: this gives the bytes back
            return Form("multipart", parse_multipart(request.body,
                                                     boundary.encode("latin-1")))
        if media == "application/x-www-form-urlencoded":
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                raise FormError("o formulário não é UTF-8")
            pairs = parse_qsl(text, keep_blank_values=True)
            return Form("urlencoded", (Part(name, None, None, value.encode("utf-8"))
                                       for name, value in pairs))
    except FormError as e:
        return Form("multipart" if media == "multipart/form-data" else "urlencoded",
                    error=str(e))
    return Form()


# ----- the provider ----------------------------------------------------------

class Directcall(Provider):
    """Directcall's state (tokens issued, messages sent); the lock and
    config are the simulator's. Owns every path under /directcall."""

    name = "directcall"
    fault_kinds = {"code": {"options": {"code"}, "path": SEND_PATH}}

    def __init__(self, client_id, client_secret):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret  # compared here, never shown or logged
        self.defaults = dict(DEFAULT_CONFIG)

    def owns(self, path):
        return path == PREFIX or path.startswith(PREFIX + "/")

    def reset(self):
        # token -> {"expires": monotonic s, "revoked": bool}; kept after
        # expiry or revocation so that the log can still scrub them
        self.tokens = {}
        self.messages = []      # in the order accepted
        self.callerids = set()

    def check_config(self, key, value):
        if key == "directcall_token_ttl_s":
            return is_int(value) and value >= 1
        if key == "directcall_token_expiry_field":
            return value in ("expires_in", "none")
        if key in ("directcall_auth_status", "directcall_error_status"):
            return is_int(value) and 200 <= value <= 599
        if key == "directcall_rate":
            return is_int(value) and value >= 0
        if key == "directcall_audio_ids":
            return isinstance(value, list) and all(isinstance(i, str) and i for i in value)
        return False

    def error_body(self, status, message):
        code = code_for_status(status)
        return answer(SEND_ENVELOPE, code, f"{code} - {TEXTS[code]} ({status} {message})")

    def stats(self):
        return {"directcall_messages": len(self.messages),
                "directcall_tokens_issued": len(self.tokens)}

    # ----- forms, tokens and the log ----------------------------------------

    @staticmethod
    def form(request):
        """The body as a form, parsed once for the log and the answer."""
        if "form" not in request.memo:
            request.memo["form"] = read_form(request)
        return request.memo["form"]

    @staticmethod
    def answer_format(form):
        """The format the request asks for, when it asks for a valid one."""
        fmt = (form.first("format") or "").lower()
        return fmt if fmt in ("json", "xml") else "json"

    def token_state(self, token):
        if not token:
            return "missing"
        with self.lock:
            held = self.tokens.get(token)
            valid = held and not held["revoked"] and time.monotonic() < held["expires"]
        return "ok" if valid else "bad"

    def credentials_state(self, form):
        given_id, given_secret = form.first("client_id"), form.first("client_secret")
        if not given_id or not given_secret:
            return "missing"
        same_id = secrets.compare_digest(given_id.encode(), self.client_id.encode())
        same_secret = secrets.compare_digest(given_secret.encode(),
                                             self.client_secret.encode())
        return "ok" if same_id and same_secret else "bad"

    def auth_state(self, request):
        form = self.form(request)
        if request.path.rstrip("/") == TOKEN_PATH:
            return self.credentials_state(form)
        return self.token_state(form.first("access_token"))

    def scrub(self, text):
        with self.lock:
            known = [self.client_secret] + list(self.tokens)
        for secret in known:
            text = text.replace(secret, "***")
        return text

    def log_view(self, request):
        """Form bodies as {"fields", "files"} with the secrets masked; any
        other body as text with every known secret scrubbed out."""
        query = {k: "***" if k in SECRET_FIELDS else (v[0] if len(v) == 1 else v)
                 for k, v in request.query.items()}
        header = request.headers.get("Content-Type")
        content_type = header.split(";")[0].strip() if header is not None else None
        form = self.form(request)
        if form.kind is None or form.error:
            body = decode_for_log(self.scrub(request.body.decode("utf-8", errors="replace"))
                                  .encode("utf-8"))
            if isinstance(body, dict):
                body = {k: "***" if k in SECRET_FIELDS else v for k, v in body.items()}
            return {"query": query, "content_type": content_type, "body": body}
        fields, files = {}, {}
        for part in form.parts:
            if part.filename is None:
                value = "***" if part.name in SECRET_FIELDS else \
                    part.data.decode("utf-8", errors="replace")
                into = fields
            else:
                value = {"filename": part.filename, "content_type": part.content_type,
                         "size": len(part.data),
                         "sha256": hashlib.sha256(part.data).hexdigest()}
                if part.name == "destino_csv":
                    value["text"] = part.data.decode("utf-8", errors="replace")
                into = files
            if part.name in into:  # a repeated name: its values in order
                held = into[part.name]
                into[part.name] = (held if isinstance(held, list) else [held]) + [value]
            else:
                into[part.name] = value
        return {"query": query, "content_type": content_type,
                "body": {"fields": fields, "files": files}}

    # ----- the API ---------------------------------------------------------

    ROUTES = {
        ("POST", TOKEN_PATH): "request_token",
        ("POST", SEND_PATH): "send",
    }

    def api(self, request):
        """One API request -> (status, payload or Raw). Never raises Refusal."""
        route = self.ROUTES.get((request.method, request.path.rstrip("/")))
        form = self.form(request)
        if route == "request_token":
            envelope, fmt, status = TOKEN_ENVELOPE, "json", self.config["directcall_auth_status"]
        else:
            envelope, fmt = SEND_ENVELOPE, self.answer_format(form)
            status = self.config["directcall_error_status"]
        try:
            if route is None:
                raise Refusal(BAD_PARAMETER, "Recurso não encontrado: "
                                             f"{request.method} {request.path}", 404)
            return 200, render(getattr(self, route)(request, form), fmt)
        except Refusal as e:
            item = answer(envelope, e.code, f"{e.code} - {e.text}")
            return e.status or status, render(item, fmt)

    def request_token(self, request, form):
        state = self.credentials_state(form)
        if state == "missing":
            raise Refusal(AUTH, f"{TEXTS[AUTH]}: client_id e client_secret são obrigatórios")
        if state == "bad":
            raise Refusal(AUTH, f"{TEXTS[AUTH]}: client_id ou client_secret inválido")
        ttl = self.config["directcall_token_ttl_s"]
        token = secrets.token_hex(24)
        with self.lock:
            self.tokens[token] = {"expires": time.monotonic() + ttl, "revoked": False}
        item = {"access_token": token}
        if self.config["directcall_token_expiry_field"] == "expires_in":
            item["expires_in"] = ttl
        return item

    def send(self, request, form):
        if form.error:
            raise Refusal(BAD_PARAMETER, f"Corpo multipart/form-data inválido: {form.error}")
        state = self.token_state(form.first("access_token"))
        if state != "ok":
            raise Refusal(AUTH, f"{TEXTS[AUTH]}: access_token "
                                + ("não informado" if state == "missing"
                                   else "inválido, expirado ou revogado"))
        if not self.sim.rate_allow((request.client_ip, "directcall"),
                                   self.config["directcall_rate"]):
            raise Refusal(CONNECTION, f"{TEXTS[CONNECTION]}: limite de requisições por "
                                      "segundo excedido", 429)
        if form.kind != "multipart":
            raise invalid("destino_csv deve ser enviado por multipart/form-data")
        fields = self.check_fields(form)
        origem = self.check_origem(fields)
        destinations = self.check_destinations(fields)
        content = self.check_content(fields)
        tipo = fields.get("tipo", "voz")
        if tipo not in ("voz", "texto"):
            raise invalid("tipo", "valor não aceito")  # naming "texto" would name a field
        cron = fields.get("cron")
        if cron is not None:
            self.check_cron(cron)
        window = {name: self.check_hour(fields, name) for name in ("enviar_de", "enviar_ate")}
        fmt = fields.get("format", "json").lower()
        if fmt not in ("json", "xml"):
            raise invalid("format", "deve ser json ou xml")
        audio_id = content["audio_id"]
        if audio_id is not None and audio_id not in self.config["directcall_audio_ids"]:
            raise Refusal(UNKNOWN_ID, f"{TEXTS[UNKNOWN_ID]}: audio_id ({audio_id})")
        with self.lock:
            callerid = self.new_callerid()
            record = {"callerid": callerid, "origem": origem, "destinations": destinations,
                      "tipo": tipo}
            record.update(content)
            record.update(cron=cron, **window)
            record.update(format=fmt, received_at=now_ms())
            self.messages.append(record)
        return answer(SEND_ENVELOPE, OK, SENT_TEXT.format(callerid), callerid)

    @staticmethod
    def check_fields(form):
        """Every part known, given once, of its kind (plain or file);
        -> {name: text for plain fields, Part for files}, empty text absent."""
        fields = {}
        for part in form.parts:
            if part.name not in TEXT_FIELDS + FILE_FIELDS:
                raise Refusal(UNKNOWN_FIELD, f"{TEXTS[UNKNOWN_FIELD]}: {part.name}")
        for part in form.parts:
            name = part.name
            if name in fields:
                raise invalid(name, "informado mais de uma vez")
            if name in FILE_FIELDS:
                if part.filename is None:
                    raise invalid(name, "deve ser enviado como arquivo: uma parte com "
                                        "filename")
                fields[name] = part
                continue
            if part.filename is not None:
                raise invalid(name, "deve ser um campo simples, não um arquivo")
            try:
                text = part.data.decode("utf-8")
            except UnicodeDecodeError:
                raise invalid(name, "não é UTF-8")
            fields[name] = text
        return {name: value for name, value in fields.items() if value != ""}

    @staticmethod
    def check_origem(fields):
        origem = fields.get("origem")
        if origem is None:
            raise missing("origem")
        if not NUMBER_RE.fullmatch(origem):
            raise invalid("origem", "de 10 a 15 dígitos: DDI DDD número, ex. 554130600300")
        return origem

    @staticmethod
    def check_destinations(fields):
        csv, listed = fields.get("destino_csv"), fields.get("destino")
        if csv is None and listed is None:
            raise missing("destino_csv", "ou a lista de até 10 números")
        if csv is not None and listed is not None:
            raise invalid("destino", "informe só uma lista de números: o arquivo CSV ou esta")
        if csv is not None:
            # any non-digit separates numbers
            numbers = [n.decode("ascii") for n in CSV_NUMBER_RE.findall(csv.data)]
            if not numbers:
                raise invalid("destino_csv", "nenhum número no arquivo")
            name = "destino_csv"
        else:
            numbers = [n.strip() for n in listed.split(";") if n.strip()]
            if not numbers:
                raise invalid("destino", "nenhum número")
            if len(numbers) > MAX_DESTINO:
                raise invalid("destino", f"no máximo {MAX_DESTINO} números ({len(numbers)}); "
                                         "mais, em um arquivo CSV")
            name = "destino"
        for number in numbers:
            if not NUMBER_RE.fullmatch(number):
                raise invalid(name, f"número {number[:40]} deve ter de 10 a 15 dígitos")
        return numbers

    @staticmethod
    def check_content(fields):
        """Exactly one of texto, audio, audio_id."""
        given = [name for name in ("texto", "audio", "audio_id") if name in fields]
        if not given:
            raise missing("texto", "ou um arquivo de áudio, ou um áudio cadastrado")
        if len(given) > 1:
            raise invalid(given[1], "informe só um conteúdo: a mensagem, um arquivo de áudio "
                                    "ou um áudio cadastrado")
        content = {"texto": None, "audio": None, "audio_id": None}
        if "texto" in fields:
            text = fields["texto"]
            if len(text) > MAX_TEXT:
                raise invalid("texto", f"no máximo {MAX_TEXT} caracteres ({len(text)})")
            content["texto"] = text
        elif "audio" in fields:
            audio = fields["audio"]
            data = audio.data
            if len(data) > MAX_AUDIO:
                raise invalid("audio", f"no máximo 4 MB, {MAX_AUDIO} bytes ({len(data)})")
            mpeg_sync = len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
            if not (data.startswith(b"ID3") or mpeg_sync):
                raise invalid("audio", "deve ser um arquivo MP3")
            content["audio"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                "filename": audio.filename,
                                "content_type": audio.content_type}
        else:
            content["audio_id"] = fields["audio_id"]
        return content

    @staticmethod
    def check_cron(cron):
        match = CRON_RE.fullmatch(cron)
        try:
            if not match:
                raise ValueError(cron)
            day, month, year, hour, minute, second = map(int, match.groups())
            datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise invalid("cron", "data d-m-Y-H-i-s, ex. 25-12-2026-09-30-00")

    @staticmethod
    def check_hour(fields, name):
        value = fields.get(name)
        if value is None:
            return None
        if not HOUR_RE.fullmatch(value) or int(value) > 23:
            raise invalid(name, "hora inteira de 0 a 23")
        return int(value)

    def new_callerid(self):
        while True:
            callerid = str(10 ** 13 + secrets.randbelow(9 * 10 ** 13))
            if callerid not in self.callerids:
                self.callerids.add(callerid)
                return callerid

    # ----- faults ------------------------------------------------------------

    def check_fault(self, spec):
        if spec.get("code") not in TEXTS:
            raise ControlError("a code fault needs a code, one of " + ", ".join(TEXTS))
        if not self.owns(spec["path"]):
            raise ControlError(f"a code fault's path must be under {PREFIX}")

    def fault_answer(self, fault, request):
        """The documented shape with the fault's code, in the asked format."""
        code = fault["code"]
        token = request.path.rstrip("/") == TOKEN_PATH
        item = answer(TOKEN_ENVELOPE if token else SEND_ENVELOPE, code,
                      f"{code} - {TEXTS[code]}")
        fmt = "json" if token else self.answer_format(self.form(request))
        return fault.get("status", 200), render(item, fmt)

    # ----- control ---------------------------------------------------------

    def control(self, method, path, query, payload):
        if (method, path) == ("GET", "/_sim/directcall/messages"):
            with self.lock:
                return 200, json.loads(json.dumps(self.messages))
        if (method, path) == ("POST", "/_sim/directcall/revoke"):
            with self.lock:
                now = time.monotonic()
                revoked = 0
                for held in self.tokens.values():
                    revoked += not held["revoked"] and now < held["expires"]
                    held["revoked"] = True
            return 200, {"revoked": revoked}
        if (method, path) == ("GET", "/_sim/directcall/tokens"):
            with self.lock:
                now = time.monotonic()
                valid = sum(1 for held in self.tokens.values()
                            if not held["revoked"] and now < held["expires"])
                return 200, {"issued": len(self.tokens), "valid": valid}
        return None
