#!/usr/bin/env python3
"""The whole test suite: pg_regress suites against a throwaway cluster and
the API simulator, driver tests that pg_regress cannot express (cancel,
statement_timeout, the server log, a cluster without preloading), and the
simulator's fidelity suite (Node, with a third-party client of the API),
and the fuzz targets' seeds and regression inputs replayed under ASan/UBSan.

Ends with the line "N passed, M failed" and exits non-zero on any failure.
Usage: python3 test/run.py [--keep] [--only regress,driver,fidelity,fuzz] [TEST ...]
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import sim_control  # noqa: E402
from driverlib import (configure, psql_nostop, psql_nostop_of, quiet_worker,  # noqa: E402
                       restart_worker, sim_requests, sql, wait_for,
                       wait_for_requests, worker_pid)
import driver_backup  # noqa: E402
import driver_databases  # noqa: E402
import driver_directcall  # noqa: E402
import driver_failover  # noqa: E402
import driver_kills  # noqa: E402
import driver_meta  # noqa: E402
import driver_load  # noqa: E402
import driver_outbox  # noqa: E402
import driver_routing  # noqa: E402
import faults_table  # noqa: E402
import driver_dedupe  # noqa: E402
import error_table  # noqa: E402
from fuzz_replay import run_fuzz_replay  # noqa: E402

REPO = harness.REPO


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def ok(self, name, took=""):
        self.passed += 1
        print("ok     %s%s" % (name, took), flush=True)

    def fail(self, name, why, took=""):
        self.failed.append(name)
        print("FAILED %s%s: %s" % (name, took, why), flush=True)


# pg_regress ----------------------------------------------------------------

def run_regress(cluster, sim, env, results, only):
    pkglib = subprocess.check_output(["pg_config", "--pkglibdir"], text=True).strip()
    pg_regress = os.path.join(pkglib, "pgxs", "src", "test", "regress", "pg_regress")
    outdir = os.path.join(cluster.root, "regress")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(REPO, "test", "schedule")) as f:
        tests = [t for line in f if line.startswith("test:") for t in line.split()[1:]]
    if only:
        tests = [t for t in tests if t in only or t == "setup"]
    # the worker serves database "regression", so pg_regress must not drop it
    cluster.psql("CREATE DATABASE regression TEMPLATE template0")
    cmd = [pg_regress, "--inputdir=" + REPO, "--outputdir=" + outdir,
           "--bindir=" + harness.pg_bindir(), "--host=" + cluster.root,
           "--port=%d" % cluster.port, "--user=postgres", "--use-existing",
           "--dbname=regression"] + tests
    p = subprocess.run(cmd, cwd=REPO, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = set()
    for line in p.stdout.splitlines():
        m = re.match(r"^(?:test\s+|\s+)?(\S+)\s+\.\.\.\s+(ok|FAILED|failed)", line)
        if not m or m.group(1) not in tests:
            continue
        seen.add(m.group(1))
        if m.group(2) == "ok":
            results.ok("regress/" + m.group(1))
        else:
            results.fail("regress/" + m.group(1), "output differs (diff below)")
    for t in tests:
        if t not in seen:
            results.fail("regress/" + t, "did not run")
    diffs = os.path.join(outdir, "regression.diffs")
    if p.returncode != 0:
        if os.path.exists(diffs):
            with open(diffs) as f:
                sys.stdout.write(f.read())
        else:
            sys.stdout.write(p.stdout)


# driver tests --------------------------------------------------------------

DRIVER_TESTS = []


def driver_test(fn):
    DRIVER_TESTS.append(fn)
    return fn


@driver_test
def cancel_stops_hung_request(ctx):
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "seconds": 60, "count": 1})
    p = subprocess.Popen(psql_nostop(ctx) + [
        "-c", "\\set VERBOSITY verbose",
        "-c", "SELECT * FROM sms_api.sms_send('5511900000001', 'hang')",
        "-c", "SELECT id IS NOT NULL AS sent_after FROM sms_api.sms_send('5511900000002', 'after')"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_requests(ctx.sim, 1)
    time.sleep(0.2)
    t0 = time.time()
    ctx.cluster.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                     "WHERE query LIKE '%sms_send(''5511900000001''%' AND pid <> pg_backend_pid()")
    out, err = p.communicate(timeout=30)
    elapsed = time.time() - t0
    assert "57014" in err and "canceling statement due to user request" in err, err
    assert out.strip().endswith("t"), "the session could not send after the cancel: %r" % out
    sent = [r for r in sim_control(ctx.sim, "/_sim/requests") if r["path"] == "/v1/send-sms"]
    assert len(sent) == 2, "expected the hung request and one more, got %d" % len(sent)
    assert elapsed < 2.0, "cancel took %.2fs" % elapsed


@driver_test
def statement_timeout_stops_hung_request(ctx):
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "seconds": 60, "count": 1})
    t0 = time.time()
    p = subprocess.run(psql_nostop(ctx), text=True, capture_output=True, timeout=30,
                       input="\\set VERBOSITY verbose\n"
                             "SET statement_timeout = '300ms';\n"
                             "SELECT * FROM sms_api.sms_send('5511900000001', 'hang');\n")
    elapsed = time.time() - t0
    assert "57014" in p.stderr and "statement timeout" in p.stderr, p.stderr
    assert elapsed < 2.0, "statement_timeout of 300 ms took %.2fs to stop the call" % elapsed


@driver_test
def not_preloaded_raises_55000(ctx):
    root = harness.make_workdir("sms_api_nopreload.")
    c = harness.Cluster(root, {"shared_preload_libraries": ""}).init().start()
    try:
        c.psql("CREATE EXTENSION sms_api")
        p = subprocess.run(psql_nostop_of(c, "postgres"), text=True, capture_output=True,
                           input="\\set VERBOSITY verbose\n"
                                 "SELECT * FROM sms_api.sms_send('5511900000001', 'x');\n")
        err = p.stderr
        assert "55000" in err, err
        assert "shared_preload_libraries" in err, err
    finally:
        c.stop()
        subprocess.run(["rm", "-rf", root])


@driver_test
def worker_killed_mid_poll_loses_nothing(ctx):
    """The list hands a page out and the worker dies before committing it:
    reconciliation through /v1/sms/status/search brings the statuses back."""
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/config", {"query_rate": 0})
    configure(ctx, query_rate_limit=0)
    sql(ctx, "CREATE TABLE IF NOT EXISTS killed (id uuid)")
    sql(ctx, "INSERT INTO killed SELECT id FROM sms_api.sms_send_bulk("
             "array(SELECT '5531' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 5) g), 'x')")
    # the list is consumed by the API, then the answer never comes
    sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 60,
                                         "path": "/v1/sms/status/list"})
    configure(ctx, status_poll_interval_ms=300)
    deadline = time.time() + 10
    while not any(r.get("fault") == "hang" for r in sim_requests(ctx, "/v1/sms/status/list")):
        assert time.time() < deadline, "the worker never polled"
        time.sleep(0.05)
    old = worker_pid(ctx)
    t0 = time.time()
    sql(ctx, "SELECT pg_terminate_backend(%s)" % old)
    while worker_pid(ctx) in ("", old):
        assert time.time() - t0 < 5, "the worker was not back within 5 s"
        time.sleep(0.05)
    wait_for(ctx, "SELECT count(*) = 5 FROM killed JOIN sms_api.message_status USING (id) "
                  "WHERE delivered_status_code = 4", what="the lost page to be reconciled")
    searches = [r for r in sim_requests(ctx, "/v1/sms/status/search") if r.get("status") == 200]
    assert searches, "recovered without a status search?"
    quiet_worker(ctx)


@driver_test
def worker_killed_mid_mo_poll_loses_nothing(ctx):
    """The same for replies: the MO search at the worker's start recovers them."""
    sim_control(ctx.sim, "/_sim/reset", {})
    for i in range(3):
        sim_control(ctx.sim, "/_sim/mo", {"source": "551698156282%d" % i, "messageText": "lost %d" % i})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 60,
                                         "path": "/v1/sms/receive/list"})
    configure(ctx, mo_poll_interval_ms=300)
    deadline = time.time() + 10
    while not any(r.get("fault") == "hang" for r in sim_requests(ctx, "/v1/sms/receive/list")):
        assert time.time() < deadline, "the worker never polled replies"
        time.sleep(0.05)
    # nothing but the hung list call: the replies are out of the list now
    sql(ctx, "SELECT pg_terminate_backend(%s)" % worker_pid(ctx))
    wait_for(ctx, "SELECT count(*) = 3 FROM sms_api.mo_message WHERE message_text LIKE 'lost %'",
             what="the lost replies to be reconciled")
    assert sim_requests(ctx, "/v1/sms/receive/search"), "recovered without an MO search?"
    quiet_worker(ctx)


@driver_test
def mo_reconciliation_splits_capped_searches(ctx):
    """2,500 replies only a search can find, in a window the API answers
    1,000 at a time, newest first (the docs say neither order nor which
    1,000): the worker narrows the window until no answer is capped, and
    every reply arrives exactly once."""
    now = int(time.time() * 1000)
    mos = [{"source": "5511970%06d" % i, "messageText": "capped %d" % i,
            "receivedAt": now - 2 * 3600 * 1000 + i * 2800, "listed": True} for i in range(2500)]
    reconcile_lost_replies(ctx, mos, "capped %", order="newest")
    searches = sim_requests(ctx, "/v1/sms/receive/search")
    assert len(searches) >= 4, "2,500 replies in fewer than 4 searches of at most 1,000?"
    assert not any(r.get("status", 200) != 200 for r in searches), searches
    assert_mo_search_settles(ctx)
    quiet_worker(ctx)


def reconcile_lost_replies(ctx, mos, text_like, order):
    """Replies only a search can find (already handed out by the list), a
    search answering the capped 1,000 in this order, and a fresh worker,
    which searches the whole 5-day window at start: wait until every one
    is stored."""
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/config", {"mo_search_order": order})
    sql(ctx, "TRUNCATE sms_api.mo_message")
    sim_control(ctx.sim, "/_sim/mo", mos)
    configure(ctx, mo_poll_interval_ms=100)
    restart_worker(ctx)
    wait_for(ctx, "SELECT count(*) = %d FROM sms_api.mo_message WHERE message_text LIKE '%s'"
             % (len(mos), text_like),
             timeout=60, what="all %d replies to be reconciled" % len(mos))


def assert_mo_search_settles(ctx):
    """Caught up, the worker searches at every 10th MO poll, not at every
    poll (counted against its polls, so that a slow run does not matter)."""
    deadline = time.time() + 30
    while True:
        searches = len(sim_requests(ctx, "/v1/sms/receive/search"))
        polls = len(sim_requests(ctx, "/v1/sms/receive/list"))
        time.sleep(2)
        searches = len(sim_requests(ctx, "/v1/sms/receive/search")) - searches
        polls = len(sim_requests(ctx, "/v1/sms/receive/list")) - polls
        if polls >= 10 and searches <= polls // 10 + 1:
            return
        assert time.time() < deadline, \
            "still searching at every poll (%d searches in %d polls)" % (searches, polls)


@driver_test
def mo_reconciliation_gets_past_a_burst(ctx):
    """1,500 replies within 30 s, then 500 more a minute later, all only
    reachable by a search answered oldest first: the worker narrows past
    the burst, stores them all, and settles."""
    burst = int(time.time() * 1000) - 600 * 1000
    mos = [{"source": "5511971%06d" % i, "messageText": "burst %d" % i,
            "receivedAt": burst + i * 20, "listed": True} for i in range(1500)]
    mos += [{"source": "5511972%06d" % i, "messageText": "burst later %d" % i,
             "receivedAt": burst + 90 * 1000 + i * 100, "listed": True} for i in range(500)]
    reconcile_lost_replies(ctx, mos, "burst %", order="oldest")
    assert_mo_search_settles(ctx)
    quiet_worker(ctx)


@driver_test
def worker_survives_api_outage(ctx):
    """Connection refused for a while: the worker backs off, says why in
    worker_status, and catches up once the API is back."""
    sim_control(ctx.sim, "/_sim/reset", {})
    sql(ctx, "CREATE TABLE IF NOT EXISTS outage (id uuid)")
    sql(ctx, "INSERT INTO outage SELECT id FROM sms_api.sms_send_bulk("
             "array(SELECT '5541' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 3) g), 'x')")
    configure(ctx, base_url="http://127.0.0.1:9", status_poll_interval_ms=200)
    wait_for(ctx, "SELECT state = 'backing off' AND last_error LIKE 'could not connect%' "
                  "FROM sms_api.worker_status", what="the worker to report the outage")
    assert not sim_requests(ctx, "/v1/sms/status"), "requests reached the API during the outage"
    configure(ctx, base_url=None)
    sql(ctx, "SELECT sms_api.wake()")
    wait_for(ctx, "SELECT count(*) = 3 FROM outage JOIN sms_api.message_status USING (id) "
                  "WHERE delivered_status_code = 4", what="the statuses after the outage")
    quiet_worker(ctx)


@driver_test
def worker_backs_off_in_a_429_storm(ctx):
    """Every status request answered 429: few requests, counted, then recovery."""
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "status", "status": 429, "count": 1000,
                                         "path": "/v1/sms/status"})
    before = int(sql(ctx, "SELECT rate_limited FROM sms_api.worker_status"))
    configure(ctx, status_poll_interval_ms=100)
    time.sleep(4)
    storm = sim_requests(ctx, "/v1/sms/status")
    # polling every 100 ms with 3 attempts each would be ~120 requests
    assert 3 <= len(storm) <= 20, "%d requests in 4 s of 429s" % len(storm)
    assert sql(ctx, "SELECT last_error LIKE '%429%' FROM sms_api.worker_status") == "t"
    assert int(sql(ctx, "SELECT rate_limited FROM sms_api.worker_status")) - before >= 3
    sim_control(ctx.sim, "/_sim/reset", {})
    msg = sql(ctx, "SELECT id FROM sms_api.sms_send('5511900000010', 'after the storm')")
    sql(ctx, "SELECT sms_api.wake()")
    wait_for(ctx, "SELECT delivered_status_code = 4 FROM sms_api.message_status WHERE id = '%s'" % msg)
    quiet_worker(ctx)


@driver_test
def query_limit_is_cluster_wide(ctx):
    """Three sessions asking at once at 1/s: they take turns, no 429."""
    sim_control(ctx.sim, "/_sim/reset", {})
    procs = [subprocess.Popen(ctx.cluster.psql_cmd("regression") + [
        "-c", "SELECT count(*) FROM sms_api.sms_status(correlation_ids => ARRAY['x'])",
        "-c", "SELECT count(*) FROM sms_api.sms_status(correlation_ids => ARRAY['y'])"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    statuses = [r["status"] for r in sim_requests(ctx, "/v1/sms/status")]
    assert len(statuses) >= 6 and set(statuses) == {200}, statuses


@driver_test
def listen_gets_one_notification_per_transaction(ctx):
    sim_control(ctx.sim, "/_sim/reset", {})
    listener = subprocess.Popen(ctx.cluster.psql_cmd("regression") + [
        "-c", "LISTEN sms_api_status", "-c", "LISTEN sms_api_mo", "-c", "SELECT pg_sleep(4)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    # one transaction, three merges: one notification per channel, with the totals
    sql(ctx, "BEGIN; "
             "SELECT sms_api.ingest('[{\"id\": \"aaaaaaaa-0000-0000-0000-000000000001\", \"sentStatusCode\": 2},"
             " {\"id\": \"aaaaaaaa-0000-0000-0000-000000000002\", \"sentStatusCode\": 2}]'); "
             "SELECT sms_api.ingest('{\"id\": \"aaaaaaaa-0000-0000-0000-000000000003\", \"source\": \"5511999990000\", \"messageText\": \"hi\"}'); "
             "SELECT sms_api.ingest('{\"id\": \"aaaaaaaa-0000-0000-0000-000000000004\", \"deliveredStatusCode\": 4}'); "
             "COMMIT")
    # a rolled-back merge notifies nobody
    sql(ctx, "BEGIN; SELECT sms_api.ingest('{\"id\": \"aaaaaaaa-0000-0000-0000-000000000005\", \"sentStatusCode\": 2}'); ROLLBACK")
    # the worker: 200 statuses in one page, one notification
    sql(ctx, "SELECT count(*) FROM sms_api.sms_send_bulk("
             "array(SELECT '5551' || lpad(g::text, 6, '0') || '000' FROM generate_series(1, 200) g), 'x')")
    configure(ctx, status_poll_interval_ms=200, query_rate_limit=0)
    out, err = listener.communicate(timeout=30)
    notes = re.findall(r'notification "(\w+)" with payload "(\d+)"', out + err)
    status_notes = [int(p) for c, p in notes if c == "sms_api_status"]
    mo_notes = [int(p) for c, p in notes if c == "sms_api_mo"]
    assert status_notes[:1] == [3], notes
    assert mo_notes == [1], notes
    # the worker's page: 200 rows, in one or two notifications, never 200
    assert sum(status_notes[1:]) == 200 and len(status_notes[1:]) <= 2, notes
    quiet_worker(ctx)


@driver_test
def outbox_picked_up_at_commit(ctx):
    """The commit wakes the worker: the request leaves well before any poll."""
    sim_control(ctx.sim, "/_sim/reset", {})
    time.sleep(2.5)  # let the worker settle into its idle wait
    t0 = time.time()
    sql(ctx, "SELECT sms_api.sms_queue('5511900000001', 'now')")
    deadline = t0 + 5
    while not sim_requests(ctx, "/v1/send-bulk-sms"):
        assert time.time() < deadline, "the queued message was not sent within 5 s"
        time.sleep(0.005)
    took = time.time() - t0
    assert took < 1.0, "picked up %.3f s after commit" % took


@driver_test
def worker_killed_mid_batch_loses_nothing(ctx):
    """Three batches in flight, the API accepts the first but its answer never
    comes, the worker is killed: the other two were recorded at once, the
    first is sent again after the restart. Nothing lost, one batch twice."""
    sim_control(ctx.sim, "/_sim/reset", {})
    sim_control(ctx.sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 60,
                                         "path": "/v1/send-bulk-sms"})
    sql(ctx, "DELETE FROM sms_api.outbox")
    sql(ctx, "SELECT count(sms_api.sms_queue('5581' || lpad(g::text, 6, '0') || '000', 'batch', 'k-' || g)) "
             "FROM generate_series(1, 3000) g")
    wait_for(ctx, "SELECT count(*) = 2000 FROM sms_api.outbox WHERE state = 'sent'",
             what="the two answered batches to be recorded")
    assert sql(ctx, "SELECT count(*) FROM sms_api.outbox WHERE state = 'sending'") == "1000"
    sql(ctx, "SELECT pg_terminate_backend(%s)" % worker_pid(ctx))
    wait_for(ctx, "SELECT count(*) = 3000 FROM sms_api.outbox WHERE state = 'sent'",
             what="the interrupted batch to be sent after the restart")
    accepted = sim_control(ctx.sim, "/_sim/stats")["messages"]
    assert accepted == 4000, "the API accepted %d messages for 3000 rows" % accepted
    assert "queued again" in ctx.cluster.server_log()
    sim_control(ctx.sim, "/_sim/reset", {})


@driver_test
def worker_back_after_crash(ctx):
    """A crashed worker (SIGKILL: the server restarts every backend) is back within 5 s."""
    import signal
    old = worker_pid(ctx)
    t0 = time.time()
    os.kill(int(old), signal.SIGKILL)
    while True:
        try:
            pid = worker_pid(ctx)
        except RuntimeError:
            pid = ""            # the server is restarting
        if pid not in ("", old):
            break
        assert time.time() - t0 < 5, "the worker was not back within 5 s of a crash"
        time.sleep(0.1)


@driver_test
def worker_waits_for_create_extension(ctx):
    """Without the extension in its database the worker waits quietly: one
    log line, a re-check at least every 2 s; CREATE EXTENSION wakes it up."""
    log_before = ctx.cluster.server_log().count("is not installed in database")
    sql(ctx, "DROP EXTENSION sms_api CASCADE")
    wait_for(ctx, "SELECT query = 'waiting for CREATE EXTENSION' FROM pg_stat_activity "
                  "WHERE backend_type = 'sms_api worker'", timeout=5)
    time.sleep(4.5)
    said = ctx.cluster.server_log().count("is not installed in database") - log_before
    assert said == 1, "said %d times" % said
    sql(ctx, "CREATE EXTENSION sms_api")
    took = wait_for(ctx, "SELECT query <> 'waiting for CREATE EXTENSION' FROM pg_stat_activity "
                         "WHERE backend_type = 'sms_api worker'", timeout=5)
    assert took <= 2.5, "noticed CREATE EXTENSION after %.1f s" % took


@driver_test
def token_never_in_server_log(ctx):
    log = ctx.cluster.server_log()
    assert ctx.sim.token not in log, "the token appears in the server log"
    assert "authenticationtoken:" not in log.lower(), "a header line reached the server log"


@driver_test
def fault_table_names_existing_tests(ctx):
    """Every cell of README's fault table names a regress line or driver test that exists."""
    problems = faults_table.check({fn.__name__ for fn in DRIVER_TESTS})
    assert not problems, "\n".join(problems)


for _fn in (driver_outbox.TESTS + driver_backup.TESTS + driver_directcall.TESTS
            + driver_routing.TESTS + driver_meta.TESTS + driver_failover.TESTS + driver_dedupe.TESTS + driver_databases.TESTS
            + driver_load.TESTS + driver_kills.TESTS):
    driver_test(_fn)


@driver_test
def every_documented_error_is_reached(ctx):
    """Each row of README's error tables has a test that shows its SQLSTATE
    (test/error_table.py)."""
    problems, _ = error_table.check({fn.__name__: fn for fn in DRIVER_TESTS})
    assert not problems, "; ".join(problems)


def run_driver(ctx, results, only):
    for fn in DRIVER_TESTS:
        name = "driver/" + fn.__name__
        if only and fn.__name__ not in only:
            continue
        t0 = time.time()
        try:
            fn(ctx)
            results.ok(name, " (%.1f s)" % (time.time() - t0))
        except Exception as e:  # any failure is this test's failure
            results.fail(name, "%s: %s" % (type(e).__name__, e), " (%.1f s)" % (time.time() - t0))


# the simulator's fidelity (Node) ------------------------------------------------

def run_fidelity(results):
    fid = os.path.join(REPO, "test", "fidelity")
    subprocess.run(["npm", "ci", "--prefix", fid, "--no-audit", "--no-fund",
                    "--loglevel=error"], check=True, stdout=subprocess.DEVNULL)
    p = subprocess.run(["node", "--test", "--test-reporter=tap", fid],
                       cwd=REPO, text=True, capture_output=True)
    names = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*(not ok|ok) \d+ - (.*)$", line)
        if m and "# SKIP" not in line:
            names[m.group(2)] = m.group(1) == "ok"
    passed = re.search(r"^# pass (\d+)", p.stdout, re.M)
    failed = re.search(r"^# fail (\d+)", p.stdout, re.M)
    if not passed:
        results.fail("fidelity", "node --test printed no summary:\n" + p.stdout + p.stderr)
        return
    for _ in range(int(passed.group(1))):
        results.passed += 1
    print("ok     fidelity: %s tests passed" % passed.group(1))
    if failed and int(failed.group(1)) > 0:
        for n, good in names.items():
            if not good:
                results.fail("fidelity/" + n, "its TAP block follows the summary")
        # each failing test's TAP block: its "not ok" line and the YAML after it
        block = []
        for line in p.stdout.splitlines():
            if re.match(r"^\s*not ok \d+ - ", line):
                block = [line]
            elif block:
                block.append(line)
                if line.strip() == "...":
                    sys.stdout.write("\n".join(block) + "\n")
                    block = []
    if p.returncode != 0 and not (failed and int(failed.group(1)) > 0):
        results.fail("fidelity", "node exited %d" % p.returncode)


class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--only", default="regress,driver,fidelity,fuzz")
    ap.add_argument("tests", nargs="*", help="run only these regress or driver tests")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    only = set(args.tests)
    results = Results()

    root, sim, cluster = harness.simulator_and_cluster("sms_api_test.",
                                                       harness.SUITE_SETTINGS)
    ctx = Ctx()
    ctx.sim, ctx.cluster = sim, cluster
    try:
        cluster.init().start()
        env = harness.regress_env(sim, root)
        if "regress" in parts:
            run_regress(cluster, sim, env, results, only)
        if "driver" in parts:
            run_driver(ctx, results, only)
        if "fidelity" in parts and not only:
            run_fidelity(results)
        if "fuzz" in parts:
            run_fuzz_replay(results, only)
    finally:
        cluster.stop()
        sim.stop()
        if args.keep or results.failed:
            print("kept %s" % root)
        else:
            subprocess.run(["rm", "-rf", root])
    print("%d passed, %d failed" % (results.passed, len(results.failed)))
    sys.exit(1 if results.failed else 0)


if __name__ == "__main__":
    main()
