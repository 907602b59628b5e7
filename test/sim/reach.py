"""Interactive Media's Reach (ContactoSMS) messages API, as the simulator
serves it, under /reach/api/rest.

Every request is signed (HMAC-SHA1 over api key + Date + sorted query +
body); GET /messages lists, POST /messages/send_to_contact sends to one
number, POST /messages/send to tags (groups). Statuses move on with time,
replies (MO) come by config or through /_sim/reach/mo. See README.md
(section Reach) for the user's view; the reference is the section Reach of
shared/reference/other-providers.md and its seed,
shared/reference/seeds/reach-messages-api.es.txt.

Python 3 standard library only.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote_plus

from core import ControlError, Provider, is_int, now_ms

PREFIX = "/reach"
BASE = "/reach/api/rest"
SHORT_CODE = "0050230000215"   # the seed's examples
SMS_LENGTH = 160               # one SMS, the "SHORT_NAME: " prefix included
PART_LENGTH = 153              # a part of a longer one
MAX_ID_LENGTH = 40
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
MAX_OFFSET_MINUTES = 14 * 60

# The error codes: {"code": N, "error": "<text>"}. 40301 and 42900 are the
# documented ones; the rest are this simulator's (README.md lists them).
AUTH_MISSING = 40100      # no / malformed Authorization or Date
AUTH_CLOCK = 40101        # Date outside the clock window
AUTH_KEY = 40102          # unknown api key
AUTH_SIGNATURE = 40103    # signature does not match
BAD_BODY = 40000          # body not JSON / not an object
BAD_MSISDN_MISSING = 40001
BAD_MSISDN = 40002        # not digits
BAD_MESSAGE_MISSING = 40003
BAD_MESSAGE_LENGTH = 40004
BAD_ID = 40005            # not text or number, or longer than 40
SPAM = 40006              # id repeated within the spam period
BAD_TAGS = 40007          # not a non-empty array of non-empty strings
UNKNOWN_TAG = 40008
REFUSED_NUMBER = 40009    # test rule: msisdn ending in 1400
BAD_DATE = 40010          # start_date / end_date missing or unparsable
BAD_LIMIT = 40011
BAD_START = 40012
BAD_DIRECTION = 40013
QUOTA = 40301
NOT_FOUND = 40400
RATE = 42900

RATE_TEXT = "Ha excedido el límite de solicitudes por segundo"
QUOTA_TEXT = "Ha excedido el número de mensajes contratado"

DEFAULT_CONFIG = {
    "reach_auth_status": 401,        # or 403
    "reach_clock_window_s": 300,
    "reach_rate": 10,                # requests/s per client; 0 = unlimited
    "reach_rate_status": 429,        # or 403
    "reach_quota": None,             # messages (recipients); None = unlimited
    "reach_spam_period_s": 60,       # 0 = no anti-spam check
    "reach_sent_delay_ms": 0,        # READY -> SENT / ERROR
    "reach_group_delay_ms": 0,       # PENDING -> processed (message_id, listed)
    "reach_auto_reply": None,        # text every recipient answers with
    "reach_reply_delay_ms": 0,       # after the MT is sent
    "reach_utc_offset_minutes": 0,   # the operator's zone: created_on, naive dates
    "reach_booleans": "bool",        # or "int": 0/1
    "reach_sent_from": "string",     # or "array": the recipients
    "reach_tags": {"home": ["50235148163", "50235148164"]},
    "reach_mo_status": "UNREAD",
    "reach_short_name": "SIMCO",     # replaced by --reach-short-name
}

AUTH_RE = re.compile(r"IM (\S+):([A-Za-z0-9+/=]+)")
DIGITS_RE = re.compile(r"[0-9]+")
RFC1123 = "%a, %d %b %Y %H:%M:%S GMT"
LOCAL = "%Y-%m-%d %H:%M:%S"


class ReachError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad(code, message):
    return ReachError(400, code, message)


# ----- signing (the server's side of it) -----------------------------------

def encode(text):
    return quote_plus(text, safe="-_.~")


def sorted_query(raw_query):
    """The canonical query: decoded, sorted by name (stable), re-encoded."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)


def signature(secret, api_key, date, raw_query, body):
    canonical = (api_key + date + sorted_query(raw_query)).encode("utf-8") + body
    digest = hmac.new(secret.encode("utf-8"), canonical, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def header_text(value):
    """A header as the client wrote it: http.server decodes them as Latin-1."""
    return value.encode("latin-1", errors="replace").decode("utf-8", errors="replace")


# ----- dates ---------------------------------------------------------------

def parse_rfc1123(text):
    """'Mon, 11 Jun 2014 17:33:23 GMT' -> epoch seconds, or None."""
    try:
        return int(datetime.strptime(text.strip(), RFC1123)
                   .replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def parse_local(text, offset_minutes):
    """'2014-06-11 17:33:23' in the operator's zone -> epoch seconds, or None."""
    try:
        zone = timezone(timedelta(minutes=offset_minutes))
        return int(datetime.strptime(text.strip(), LOCAL).replace(tzinfo=zone).timestamp())
    except ValueError:
        return None


def local_text(ms, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(ms // 1000, zone).strftime(LOCAL)


# ----- messages ------------------------------------------------------------

class Ids:
    """24-hex message ids laid out like object ids: creation second,
    a per-process random part, a counter. Sorting them sorts by creation
    second, then creation order."""

    def __init__(self):
        self.middle = secrets.token_hex(5)
        self.counter = secrets.randbits(24)

    def new(self, created_ms):
        self.counter = (self.counter + 1) % (1 << 24)
        return f"{(created_ms // 1000) & 0xFFFFFFFF:08x}{self.middle}{self.counter:06x}"


def parts(text_length, short_name):
    """SMS per recipient for a message with the short-name prefix."""
    total = len(short_name) + 2 + text_length
    return 1 if total <= SMS_LENGTH else -(-total // PART_LENGTH)


class Message:
    """One Reach message: an individual MT, a tag (group) MT, or an MO."""

    def __init__(self, kind, message_id, text, created_at, **extra):
        self.kind = kind                  # "mt", "group" or "mo"
        self.message_id = message_id
        self.text = text
        self.created_at = created_at      # ms
        self.visible_at = created_at      # listed by GET /messages from then
        self.sent_at = created_at         # MT: READY -> SENT / ERROR
        self.id = None                    # the client's external id (text)
        self.msisdn = None
        self.recipients = []
        self.tags = []
        self.parts = 1
        self.errors = 0                   # recipients that end in error
        self.short_code = SHORT_CODE
        self.status = None                # MO: its status
        for name, value in extra.items():
            setattr(self, name, value)

    def listed(self, now):
        return now >= self.visible_at

    def view(self, now, config, recipients=False, fresh=False):
        """The Message object as the API shows it now; fresh: as the send
        answers it (READY, or PENDING for a tag send, whatever the delays)."""
        booleans = config["reach_booleans"] == "int"
        flag = (lambda b: int(b)) if booleans else (lambda b: b)
        created_on = local_text(self.created_at, config["reach_utc_offset_minutes"])
        if self.kind == "mo":
            return {
                "message_id": self.message_id, "short_code": self.short_code, "type": 1,
                "direction": "MO", "status": self.status, "message": self.text,
                "msisdn": self.msisdn, "country": self.msisdn[:3], "created_on": created_on,
            }
        as_array = recipients or config["reach_sent_from"] == "array"
        pending = self.kind == "group" and (fresh or now < self.visible_at)
        sent = not (fresh or pending) and now >= self.sent_at
        if pending:
            # The seed's answer to a tag send: no message_id, nothing counted yet.
            item = {"short_code": self.short_code, "type": 1, "direction": "MT",
                    "status": "PENDING", "sent_from": [] if as_array else "API_REST"}
            if self.id is not None:
                item["id"] = self.id
            item.update({"message": self.text, "sent_count": 0, "error_count": 0,
                         "total_recipients": 0, "is_billable": flag(False),
                         "is_scheduled": flag(False), "created_on": created_on,
                         "total_monitors": 0})
            return item
        if not sent:
            status = "READY"
        elif self.kind == "mt" and self.errors:
            status = "ERROR"
        else:
            status = "SENT"
        item = {"message_id": self.message_id, "short_code": self.short_code,
                "type": 1 if self.kind == "mt" else 2, "direction": "MT", "status": status,
                "sent_from": list(self.recipients) if as_array else "API_REST"}
        if self.id is not None:
            item["id"] = self.id
        item.update({"message": self.text,
                     "sent_count": len(self.recipients) * self.parts if sent else 0,
                     "error_count": self.errors if sent else 0,
                     "total_recipients": len(self.recipients)})
        if self.kind == "mt":
            item.update({"msisdn": self.msisdn, "country": self.msisdn[:3]})
        item.update({"is_billable": flag(True), "is_scheduled": flag(False),
                     "created_on": created_on, "created_by": "API", "total_monitors": 0})
        return item

    def record(self, now, config):
        """What /_sim/reach/messages shows: the object now, with what only
        the simulator knows."""
        item = {"message_id": self.message_id}
        item.update(self.view(now, config))
        item.update({"tags": list(self.tags), "recipients": list(self.recipients),
                     "listed": self.listed(now), "created_at": self.created_at})
        return item


class Reach(Provider):
    """Reach's state (messages, ids seen, quota used); the lock and config
    are the simulator's. Owns every path under /reach."""

    name = "reach"

    def __init__(self, api_key, api_secret, short_name):
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret  # compared here, never shown or logged
        self.defaults = dict(DEFAULT_CONFIG, reach_short_name=short_name)
        self.ids = Ids()

    def owns(self, path):
        return path == PREFIX or path.startswith(PREFIX + "/")

    def reset(self):
        self.messages = []     # in creation order
        self.seen_ids = {}     # external id -> ms it was last accepted
        self.quota_used = 0

    def check_config(self, key, value):
        if key == "reach_auth_status":
            return value in (401, 403) and is_int(value)
        if key == "reach_rate_status":
            return value in (429, 403) and is_int(value)
        if key == "reach_quota":
            return value is None or (is_int(value) and value >= 0)
        if key == "reach_auto_reply":
            return value is None or isinstance(value, str)
        if key == "reach_booleans":
            return value in ("bool", "int")
        if key == "reach_sent_from":
            return value in ("string", "array")
        if key == "reach_tags":
            return isinstance(value, dict) and all(
                isinstance(members, list)
                and all(isinstance(m, str) and DIGITS_RE.fullmatch(m) for m in members)
                for members in value.values())
        if key == "reach_utc_offset_minutes":
            return is_int(value) and abs(value) <= MAX_OFFSET_MINUTES
        if key == "reach_mo_status":
            return isinstance(value, str) and value != ""
        if key == "reach_short_name":
            return isinstance(value, str)
        return is_int(value) and value >= 0

    def error_body(self, status, message):
        return {"code": status * 100, "error": message}

    def stats(self):
        return {"reach_messages": len(self.messages)}

    # ----- authentication --------------------------------------------------

    def check_signature(self, request):
        """('ok'|'missing'|'bad', error code, error text)."""
        authorization = request.headers.get("Authorization")
        date = request.headers.get("Date")
        if authorization is None or date is None:
            missing = " y ".join(name for name, value in (("Authorization", authorization),
                                                            ("Date", date)) if value is None)
            return "missing", AUTH_MISSING, f"Autenticación requerida: falta el encabezado {missing}"
        match = AUTH_RE.fullmatch(authorization.strip())
        if not match:
            return "bad", AUTH_MISSING, ("Encabezado Authorization inválido: se espera "
                                         "'IM <api key>:<firma>'")
        date = header_text(date)
        when = parse_rfc1123(date)
        if when is None:
            return "bad", AUTH_MISSING, ("Encabezado Date inválido: se espera RFC 1123 en GMT, "
                                         "p. ej. Mon, 11 Jun 2014 17:33:23 GMT")
        window = self.config["reach_clock_window_s"]
        if abs(now_ms() / 1000 - when) > window:
            return "bad", AUTH_CLOCK, ("La fecha de la solicitud (encabezado Date) está fuera "
                                       f"del margen permitido de {window} segundos")
        key, given = header_text(match.group(1)), match.group(2)
        if not hmac.compare_digest(key.encode("utf-8"), self.api_key.encode("utf-8")):
            return "bad", AUTH_KEY, "API key inválida"
        expected = signature(self.api_secret, key, date, request.raw_query, request.body)
        if not hmac.compare_digest(given.encode("ascii"), expected.encode("ascii")):
            return "bad", AUTH_SIGNATURE, "Firma inválida"
        return "ok", None, None

    def auth_state(self, request):
        return self.check_signature(request)[0]

    # ----- the API ---------------------------------------------------------

    ROUTES = {
        ("GET", BASE + "/messages"): "list_messages",
        ("POST", BASE + "/messages/send_to_contact"): "send_to_contact",
        ("POST", BASE + "/messages/send"): "send_to_tags",
    }

    def api(self, request):
        """One API request -> (status, JSON payload). Never raises."""
        try:
            route = self.ROUTES.get((request.method, request.path.rstrip("/")))
            if route is None:
                raise ReachError(404, NOT_FOUND, "Recurso no encontrado: "
                                                 f"{request.method} {request.path}")
            state, code, text = self.check_signature(request)
            if state != "ok":
                raise ReachError(self.config["reach_auth_status"], code, text)
            if not self.sim.rate_allow((request.client_ip, "reach"), self.config["reach_rate"]):
                raise ReachError(self.config["reach_rate_status"], RATE, RATE_TEXT)
            with self.lock:
                return 200, getattr(self, route)(request, now_ms())
        except ReachError as e:
            return e.status, {"code": e.code, "error": e.message}

    @staticmethod
    def json_object(body):
        def reject_constant(name):  # Python accepts NaN/Infinity; JSON does not
            raise ValueError(f"{name} is not JSON")

        try:
            parsed = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise bad(BAD_BODY, f"El cuerpo de la solicitud no es un JSON válido: {e}")
        if not isinstance(parsed, dict):
            raise bad(BAD_BODY, "El cuerpo de la solicitud debe ser un objeto JSON")
        # null means absent, as the SDKs leave empty fields out
        return {k: v for k, v in parsed.items() if v is not None}

    def check_text(self, fields):
        text = fields.get("message")
        if text is None or text == "":
            raise bad(BAD_MESSAGE_MISSING, "El campo message es requerido")
        if not isinstance(text, str):
            raise bad(BAD_MESSAGE_MISSING, "El campo message debe ser texto")
        short_name = self.config["reach_short_name"]
        limit = SMS_LENGTH - (len(short_name) + 2)
        if len(text) > limit:
            raise bad(BAD_MESSAGE_LENGTH, "El mensaje excede la longitud máxima de "
                                          f"{limit} caracteres ({len(text)})")
        return text

    def check_id(self, fields, now):
        """The external id as text (None when absent); anti-spam."""
        value = fields.get("id")
        if value is None or value == "":
            return None
        if is_int(value):
            value = str(value)
        if not isinstance(value, str):
            raise bad(BAD_ID, "El campo id debe ser texto o número")
        if len(value) > MAX_ID_LENGTH:
            raise bad(BAD_ID, f"El campo id excede la longitud máxima de {MAX_ID_LENGTH} "
                              f"caracteres ({len(value)})")
        period_ms = self.config["reach_spam_period_s"] * 1000
        last = self.seen_ids.get(value)
        if period_ms and last is not None and now - last < period_ms:
            raise bad(SPAM, f"Mensaje duplicado: el id '{value}' ya fue utilizado en el "
                            "período anti spam")
        return value

    def check_msisdn(self, fields):
        value = fields.get("msisdn")
        if is_int(value) and value >= 0:
            value = str(value)  # the seed's table calls it numeric
        if value is None or value == "":
            raise bad(BAD_MSISDN_MISSING, "El campo msisdn es requerido")
        if not isinstance(value, str) or not DIGITS_RE.fullmatch(value):
            raise bad(BAD_MSISDN, "El campo msisdn debe contener solo dígitos: código de "
                                  "país + número de teléfono")
        return value

    def take_quota(self, count):
        quota = self.config["reach_quota"]
        if quota is not None and self.quota_used + count > quota:
            raise ReachError(403, QUOTA, QUOTA_TEXT)
        self.quota_used += count

    def schedule_replies(self, mt):
        """reach_auto_reply: every recipient not in error answers."""
        text = self.config["reach_auto_reply"]
        if text is None:
            return
        at = mt.sent_at + self.config["reach_reply_delay_ms"]
        for msisdn in mt.recipients:
            if not msisdn.endswith("1999"):
                self.messages.append(Message("mo", self.ids.new(at), text, at,
                                             msisdn=msisdn, status=self.config["reach_mo_status"]))

    def send_to_contact(self, request, now):
        fields = self.json_object(request.body)
        msisdn = self.check_msisdn(fields)
        text = self.check_text(fields)
        external_id = self.check_id(fields, now)
        # Test rule: numbers ending in 1400 are refused by "the API".
        if msisdn.endswith("1400"):
            raise bad(REFUSED_NUMBER, f"El número {msisdn} no es válido")
        self.take_quota(1)
        if external_id is not None:
            self.seen_ids[external_id] = now
        mt = Message("mt", self.ids.new(now), text, now, id=external_id, msisdn=msisdn,
                     recipients=[msisdn], parts=parts(len(text), self.config["reach_short_name"]),
                     errors=1 if msisdn.endswith("1999") else 0)
        mt.sent_at = now + self.config["reach_sent_delay_ms"]
        self.messages.append(mt)
        self.schedule_replies(mt)
        return mt.view(now, self.config, fresh=True)

    def send_to_tags(self, request, now):
        fields = self.json_object(request.body)
        tags = fields.get("tags")
        if (not isinstance(tags, list) or not tags
                or not all(isinstance(t, str) and t != "" for t in tags)):
            raise bad(BAD_TAGS, "El campo tags debe ser un vector no vacío con el short_name "
                                "de cada etiqueta")
        text = self.check_text(fields)
        external_id = self.check_id(fields, now)
        known = self.config["reach_tags"]
        members = []
        for tag in tags:
            if tag not in known:
                raise bad(UNKNOWN_TAG, f"La etiqueta '{tag}' no existe")
            members.extend(m for m in known[tag] if m not in members)
        self.take_quota(len(members))
        if external_id is not None:
            self.seen_ids[external_id] = now
        group = Message("group", self.ids.new(now), text, now, id=external_id,
                        recipients=members, tags=list(dict.fromkeys(tags)),
                        parts=parts(len(text), self.config["reach_short_name"]),
                        errors=sum(1 for m in members if m.endswith("1999")))
        group.visible_at = now + self.config["reach_group_delay_ms"]
        group.sent_at = group.visible_at + self.config["reach_sent_delay_ms"]
        self.messages.append(group)
        self.schedule_replies(group)
        return group.view(now, self.config, fresh=True)

    def date_param(self, query, name):
        values = query.get(name)
        if not values or values[-1].strip() == "":
            raise bad(BAD_DATE, f"El parámetro {name} es requerido")
        text = values[-1]
        seconds = parse_rfc1123(text)
        if seconds is None:
            seconds = parse_local(text, self.config["reach_utc_offset_minutes"])
        if seconds is None:
            raise bad(BAD_DATE, f"El parámetro {name} no es una fecha válida: se espera "
                                "D, d M Y H:i:s T (Mon, 11 Jun 2014 17:33:23 GMT) o "
                                "Y-m-d H:i:s")
        return seconds

    @staticmethod
    def int_param(query, name, default, minimum, maximum, code):
        values = query.get(name)
        if not values:
            return default
        text = values[-1].strip()
        if not re.fullmatch(r"[0-9]+", text) or not minimum <= int(text) <= maximum:
            bounds = (f"entre {minimum} y {maximum}" if maximum is not None
                      else f"mayor o igual a {minimum}")
            raise bad(code, f"El parámetro {name} debe ser un número entero {bounds}")
        return int(text)

    def list_messages(self, request, now):
        query = request.query
        start_s = self.date_param(query, "start_date")
        end_s = self.date_param(query, "end_date")
        limit = self.int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, BAD_LIMIT)
        offset = self.int_param(query, "start", 0, 0, 10 ** 12, BAD_START)
        direction = query.get("direction", ["ALL"])[-1] or "ALL"
        if direction not in ("ALL", "MT", "MO"):
            raise bad(BAD_DIRECTION, "El parámetro direction debe ser ALL, MT o MO")
        # msisdn, or the seed's spelling misdn
        msisdn = (query.get("msisdn") or query.get("misdn") or [None])[-1] or None
        group = (query.get("group_short_name") or [None])[-1] or None
        recipients = (query.get("include_recipients") or [""])[-1].lower() in ("true", "1")

        found = []
        for m in self.messages:
            if not m.listed(now) or not start_s <= m.created_at // 1000 <= end_s:
                continue
            if direction != "ALL" and (m.kind == "mo") != (direction == "MO"):
                continue
            if msisdn is not None and m.msisdn != msisdn:
                continue
            if group is not None and group not in m.tags:
                continue
            found.append(m)
        found.sort(key=lambda m: (m.created_at // 1000, m.message_id))
        return [m.view(now, self.config, recipients) for m in found[offset:offset + limit]]

    # ----- control ---------------------------------------------------------

    def control(self, method, path, query, payload):
        if (method, path) == ("POST", "/_sim/reach/mo"):
            return 200, self.add_mos(payload())
        if (method, path) == ("GET", "/_sim/reach/messages"):
            with self.lock:
                now = now_ms()
                return 200, [m.record(now, self.config) for m in self.messages]
        return None

    def add_mos(self, payload):
        items = payload if isinstance(payload, list) else [payload]
        if not items or not all(isinstance(i, dict) for i in items):
            raise ControlError("reach mo must be an object or a non-empty array of objects")
        with self.lock:
            now = now_ms()
            created = [self.make_mo(spec, now) for spec in items]
            self.messages.extend(created)
            views = [mo.view(now, self.config) for mo in created]
        return views if isinstance(payload, list) else views[0]

    def make_mo(self, spec, now):
        known = {"msisdn", "message", "created_on", "short_code", "status"}
        unknown = set(spec) - known
        if unknown:
            raise ControlError(f"unknown reach mo field(s): {', '.join(sorted(unknown))}")
        for name in known:
            if name in spec and not isinstance(spec[name], str):
                raise ControlError(f"reach mo {name} must be a string")
        msisdn = spec.get("msisdn")
        if not msisdn or not DIGITS_RE.fullmatch(msisdn):
            raise ControlError("reach mo msisdn is required: the sender's number, digits only")
        if "message" not in spec:
            raise ControlError("reach mo message is required")
        created = now
        if "created_on" in spec:
            seconds = parse_local(spec["created_on"], self.config["reach_utc_offset_minutes"])
            if seconds is None:
                raise ControlError("reach mo created_on must be 'YYYY-MM-DD HH:MM:SS' "
                                   "(the operator's zone)")
            created = seconds * 1000
        mo = Message("mo", self.ids.new(created), spec["message"], created, msisdn=msisdn,
                     status=spec.get("status", self.config["reach_mo_status"]),
                     short_code=spec.get("short_code", SHORT_CODE))
        mo.visible_at = min(created, now)
        return mo
