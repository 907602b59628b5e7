#!/usr/bin/env python3
"""Queueing with distinct dedupe keys against queueing without keys, in one run.

A throwaway cluster (test/harness.py, the simulator beside it). Each round
queues 100,000 rows with one SELECT count(sms_api.sms_queue(...)) FROM
generate_series(...) in one session, in a transaction that is rolled back
(nothing is sent; the rows are written at the end of the statement, as in
real use), once with dedupe_key => 'order-<round>-<n>' (distinct keys,
none queued before) and once without a key, alternating so that the
machine's noise falls on both, with a VACUUM of the outbox before each.
Prints each round's seconds, wall clock and the backend's CPU time (from
/proc: on a shared machine the wall clock also counts the others), and
the median ratios unkeyed/keyed (1.0 = keys cost nothing; the target is
>= 0.8).

The same rounds time plain SQL beside it, into bench_outbox, a copy of
the outbox with its indexes (the unique partial index on dedupe_key
among them): an INSERT ... SELECT of the same 100,000 rows without keys,
with distinct keys, and with distinct keys ON CONFLICT (dedupe_key) DO
NOTHING, the idempotent insert plain SQL has. What those cost against
the keyless INSERT is what PostgreSQL itself charges for a unique key.

    test/private_pg.sh python3 bench/dedupe.py [--rows 100000] [--rounds 5]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test"))
import harness  # noqa: E402

TIMED = ("SELECT count(sms_api.sms_queue('55' || lpad((g %% 1000000000)::text, 11, '0'), "
         "'bench'%s)) FROM generate_series(1, %d) g")


class Session(harness.Session):
    """One psql process: one backend, whose CPU time /proc tells."""

    def __init__(self, cluster):
        super().__init__(cluster)
        self.pid = int(self.query("SELECT pg_backend_pid()"))

    def cpu(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cluster, s, extra, rows):
    """(wall s, backend CPU s) of queueing rows in a transaction rolled back."""
    cluster.psql("VACUUM sms_api.outbox", check=True)
    s.query("BEGIN")
    c0, t0 = s.cpu(), time.time()
    n = s.query(TIMED % (extra, rows))
    t1, c1 = time.time(), s.cpu()
    s.query("ROLLBACK")
    if n != str(rows):
        raise RuntimeError("queued %r rows, not %d" % (n, rows))
    return t1 - t0, c1 - c0


SQL = ("INSERT INTO bench_outbox (id, destination, message_text, provider%s) "
       "SELECT g, '55' || lpad((g %% 1000000000)::text, 11, '0'), 'bench', 'sinch'%s "
       "FROM generate_series(1, %d) g%s")


def timed_sql(cluster, s, key, on_conflict, rows):
    """Backend CPU s of the plain-SQL INSERT, in a transaction rolled back."""
    cluster.psql("VACUUM bench_outbox", check=True)
    s.query("BEGIN")
    c0 = s.cpu()
    s.query(SQL % (", dedupe_key" if key else "", (", 'order-%d-' || g" % key) if key else "", rows,
                   " ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING"
                   if on_conflict else ""))
    c1 = s.cpu()
    s.query("ROLLBACK")
    return c1 - c0


def keyed(round_no):
    return ", dedupe_key => 'order-%d-' || g" % round_no


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    root, sim, cluster = harness.simulator_and_cluster("sms_api_bench_dedupe.", {
        "sms_api.status_poll_interval_ms": 0, "jit": "off"})
    try:
        cluster.init().start()
        cluster.psql("CREATE EXTENSION sms_api")
        cluster.psql("CREATE TABLE bench_outbox (LIKE sms_api.outbox INCLUDING ALL)", check=True)
        s = Session(cluster)
        timed(cluster, s, "", 10000)                    # warm both paths
        timed(cluster, s, keyed(0), 10000)
        plain, with_keys = [], []
        sql_plain, sql_keyed, sql_conflict = [], [], []
        for i in range(1, args.rounds + 1):
            with_keys.append(timed(cluster, s, keyed(i), args.rows))
            plain.append(timed(cluster, s, "", args.rows))
            sql_plain.append(timed_sql(cluster, s, None, False, args.rows))
            sql_keyed.append(timed_sql(cluster, s, i, False, args.rows))
            sql_conflict.append(timed_sql(cluster, s, i, True, args.rows))
            print("round %d: distinct keys %.3f s (CPU %.2f s), no key %.3f s (CPU %.2f s); "
                  "plain SQL CPU: no key %.2f s, keys %.2f s, keys ON CONFLICT %.2f s"
                  % ((i,) + with_keys[-1] + plain[-1]
                     + (sql_plain[-1], sql_keyed[-1], sql_conflict[-1])), flush=True)
        s.close()
        wall = statistics.median(p[0] / k[0] for p, k in zip(plain, with_keys))
        cpu = statistics.median(p[1] / k[1] for p, k in zip(plain, with_keys))
        print("queueing with dedupe keys: %d rows, median ratio no-key/keyed = %.2fx wall clock, "
              "%.2fx backend CPU (target >= 0.80x)" % (args.rows, wall, cpu))
        print("plain SQL, same rounds (backend CPU): INSERT with unique keys %.2fx, "
              "INSERT ... ON CONFLICT DO NOTHING %.2fx of the INSERT without keys"
              % (statistics.median(p / k for p, k in zip(sql_plain, sql_keyed)),
                 statistics.median(p / k for p, k in zip(sql_plain, sql_conflict))))
    finally:
        cluster.stop()
        sim.stop()
        harness.subprocess.run(["rm", "-rf", root])


if __name__ == "__main__":
    main()
