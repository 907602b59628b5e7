#!/usr/bin/env python3
"""Driver test for failover: a primary and a streaming replica, the primary
stopped with `-m immediate` while its worker drains the outbox, the replica
promoted.

    failover_sends_every_row_once_within_the_window
        10,000 Sinch rows, 100 Reach rows and 4,800 Directcall rows queued
        on the primary; it dies mid-drain, with a round of Sinch requests
        accepted by the API and unanswered; while only the standby is up no
        worker runs there and no request reaches the API; after promotion
        the worker starts, every row of every provider is sent, the
        requests in flight at the crash (at most 4 of queue_batch_size) are
        sent twice and nothing else is, and statuses keep arriving on the
        promoted server (Sinch's and Reach's polls), whose worker fetches a
        Directcall token of its own. A synchronous sms_send and an
        sms_send_bulk in flight at the crash fail in their sessions and
        leave no record: the API had each message once.

Replication is synchronous (synchronous_standby_names names the standby),
so "nothing committed is lost" is exact: a commit on the primary returned
only once the standby had it. With asynchronous replication the rows of the
last moments before the crash may be missing on the standby (README, "What
is guaranteed", Failover), and this test's "every row" would not hold.

It brings its own simulator and two clusters (the suite's cluster is left
alone), and removes them whatever happens. Run alone:
python3 test/driver_failover.py [--keep]
"""
import collections
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


ROWS = 10000
BATCH = 100            # queue_batch_size: 100 requests for the whole queue
IN_FLIGHT = 4          # the drain's requests in flight at once (HTTP_MAX_PARALLEL)
SEND_RATE = 25         # requests/s: the drain takes ~10 s, so the crash lands mid-drain
# Each claim takes four requests' worth of every provider's rows (Reach: 4
# rows; Directcall: 400, one text, 4 requests): both last 25 and 12 claims,
# so both still have rows queued at the crash, which comes in Sinch's 7th.
REACH_ROWS = 100
DIRECTCALL_ROWS = 4800
OTHER_RATE = 50        # reach_rate_limit and directcall_rate_limit
DB = "failover"
STANDBY_NAME = "sms_failover_standby"
SYNC_DEST = "5561999999000"     # a synchronous sms_send in flight at the crash
BULK_DESTS = ["5561888888%03d" % i for i in range(1, 4)]   # an sms_send_bulk in flight


def _sinch_dest(g):
    return "5561%06d000" % g


def _reach_dest(g):
    return "5023514%04d" % g


def _directcall_dest(g):
    return "554199%07d" % g


def _accepted(sim):
    """Per destination, how many messages of it the API accepted, all
    providers together."""
    got = collections.Counter(m["destination"] for m in harness.sim_control(sim, "/_sim/messages"))
    for m in harness.sim_control(sim, "/_sim/reach/messages"):
        if m.get("direction") == "MT":
            got.update(m["recipients"])
    for m in harness.sim_control(sim, "/_sim/directcall/messages"):
        got.update(m["destinations"])
    return got


def _sql(cluster, query):
    return cluster.psql(query, db=DB)[1]


def _pg(cluster, *args, timeout=60):
    p = subprocess.run(harness.as_server_user() + [os.path.join(cluster.bindir, "pg_ctl"),
                                                   "-D", cluster.data] + list(args),
                       text=True, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("pg_ctl %s exited %d:\n%s%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))


def _until(what, check, timeout=30, step=0.05):
    """Poll check() until it returns something true; that value."""
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out (%d s) waiting for %s" % (timeout, what))
        time.sleep(step)


def _requests_since(sim, seq):
    return harness.sim_control(sim, "/_sim/requests?since=%d" % seq)


def _workers(cluster):
    rc, out, _ = cluster.psql("SELECT count(*) FROM pg_stat_activity "
                              "WHERE backend_type = 'sms_api worker'", check=False)
    return int(out) if rc == 0 else -1


@_test
def failover_sends_every_row_once_within_the_window(ctx):
    root, sim, primary = harness.simulator_and_cluster("sms_api_failover.", {
        "sms_api.database": DB,
        "sms_api.queue_batch_size": BATCH,
        "sms_api.send_rate_limit": SEND_RATE,
        "sms_api.reach_rate_limit": OTHER_RATE,
        "sms_api.directcall_rate_limit": OTHER_RATE,
        "sms_api.status_poll_interval_ms": 200,
        "sms_api.reach_poll_interval_ms": 200,
        "sms_api.query_rate_limit": 0,
        "wal_level": "replica",
        "max_wal_senders": 4,
    })
    standby = harness.Cluster(root)     # its data directory comes from pg_basebackup
    standby.data = os.path.join(root, "standby")
    standby.logfile = os.path.join(root, "standby.log")
    standby.bindir = primary.bindir
    callers = []
    try:
        sim_limits = {"query_rate": 0, "reach_rate": 0, "directcall_rate": 0}
        harness.sim_control(sim, "/_sim/config", sim_limits)
        primary.init().start()
        primary.psql("CREATE DATABASE %s TEMPLATE template0" % DB)
        _sql(primary, "CREATE EXTENSION sms_api")

        p = subprocess.run(harness.as_server_user() + [
            os.path.join(primary.bindir, "pg_basebackup"), "-h", primary.root,
            "-p", str(primary.port), "-U", "postgres", "-D", standby.data, "-R",
            "-X", "stream", "-c", "fast", "--no-sync"],
            text=True, capture_output=True, timeout=120)
        assert p.returncode == 0, "pg_basebackup exited %d:\n%s" % (p.returncode, p.stderr)
        # the same postgresql.conf (preload, every sms_api.* setting); its own
        # port, and a name the primary's synchronous_standby_names can list
        with open(os.path.join(standby.data, "postgresql.auto.conf"), "a") as f:
            f.write("port = %d\ncluster_name = '%s'\nhot_standby = on\n"
                    % (standby.port, STANDBY_NAME))
        standby.start()
        _sql(primary, "ALTER SYSTEM SET synchronous_standby_names = '%s'" % STANDBY_NAME)
        _sql(primary, "SELECT pg_reload_conf()")
        _until("the standby to stream synchronously", lambda: _sql(
            primary, "SELECT count(*) = 1 FROM pg_stat_replication "
                     "WHERE application_name = '%s' AND sync_state = 'sync' "
                     "AND state = 'streaming'" % STANDBY_NAME) == "t")
        assert _sql(standby, "SELECT pg_is_in_recovery()") == "t"
        assert _workers(standby) == 0, "a worker runs on the standby"

        harness.sim_control(sim, "/_sim/reset", {})
        harness.sim_control(sim, "/_sim/config", sim_limits)
        # one transaction: committed on both servers before the worker claims
        # a row; remote_apply so the standby shows the rows once the commit
        # returns (with on, they are on its disk but maybe not yet visible)
        _sql(primary, "SET synchronous_commit = remote_apply; "
                      "SELECT count(sms_api.sms_queue('5561' || lpad(g::text, 6, '0') || '000', "
                      "'failover ' || g, 'f-' || g)) FROM pg_catalog.generate_series(1, %d) g; "
                      "SELECT count(sms_api.sms_queue('5023514' || lpad(g::text, 4, '0'), "
                      "'failover reach ' || g, provider => 'reach')) "
                      "FROM pg_catalog.generate_series(1, %d) g; "
                      "SELECT count(sms_api.sms_queue('554199' || lpad(g::text, 7, '0'), "
                      "'failover directcall', provider => 'directcall')) "
                      "FROM pg_catalog.generate_series(1, %d) g"
             % (ROWS, REACH_ROWS, DIRECTCALL_ROWS))
        queued = ROWS + REACH_ROWS + DIRECTCALL_ROWS
        assert _sql(standby, "SELECT count(*) FROM sms_api.outbox") == str(queued), \
            "a synchronous commit returned before the standby had the rows"

        # mid-drain: some rows accepted by the API, most not yet claimed; then
        # the API accepts the next round of Sinch requests and holds their
        # answers, so the crash finds them in flight: the rows the duplicates
        # window is about (a round is one provider's: the worker waits in it)
        _until("the drain to be under way",
               lambda: harness.sim_control(sim, "/_sim/stats")["messages"] >= ROWS // 4,
               timeout=30, step=0.01)
        harness.sim_control(sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 30,
                                                 "count": IN_FLIGHT, "path": "/v1/send-bulk-sms"})

        def hung(path):
            return [r["seq"] for r in harness.sim_control(sim, "/_sim/requests")
                    if r.get("fault") == "hang" and r["path"] == path]
        _until("a request accepted and left unanswered", lambda: hung("/v1/send-bulk-sms"),
               timeout=10, step=0.01)
        try:
            _until("the rest of that round",
                   lambda: len(hung("/v1/send-bulk-sms")) == IN_FLIGHT, timeout=5)
        except AssertionError:
            pass            # a shorter round: counted again after the crash
        before_callers = harness.sim_control(sim, "/_sim/stats")["last_seq"]
        # the worker waits in its round: a bulk request from now on is the
        # caller's. A synchronous call and a bulk call the API accepts, whose
        # answers never come.
        harness.sim_control(sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 30,
                                                 "path": "/v1/send-sms"})
        harness.sim_control(sim, "/_sim/fault", {"kind": "hang", "process": True, "seconds": 30,
                                                 "path": "/v1/send-bulk-sms"})
        for query in ("SELECT id FROM sms_api.sms_send('%s', 'in flight at the crash')" % SYNC_DEST,
                      "SELECT id FROM sms_api.sms_send_bulk(ARRAY[%s], 'bulk at the crash')"
                      % ", ".join("'%s'" % d for d in BULK_DESTS)):
            callers.append(subprocess.Popen(primary.psql_cmd(DB) + ["-c", query],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True))
        for path in ("/v1/send-sms", "/v1/send-bulk-sms"):
            _until("the caller's request to reach the API (%s)" % path, lambda: [
                s for s in hung(path) if s > before_callers], timeout=10, step=0.01)
        tokens_before = harness.sim_control(sim, "/_sim/stats")["directcall_tokens_issued"]
        _pg(primary, "-m", "immediate", "-w", "stop")
        time.sleep(0.3)     # a request the API was still reading is counted
        in_flight = len([s for s in hung("/v1/send-bulk-sms") if s <= before_callers])
        # a hang the round did not reach before the crash would catch the
        # promoted server's first request instead, a duplicate of its own
        harness.sim_control(sim, "/_sim/fault/clear", {})
        for caller in callers:
            out, err = caller.communicate(timeout=10)
            assert caller.returncode != 0 and not out.strip(), \
                "a call returned %r through the crash" % out
        crash = harness.sim_control(sim, "/_sim/stats")
        accepted_at_crash = sum(_accepted(sim).values())
        seq_at_crash = crash["last_seq"]
        assert crash["messages"] < ROWS, \
            "the drain was over (%d accepted) before the crash" % crash["messages"]
        known = dict(row.split("|") for row in _sql(
            standby, "SELECT provider, count(*) FROM sms_api.outbox "
                     "WHERE state = 'sent' GROUP BY provider").splitlines())
        sent_on_standby = sum(int(n) for n in known.values())
        assert int(known.get("reach", 0)) < REACH_ROWS and \
            int(known.get("directcall", 0)) < DIRECTCALL_ROWS, \
            "Reach's or Directcall's rows were all sent before the crash: %s" % known
        # the calls' transactions died with the server: nothing of them recorded
        assert _sql(standby, "SELECT count(*) FROM sms_api.message_status WHERE destination "
                             "IN ('%s', %s)" % (SYNC_DEST, ", ".join("'%s'" % d for d in BULK_DESTS))
                    ) == "0", "a call whose session died with the server was recorded"

        # only the standby is up: no worker, and nothing reaches the API
        time.sleep(2)
        assert _workers(standby) == 0, "a worker started on the standby before promotion"
        early = _requests_since(sim, seq_at_crash)
        assert not early, "%d request(s) reached the API with only the standby up: %s" % (
            len(early), [r["path"] for r in early][:5])

        t_promote = time.time()
        _pg(standby, "promote", "-w")
        _until("the worker on the promoted server", lambda: _workers(standby) == 1, timeout=10)
        took = time.time() - t_promote
        first = _until("the first request after promotion",
                       lambda: _requests_since(sim, seq_at_crash), timeout=10)
        assert first, "no request after promotion"

        _until("every row to be sent", lambda: _sql(
            standby, "SELECT count(*) = %d FROM sms_api.outbox WHERE state = 'sent'" % queued) == "t",
            timeout=60, step=0.2)
        per_dest = _accepted(sim)
        # the calls: out once each (their statuses may come in by the poll)
        for dest in [SYNC_DEST] + BULK_DESTS:
            assert per_dest.pop(dest, 0) == 1, "the call to %s did not reach the API once" % dest
        ours = {"sinch": {_sinch_dest(g) for g in range(1, ROWS + 1)},
                "reach": {_reach_dest(g) for g in range(1, REACH_ROWS + 1)},
                "directcall": {_directcall_dest(g) for g in range(1, DIRECTCALL_ROWS + 1)}}
        for provider, dests in ours.items():
            missing = dests - set(per_dest)
            assert not missing, "%d %s rows never reached the API, e.g. %s" % (
                len(missing), provider, sorted(missing)[:3])
        assert set(per_dest) == set().union(*ours.values()), \
            "the API got destinations nobody queued"
        twice = {provider: sum(per_dest[d] - 1 for d in dests) for provider, dests in ours.items()}
        # only the round hung at the crash: Reach's and Directcall's rounds
        # before it were answered and recorded
        assert twice["reach"] == 0 and twice["directcall"] == 0, \
            "rows sent twice outside the requests in flight at the crash: %s" % twice
        assert twice["sinch"] <= IN_FLIGHT * BATCH, \
            "%d messages sent twice: more than the %d requests of %d in flight at the crash" \
            % (twice["sinch"], IN_FLIGHT, BATCH)
        # the API's count at the crash includes the calls' messages
        assert twice["sinch"] == in_flight * BATCH == \
            accepted_at_crash - 1 - len(BULK_DESTS) - sent_on_standby, \
            "%d sent twice; %d requests of %d were in flight at the crash; the API had " \
            "accepted %d and the standby knew %d sent" % (
                twice["sinch"], in_flight, BATCH, accepted_at_crash, sent_on_standby)

        # statuses keep flowing: the promoted server's worker polls them in
        _until("every sent Sinch row's delivery status on the promoted server", lambda: _sql(
            standby, "SELECT count(*) = %d FROM sms_api.outbox o JOIN sms_api.message_status s "
                     "ON s.id = o.message_id WHERE s.delivered_status_code = 4" % ROWS) == "t",
            timeout=30, step=0.2)
        _until("every Reach row's status on the promoted server", lambda: _sql(
            standby, "SELECT count(*) = %d FROM sms_api.outbox o JOIN sms_api.reach_message r "
                     "ON r.message_id = o.provider_ref WHERE o.provider = 'reach' "
                     "AND r.status = 'SENT'" % REACH_ROWS) == "t",
            timeout=30, step=0.2)
        # a Directcall token lives in the server's shared memory: the
        # promoted server's worker asked for its own
        assert harness.sim_control(sim, "/_sim/stats")["directcall_tokens_issued"] > tokens_before, \
            "the promoted server sent Directcall rows without a token of its own"
        print("       failover: %d accepted at the crash, %d known sent on the standby, "
              "%d requests in flight, %d sent twice (bound %d), worker up %.1f s after promote"
              % (accepted_at_crash, sent_on_standby, in_flight, twice["sinch"],
                 IN_FLIGHT * BATCH, took), flush=True)
    finally:
        for caller in callers:
            if caller.poll() is None:
                caller.kill()
        standby.stop()
        primary.stop()
        sim.stop()
        if os.environ.get("SMS_API_KEEP_FAILOVER"):
            print("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


def main():
    if "--keep" in sys.argv:
        os.environ["SMS_API_KEEP_FAILOVER"] = "1"
    failed = 0
    for fn in TESTS:
        t0 = time.time()
        try:
            fn(None)
            print("ok     %s (%.1f s)" % (fn.__name__, time.time() - t0), flush=True)
        except Exception as e:
            failed += 1
            print("FAILED %s (%.1f s): %s: %s" % (fn.__name__, time.time() - t0,
                                                  type(e).__name__, e), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
