"""The Sinch (Wavy/Movile) LATAM SMS API, as the simulator serves it.

It answers the documented /v1 endpoints (send, bulk send, status search and
list, MO list and search) the way the documentation says the real service
does; its control endpoints are /_sim/mo and /_sim/messages. See README.md
(section Sinch) for the user's view; the reference is
shared/reference/sinch-sms-api.md.

Python 3 standard library only.
"""

import heapq
import json
import re
import secrets
import uuid
import zlib
from collections import deque
from datetime import datetime, timezone

from core import ControlError, Provider, is_int, now_ms

DAY_MS = 24 * 3600 * 1000
STATUS_RETENTION_MS = 3 * DAY_MS   # statuses and listable MOs: 3 days
MO_SEARCH_MAX_AGE_MS = 5 * DAY_MS  # receive/search never looks further back
MAX_BULK = 1000
MAX_MO_PER_CALL = 1000

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



class ApiError(Exception):
    """An API answer other than 200, with the documented error body."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message



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



class Sinch(Provider):
    """Sinch's state (messages, statuses, MOs); the lock and config are the
    simulator's. Owns every API path no other provider owns."""

    name = "sinch"

    def __init__(self, username, token, admin_users):
        super().__init__()
        self.username = username
        self.token = token
        self.defaults = dict(DEFAULT_CONFIG, admin_users=list(admin_users))

    def owns(self, path):
        return True

    # ----- state -----------------------------------------------------------

    def reset(self):
        self.messages = {}             # lower-case id -> Message, in order
        self.events = []               # heap (due ms, n, message id)
        self.event_n = 0
        self.changed = deque()         # ids whose status changed since listed
        self.changed_set = set()
        self.status_listed_at = None
        self.mos = []                  # in receivedAt order
        self.mo_listed = set()
        self.mo_listed_at = None

    def check_config(self, key, value):
        if key == "single_shape":
            return value in ("array", "object")
        if key == "mo_search_order":
            return value in ("oldest", "newest")
        if key == "admin_users":
            return isinstance(value, list) and all(isinstance(u, str) for u in value)
        if key == "list_page_size":
            return is_int(value) and value >= 1
        return is_int(value) and value >= 0

    def error_body(self, status, message):
        return {"errorCode": status, "errorMessage": message}

    def stats(self):
        return {"messages": len(self.messages), "mos": len(self.mos)}

    def auth_state(self, request):
        return self.token_state(request.headers)

    def token_state(self, headers):
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

    def api(self, request):
        """One API request -> (status, JSON payload). Never raises ApiError."""
        method, path, query = request.method, request.path, request.query
        headers, body = request.headers, request.body
        try:
            route = self.ROUTES.get((method, path.rstrip("/") or "/"))
            if route is None:
                raise ApiError(404, f"Not Found: {method} {path}")
            auth = self.token_state(headers)
            if auth == "missing":
                raise ApiError(401, "Authentication Error: the username and "
                                    "authenticationtoken headers are required")
            if auth == "bad":
                raise ApiError(401, "Authentication Error: invalid username or "
                                    "authenticationtoken")
            if not self.rate_allow(request.client_ip, path):
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
            return self.sim.rate_allow((client_ip, is_query), rate)

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


    def control(self, method, path, query, payload):
        if (method, path) == ("POST", "/_sim/mo"):
            return 200, self.add_mos(payload())
        if (method, path) == ("GET", "/_sim/messages"):
            with self.lock:
                return 200, [m.record() for m in self.messages.values()]
        return None
