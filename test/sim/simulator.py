#!/usr/bin/env python3
"""A local stand-in for the Sinch (Wavy/Movile) LATAM SMS HTTP API.

It answers the documented /v1 endpoints (send, bulk send, status search and
list, MO list and search) the way the documentation says the real service
does, and adds a control API under /_sim/ (no auth) through which tests
reset it, change its timing, inject faults and MOs, and read back what the
client sent. See test/sim/README.md for the user's view; the reference is
shared/reference/sinch-sms-api.md.

Python 3 standard library only.
"""

import argparse
import copy
import fcntl
import heapq
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import deque
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DAY_MS = 24 * 3600 * 1000
STATUS_RETENTION_MS = 3 * DAY_MS   # statuses and listable MOs: 3 days
MO_SEARCH_MAX_AGE_MS = 5 * DAY_MS  # receive/search never looks further back
MAX_BULK = 1000
MAX_MO_PER_CALL = 1000
# Sliding-window tolerance: at rate 1/s a request 950 ms after the previous
# allowed one passes, so a client pacing itself at exactly 1 s never trips
# over scheduling jitter.
RATE_WINDOW_S = 1.0 - 0.050

SENT_STATUS = {
    2: "SENT_SUCCESS",
    101: "EXPIRED",
    102: "CARRIER_COMMUNICATION_ERROR",
    103: "REJECTED_BY_CARRIER",
    201: "NO_CREDIT",
    202: "INVALID_DESTINATION_NUMBER",
    203: "BLACKLISTED",
    204: "DESTINATION_BLOCKED_BY_OPTOUT",
    205: "DESTINATION_MESSAGE_LIMIT_REACHED",
    207: "INVALID_MESSAGE_TEXT",
    301: "INTERNAL_ERROR",
}
DELIVERED_STATUS = {4: "DELIVERED_SUCCESS", 104: "NOT_DELIVERED"}
VIVO, TIM, OI = (1, "VIVO"), (5, "TIM"), (2, "OI")
# Destinations ending in "1" + one of these end with that sent status, no DLR.
FAILURE_SUFFIXES = {f"{code:03d}": code for code in SENT_STATUS if code != 2}

# Field name -> kind, for one message (single send, bulk message,
# defaultValues). The real API is a Java service; types are checked strictly
# except where its own examples show otherwise (flashSMS "true").
SMS_FIELDS = {
    "destination": "string",
    "messageText": "string",
    "correlationId": "string",
    "extraInfo": "string",
    "timeWindow": "hours",
    "expiresAt": "int",
    "expiresInMinutes": "int",
    "expiresDate": "datetime",
    "scheduledAt": "int",
    "delayedInMinutes": "int",
    "scheduledDate": "datetime",
    "timeZone": "string",
    "campaignAlias": "string",
    "flashSMS": "bool",
    "flowId": "string",
    "subAccount": "string",
    "params": "object",
    "templateId": "int",
    "templateName": "string",
}
# Fields the bulk request takes at its root, applying to every message.
BULK_ROOT_FIELDS = (
    "timeZone", "scheduledDate", "scheduledAt", "delayedInMinutes",
    "expiresAt", "expiresInMinutes", "expiresDate", "timeWindow", "flowId",
    "templateId", "templateName", "campaignAlias", "subAccount",
)
MAX_LENGTH = {"messageText": 1280, "correlationId": 64, "extraInfo": 255}
EXCLUSIVE = (
    ("expiresAt", "expiresInMinutes", "expiresDate"),
    ("scheduledAt", "delayedInMinutes", "scheduledDate"),
)
TEXT_SOURCES = ("flowId", "templateId", "templateName")
DESTINATION_RE = re.compile(r"[0-9]{10,15}")
LOCAL_DATETIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")

DEFAULT_CONFIG = {
    "query_rate": 1,
    "send_rate": 700,
    "sent_delay_ms": 0,
    "delivered_delay_ms": 0,
    "single_shape": "array",
    "list_page_size": 1000,
    "mo_search_order": "oldest",  # which replies a capped receive/search keeps, in that order
    "admin_users": [],  # filled from --admin-users
}

FAULT_KINDS = ("status", "hang", "drop", "garbage", "html", "huge", "delay")
FAULT_OPTIONS = {"kind", "count", "path", "process", "status", "body", "content_type",
                 "retry_after", "seconds", "ms", "bytes"}


class ApiError(Exception):
    """An API answer other than 200, with the documented error body."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class ControlError(Exception):
    """A bad control-API request (answered 400 {"error": ...})."""


def now_ms():
    return int(time.time() * 1000)


def iso_seconds(ms):
    """Item dates (sentDate, receivedDate...): seconds precision, as real payloads."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_instant(ms):
    """Envelope start/end: like Java's Instant.toString (".113Z", no fraction if 0)."""
    base = datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ms % 1000:03d}Z" if ms % 1000 else base + "Z"


def parse_iso8601(text):
    """ISO-8601 date-time from a query string -> epoch ms; naive means UTC."""
    value = text.strip()
    if "T" in value:
        # An unencoded "+03:00" offset arrives as " 03:00" after query decoding.
        value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def type_problem(kind, value):
    """Why value is not of this field kind, or None."""
    if kind == "string":
        return None if isinstance(value, str) else "must be a string"
    if kind == "int":
        return None if is_int(value) else "must be an integer"
    if kind == "bool":
        ok = isinstance(value, bool) or value in ("true", "false")
        return None if ok else 'must be a boolean (or the string "true"/"false")'
    if kind == "hours":
        ok = (isinstance(value, list) and value
              and all(is_int(h) and 0 <= h <= 23 for h in value))
        return None if ok else "must be a non-empty array of integer hours 0-23"
    if kind == "object":
        return None if isinstance(value, dict) else "must be an object"
    if kind == "datetime":
        if isinstance(value, str) and LOCAL_DATETIME_RE.fullmatch(value):
            try:
                datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
                return None
            except ValueError:
                pass
        return "must be a date-time formatted yyyy-MM-ddTHH:mm:ss"
    raise AssertionError(kind)


def check_fields(fields, where, allowed):
    """400 for the first unknown or mistyped field; where prefixes its name."""
    for name, value in fields.items():
        if name not in allowed:
            raise ApiError(400, f"{where}{name}: unknown field")
        problem = type_problem(SMS_FIELDS[name], value)
        if problem:
            raise ApiError(400, f"{where}{name}: {problem}")


def validate_message(msg, where=""):
    """The single-send rules on one (merged) message; raises ApiError(400)."""
    check_fields(msg, where, SMS_FIELDS)
    destination = msg.get("destination")
    if destination is None:
        raise ApiError(400, f"{where}destination: is required")
    if not DESTINATION_RE.fullmatch(destination):
        raise ApiError(400, f"{where}destination: must be 10 to 15 digits, "
                            "country code included, nothing else (no '+')")
    has_text_source = any(k in msg for k in TEXT_SOURCES)
    if not has_text_source:
        if "messageText" not in msg:
            raise ApiError(400, f"{where}messageText: is required "
                                "(unless flowId, templateId or templateName is given)")
        if msg["messageText"] == "":
            raise ApiError(400, f"{where}messageText: must not be empty")
    for name, limit in MAX_LENGTH.items():
        if name in msg and len(msg[name]) > limit:
            raise ApiError(400, f"{where}{name}: longer than {limit} characters "
                                f"({len(msg[name])})")
    for group in EXCLUSIVE:
        present = [k for k in group if k in msg]
        if len(present) > 1:
            raise ApiError(400, f"{where}{present[0]}: mutually exclusive with "
                                f"{', '.join(present[1:])} (use only one of "
                                f"{', '.join(group)})")
    if "params" in msg and not has_text_source:
        raise ApiError(400, f"{where}params: requires flowId, templateId or templateName")
    # Test rule: destinations ending in 1400 are refused by "the API".
    if destination.endswith("1400"):
        raise ApiError(400, f"{where}destination: Invalid destination" if where
                       else "Invalid destination")


def drop_nulls(obj):
    """JSON null means absent, as for the real (Jackson-based) API."""
    return {k: v for k, v in obj.items() if v is not None}


def query_to_fields(query):
    """GET /v1/send-sms query string -> typed fields (numbers arrive as text)."""
    fields = {}
    for name, values in query.items():
        if name == "timeWindow":  # timeWindow=11,12 or timeWindow=11&timeWindow=12
            hours = [h for v in values for h in v.split(",") if h != ""]
            if not all(re.fullmatch(r"\d{1,2}", h) for h in hours):
                raise ApiError(400, "timeWindow: must be a non-empty array of integer hours 0-23")
            fields[name] = [int(h) for h in hours]
            continue
        if len(values) > 1:
            raise ApiError(400, f"{name}: given more than once")
        value = values[0]
        kind = SMS_FIELDS.get(name)
        if kind == "int":
            if not re.fullmatch(r"-?\d+", value):
                raise ApiError(400, f"{name}: must be an integer")
            value = int(value)
        elif kind == "object":
            raise ApiError(400, f"{name}: not supported in the query string, use POST")
        fields[name] = value
    return fields


def status_plan(destination):
    """(sent code, delivered code or None, carrier) from the last digits."""
    last4 = destination[-4:]
    carrier = VIVO if int(destination[-1]) % 2 == 0 else TIM
    if last4 == "1999":
        return 2, None, OI  # Oi never sends a DLR
    if last4 == "1104":
        return 2, 104, carrier
    if last4[0] == "1" and last4[1:] in FAILURE_SUFFIXES:
        return FAILURE_SUFFIXES[last4[1:]], None, carrier
    return 2, 4, carrier


def campaign_id(alias):
    """A stable small number per campaignAlias (same alias, same id, every run)."""
    return zlib.crc32(alias.encode("utf-8")) % 9000 + 1000


class Message:
    """One accepted MT and the status events planned for it."""

    def __init__(self, fields, batch_id, accepted_at, sent_delay, delivered_delay):
        self.id = str(uuid.uuid4())
        self.fields = fields
        self.batch_id = batch_id
        self.accepted_at = accepted_at
        self.sent_code, self.delivered_code, self.carrier = status_plan(fields["destination"])
        self.sent_at = accepted_at + sent_delay
        self.delivered_at = (self.sent_at + delivered_delay
                             if self.delivered_code is not None else None)

    def record(self):
        """What /_sim/messages shows: every field sent, merged, plus ids."""
        return {"id": self.id, "batchId": self.batch_id,
                "acceptedAt": self.accepted_at, **self.fields}

    def status_item(self, now):
        """The status object as of now; None before the sent status exists."""
        if now < self.sent_at:
            return None
        f = self.fields
        item = {"id": self.id}
        if "correlationId" in f:
            item["correlationId"] = f["correlationId"]
        item.update({
            "carrierId": self.carrier[0],
            "carrierName": self.carrier[1],
            "destination": f["destination"],
            "sentStatusCode": self.sent_code,
            "sentStatus": SENT_STATUS[self.sent_code],
            "sentAt": self.sent_at,
            "sentDate": iso_seconds(self.sent_at),
        })
        updated = self.sent_at
        if self.delivered_at is not None and now >= self.delivered_at:
            item.update({
                "deliveredStatusCode": self.delivered_code,
                "deliveredStatus": DELIVERED_STATUS[self.delivered_code],
                "deliveredAt": self.delivered_at,
                "deliveredDate": iso_seconds(self.delivered_at),
            })
            updated = self.delivered_at
        item["updatedAt"] = updated
        item["updatedDate"] = iso_seconds(updated)
        if "campaignAlias" in f:
            item["campaignId"] = campaign_id(f["campaignAlias"])
        # Real payloads carry extraInfo "" when none was sent.
        item["extraInfo"] = f.get("extraInfo", "")
        return item


class Simulator:
    """All state, behind one lock. The HTTP handler only parses and writes."""

    def __init__(self, username, token, admin_users, verbose):
        self.username = username
        self.token = token
        self.verbose = verbose
        self.defaults = dict(DEFAULT_CONFIG, admin_users=list(admin_users))
        self.lock = threading.RLock()
        self.seq = 0  # request log sequence; survives reset so old marks stay valid
        self.reset()

    # ----- state -----------------------------------------------------------

    def reset(self):
        with self.lock:
            old = getattr(self, "reset_event", None)
            self.reset_event = threading.Event()
            if old:
                old.set()  # releases requests hanging on a "hang" fault
            self.config = copy.deepcopy(self.defaults)
            self.messages = {}             # lower-case id -> Message, in order
            self.events = []               # heap (due ms, n, message id)
            self.event_n = 0
            self.changed = deque()         # ids whose status changed since listed
            self.changed_set = set()
            self.status_listed_at = None
            self.mos = []                  # in receivedAt order
            self.mo_listed = set()
            self.mo_listed_at = None
            self.faults = deque()
            self.log = []
            self.log_from_seq = self.seq   # entries up to here predate the reset
            self.windows = {}              # (client ip, class) -> deque of times
            self.stats = {"requests": 0, "by_path": {}, "by_status": {}}

    def set_config(self, changes):
        if not isinstance(changes, dict):
            raise ControlError("config must be a JSON object")
        for key, value in changes.items():
            if key not in DEFAULT_CONFIG:
                raise ControlError(f"unknown config key {key!r}; known: "
                                   + ", ".join(sorted(DEFAULT_CONFIG)))
            if key == "single_shape":
                ok = value in ("array", "object")
            elif key == "mo_search_order":
                ok = value in ("oldest", "newest")
            elif key == "admin_users":
                ok = isinstance(value, list) and all(isinstance(u, str) for u in value)
            elif key == "list_page_size":
                ok = is_int(value) and value >= 1
            else:
                ok = is_int(value) and value >= 0
            if not ok:
                raise ControlError(f"bad value for {key}: {value!r}")
        with self.lock:
            self.config.update(changes)
            return dict(self.config)

    def add_fault(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("fault must be a JSON object")
        spec = dict(spec)
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ControlError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        unknown = set(spec) - FAULT_OPTIONS
        if unknown:
            raise ControlError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        if not isinstance(spec.get("process", False), bool):
            raise ControlError("fault process must be true or false")
        spec.setdefault("count", 1)
        spec.setdefault("path", "/v1")
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

    def log_request(self, method, path, query, headers, body):
        with self.lock:
            self.seq += 1
            entry = {"seq": self.seq, "method": method, "path": path,
                     "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
                     "auth": self.auth_state(headers),
                     "content_type": headers.get("Content-Type"),
                     "body": decode_for_log(body), "status": None}
            self.log.append(entry)
            self.stats["requests"] += 1
            by_path = self.stats["by_path"]
            by_path[path] = by_path.get(path, 0) + 1
            return entry

    def log_answer(self, entry, status):
        with self.lock:
            entry["status"] = status
            if entry["seq"] <= self.log_from_seq:
                return  # answered after a reset (a released hang): not counted
            key = str(status) if status is not None else "none"
            self.stats["by_status"][key] = self.stats["by_status"].get(key, 0) + 1

    def auth_state(self, headers):
        # The token is compared here and never stored anywhere.
        user, token = headers.get("username"), headers.get("authenticationtoken")
        if user is None or token is None:
            return "missing"
        same = secrets.compare_digest(token.encode(), self.token.encode())
        return "ok" if user == self.username and same else "bad"

    # ----- the API ---------------------------------------------------------

    ROUTES = {
        ("POST", "/v1/send-sms"): "send_sms",
        ("GET", "/v1/send-sms"): "send_sms_get",
        ("POST", "/v1/send-bulk-sms"): "send_bulk",
        ("POST", "/v1/sms/status/search"): "status_search",
        ("GET", "/v1/sms/status/list"): "status_list",
        ("GET", "/v1/sms/receive/list"): "receive_list",
        ("GET", "/v1/sms/receive/search"): "receive_search",
    }

    def api(self, method, path, query, headers, body, client_ip):
        """One API request -> (status, JSON payload). Never raises ApiError."""
        try:
            route = self.ROUTES.get((method, path.rstrip("/") or "/"))
            if route is None:
                raise ApiError(404, f"Not Found: {method} {path}")
            auth = self.auth_state(headers)
            if auth == "missing":
                raise ApiError(401, "Authentication Error: the username and "
                                    "authenticationtoken headers are required")
            if auth == "bad":
                raise ApiError(401, "Authentication Error: invalid username or "
                                    "authenticationtoken")
            if not self.rate_allow(client_ip, path):
                raise ApiError(429, "Too Many Requests")
            if "subAccount" in query:
                self.require_admin(headers)
            with self.lock:
                return 200, getattr(self, route)(query, headers, body)
        except ApiError as e:
            return e.status, {"errorCode": e.status, "errorMessage": e.message}

    def rate_allow(self, client_ip, path):
        is_query = path.startswith("/v1/sms/status/")
        with self.lock:
            rate = self.config["query_rate" if is_query else "send_rate"]
            if rate == 0:
                return True
            now = time.monotonic()
            window = self.windows.setdefault((client_ip, is_query), deque())
            while window and now - window[0] >= RATE_WINDOW_S:
                window.popleft()
            if len(window) >= rate:
                return False  # a refused request does not count
            window.append(now)
            return True

    def require_admin(self, headers):
        if headers.get("username") not in self.config["admin_users"]:
            raise ApiError(403, "Forbidden: subAccount may only be used by administrator users")

    @staticmethod
    def json_object(body):
        def reject_constant(name):  # Python accepts NaN/Infinity; JSON does not
            raise ValueError(f"{name} is not JSON")

        try:
            parsed = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, f"the request body is not valid JSON: {e}")
        if not isinstance(parsed, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return parsed

    def accept(self, fields, batch_id, now):
        msg = Message(fields, batch_id, now, self.config["sent_delay_ms"],
                      self.config["delivered_delay_ms"])
        self.messages[msg.id.lower()] = msg
        for due in (msg.sent_at, msg.delivered_at):
            if due is not None:
                self.event_n += 1
                heapq.heappush(self.events, (due, self.event_n, msg.id.lower()))
        return msg

    @staticmethod
    def answer_item(msg):
        item = {"id": msg.id}
        if "correlationId" in msg.fields:
            item["correlationId"] = msg.fields["correlationId"]
        return item

    def send_sms(self, query, headers, body):
        return self.send_one(drop_nulls(self.json_object(body)), headers)

    def send_sms_get(self, query, headers, body):
        return self.send_one(query_to_fields(query), headers)

    def send_one(self, fields, headers):
        if "subAccount" in fields:
            self.require_admin(headers)
        validate_message(fields)
        item = self.answer_item(self.accept(fields, None, now_ms()))
        return item if self.config["single_shape"] == "object" else [item]

    def send_bulk(self, query, headers, body):
        request = drop_nulls(self.json_object(body))
        messages = request.get("messages")
        if messages is None:
            raise ApiError(400, "messages: is required")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "messages: must be a non-empty array")
        if len(messages) > MAX_BULK:
            raise ApiError(400, f"messages: maximum of {MAX_BULK} messages per "
                                f"request ({len(messages)} given)")
        defaults = request.get("defaultValues", {})
        if not isinstance(defaults, dict):
            raise ApiError(400, "defaultValues: must be an object")
        defaults = drop_nulls(defaults)
        root = {k: v for k, v in request.items() if k not in ("messages", "defaultValues")}
        check_fields(root, "", BULK_ROOT_FIELDS)
        check_fields(defaults, "defaultValues.", SMS_FIELDS)
        merged = []
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                raise ApiError(400, f"messages[{i}]: must be an object")
            merged.append({**root, **defaults, **drop_nulls(message)})
        if any("subAccount" in m for m in merged):
            self.require_admin(headers)
        for i, message in enumerate(merged):
            validate_message(message, f"messages[{i}].")
        batch_id, now = str(uuid.uuid4()), now_ms()
        return {"id": batch_id,
                "messages": [self.answer_item(self.accept(m, batch_id, now)) for m in merged]}

    def advance(self, now):
        """Queue every status change that has happened by now for status/list."""
        while self.events and self.events[0][0] <= now:
            _, _, key = heapq.heappop(self.events)
            if key in self.messages and key not in self.changed_set:
                self.changed.append(key)
                self.changed_set.add(key)

    def status_envelope(self, items, start, end):
        return {"total": len(items), "start": iso_instant(start),
                "end": iso_instant(end), "smsStatuses": items}

    def status_search(self, query, headers, body):
        request = drop_nulls(self.json_object(body))
        for name in request:
            if name not in ("ids", "correlationIds"):
                raise ApiError(400, f"{name}: unknown field")
        lists = {}
        for name in ("ids", "correlationIds"):
            value = request.get(name, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ApiError(400, f"{name}: must be an array of strings")
            lists[name] = value
        if not lists["ids"] and not lists["correlationIds"]:
            raise ApiError(400, "ids or correlationIds: at least one id is required")
        ids = {i.lower() for i in lists["ids"]}
        correlation_ids = set(lists["correlationIds"])
        now = now_ms()
        items = []
        for key, msg in self.messages.items():
            if msg.accepted_at < now - STATUS_RETENTION_MS:
                continue
            if key in ids or msg.fields.get("correlationId") in correlation_ids:
                item = msg.status_item(now)
                if item is not None:  # no status yet: absent, as unknown ids
                    items.append(item)
        return self.status_envelope(items, now - STATUS_RETENTION_MS, now)

    def status_list(self, query, headers, body):
        now = now_ms()
        self.advance(now)
        items = []
        while self.changed and len(items) < self.config["list_page_size"]:
            key = self.changed.popleft()
            self.changed_set.discard(key)
            msg = self.messages[key]
            if msg.accepted_at >= now - STATUS_RETENTION_MS:
                items.append(msg.status_item(now))
        start = max(self.status_listed_at or 0, now - STATUS_RETENTION_MS)
        self.status_listed_at = now
        return self.status_envelope(items, start, now)

    @staticmethod
    def mo_envelope(mos, start, end):
        return {"total": len(mos), "start": iso_instant(start),
                "end": iso_instant(end), "messages": mos}

    def receive_list(self, query, headers, body):
        sub_account = query.get("subAccount", [None])[-1]
        now = now_ms()
        picked = []
        for mo in self.mos:
            if len(picked) == MAX_MO_PER_CALL:
                break
            if (mo["id"] not in self.mo_listed
                    and mo["receivedAt"] >= now - STATUS_RETENTION_MS
                    and (sub_account is None or mo.get("subAccount") == sub_account)):
                picked.append(mo)
                self.mo_listed.add(mo["id"])
        start = max(self.mo_listed_at or 0, now - STATUS_RETENTION_MS)
        self.mo_listed_at = now
        return self.mo_envelope(picked, start, now)

    def receive_search(self, query, headers, body):
        now = now_ms()
        bounds = {}
        for name, default in (("start", now - MO_SEARCH_MAX_AGE_MS), ("end", now)):
            text = query.get(name, [""])[-1]
            bounds[name] = parse_iso8601(text) if text else default
            if bounds[name] is None:
                raise ApiError(400, f"{name}: not an ISO-8601 date-time "
                                    "(e.g. 2016-09-12T00:00:00)")
        if bounds["end"] < bounds["start"]:
            raise ApiError(400, "end: before start")
        start = max(bounds["start"], now - MO_SEARCH_MAX_AGE_MS)  # clamp, 5 days
        end = bounds["end"]
        if end < start:
            # the whole period is older than 5 days: nothing to find
            return self.mo_envelope([], start, start)
        sub_account = query.get("subAccount", [None])[-1]
        found = [mo for mo in self.mos
                 if start <= mo["receivedAt"] <= end
                 and (sub_account is None or mo.get("subAccount") == sub_account)]
        if self.config["mo_search_order"] == "newest":
            found.reverse()
        return self.mo_envelope(found[:MAX_MO_PER_CALL], start, end)

    # ----- control helpers -------------------------------------------------

    def add_mos(self, payload):
        items = payload if isinstance(payload, list) else [payload]
        if not items or not all(isinstance(i, dict) for i in items):
            raise ControlError("mo must be an object or a non-empty array of objects")
        with self.lock:
            # "listed": already handed out by receive/list (a page someone
            # else took, or lost): only a search finds it
            created = [self.make_mo({k: v for k, v in spec.items() if k != "listed"})
                       for spec in items]
            for spec, mo in zip(items, created):
                if spec.get("listed") is True:
                    self.mo_listed.add(mo["id"])
            self.mos.extend(created)
            self.mos.sort(key=lambda mo: mo["receivedAt"])  # stable: ties keep order
        return created if isinstance(payload, list) else created[0]

    def make_mo(self, spec):
        known = {"id", "source", "messageText", "shortCode", "subAccount",
                 "campaignAlias", "mtId", "replyTo", "receivedAt"}
        unknown = set(spec) - known
        if unknown:
            raise ControlError(f"unknown mo field(s): {', '.join(sorted(unknown))}")
        for name in known - {"receivedAt"}:
            if name in spec and not isinstance(spec[name], str):
                raise ControlError(f"mo {name} must be a string")
        source = spec.get("source")
        if not source or not re.fullmatch(r"[0-9]+", source):
            raise ControlError("mo source is required: the sender's number, digits only")
        if "messageText" not in spec:
            raise ControlError("mo messageText is required")
        received = spec.get("receivedAt", now_ms())
        if not is_int(received):
            raise ControlError("mo receivedAt must be epoch milliseconds")
        mt = None
        mt_id = spec.get("mtId", spec.get("replyTo"))
        if mt_id is not None:
            mt = self.messages.get(mt_id.lower())
            if mt is None:
                raise ControlError(f"mo replyTo/mtId {mt_id!r}: no such accepted message")
        carrier = VIVO if int(source[-1]) % 2 == 0 else TIM
        mo = {"id": spec.get("id") or str(uuid.uuid4())}
        # An MO answering an MT inherits its sub-account and campaign.
        for name in ("subAccount", "campaignAlias"):
            value = spec.get(name, mt.fields.get(name) if mt else None)
            if value is not None:
                mo[name] = value
        mo.update({"carrierId": carrier[0], "carrierName": carrier[1],
                   "source": source, "shortCode": spec.get("shortCode", "28149"),
                   "messageText": spec["messageText"], "receivedAt": received,
                   "receivedDate": iso_seconds(received)})
        if mt:
            mo["mt"] = {"id": mt.id}
            if "correlationId" in mt.fields:
                mo["mt"]["correlationId"] = mt.fields["correlationId"]
            mo["mt"].update({"username": self.username,
                             "email": f"{self.username}@example.com"})
        return mo

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
            if (method, path) == ("POST", "/_sim/mo"):
                return 200, self.add_mos(payload())
            if (method, path) == ("GET", "/_sim/requests"):
                since = query.get("since", ["0"])[-1]
                if not since.isdigit():
                    raise ControlError("since must be a sequence number")
                with self.lock:
                    return 200, [dict(e) for e in self.log if e["seq"] > int(since)]
            if (method, path) == ("GET", "/_sim/messages"):
                with self.lock:
                    return 200, [m.record() for m in self.messages.values()]
            if (method, path) == ("GET", "/_sim/stats"):
                with self.lock:
                    return 200, dict(copy.deepcopy(self.stats),
                                     messages=len(self.messages), mos=len(self.mos),
                                     faults_queued=len(self.faults), last_seq=self.seq)
            return 404, {"error": f"no control endpoint {method} {path}"}
        except ControlError as e:
            return 400, {"error": str(e)}


def decode_for_log(body):
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


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

    def dispatch(self):
        sim = self.server.sim
        self.log_entry = None
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.respond_json(400, {"errorCode": 400, "errorMessage": "bad request framing"})
            return
        if url.path == "/_sim" or url.path.startswith("/_sim/"):
            status, payload = sim.control(self.command, url.path, query, body)
            self.respond_json(status, payload)
            return

        entry = sim.log_request(self.command, url.path, query, self.headers, body)
        self.log_entry = entry

        def call_api():
            return sim.api(self.command, url.path, query, self.headers, body,
                           self.client_address[0])

        fault = sim.take_fault(url.path, entry)
        if fault:
            status = self.deliver_fault(fault, call_api, sim.reset_event)
        else:
            status, payload = call_api()
            self.respond_json(status, payload)
        if self.log_entry is not None:  # hung up without an answer
            self.log_entry = None
            sim.log_answer(entry, status)

    def deliver_fault(self, fault, call_api, reset_event):
        """Answer (or not) as the fault says; returns the status sent, or None."""
        kind = fault["kind"]
        if fault.get("process") and kind != "delay":
            call_api()  # the API acts; its answer is then lost or replaced
        if kind == "delay":
            reset_event.wait(fault.get("ms", 1000) / 1000)
            status, payload = call_api()
            self.respond_json(status, payload)
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
                body = json.dumps({"errorCode": status,
                                   "errorMessage": reason_phrase(status)}).encode()
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


def reason_phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


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

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="HTTP port (0: any free)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-port", type=int, help="also serve HTTPS here (0: any free)")
    parser.add_argument("--cert-dir", help="TLS files; created when missing")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--token", default="demo-token")
    parser.add_argument("--admin-users", default="demo",
                        help="comma-separated users allowed to use subAccount")
    parser.add_argument("--ready-file", help="write the URLs here (JSON) once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()
    if args.tls_port is not None and not args.cert_dir:
        parser.error("--tls-port needs --cert-dir")

    admins = [u for u in args.admin_users.split(",") if u]
    sim = Simulator(args.username, args.token, admins, args.verbose)
    servers = [Server((args.host, args.port), sim)]
    urls = {"http": f"http://{args.host}:{servers[0].server_address[1]}",
            "https": None, "ca": None}
    if args.tls_port is not None:
        ensure_certs(args.cert_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(args.cert_dir, "server.pem"),
                                os.path.join(args.cert_dir, "server.key"))
        servers.append(Server((args.host, args.tls_port), sim, context))
        urls["https"] = f"https://{args.host}:{servers[1].server_address[1]}"
        urls["ca"] = os.path.abspath(os.path.join(args.cert_dir, "ca.pem"))

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
    if args.ready_file:
        tmp = f"{args.ready_file}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(urls, f)
        os.replace(tmp, args.ready_file)

    while not stop.wait(3600):
        pass
    for server in servers:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
