"""Driver tests for the worker killed at each step of a drain and of a poll,
for every provider (the drain is shared, src/core/drain.c, but each
provider's requests, answers and records are its own):

    killed_between_claim_and_send_sends_once
        rows claimed ('sending', committed) whose request has not left yet
        (the provider's rate limit holds it): after the restart they are
        sent once (those of the requests already made, twice), at no
        attempt spent for the kill.
    killed_between_answer_and_record_sends_again
        the API has answered, the worker is waiting to record it (a session
        holds a lock on one of the rows): after the restart the rows are
        sent again, the documented at-least-once window, and recorded once.
    reach_killed_mid_poll_loses_nothing
        Reach's list request hanging when the worker is killed: the next
        poll reads the list again, so the reply and the status arrive.

(The kill with requests in flight is worker_killed_mid_batch_loses_nothing
in test/run.py; Sinch's status and reply polls killed mid-page are
worker_killed_mid_poll_loses_nothing and worker_killed_mid_mo_poll_loses_nothing.)

Each test takes `ctx` (ctx.cluster, ctx.sim, as in run.py), raises
AssertionError on failure, and leaves the worker quiet and the outbox
empty behind it.
"""
import time

from harness import Session, sim_control
from driverlib import configure, quiet_worker, sim_requests, sql, wait_for, worker_pid

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


BATCH = 5               # queue_batch_size while these tests run

# per provider: its send path, the setting that paces it, the rows queued
# (four requests' worth: the drain claims up to four requests at once), and
# how the simulator counts what it accepted of a text
PROVIDERS = {
    "sinch": {"path": "/v1/send-bulk-sms", "rate": "send_rate_limit", "rows": 4 * BATCH,
              "destination": "'55119' || lpad((g * 10 + 7)::text, 7, '0')"},
    "reach": {"path": "/reach/api/rest/messages/send_to_contact", "rate": "reach_rate_limit",
              "rows": 4, "destination": "'5023514' || lpad(g::text, 4, '0')"},
    "directcall": {"path": "/directcall/sms", "rate": "directcall_rate_limit", "rows": 4 * BATCH,
                   "destination": "'554199' || lpad(g::text, 7, '0')"},
}


def _accepted(ctx, provider, text):
    """How many messages of this text the simulator accepted, per destination."""
    if provider == "sinch":
        return sum(1 for m in sim_control(ctx.sim, "/_sim/messages") if m.get("messageText") == text)
    if provider == "reach":
        return sum(1 for m in sim_control(ctx.sim, "/_sim/reach/messages")
                   if m.get("direction") == "MT" and m.get("message") == text)
    return sum(len(m["destinations"]) for m in sim_control(ctx.sim, "/_sim/directcall/messages")
               if m.get("texto") == text)


def _queue(ctx, provider, text, rows):
    sql(ctx, "SELECT count(sms_api.sms_queue(%s, '%s', provider => '%s')) FROM generate_series(1, %d) g"
        % (PROVIDERS[provider]["destination"], text, provider, rows))


def _kill_worker(ctx):
    """Terminate the worker; the pid it had."""
    old = worker_pid(ctx)
    assert old, "no worker to kill"
    sql(ctx, "SELECT pg_terminate_backend(%s)" % old)
    return old


def _wait_new_worker(ctx, old):
    deadline = time.time() + 15
    while worker_pid(ctx) in ("", old):
        assert time.time() < deadline, "the worker was not back within 15 s"
        time.sleep(0.05)


def _fresh(ctx):
    quiet_worker(ctx)
    sql(ctx, "DELETE FROM sms_api.outbox")
    sim_control(ctx.sim, "/_sim/config", {"reach_rate": 0, "query_rate": 0})


def _warm(ctx, provider):
    """The simulator's reset took the worker's Directcall token: one row
    first renews it, so that what follows meets requests the API accepts.
    The sequence number of the last request so far, to count from."""
    if provider == "directcall":
        sql(ctx, "SELECT sms_api.sms_queue('5541999990009', 'warm', provider => 'directcall')")
        wait_for(ctx, "SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'warm'",
                 what="the Directcall warm-up row to be sent")
        sql(ctx, "DELETE FROM sms_api.outbox")
    return max([r["seq"] for r in sim_control(ctx.sim, "/_sim/requests")] or [0])


def _requests(ctx, path, since):
    return [r for r in sim_requests(ctx, path) if r["seq"] > since]


@_test
def killed_between_claim_and_send_sends_once(ctx):
    """For each provider: four requests' worth of rows claimed in one round,
    the rate limit (1 request/s) holding back all but the first; the
    worker killed once the first has been answered. (The drain records a
    round's answers once all its requests have left, so nothing is recorded
    yet.) At the restart every row is queued again: the rows whose request
    had not left are sent once, those of the requests made before the kill
    twice, and every row has attempts 1 (the kill spent none)."""
    for provider, p in PROVIDERS.items():
        _fresh(ctx)
        text = "claimed " + provider
        per_request = p["rows"] // 4
        configure(ctx, queue_batch_size=BATCH, **{p["rate"]: 1})
        # the worker takes the new limit at its next wake
        sql(ctx, "SELECT sms_api.wake()")
        time.sleep(0.5)
        try:
            since = _warm(ctx, provider)
            requeued_before = ctx.cluster.server_log().count("queued again")
            _queue(ctx, provider, text, p["rows"])
            deadline = time.time() + 20
            while not any(r.get("status") == 200 for r in _requests(ctx, p["path"], since)):
                assert time.time() < deadline, "%s: the first request was never answered" % provider
                time.sleep(0.02)
            claimed = sql(ctx, "SELECT count(*) FROM sms_api.outbox WHERE state = 'sending'")
            old = _kill_worker(ctx)
            made = len(_requests(ctx, p["path"], since))
            assert claimed == str(p["rows"]) and made < 4, \
                "%s: %s rows claimed and %d requests made at the kill: it came too late " \
                "to catch rows claimed but unsent" % (provider, claimed, made)
            _wait_new_worker(ctx, old)
            wait_for(ctx, "SELECT count(*) = %d FROM sms_api.outbox WHERE state = 'sent'" % p["rows"],
                     timeout=30, what="%s: every row to be sent after the restart" % provider)
            accepted = _accepted(ctx, provider, text)
            assert accepted == p["rows"] + made * per_request, \
                "%s: the API accepted %d messages for %d rows, %d of them in the %d requests " \
                "made before the kill" % (provider, accepted, p["rows"], made * per_request, made)
            attempts = sql(ctx, "SELECT string_agg(DISTINCT attempts::text, ',') FROM sms_api.outbox")
            assert attempts == "1", "%s: attempts %s, the kill should cost none" % (provider, attempts)
            assert ctx.cluster.server_log().count("queued again") > requeued_before, \
                "%s: the restarted worker did not say it queued the claimed rows again" % provider
        finally:
            configure(ctx, queue_batch_size=None, **{p["rate"]: None})
            _fresh(ctx)


@_test
def killed_between_answer_and_record_sends_again(ctx):
    """For each provider: one request, its answer delayed 1.5 s (the API acts
    at the end of the delay); meanwhile a session locks one of its claimed
    rows, so the worker, answered, waits to record. Killed there, the new
    worker queues the rows again and sends them: the API has each row
    twice (the at-least-once window: an answer whose record is lost), and
    the outbox records each once, attempts 1."""
    for provider, p in PROVIDERS.items():
        _fresh(ctx)
        text = "answered " + provider
        rows = p["rows"] // 4
        configure(ctx, queue_batch_size=BATCH)
        locker = Session(ctx.cluster, "regression")   # holds row locks in an open transaction
        try:
            since = _warm(ctx, provider)
            sim_control(ctx.sim, "/_sim/fault", {"kind": "delay", "ms": 1500, "count": 1,
                                                 "path": p["path"]})
            _queue(ctx, provider, text, rows)
            wait_for(ctx, "SELECT count(*) = %d FROM sms_api.outbox WHERE state = 'sending'" % rows,
                     timeout=20, what="%s: the rows to be claimed" % provider)
            locker.query("BEGIN")
            locked = locker.query("SELECT count(*) FROM (SELECT FROM sms_api.outbox "
                                  "WHERE state = 'sending' LIMIT 1 FOR UPDATE) l")
            assert locked == "1", "%s: the rows were recorded before the lock (%s)" % (provider, locked)
            wait_for(ctx, "SELECT wait_event_type = 'Lock' FROM pg_stat_activity "
                          "WHERE backend_type = 'sms_api worker'",
                     timeout=20, what="%s: the worker, answered, to wait for the row lock" % provider)
            answered = [r for r in _requests(ctx, p["path"], since) if r.get("status") == 200]
            assert len(answered) == 1, "%s: %d answered requests" % (provider, len(answered))
            old = _kill_worker(ctx)
            locker.query("ROLLBACK")
            _wait_new_worker(ctx, old)
            wait_for(ctx, "SELECT count(*) = %d FROM sms_api.outbox WHERE state = 'sent'" % rows,
                     timeout=30, what="%s: the rows to be sent again and recorded" % provider)
            accepted = _accepted(ctx, provider, text)
            assert accepted == 2 * rows, \
                "%s: the API accepted %d messages for %d rows, not each twice" % (provider, accepted, rows)
            attempts = sql(ctx, "SELECT string_agg(DISTINCT attempts::text, ',') FROM sms_api.outbox")
            assert attempts == "1", "%s: attempts %s" % (provider, attempts)
        finally:
            locker.close()
            configure(ctx, queue_batch_size=None)
            _fresh(ctx)


@_test
def reach_killed_mid_poll_loses_nothing(ctx):
    """A Reach row sent, then a reply waiting at the API; the worker's list
    request hangs and the worker is killed there. The restarted worker's
    poll reads the list again (it is read, not consumed): the reply and the
    row's status arrive."""
    _fresh(ctx)
    sql(ctx, "DELETE FROM sms_api.reach_message")
    sim_control(ctx.sim, "/_sim/config", {"reach_rate": 0, "reach_sent_delay_ms": 200})
    try:
        sql(ctx, "SELECT sms_api.sms_queue('50235148163', 'poll me', provider => 'reach')")
        wait_for(ctx, "SELECT state = 'sent' FROM sms_api.outbox WHERE message_text = 'poll me'",
                 what="the Reach row to be sent")
        sim_control(ctx.sim, "/_sim/reach/mo", {"msisdn": "50235148163", "message": "got it"})
        sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "seconds": 60, "count": 1,
                                             "path": "/reach/api/rest/messages"})
        configure(ctx, reach_poll_interval_ms=200)
        deadline = time.time() + 20
        while not any(r.get("fault") == "hang" for r in sim_requests(ctx, "/reach/api/rest/messages")):
            assert time.time() < deadline, "the worker's Reach poll never reached the API"
            time.sleep(0.05)
        assert sql(ctx, "SELECT count(*) FROM sms_api.reach_message WHERE direction = 'MO'") == "0"
        old = _kill_worker(ctx)
        _wait_new_worker(ctx, old)
        wait_for(ctx, "SELECT count(*) = 1 FROM sms_api.reach_message "
                      "WHERE direction = 'MO' AND message = 'got it'",
                 timeout=30, what="the reply to arrive after the restart")
        wait_for(ctx, "SELECT r.status = 'SENT' FROM sms_api.outbox o "
                      "JOIN sms_api.reach_message r ON r.message_id = o.provider_ref "
                      "WHERE o.message_text = 'poll me'",
                 timeout=30, what="the row's status to arrive after the restart")
    finally:
        configure(ctx, reach_poll_interval_ms=None)
        sim_control(ctx.sim, "/_sim/reset", {})
        sql(ctx, "DELETE FROM sms_api.reach_message")
        _fresh(ctx)
