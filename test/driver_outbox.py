"""Driver tests for the worker and the outbox under attack and failure:
a hostile search_path, callers that book the rate limiter and walk away,
rows that cannot be sent, a 403 caused by one row, an outage, Retry-After,
a worker killed again and again, and DROP EXTENSION while it works.

Each test takes `ctx` (ctx.cluster, ctx.sim, as in run.py) and raises
AssertionError on failure; each leaves the worker quiet and the outbox
empty behind it.
"""
import os
import subprocess
import time

from harness import Session, sim_control
from driverlib import (configure, psql_nostop, quiet_worker, restart_worker,
                       sim_requests, sql, wait_for, worker_pid)

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


def _fresh_outbox(ctx):
    quiet_worker(ctx)
    sql(ctx, "DELETE FROM sms_api.outbox")


def _queue(ctx, n, prefix, extra=""):
    """Queue n messages to distinct numbers in one statement (none ending in
    1400, which the simulator refuses)."""
    sql(ctx, "SELECT count(sms_api.sms_queue('55%s' || lpad((g * 10 + 7)::text, 7, '0'), 'm ' || g%s)) "
             "FROM generate_series(1, %d) g" % (prefix, extra, n))


def _new_worker(ctx):
    """Terminate the worker and wait for its successor, which connects
    (and reads the database's settings) anew."""
    old = worker_pid(ctx)
    restart_worker(ctx)
    deadline = time.time() + 10
    while worker_pid(ctx) in ("", old):
        assert time.time() < deadline, "the worker was not back within 10 s"
        time.sleep(0.05)


def _bulk_requests(ctx):
    return sim_requests(ctx, "/v1/send-bulk-sms")


@_test
def worker_ignores_a_hostile_search_path(ctx):
    """A role with CREATE on public puts public.unnest(bigint[]) first on the
    database's search_path: the worker, a superuser, never calls it."""
    _fresh_outbox(ctx)
    sql(ctx, "DROP ROLE IF EXISTS sp_attacker")
    sql(ctx, "CREATE ROLE sp_attacker")
    sql(ctx, "CREATE SCHEMA IF NOT EXISTS appdata")
    sql(ctx, "GRANT CREATE ON SCHEMA public TO sp_attacker")
    sql(ctx, "SET ROLE sp_attacker; "
             "CREATE FUNCTION public.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql AS "
             "$$BEGIN EXECUTE 'ALTER ROLE sp_attacker SUPERUSER'; "
             "RETURN QUERY SELECT x FROM pg_catalog.unnest($1) AS x; END$$")
    try:
        sql(ctx, "ALTER DATABASE regression SET search_path = appdata, public")
        _new_worker(ctx)
        _queue(ctx, 3, "11966")
        wait_for(ctx, "SELECT count(*) = 3 FROM sms_api.outbox WHERE state = 'sent'",
                 what="the rows to be sent")
        assert sql(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = 'sp_attacker'") == "f", \
            "the worker ran public.unnest(bigint[]): sp_attacker became a superuser"
    finally:
        sql(ctx, "ALTER DATABASE regression RESET search_path")
        sql(ctx, "DROP FUNCTION IF EXISTS public.unnest(bigint[])")
        sql(ctx, "REVOKE CREATE ON SCHEMA public FROM sp_attacker")
        sql(ctx, "DROP SCHEMA IF EXISTS appdata")
        sql(ctx, "DROP ROLE sp_attacker")
        restart_worker(ctx)
        _fresh_outbox(ctx)


@_test
def worker_ignores_the_databases_settings(ctx):
    """A database owner's ALTER DATABASE ... SET of a 1 ms sms_api.timeout_ms,
    a 1 ms statement_timeout and read-only transactions: the worker takes
    none of them, and sends each row once."""
    _fresh_outbox(ctx)
    # this test's own sessions keep working settings
    os.environ["PGOPTIONS"] = "-c statement_timeout=0 -c default_transaction_read_only=off"
    settings = {"sms_api.timeout_ms": "1", "statement_timeout": "'1ms'",
                "default_transaction_read_only": "on"}
    try:
        for name, value in settings.items():
            sql(ctx, "ALTER DATABASE regression SET %s = %s" % (name, value))
        _new_worker(ctx)
        _queue(ctx, 3, "11965")
        wait_for(ctx, "SELECT count(*) = 3 FROM sms_api.outbox WHERE state = 'sent' AND attempts = 1",
                 what="the rows to be sent once each")
        sent = sum(len(r["body"]["messages"]) for r in _bulk_requests(ctx))
        assert sent == 3, "the API got %d messages for 3 rows" % sent
    finally:
        for name in settings:
            sql(ctx, "ALTER DATABASE regression RESET %s" % name)
        del os.environ["PGOPTIONS"]
        restart_worker(ctx)
        _fresh_outbox(ctx)


@_test
def a_held_status_row_does_not_stall_the_outbox(ctx):
    """A session that called ingest() for a known id and keeps its
    transaction open: the worker's poll of that id gives up after 5 s, and
    the outbox keeps draining meanwhile; the status arrives afterwards."""
    _fresh_outbox(ctx)
    msg = sql(ctx, "SELECT id FROM sms_api.sms_send('5511964000001', 'held')")
    holder = subprocess.Popen(ctx.cluster.psql_cmd("regression") + [
        "-c", "BEGIN; SELECT sms_api.ingest('{\"id\": \"%s\", \"carrierName\": \"held\", "
              "\"sentStatusCode\": 2}'); SELECT pg_sleep(25); COMMIT;" % msg],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(ctx, "SELECT count(*) = 1 FROM pg_stat_activity "
                      "WHERE wait_event = 'PgSleep' AND query LIKE '%%ingest%%'",
                 what="the session to hold the row")
        sim_control(ctx.sim, "/_sim/config", {"query_rate": 0})
        configure(ctx, status_poll_interval_ms=200, query_rate_limit=0)
        wait_for(ctx, "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sms_api worker' "
                      "AND wait_event_type = 'Lock'", what="the worker's poll to wait for the row")
        sql(ctx, "SELECT sms_api.sms_queue('5511964000002', 'not stalled')")
        wait_for(ctx, "SELECT state = 'sent' FROM sms_api.outbox", timeout=15,
                 what="the queued row to be sent while the status row is held")
        assert holder.poll() is None, "the holding session ended early: %s" % holder.stderr.read()
    finally:
        holder.kill()
        holder.wait()
    wait_for(ctx, "SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = '%s'" % msg,
             timeout=30, what="the held id's status once the session is gone")
    quiet_worker(ctx)
    _fresh_outbox(ctx)


@_test
def cancelled_calls_give_their_rate_slots_back(ctx):
    """300 status calls cancelled by a 3 ms statement_timeout book nothing
    ahead: a call made right after gets its turn within the 1/s pace."""
    quiet_worker(ctx)
    script = "SET statement_timeout = '3ms';\n" + \
        "SELECT count(*) FROM sms_api.sms_status(ARRAY['00000000-0000-0000-0000-000000000001'::uuid]);\n" * 300
    subprocess.run(psql_nostop(ctx), input=script, text=True, capture_output=True, timeout=120)
    t0 = time.time()
    p = subprocess.run(ctx.cluster.psql_cmd("regression") + [
        "-c", "SELECT count(*) FROM sms_api.sms_status(ARRAY['00000000-0000-0000-0000-000000000002'::uuid])"],
        text=True, capture_output=True, timeout=60)
    took = time.time() - t0
    assert p.returncode == 0, p.stderr
    assert took < 3.0, "a status call waited %.1f s after 300 cancelled ones" % took
    statuses = [r["status"] for r in sim_requests(ctx, "/v1/sms/status")]
    assert 429 not in statuses, "the pace was broken: %s" % statuses
    quiet_worker(ctx)


def _waiters(ctx, numbers):
    """A connected session per call, named waiter_N: a backend's start
    (slow under ASan) must not decide the order the calls reach the limiter."""
    sessions = {}
    for n in numbers:
        sessions[n] = Session(ctx.cluster, "regression")
        sessions[n].query("SET application_name = 'waiter_%d'" % n)
    return sessions


def _status_call(session, n):
    session.send("SELECT count(*) FROM sms_api.sms_status(ARRAY['00000000-0000-0000-0000-%012d'::uuid])" % n)


def _asked_for(ctx):
    """The uuids' last digits, in the order the API was asked for them."""
    return [int(i[-12:]) for r in sim_requests(ctx, "/v1/sms/status")
            for i in r["body"].get("ids", [])]


def _at_the_limiter(ctx, n):
    """Wait until call n waits in the extension (the limiter, or its
    request) or the API has it."""
    deadline = time.time() + 30
    while time.time() < deadline:
        if n in _asked_for(ctx) or sql(
                ctx, "SELECT count(*) FROM pg_catalog.pg_stat_activity "
                     "WHERE application_name = 'waiter_%d' AND wait_event_type = 'Extension'" % n) != "0":
            return
        time.sleep(0.02)
    raise AssertionError("waiter_%d never reached the rate limiter" % n)


@_test
def the_longest_waiter_goes_first(ctx):
    """Six status calls reaching the limiter 150 ms apart at the 1/s query
    limit reach the API in that order; the caller first in line killed
    (FATAL) or cancelled (ERROR) while it waits hands its place to the next
    at once, ahead of a caller who comes after."""
    quiet_worker(ctx)
    sessions = _waiters(ctx, range(1, 7))
    for n in range(1, 7):
        _status_call(sessions[n], n)
        _at_the_limiter(ctx, n)
        time.sleep(0.15)
    for n in range(1, 7):
        answer = sessions[n].answer()
        assert answer.isdigit(), "call %d failed: %s" % (n, answer)
        sessions[n].close()
    assert _asked_for(ctx) == [1, 2, 3, 4, 5, 6], "served out of turn: %s" % _asked_for(ctx)

    for stop in ("pg_terminate_backend", "pg_cancel_backend"):
        quiet_worker(ctx)
        sessions = _waiters(ctx, (11, 12, 13, 14, 15))
        # 11 and 12 book at once (the second within the horizon), 13 waits
        # first in line, 14 behind it
        for n in (11, 12, 13, 14):
            _status_call(sessions[n], n)
            _at_the_limiter(ctx, n)
        stopped = sql(ctx, "SELECT %s(pid) FROM pg_stat_activity "
                           "WHERE application_name = 'waiter_13'" % stop)
        assert stopped == "t", "waiter_13 was not found waiting"
        # 14 takes its place at once: 15, coming after, waits behind it
        time.sleep(0.1)
        _status_call(sessions[15], 15)
        t0 = time.time()
        for n in (11, 12, 14, 15):
            answer = sessions[n].answer()
            assert answer.isdigit(), "call %d failed: %s" % (n, answer)
        took = time.time() - t0
        try:
            sessions[13].answer()
            raise AssertionError("waiter_13 was not stopped")
        except AssertionError as e:
            assert "session ended" in str(e), e
        for session in sessions.values():
            session.close()
        assert took < 4.0, "after %s of the first in line, the next waited %.1f s" % (stop, took)
        assert _asked_for(ctx) == [11, 12, 14, 15], "%s: %s" % (stop, _asked_for(ctx))
    quiet_worker(ctx)


@_test
def rows_that_cannot_be_sent_fail_alone(ctx):
    """Rows queued before today's limits (written here directly, as 0.1.0
    allowed): one far over them, one just over; they fail at no request
    and the rows around them go out."""
    _fresh_outbox(ctx)
    sql(ctx, "BEGIN; "
             "INSERT INTO sms_api.outbox (destination, message_text, sub_account) "
             "VALUES ('5511966000001', 'huge', repeat(E'\\x01', 2000000)), "
             "       ('5511966000002', 'long', repeat('s', 300)); "
             "SELECT count(sms_api.sms_queue('551196600001' || g, 'fine ' || g)) FROM generate_series(1, 3) g; "
             "COMMIT")
    sql(ctx, "SELECT sms_api.wake()")
    wait_for(ctx, "SELECT count(*) FILTER (WHERE state = 'sent') = 3 "
                  "AND count(*) FILTER (WHERE state = 'failed' AND last_error LIKE '22001: not sent%') = 2 "
                  "FROM sms_api.outbox", what="three sent, two failed")
    sent = [m["destination"] for r in _bulk_requests(ctx) for m in r["body"]["messages"]]
    assert sorted(sent) == ["5511966000011", "5511966000012", "5511966000013"], sent
    state = sql(ctx, "SELECT state FROM sms_api.worker_status")
    assert not state.startswith("paused"), state
    assert sql(ctx, "SELECT attempts FROM sms_api.outbox WHERE destination = '5511966000001'") == "0"
    # alone in its claim, such a row fails too (it is not left in 'sending')
    sql(ctx, "INSERT INTO sms_api.outbox (destination, message_text, campaign_alias) "
             "VALUES ('5511966000003', 'alone', repeat('c', 300))")
    sql(ctx, "SELECT sms_api.wake()")
    wait_for(ctx, "SELECT state = 'failed' FROM sms_api.outbox WHERE destination = '5511966000003'",
             what="the lone unsendable row to fail")
    _fresh_outbox(ctx)


@_test
def a_403_caused_by_one_row_fails_that_row(ctx):
    """subAccount is for administrators: the row that carries it fails with
    the API's 403, the rest of its batch goes out, the drain goes on; a 403
    that an empty request gets too (the account) pauses, and a reload resumes."""
    _fresh_outbox(ctx)
    sim_control(ctx.sim, "/_sim/config", {"admin_users": []})
    sql(ctx, "BEGIN; "
             "SELECT count(sms_api.sms_queue('551196700000' || g, 'm')) FROM generate_series(1, 4) g; "
             "SELECT sms_api.sms_queue('5511967000009', 'm', sub_account => 'Marketing'); COMMIT")
    wait_for(ctx, "SELECT count(*) FILTER (WHERE state = 'sent') = 4 "
                  "AND count(*) FILTER (WHERE state = 'failed' AND sub_account = 'Marketing' "
                  "AND last_error LIKE '%HTTP 403%administrator%') = 1 FROM sms_api.outbox",
             what="four sent and the subAccount row failed")
    assert not sql(ctx, "SELECT state FROM sms_api.worker_status").startswith("paused")

    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "status", "status": 403, "count": 1000,
                                         "path": "/v1/send-bulk-sms"})
    sql(ctx, "SELECT sms_api.sms_queue('5511967000010', 'account refused')")
    wait_for(ctx, "SELECT state LIKE 'paused%' FROM sms_api.worker_status",
             what="the drain to pause on the account's 403")
    assert sql(ctx, "SELECT state || ' ' || attempts FROM sms_api.outbox "
                    "WHERE destination = '5511967000010'") == "queued 0"
    probes = [r for r in _bulk_requests(ctx) if r["body"].get("messages") == []]
    assert probes, "paused without asking with an empty request"
    sim_control(ctx.sim, "/_sim/reset", {})
    configure(ctx)
    sql(ctx, "SELECT pg_reload_conf()")
    wait_for(ctx, "SELECT state = 'sent' FROM sms_api.outbox WHERE destination = '5511967000010'",
             what="the row to go out once resumed")
    _fresh_outbox(ctx)


@_test
def a_failed_request_retries_as_one(ctx):
    """5,000 rows (5 requests) during a 5 s outage of 503s: each request
    comes back whole, at about 1, 2, 4 s, and after the outage each goes
    out once: a handful of requests, not thousands."""
    _fresh_outbox(ctx)
    sim_control(ctx.sim, "/_sim/fault", {"kind": "status", "status": 503, "count": 100000,
                                         "path": "/v1/send-bulk-sms"})
    _queue(ctx, 5000, "11968")
    time.sleep(5)
    during = _bulk_requests(ctx)
    sizes = sorted({len(r["body"]["messages"]) for r in during})
    sim_control(ctx.sim, "/_sim/reset", {})
    assert len(during) <= 5 * 4, "%d requests during a 5 s outage" % len(during)
    assert sizes == [1000], "failed requests came back split: sizes %s" % sizes
    same = sql(ctx, "SELECT count(DISTINCT next_attempt_at) <= 5 FROM sms_api.outbox WHERE state = 'queued'")
    assert same == "t", "the rows of one request got different retry times"
    try:
        wait_for(ctx, "SELECT count(*) = 5000 FROM sms_api.outbox WHERE state = 'sent'", timeout=30,
                 what="the 5,000 rows after the outage")
    except AssertionError:
        raise AssertionError("not all sent 30 s after the outage: %s; worker: %s" % (
            sql(ctx, "SELECT string_agg(state || ' ' || attempts || ' ' || n, ', ') FROM "
                     "(SELECT state, attempts, count(*) n FROM sms_api.outbox GROUP BY 1, 2) s"),
            sql(ctx, "SELECT state || ': ' || coalesce(last_error, '') FROM sms_api.worker_status")))
    after = _bulk_requests(ctx)
    assert len(after) <= 5, "%d requests to send 5,000 rows after the outage" % len(after)
    _fresh_outbox(ctx)


@_test
def retry_after_holds_the_rows_of_that_request(ctx):
    """A 503 with Retry-After: 4: the next attempt of those rows waits 4 s."""
    _fresh_outbox(ctx)
    sim_control(ctx.sim, "/_sim/fault", {"kind": "status", "status": 503, "count": 1,
                                         "retry_after": 4, "path": "/v1/send-bulk-sms"})
    sql(ctx, "SELECT sms_api.sms_queue('5511969000001', 'later')")
    # the gap in real seconds (monotonic: valgrind runs stretch the test's clock)
    seen = []
    deadline = time.time() + 20
    while len(seen) < 2:
        assert time.time() < deadline, "the row was not sent again within 20 s"
        n = len(_bulk_requests(ctx))
        while len(seen) < n:
            seen.append(time.monotonic())
        time.sleep(0.05)
    gap = seen[1] - seen[0]
    assert gap >= 3.5, "retried %.2f s after a Retry-After of 4 s" % gap
    wait_for(ctx, "SELECT state = 'sent' AND attempts = 2 FROM sms_api.outbox", what="sent on the retry")
    _fresh_outbox(ctx)


@_test
def killed_workers_cost_no_attempts(ctx):
    """The worker killed three times while its request hangs, then one 503:
    with queue_max_attempts = 2 the row is still sent (the kills were no
    attempts), and attempts says 2."""
    _fresh_outbox(ctx)
    configure(ctx, queue_max_attempts=2)
    try:
        sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 60,
                                             "count": 3, "path": "/v1/send-bulk-sms"})
        sim_control(ctx.sim, "/_sim/fault", {"kind": "status", "status": 503, "count": 1,
                                             "path": "/v1/send-bulk-sms"})
        sql(ctx, "SELECT sms_api.sms_queue('5511970000001', 'survivor')")
        for kill in range(3):
            deadline = time.time() + 15
            while sum(1 for r in _bulk_requests(ctx) if r.get("fault") == "hang") <= kill:
                assert time.time() < deadline, "the worker did not send (kill %d)" % (kill + 1)
                time.sleep(0.05)
            old = worker_pid(ctx)
            sql(ctx, "SELECT pg_terminate_backend(%s)" % old)
            deadline = time.time() + 10
            while worker_pid(ctx) in ("", old):
                assert time.time() < deadline, "the worker was not back"
                time.sleep(0.05)
        wait_for(ctx, "SELECT state <> 'queued' AND state <> 'sending' FROM sms_api.outbox", timeout=30,
                 what="the row to be sent or failed")
        got = sql(ctx, "SELECT state || ' ' || attempts FROM sms_api.outbox")
        assert got == "sent 2", "after three kills and one 503: %s" % got
    finally:
        configure(ctx, queue_max_attempts=None)
        _fresh_outbox(ctx)


@_test
def drop_extension_waits_for_the_worker(ctx):
    """DROP EXTENSION while the worker records a request (it holds the
    outbox and is about to write message_status; a trigger of ours keeps
    it there for 2 s): the DROP waits for the worker's transaction instead
    of deadlocking with it, table against table."""
    _fresh_outbox(ctx)
    log_before = ctx.cluster.server_log().count("deadlock detected")
    sql(ctx, "CREATE FUNCTION public.hold_the_worker() RETURNS trigger LANGUAGE plpgsql AS "
             "$$BEGIN PERFORM pg_catalog.pg_sleep(2); RETURN NULL; END$$")
    try:
        sql(ctx, "CREATE TRIGGER hold AFTER UPDATE ON sms_api.outbox FOR EACH ROW "
                 "WHEN (NEW.state = 'sent') EXECUTE FUNCTION public.hold_the_worker()")
        sql(ctx, "SELECT sms_api.sms_queue('5511971000001', 'held')")
        wait_for(ctx, "SELECT count(*) = 1 FROM pg_stat_activity "
                      "WHERE backend_type = 'sms_api worker' AND wait_event = 'PgSleep'",
                 what="the worker to be inside its record transaction")
        t0 = time.time()
        p = subprocess.run(ctx.cluster.psql_cmd("regression") + [
            "-c", "SET lock_timeout = '30s'", "-c", "DROP EXTENSION sms_api CASCADE"],
            text=True, capture_output=True, timeout=60)
        took = time.time() - t0
        assert p.returncode == 0, "DROP EXTENSION failed: %s" % p.stderr
        said = ctx.cluster.server_log().count("deadlock detected") - log_before
        assert said == 0, "deadlock detected %d times" % said
        assert took >= 0.5, "DROP did not wait for the worker's transaction (%.2f s)" % took
    finally:
        sql(ctx, "DROP FUNCTION IF EXISTS public.hold_the_worker() CASCADE")
        if sql(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'sms_api'") == "0":
            sql(ctx, "CREATE EXTENSION sms_api")
        _fresh_outbox(ctx)


@_test
def reach_rows_keep_to_reach_rate_limit(ctx):
    """Reach rows go one request each, several in flight, paced by
    sms_api.reach_rate_limit: 40 rows at 20/s take about 2 s and the
    simulator, enforcing 20/s itself, refuses none of them."""
    _fresh_outbox(ctx)
    sim_control(ctx.sim, "/_sim/config", {"reach_rate": 20, "reach_sent_delay_ms": 0})
    configure(ctx, reach_rate_limit=20)
    # the worker takes the new limit at its next wake; give the reload time to reach it
    sql(ctx, "SELECT sms_api.wake()")
    time.sleep(1.0)
    try:
        # a real clock: this is a lower bound (valgrind runs stretch time.time)
        t0 = time.monotonic()
        sql(ctx, "SELECT count(sms_api.sms_queue('5023514' || lpad(g::text, 4, '0'), 'paced ' || g, "
                 "provider => 'reach')) FROM generate_series(1, 40) g")
        wait_for(ctx, "SELECT count(*) = 40 FROM sms_api.outbox WHERE provider = 'reach' AND state = 'sent'",
                 timeout=30, what="40 Reach rows sent")
        took = time.monotonic() - t0
        sent = sim_requests(ctx, "/reach/api/rest/messages/send_to_contact")
        statuses = sorted({r["status"] for r in sent})
        assert len(sent) == 40 and statuses == [200], \
            "%d Reach requests with statuses %s: every row should go once and none be rate limited" \
            % (len(sent), statuses)
        assert took >= 1.5, "40 rows at 20/s went out in %.2f s: the limit was not kept" % took
        refs = sql(ctx, "SELECT count(DISTINCT provider_ref) FROM sms_api.outbox o "
                        "JOIN sms_api.reach_message r ON r.message_id = o.provider_ref "
                        "WHERE o.provider = 'reach'")
        assert refs == "40", "only %s sent rows have their reach_message row" % refs
    finally:
        configure(ctx, reach_rate_limit=None)
        sql(ctx, "DELETE FROM sms_api.outbox")
        sql(ctx, "DELETE FROM sms_api.reach_message")
        sim_control(ctx.sim, "/_sim/reset", {})
