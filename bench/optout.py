#!/usr/bin/env python3
"""Sending and queueing with a 100,000-row sms_api.opt_out checked, against
the same with no check at all (sms_api.opt_out_enforce off), in one run.

A throwaway cluster (test/harness.py, the simulator beside it) whose
opt_out holds 100,000 numbers, none of them a destination sent to (so the
same messages go out; they interleave with the destinations in the key
space). Each round runs every figure twice, check off and on, in
alternating order, so that the machine's noise falls on both:

  queue   100,000 sms_queue() in one statement, rolled back (queueing
          checks nothing: the figure shows it)
  bulk    sms_send_bulk() of 100,000 destinations (100 requests; one
          lookup per request)
  drain   100,000 rows queued and committed, until the worker has sent
          them all (the claim looks each row up)
  single  --single sequential sms_send() calls in one statement (one
          lookup per call)

Prints each round's seconds and, per figure, the median ratio off/on
(1.0 = the opt-out costs nothing; the target is >= 0.9).

    python3 bench/optout.py [--rows 100000] [--single 2000] [--rounds 5]
"""
import argparse
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test"))
import harness  # noqa: E402

# destination g ends in 2 (never in 1400, which the simulator refuses), opted-out number g in 3
DEST = "'55119' || lpad((10 * g + 2)::text, 8, '0')"
OPTED = "'55119' || lpad((10 * g + 3)::text, 8, '0')"

TIMED = """
DO $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM %s;
  RAISE NOTICE 'took %%', extract(epoch FROM clock_timestamp() - t0);
  %s
EXCEPTION WHEN raise_exception THEN NULL;
END $$;
"""


def timed(cluster, statement, rollback=False):
    sql = TIMED % (statement, "RAISE EXCEPTION 'rolled back';" if rollback else "")
    _, _, err = cluster.psql(sql, check=True)
    m = re.search(r"took ([0-9.]+)", err)
    if not m:
        raise RuntimeError("no timing in: %s" % err)
    return float(m.group(1))


def queue(cluster, rows):
    return timed(cluster, "count(sms_api.sms_queue(%s, 'bench')) FROM generate_series(1, %d) g"
                 % (DEST, rows), rollback=True)


def bulk(cluster, rows):
    cluster.psql("TRUNCATE sms_api.message_status")
    return timed(cluster, "count(*) FROM sms_api.sms_send_bulk(ARRAY(SELECT %s FROM generate_series(1, %d) g), 'bench') "
                 "WHERE error IS NULL" % (DEST, rows))


def single(cluster, calls):
    cluster.psql("TRUNCATE sms_api.message_status")
    return timed(cluster, "count(*) FROM generate_series(1, %d) g, LATERAL sms_api.sms_send(%s, 'bench') s"
                 % (calls, DEST))


def drain(cluster, rows):
    cluster.psql("TRUNCATE sms_api.message_status; DELETE FROM sms_api.outbox")
    cluster.psql("SELECT count(sms_api.sms_queue(%s, 'bench')) FROM generate_series(1, %d) g" % (DEST, rows))
    t0 = time.monotonic()
    while True:
        _, out, _ = cluster.psql("SELECT count(*) FROM sms_api.outbox WHERE state IN ('queued', 'sending')")
        if out == "0":
            break
        time.sleep(0.05)
    took = time.monotonic() - t0
    _, out, _ = cluster.psql("SELECT count(*) FROM sms_api.outbox WHERE state = 'sent'")
    if int(out) != rows:
        raise RuntimeError("drained %s of %d rows" % (out, rows))
    return took


def fill(cluster, rows):
    cluster.psql("INSERT INTO sms_api.opt_out (destination, keyword, source) "
                 "SELECT %s, 'STOP', 'manual' FROM generate_series(1, %d) g" % (OPTED, rows))
    cluster.psql("VACUUM ANALYZE sms_api.opt_out")


def enforce(cluster, on):
    """For the sessions (postgresql.conf) and the worker (reloaded)."""
    cluster.psql("ALTER SYSTEM SET sms_api.opt_out_enforce = %s" % ("on" if on else "off"))
    cluster.psql("SELECT pg_reload_conf()")
    time.sleep(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--single", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root, sim, cluster = harness.simulator_and_cluster("sms_api_bench_optout.", {
        "sms_api.status_poll_interval_ms": 0, "jit": "off"})
    figures = {
        "queue": lambda: queue(cluster, args.rows),
        "bulk": lambda: bulk(cluster, args.rows),
        "drain": lambda: drain(cluster, args.rows),
        "single": lambda: single(cluster, args.single),
    }
    times = {(name, on): [] for name in figures for on in (False, True)}
    try:
        cluster.init().start()
        cluster.psql("CREATE EXTENSION sms_api")
        fill(cluster, args.rows)
        for on in (False, True):                        # warm every path
            enforce(cluster, on)
            queue(cluster, 10000)
            bulk(cluster, 10000)
            drain(cluster, 10000)
            single(cluster, 200)
        for i in range(args.rounds):
            for name, run in figures.items():
                for on in ((False, True) if i % 2 == 0 else (True, False)):
                    enforce(cluster, on)
                    times[(name, on)].append(run())
            print("round %d: " % (i + 1) + ", ".join(
                "%s %.3f s off / %.3f s on" % (name, times[(name, False)][-1], times[(name, True)][-1])
                for name in figures), flush=True)
        for name in figures:
            ratio = statistics.median(off / on for off, on in zip(times[(name, False)], times[(name, True)]))
            count = args.single if name == "single" else args.rows
            print("%-6s %d messages, opt_out of %d rows: median ratio off/on = %.2fx (target >= 0.90x)"
                  % (name, count, args.rows, ratio))
    finally:
        cluster.stop()
        sim.stop()
        harness.subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
