#!/usr/bin/env python3
"""Routed queueing against queueing with a provider named, in one run.

A throwaway cluster (test/harness.py, the simulator beside it) with a
route table of three prefixes and a default. Each round queues 100,000
rows with one INSERT ... SELECT sms_api.sms_queue(...) inside a
transaction that is rolled back (nothing is sent; the rows are written at
the end of the statement, as in real use), once routed and once with
provider => 'sinch', alternating so that the machine's noise falls on
both. Prints each round's seconds and the median ratio explicit/routed
(1.0 = routing costs nothing; the target is >= 0.9).

    python3 bench/route.py [--rows 100000] [--rounds 5]
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test"))
import harness  # noqa: E402

TIMED = """
DO $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM count(sms_api.sms_queue('55' || lpad((g %% 1000000000)::text, 11, '0'), 'bench %%s' %s))
     FROM generate_series(1, %d) g;
  RAISE NOTICE 'took %%', extract(epoch FROM clock_timestamp() - t0);
  RAISE EXCEPTION 'rolled back';
EXCEPTION WHEN raise_exception THEN NULL;
END $$;
"""


def timed(cluster, extra, rows):
    rc, out, err = cluster.psql(TIMED.replace("'bench %%s'", "'bench'") % (extra, rows), check=True)
    m = re.search(r"took ([0-9.]+)", err)
    if not m:
        raise RuntimeError("no timing in: %s" % err)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root, sim, cluster = harness.simulator_and_cluster("sms_api_bench_route.", {
        "sms_api.status_poll_interval_ms": 0, "jit": "off"})
    try:
        cluster.init().start()
        cluster.psql("CREATE EXTENSION sms_api")
        cluster.psql("INSERT INTO sms_api.route VALUES ('55', '{sinch,directcall}'), "
                     "('5541', '{directcall,sinch}'), ('502', '{reach}'), ('', '{sinch}')")
        timed(cluster, "", 10000)                       # warm both paths
        timed(cluster, ", provider => 'sinch'", 10000)
        routed, named = [], []
        for i in range(args.rounds):
            routed.append(timed(cluster, "", args.rows))
            named.append(timed(cluster, ", provider => 'sinch'", args.rows))
            print("round %d: routed %.3f s, provider named %.3f s" % (i + 1, routed[-1], named[-1]))
        ratio = statistics.median(n / r for n, r in zip(named, routed))
        print("routed queueing: %d rows, median ratio named/routed = %.2fx (target >= 0.90x)"
              % (args.rows, ratio))
    finally:
        cluster.stop()
        sim.stop()
        harness.subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
