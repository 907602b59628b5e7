#!/usr/bin/env python3
"""Driver tests for many databases: sms_api.database lists several, each
gets a worker of its own, and the cluster-wide limits hold across them.

Each test takes `ctx` (as in run.py, unused: these need settings of their
own), starts a cluster of its own, and stops it whatever happens; its
directory is removed once the test passed, and kept (and printed) if not.

    three_databases_share_the_send_limit   each of three databases drains its own
                                           outbox, never more than send_rate_limit
                                           requests a second between them; every
                                           worker named in pg_stat_activity and in
                                           worker_status, from any database; a
                                           listed database without the extension
                                           waits quietly; a terminated worker is
                                           back on its own
    invalid_list_stops_the_server          a list the check hook refuses at server
                                           start stops the server, saying why

Run alone: python3 test/driver_databases.py
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import sim_control  # noqa: E402

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


SERVED = ["sms_multi_a", "sms_multi_b", "sms_multi_c"]
QUIET = "sms_multi_quiet"       # listed, no extension
UNLISTED = "sms_multi_other"    # extension, not listed
RATE = 5                        # send requests per second, for the whole cluster
ROWS = 10                       # per database, one request each (queue_batch_size 1)
# RATE + 1 requests paced at RATE/s (plus the limiter's 5% margin) span
# 1.05 s. The simulator stamps a request when its thread gets to it, which
# on a loaded machine (load 11 on 2 cores seen) can be 100 ms or more late:
# the window leaves it 200 ms. Without a shared limit the three workers
# send 15/s, and any window of this size holds 12.
WINDOW_MS = 850


def _sql(cluster, db, query):
    return cluster.psql(query, db=db)[1]


def _wait(cluster, db, query, timeout=20, what=None):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if _sql(cluster, db, query) == "t":
            return time.time() - t0
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % (what or query))


def _prefix(i):
    """Destinations of database i: 55119<i>nnnnnnn."""
    return "55119%d" % i


def _workers(cluster):
    """datname -> (pid, application_name) of every sms_api worker."""
    out = _sql(cluster, "postgres", "SELECT datname, pid, application_name FROM pg_stat_activity "
                                    "WHERE backend_type = 'sms_api worker' ORDER BY datname")
    return {r.split("|")[0]: tuple(r.split("|")[1:]) for r in out.splitlines()}


def _most_in_window(times_ms):
    times_ms = sorted(times_ms)
    most, j = 0, 0
    for i, t in enumerate(times_ms):
        while times_ms[j] <= t - WINDOW_MS:
            j += 1
        most = max(most, i - j + 1)
    return most


@_test
def three_databases_share_the_send_limit(ctx):
    root, sim, cluster = harness.simulator_and_cluster("sms_multidb.", {
        "sms_api.send_rate_limit": RATE,
        "sms_api.queue_batch_size": 1,
        "sms_api.status_poll_interval_ms": 0,
    })
    passed = False
    try:
        cluster.init().start()
        # the databases first, then the list: a worker cannot serve a
        # database that does not exist yet
        for db in SERVED + [QUIET, UNLISTED]:
            cluster.psql('CREATE DATABASE "%s"' % db)
        for db in SERVED + [UNLISTED]:
            _sql(cluster, db, "CREATE EXTENSION sms_api")
        cluster.stop()
        with open(os.path.join(cluster.data, "postgresql.auto.conf"), "a") as f:
            f.write("sms_api.database = '%s'\n" % ", ".join(SERVED + [QUIET]))
        log_before = cluster.server_log().count('is not installed in database "%s"' % QUIET)
        cluster.start()
        _wait(cluster, "postgres", "SELECT count(*) = %d FROM pg_stat_activity "
                                   "WHERE backend_type = 'sms_api worker'" % (len(SERVED) + 1),
              what="a worker for each listed database")

        # every worker in pg_stat_activity, naming its database
        workers = _workers(cluster)
        assert sorted(workers) == sorted(SERVED + [QUIET]), workers
        for db, (pid, appname) in workers.items():
            assert appname == "sms_api worker for %s" % db, (db, appname)
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                title = f.read().decode(errors="replace")
            # (under valgrind the command line is valgrind's own)
            assert "valgrind" in title or "sms_api worker for database %s" % db in title, (db, title)

        sim_control(sim, "/_sim/reset", {})
        # queued in the three, each in a transaction left open, then committed
        # together: their workers wake at once, however late each session started
        sessions = [harness.Session(cluster, db) for db in SERVED]
        for i, s in enumerate(sessions):
            s.send("BEGIN;\nSELECT count(sms_api.sms_queue('%s' || lpad(g::text, 7, '0'), "
                   "'from ' || current_database())) FROM generate_series(1, %d) g"
                   % (_prefix(i), ROWS))
        for s in sessions:
            out = s.answer()
            assert out.splitlines()[-1:] == [str(ROWS)], out
        for s in sessions:
            s.send("COMMIT")
        for s in sessions:
            s.answer()
            s.close()
        for db in SERVED:
            _wait(cluster, db, "SELECT count(*) = %d FROM sms_api.outbox WHERE state = 'sent'" % ROWS,
                  timeout=60, what="the outbox of %s to be sent" % db)

        # each database sent its own rows, once each, and counted them
        messages = sim_control(sim, "/_sim/messages")
        for i, db in enumerate(SERVED):
            mine = [m for m in messages if m["destination"].startswith(_prefix(i))]
            assert len(mine) == ROWS and {m["messageText"] for m in mine} == {"from " + db}, \
                "%s: %d messages at the API, texts %s" % (db, len(mine), {m["messageText"] for m in mine})
            left = _sql(cluster, db, "SELECT count(*) FROM sms_api.outbox WHERE state <> 'sent'")
            assert left == "0", "%s: %s rows not sent" % (db, left)
        assert len(messages) == ROWS * len(SERVED), "%d messages at the API" % len(messages)

        # the limit held across the three: one message a request, at most
        # RATE requests in any window, all answered 200
        sends = [r for r in sim_control(sim, "/_sim/requests") if r["path"] == "/v1/send-bulk-sms"]
        assert {r["status"] for r in sends} == {200}, sorted(r["status"] for r in sends)
        assert len(sends) == len(messages), \
            "%d send requests for %d messages" % (len(sends), len(messages))
        most = _most_in_window([m["acceptedAt"] for m in messages])
        times = sorted(m["acceptedAt"] for m in messages)
        assert most <= RATE, "%d requests within %d ms, limit %d/s; at %s ms" % (
            most, WINDOW_MS, RATE, [t - times[0] for t in times])
        # and over the whole run, whatever the jitter at its ends
        span_s = (times[-1] - times[0]) / 1000.0
        assert len(times) - 1 <= RATE * span_s + 1, \
            "%d requests in %.2f s at %d/s" % (len(times), span_s, RATE)
        # and it was not one database after another at full speed: they overlapped
        spans = []
        for i in range(len(SERVED)):
            t = [m["acceptedAt"] for m in messages if m["destination"].startswith(_prefix(i))]
            spans.append((min(t), max(t)))
        assert max(s for s, _ in spans) < min(e for _, e in spans), \
            "the databases' sends did not overlap: %s" % spans

        # worker_status: one row per worker, the same from every database,
        # listed or not; each served database counted its own messages
        expected = "\n".join(
            "%s|%s|%s" % (db, workers[db][0],
                          "waiting for CREATE EXTENSION" if db == QUIET else ROWS)
            for db in sorted(SERVED + [QUIET]))
        query = ("SELECT database, pid, CASE WHEN state = 'waiting for CREATE EXTENSION' "
                 "THEN state ELSE messages_sent::text END FROM sms_api.worker_status ORDER BY database")
        for db in SERVED + [UNLISTED]:
            got = _sql(cluster, db, query)
            assert got == expected, "worker_status in %s:\n%s\nexpected:\n%s" % (db, got, expected)

        # a database not listed cannot queue
        rc, _, err = cluster.psql("SELECT sms_api.sms_queue('5511900000001', 'x')", db=UNLISTED,
                                  check=False)
        assert rc != 0 and 'does not serve database "%s"' % UNLISTED in err, err

        # the listed database without the extension: said once, nothing sent
        said = cluster.server_log().count('is not installed in database "%s"' % QUIET) - log_before
        assert said == 1, "said %d times" % said
        assert _sql(cluster, "postgres", "SELECT query FROM pg_stat_activity "
                                         "WHERE backend_type = 'sms_api worker' AND datname = '%s'"
                    % QUIET) == "waiting for CREATE EXTENSION"

        # one worker terminated: back on its own, the others untouched
        _sql(cluster, "postgres", "SELECT pg_terminate_backend(%s)" % workers[SERVED[1]][0])
        t0 = time.time()
        while True:
            now = _workers(cluster)
            if SERVED[1] in now and now[SERVED[1]][0] != workers[SERVED[1]][0]:
                break
            assert time.time() - t0 < 5, "the worker of %s was not back within 5 s" % SERVED[1]
            time.sleep(0.1)
        for db in SERVED + [QUIET]:
            if db != SERVED[1]:
                assert now[db][0] == workers[db][0], "the worker of %s restarted too" % db
        passed = True
    finally:
        cluster.stop()
        sim.stop()
        if passed:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("kept %s" % root)


@_test
def invalid_list_stops_the_server(ctx):
    root = harness.make_workdir("sms_multidb_bad.")
    cluster = harness.Cluster(root, {"sms_api.database": "app,,billing"})
    passed = False
    try:
        cluster.init()
        try:
            cluster.start()
        except subprocess.CalledProcessError:
            pass
        else:
            raise AssertionError("the server started with sms_api.database = 'app,,billing'")
        log = cluster.server_log()
        assert 'FATAL:  invalid value for parameter "sms_api.database"' in log, log
        assert "The list has an empty item" in log, log
        passed = True
    finally:
        cluster.stop()
        if passed:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("kept %s" % root)


if __name__ == "__main__":
    failed = 0
    for fn in TESTS:
        try:
            fn(None)
            print("ok", fn.__name__)
        except Exception as e:  # any failure is this test's failure
            failed += 1
            print("FAILED", fn.__name__, "%s: %s" % (type(e).__name__, e))
    sys.exit(1 if failed else 0)
