#!/usr/bin/env python3
"""make installcheck's pg_regress, wrapped (see the Makefile): the suites
need the API simulator and a server configured for it, preloading sms_api,
whose worker serves database "regression". So this starts the simulator
and a throwaway cluster of the installed PostgreSQL (pg_config's, with the
installed extension), runs the pg_regress command it was given against that
cluster, and stops both.

    python3 test/installcheck.py PG_REGRESS [OPTION ...] SUITE ...

pg_regress writes results/, regression.out and regression.diffs in the
current directory, as for any PGXS installcheck. Exits with pg_regress's
status.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    cmd = sys.argv[1:]
    if not cmd:
        sys.exit(__doc__)
    root, sim, cluster = harness.simulator_and_cluster("sms_api_installcheck.",
                                                       harness.SUITE_SETTINGS)
    rc = 1
    try:
        cluster.init().start()
        cluster.psql("CREATE DATABASE regression TEMPLATE template0")
        print("installcheck: PostgreSQL from %s, simulator at %s" % (cluster.bindir, sim.http),
              flush=True)
        rc = subprocess.run(cmd + ["--host=" + cluster.root, "--port=%d" % cluster.port,
                                   "--user=postgres"],
                            env=harness.regress_env(sim, root)).returncode
    finally:
        cluster.stop()
        sim.stop()
        if rc == 0:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("kept %s (server.log, simulator.log)" % root)
    sys.exit(rc)


if __name__ == "__main__":
    main()
