"""The simulator process's shared machinery: the HTTP(S) server, the TLS
files, the control API (/_sim/...), the request log, fault injection, the
rate windows and the config.

Each simulated provider (sinch.py, reach.py, directcall.py) is a Provider:
it owns a part of the path space, answers its API requests, says how a
request's credentials look and what of it may be logged, and adds its own
config keys, fault kinds, control endpoints and counters. See README.md.

Python 3 standard library only.
"""

import copy
import fcntl
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Sliding-window tolerance: at rate 1/s a request 950 ms after the previous
# allowed one passes, so a client pacing itself at exactly 1 s never trips
# over scheduling jitter.
RATE_WINDOW_S = 1.0 - 0.050

FAULT_KINDS = ("status", "hang", "drop", "garbage", "html", "huge", "delay")
FAULT_OPTIONS = {"kind", "count", "path", "process", "status", "body", "content_type",
                 "retry_after", "seconds", "ms", "bytes"}
DEFAULT_FAULT_PATH = "/v1"


class ControlError(Exception):
    """A bad control-API request (answered 400 {"error": ...})."""


def now_ms():
    return int(time.time() * 1000)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def reason_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def decode_for_log(body):
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Raw:
    """An answer that is not JSON (e.g. XML): its bytes and Content-Type.
    A provider's api() may give one instead of a JSON payload."""

    __slots__ = ("body", "content_type")

    def __init__(self, body, content_type):
        self.body = body
        self.content_type = content_type


class Request:
    """One API request as a provider sees it. raw_query is the query string
    exactly as received (for signatures); query is it parsed (parse_qs).
    memo is the provider's, to parse a body once for the log and the answer."""

    __slots__ = ("method", "path", "raw_query", "query", "headers", "body", "client_ip",
                 "memo")

    def __init__(self, method, path, raw_query, query, headers, body, client_ip):
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.query = query
        self.headers = headers
        self.body = body
        self.client_ip = client_ip
        self.memo = {}


class Provider:
    """One simulated API. Subclasses fill in the hooks below."""

    name = "provider"
    defaults = {}  # its config keys and their defaults
    # Its own fault kinds: kind -> {"options": extra option names, "path":
    # the default path}; checked by check_fault, answered by fault_answer.
    fault_kinds = {}

    def __init__(self):
        self.sim = None  # set by Simulator.add

    @property
    def lock(self):
        return self.sim.lock

    @property
    def config(self):
        return self.sim.config

    def owns(self, path):
        """Whether API requests to this path are this provider's."""
        raise NotImplementedError

    def reset(self):
        """Forget all state (called with the lock held)."""

    def check_config(self, key, value):
        """Whether value is acceptable for this provider's config key."""
        return True

    def auth_state(self, request):
        """'ok', 'missing' or 'bad', for the request log. Never logs secrets."""
        raise NotImplementedError

    def log_view(self, request):
        """The request's query, content type and body as the log shows them."""
        return {"query": {k: v[0] if len(v) == 1 else v for k, v in request.query.items()},
                "content_type": request.headers.get("Content-Type"),
                "body": decode_for_log(request.body)}

    def check_fault(self, spec):
        """Raise ControlError if a fault of one of its own kinds is wrong."""

    def fault_answer(self, fault, request):
        """A fault of one of its own kinds -> (status, payload or Raw)."""
        raise NotImplementedError

    def api(self, request):
        """One API request -> (status, JSON payload or Raw); never raises."""
        raise NotImplementedError

    def error_body(self, status, message):
        """The provider's error answer shape (status faults, framing errors)."""
        raise NotImplementedError

    def control(self, method, path, query, payload):
        """A provider's own /_sim/ endpoint -> (status, payload), or None if
        the path is not one of its. payload() parses the body (ControlError)."""
        return None

    def stats(self):
        """Counters added to /_sim/stats."""
        return {}


class Simulator:
    """All state, behind one lock. The HTTP handler only parses and writes."""

    def __init__(self, providers, verbose=False):
        self.verbose = verbose
        self.lock = threading.RLock()
        self.seq = 0  # request log sequence; survives reset so old marks stay valid
        self.providers = []
        self.defaults = {}
        self.owner = {}  # config key -> provider
        self.fault_owner = {}  # a provider's own fault kind -> provider
        for provider in providers:
            provider.sim = self
            self.providers.append(provider)
            for key, value in provider.defaults.items():
                self.defaults[key] = value
                self.owner[key] = provider
            for kind in provider.fault_kinds:
                self.fault_owner[kind] = provider
        self.reset()

    def provider_for(self, path):
        """The first provider that owns path (the last one is the fallback)."""
        for provider in self.providers:
            if provider.owns(path):
                return provider
        return self.providers[-1]

    # ----- state -----------------------------------------------------------

    def reset(self):
        with self.lock:
            old = getattr(self, "reset_event", None)
            self.reset_event = threading.Event()
            if old:
                old.set()  # releases requests hanging on a "hang" fault
            self.config = copy.deepcopy(self.defaults)
            self.faults = deque()
            self.log = []
            self.log_from_seq = self.seq   # entries up to here predate the reset
            self.windows = {}              # rate key -> deque of times
            self.stats = {"requests": 0, "by_path": {}, "by_status": {}}
            for provider in self.providers:
                provider.reset()

    def set_config(self, changes):
        if not isinstance(changes, dict):
            raise ControlError("config must be a JSON object")
        for key, value in changes.items():
            if key not in self.defaults:
                raise ControlError(f"unknown config key {key!r}; known: "
                                   + ", ".join(sorted(self.defaults)))
            if not self.owner[key].check_config(key, value):
                raise ControlError(f"bad value for {key}: {value!r}")
        with self.lock:
            self.config.update(changes)
            return dict(self.config)

    def rate_allow(self, key, rate):
        """Sliding 1-second window per key; a refused request does not count.
        rate 0 = unlimited."""
        if rate == 0:
            return True
        with self.lock:
            now = time.monotonic()
            window = self.windows.setdefault(key, deque())
            while window and now - window[0] >= RATE_WINDOW_S:
                window.popleft()
            if len(window) >= rate:
                return False
            window.append(now)
            return True

    def add_fault(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("fault must be a JSON object")
        spec = dict(spec)
        kind = spec.get("kind")
        owner = self.fault_owner.get(kind)
        if kind not in FAULT_KINDS and owner is None:
            kinds = FAULT_KINDS + tuple(self.fault_owner)
            raise ControlError(f"fault kind must be one of {', '.join(kinds)}")
        options, default_path = FAULT_OPTIONS, DEFAULT_FAULT_PATH
        if owner is not None:
            options = FAULT_OPTIONS | owner.fault_kinds[kind]["options"]
            default_path = owner.fault_kinds[kind]["path"]
        unknown = set(spec) - options
        if unknown:
            raise ControlError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        if not isinstance(spec.get("process", False), bool):
            raise ControlError("fault process must be true or false")
        spec.setdefault("count", 1)
        spec.setdefault("path", default_path)
        numeric = {"count": 1, "status": 100, "retry_after": 0, "seconds": 0,
                   "ms": 0, "bytes": 1}
        for key, minimum in numeric.items():
            value = spec.get(key)
            if value is None:
                continue
            number_ok = is_int(value) or (key in ("seconds", "ms") and isinstance(value, float))
            if not number_ok or value < minimum:
                raise ControlError(f"fault {key} must be a number >= {minimum}")
        if spec.get("status", 200) > 599:
            raise ControlError("fault status must be an HTTP status, 100-599")
        if kind == "status" and "status" not in spec:
            raise ControlError("a status fault needs a status")
        for key in ("body", "content_type", "path"):
            if key in spec and not isinstance(spec[key], str):
                raise ControlError(f"fault {key} must be a string")
        if owner is not None:
            owner.check_fault(spec)
        with self.lock:
            self.faults.append(spec)
            return spec

    def take_fault(self, path, entry):
        """The first queued fault matching path, one use consumed (FIFO);
        noted at once in the request's log entry."""
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault["path"]):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    entry["fault"] = fault["kind"]
                    return dict(fault)
            return None

    def log_request(self, request, provider):
        auth = provider.auth_state(request)
        view = provider.log_view(request)
        with self.lock:
            self.seq += 1
            entry = {"seq": self.seq, "at": time.monotonic(),
                     "method": request.method, "path": request.path,
                     "query": view["query"], "auth": auth,
                     "content_type": view["content_type"],
                     "body": view["body"], "status": None}
            self.log.append(entry)
            self.stats["requests"] += 1
            by_path = self.stats["by_path"]
            by_path[request.path] = by_path.get(request.path, 0) + 1
            return entry

    def log_answer(self, entry, status):
        with self.lock:
            entry["status"] = status
            if entry["seq"] <= self.log_from_seq:
                return  # answered after a reset (a released hang): not counted
            key = str(status) if status is not None else "none"
            self.stats["by_status"][key] = self.stats["by_status"].get(key, 0) + 1

    # ----- the control API -------------------------------------------------

    def control(self, method, path, query, body):
        """The /_sim/ API -> (status, JSON payload)."""
        def payload():
            try:
                return json.loads(body.decode("utf-8")) if body.strip() else {}
            except (UnicodeDecodeError, ValueError) as e:
                raise ControlError(f"body is not valid JSON: {e}")

        try:
            if (method, path) == ("POST", "/_sim/reset"):
                self.reset()
                return 200, {"ok": True}
            if path == "/_sim/config" and method in ("GET", "POST"):
                if method == "GET":
                    with self.lock:
                        return 200, dict(self.config)
                return 200, self.set_config(payload())
            if path == "/_sim/fault" and method in ("GET", "POST"):
                if method == "GET":
                    with self.lock:
                        return 200, list(self.faults)
                return 200, self.add_fault(payload())
            if (method, path) == ("POST", "/_sim/fault/clear"):
                with self.lock:
                    cleared = len(self.faults)
                    self.faults.clear()
                return 200, {"cleared": cleared}
            if (method, path) == ("GET", "/_sim/requests"):
                since = query.get("since", ["0"])[-1]
                if not since.isdigit():
                    raise ControlError("since must be a sequence number")
                with self.lock:
                    return 200, [dict(e) for e in self.log if e["seq"] > int(since)]
            if (method, path) == ("GET", "/_sim/stats"):
                with self.lock:
                    stats = copy.deepcopy(self.stats)
                    for provider in self.providers:
                        stats.update(provider.stats())
                    return 200, dict(stats, faults_queued=len(self.faults),
                                     last_seq=self.seq)
            for provider in self.providers:
                answer = provider.control(method, path, query, payload)
                if answer is not None:
                    return answer
            return 404, {"error": f"no control endpoint {method} {path}"}
        except ControlError as e:
            return 400, {"error": str(e)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer has Content-Length
    # Headers and body go out in two writes; with Nagle on, the body waits
    # for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def version_string(self):
        return "sms-api-simulator"

    def log_message(self, format, *args):
        if self.server.sim.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_response(self, code, message=None):
        # logged before any byte of the answer leaves, so a client that has
        # read the answer always finds its status in /_sim/requests
        entry, self.log_entry = getattr(self, "log_entry", None), None
        if entry is not None:
            self.server.sim.log_answer(entry, code)
        super().send_response(code, message)

    def respond(self, status, body, content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def respond_json(self, status, payload, headers=()):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.respond(status, body, "application/json", headers)

    def respond_answer(self, status, payload):
        """A provider's answer: a JSON payload, or Raw bytes."""
        if isinstance(payload, Raw):
            self.respond(status, payload.body, payload.content_type)
        else:
            self.respond_json(status, payload)

    def dispatch(self):
        sim = self.server.sim
        self.log_entry = None
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        provider = sim.provider_for(url.path)
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.respond_json(400, provider.error_body(400, "bad request framing"))
            return
        if url.path == "/_sim" or url.path.startswith("/_sim/"):
            status, payload = sim.control(self.command, url.path, query, body)
            self.respond_json(status, payload)
            return

        request = Request(self.command, url.path, url.query, query, self.headers, body,
                          self.client_address[0])
        entry = sim.log_request(request, provider)
        self.log_entry = entry

        def call_api():
            return provider.api(request)

        fault = sim.take_fault(url.path, entry)
        if fault:
            status = self.deliver_fault(fault, call_api, sim.reset_event, provider, request)
        else:
            status, payload = call_api()
            self.respond_answer(status, payload)
        if self.log_entry is not None:  # hung up without an answer
            self.log_entry = None
            sim.log_answer(entry, status)

    def deliver_fault(self, fault, call_api, reset_event, provider, request):
        """Answer (or not) as the fault says; returns the status sent, or None."""
        kind = fault["kind"]
        if fault.get("process") and kind != "delay":
            call_api()  # the API acts; its answer is then lost or replaced
        if kind == "delay":
            reset_event.wait(fault.get("ms", 1000) / 1000)
            status, payload = call_api()
            self.respond_answer(status, payload)
            return status
        owner = self.server.sim.fault_owner.get(kind)
        if owner is not None:
            status, payload = owner.fault_answer(fault, request)
            self.respond_answer(status, payload)
            return status
        if kind in ("hang", "drop"):
            if kind == "hang":
                reset_event.wait(fault.get("seconds", 60))
            self.close_connection = True
            return None
        if kind == "status":
            status = int(fault["status"])
            headers = []
            if "retry_after" in fault:
                headers.append(("Retry-After", str(int(fault["retry_after"]))))
            if "body" in fault:
                body = fault["body"].encode("utf-8")
            else:
                body = json.dumps(provider.error_body(status, reason_phrase(status))).encode()
            self.respond(status, body, fault.get("content_type", "application/json"),
                         headers)
            return status
        if kind == "garbage":
            # Claims to be JSON but is not.
            self.respond(200, b"<<not json>> {\"id\": ", "application/json")
            return 200
        if kind == "html":
            status = int(fault.get("status", 200))
            page = (f"<!DOCTYPE html>\n<html><head><title>{status} "
                    f"{reason_phrase(status)}</title></head>\n<body><h1>{status} "
                    f"{reason_phrase(status)}</h1><p>nginx</p></body></html>\n")
            self.respond(status, page.encode(), "text/html; charset=utf-8")
            return status
        if kind == "huge":
            self.send_huge(int(fault.get("bytes", 2 * 1024 * 1024)))
            return 200
        raise AssertionError(kind)

    def send_huge(self, size):
        """200 with a valid JSON body of exactly size bytes, streamed."""
        if size < 8:  # too small for {"p":""}: a number is valid JSON too
            head, pad, tail = b"1", size - 1, b""
            filler = b"0"
        else:
            head, pad, tail = b'{"p":"', size - 8, b'"}'
            filler = b"x"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(head)
        chunk = filler * 65536
        while pad > 0:
            self.wfile.write(chunk[:pad])
            pad -= min(pad, len(chunk))
        self.wfile.write(tail)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # do not wait for hanging requests on shutdown

    def __init__(self, address, sim, ssl_context=None):
        self.sim = sim
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # The TLS handshake runs here, in the connection's own thread, so a
        # client that never completes it cannot stall the accept loop.
        try:
            request.settimeout(10)
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        conn.settimeout(None)
        try:
            super().finish_request(conn, client_address)
        finally:
            self.shutdown_request(conn)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if self.sim.verbose or not isinstance(error, (ConnectionError, ssl.SSLError,
                                                      TimeoutError)):
            super().handle_error(request, client_address)


# ----- TLS files ---------------------------------------------------------

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""
TLS_FILES = ("ca.pem", "server.pem", "server.key", "other-ca.pem")


def ensure_certs(cert_dir):
    """Create a test CA, a server cert it signs, and an unrelated CA, once."""
    os.makedirs(cert_dir, exist_ok=True)
    with open(os.path.join(cert_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # simulators starting together share one set
        if all(os.path.exists(os.path.join(cert_dir, f)) for f in TLS_FILES):
            return
        with tempfile.TemporaryDirectory(dir=cert_dir) as tmp:
            def path(name):
                return os.path.join(tmp, name)

            def openssl(*args):
                subprocess.run(("openssl",) + args, check=True, capture_output=True)

            with open(path("openssl.cnf"), "w") as f:
                f.write(OPENSSL_CONFIG)
            key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
            for name, cn in (("ca", "sms_api simulator test CA"),
                             ("other-ca", "unrelated test CA")):
                openssl("req", "-x509", "-config", path("openssl.cnf"), "-extensions", "ca",
                        *key, "-keyout", path(name + ".key"), "-out", path(name + ".pem"),
                        "-days", "3650", "-subj", f"/CN={cn}")
            openssl("req", "-new", "-config", path("openssl.cnf"), *key,
                    "-keyout", path("server.key"), "-out", path("server.csr"),
                    "-subj", "/CN=localhost")
            openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"),
                    "-CAkey", path("ca.key"), "-set_serial", str(secrets.randbits(63)),
                    "-days", "3650", "-extfile", path("openssl.cnf"),
                    "-extensions", "server", "-out", path("server.pem"))
            os.chmod(path("server.key"), 0o600)
            for name in TLS_FILES:
                os.replace(path(name), os.path.join(cert_dir, name))


# ----- main --------------------------------------------------------------



# ----- running ------------------------------------------------------------

def serve(sim, host, port, tls_port=None, cert_dir=None, ready_file=None):
    """Listen (HTTP, and HTTPS with tls_port), print the one "listening"
    line, write ready_file, and serve until SIGTERM / SIGINT."""
    servers = [Server((host, port), sim)]
    urls = {"http": f"http://{host}:{servers[0].server_address[1]}",
            "https": None, "ca": None}
    if tls_port is not None:
        ensure_certs(cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(cert_dir, "server.pem"),
                                os.path.join(cert_dir, "server.key"))
        servers.append(Server((host, tls_port), sim, context))
        urls["https"] = f"https://{host}:{servers[1].server_address[1]}"
        urls["ca"] = os.path.abspath(os.path.join(cert_dir, "ca.pem"))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()

    line = f"simulator listening http={urls['http']}"
    if urls["https"]:
        line += f" https={urls['https']}"
    print(line, flush=True)
    if ready_file:
        tmp = f"{ready_file}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(urls, f)
        os.replace(tmp, ready_file)

    while not stop.wait(3600):
        pass
    for server in servers:
        server.shutdown()
        server.server_close()
