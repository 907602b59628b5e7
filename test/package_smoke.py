#!/usr/bin/env python3
"""The smoke test of an installed package (test/package.sh runs it): a
throwaway cluster of the system's PostgreSQL, as the postgres OS user,
preloading sms_api from the package, next to the API simulator; then
CREATE EXTENSION, one sms_send that reaches the simulator, and the worker
running: worker_status answers and a queued message goes out.

Prints each check; exits 1 at the first that fails.
"""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import meta_check  # noqa: E402


def check(what, ok, detail=""):
    print("%s %s%s" % ("ok    " if ok else "FAILED", what, (": " + detail) if detail else ""),
          flush=True)
    if not ok:
        raise SystemExit(1)


def wait(cluster, db, query, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cluster.psql(query, db=db)[1] == "t":
            return True
        time.sleep(0.1)
    return False


def main():
    os.environ.pop("SMS_API_PG_BINDIR", None)   # the system's PostgreSQL, nothing private
    version = meta_check.makefile_version()
    root, sim, cluster = harness.simulator_and_cluster("sms_api_package.",
                                                       {"sms_api.database": "smoke"})
    try:
        cluster.init().start()
        preload = cluster.psql("SHOW shared_preload_libraries")[1]
        check("a cluster of %s preloading sms_api" % cluster.bindir, preload == "sms_api", preload)
        cluster.psql("CREATE DATABASE smoke TEMPLATE template0")
        cluster.psql("CREATE EXTENSION sms_api", db="smoke")
        v = cluster.psql("SELECT extversion FROM pg_extension WHERE extname = 'sms_api'", db="smoke")[1]
        check("CREATE EXTENSION sms_api", v == version, "version %s (the Makefile's: %s)" % (v, version))

        harness.sim_control(sim, "/_sim/reset", {})
        sent = cluster.psql("SELECT id IS NOT NULL AND error IS NULL FROM "
                            "sms_api.sms_send('5511900000001', 'from the package')", db="smoke")[1]
        got = [r for r in harness.sim_control(sim, "/_sim/requests") if r["path"] == "/v1/send-sms"]
        check("sms_send reaches the simulator", sent == "t" and len(got) == 1,
              "%d request(s) to /v1/send-sms" % len(got))

        running = wait(cluster, "smoke", "SELECT state NOT LIKE 'waiting%' AND state <> 'starting' "
                                         "FROM sms_api.worker_status")
        state = cluster.psql("SELECT state FROM sms_api.worker_status", db="smoke")[1]
        check("the worker runs (worker_status)", running, "state %r" % state)
        queued = cluster.psql("SELECT sms_api.sms_queue('5511900000002', 'queued')", db="smoke")[1]
        drained = wait(cluster, "smoke", "SELECT state = 'sent' FROM sms_api.outbox WHERE id = %s" % queued)
        check("the worker sends a queued message", drained)
    finally:
        cluster.stop()
        sim.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
