#!/usr/bin/env python3
"""test/run.py with every PostgreSQL process (postmaster, backends, the
sms_api worker) under valgrind memcheck; see run.sh.  Tracked files are
untouched: harness.Cluster.start/stop are patched to give pg_ctl a postgres
wrapper (pg_ctl -p) and longer waits.

Environment: VG_LOGS (log dir, one file per pid), VG_POSTGRES (the postgres
binary, e.g. run.sh's private copy), VG_EXTRA (more valgrind options, e.g.
-s), VALGRIND=0 (a plain run, same isolation), VG_TIME_SCALE (stretch the
driver tests' own clock: sleeps x N, measured durations / N; default 1).
"""
import os
import shutil
import sys
import tempfile
import time as _time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402
import run  # noqa: E402

LOGS = os.path.abspath(os.environ.get("VG_LOGS", "/tmp/vg/logs"))
WORK = tempfile.mkdtemp(prefix="vgwork.", dir=os.path.dirname(LOGS))
os.chmod(WORK, 0o755)
os.makedirs(LOGS, exist_ok=True)
harness.chown_to_server(LOGS)

VALGRIND = ["valgrind", "--tool=memcheck", "--trace-children=yes",
            "--child-silent-after-fork=no", "--error-limit=no",
            "--num-callers=40", "--track-origins=yes",
            "--leak-check=full", "--show-leak-kinds=definite,possible",
            "--errors-for-leak-kinds=definite", "--gen-suppressions=all",
            "--suppressions=" + os.path.join(HERE, "postgres.supp"),
            "--log-file=" + os.path.join(LOGS, "%p.log")] + \
    os.environ.get("VG_EXTRA", "").split()
wrapper = os.path.join(WORK, "postgres-vg.sh")
with open(wrapper, "w") as f:
    f.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (
        " ".join(VALGRIND), os.environ.get("VG_POSTGRES") or
        os.path.join(harness.pg_bindir(), "postgres")))
os.chmod(wrapper, 0o755)


def start(self):
    extra = ["-p", wrapper] if os.environ.get("VALGRIND", "1") != "0" else []
    self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l",
               self.logfile, "-w", "-t", "600"] + extra + ["start"])
    return self


def stop(self):
    if os.path.exists(os.path.join(self.data, "postmaster.pid")):
        harness.subprocess.run(harness.as_server_user() + [
            os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
            "-m", "fast", "-w", "-t", "600", "stop"])


def make_workdir(prefix):   # keep clear of anyone cleaning /tmp/sms_api_test.*
    root = tempfile.mkdtemp(prefix=prefix, dir=WORK)
    os.chmod(root, 0o755)
    harness.chown_to_server(root)
    return root


class SlowTime:
    def __init__(self, n):
        self.n, self.t0 = n, _time.time()

    def time(self):
        return self.t0 + (_time.time() - self.t0) / self.n

    def sleep(self, s):
        _time.sleep(s * self.n)

    def __getattr__(self, name):
        return getattr(_time, name)


def installed():   # another make install during the run would mix builds
    if os.environ.get("VG_POSTGRES"):
        return None    # run.sh's private copy
    st = os.stat(os.path.join(harness.subprocess.check_output(
        ["pg_config", "--pkglibdir"], text=True).strip(), "sms_api.so"))
    return st.st_ino, st.st_mtime_ns


harness.Cluster.start, harness.Cluster.stop = start, stop
harness.make_workdir = make_workdir
scale = float(os.environ.get("VG_TIME_SCALE", "1"))
if scale != 1:
    for module in ("run", "driverlib", "driver_outbox", "driver_backup", "driver_dedupe", "driver_databases"):
        sys.modules[module].time = SlowTime(scale)
before = installed()
try:
    run.main()
except SystemExit as e:
    if installed() != before:
        print("WARNING: sms_api.so was reinstalled during the run; run again")
    if e.code == 0 and "--keep" not in sys.argv:
        shutil.rmtree(WORK, ignore_errors=True)
    raise
