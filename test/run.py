#!/usr/bin/env python3
"""The whole test suite: pg_regress suites against a throwaway cluster and
the API simulator, driver tests that pg_regress cannot express (cancel,
statement_timeout, the server log, a cluster without preloading), and the
simulator's fidelity suite (Node, with a third-party client of the API).

Ends with the line "N passed, M failed" and exits non-zero on any failure.
Usage: python3 test/run.py [--keep] [--only regress,driver,fidelity] [TEST ...]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

REPO = harness.REPO


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def ok(self, name):
        self.passed += 1
        print("ok     %s" % name, flush=True)

    def fail(self, name, why):
        self.failed.append(name)
        print("FAILED %s: %s" % (name, why), flush=True)


def sim_control(sim, path, payload=None):
    """GET the control path, or POST payload to it."""
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(sim.http + path, data=data,
                                 method="GET" if data is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


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
    cmd = [pg_regress, "--inputdir=" + REPO, "--outputdir=" + outdir,
           "--bindir=" + harness.pg_bindir(), "--host=" + cluster.root,
           "--port=%d" % cluster.port, "--user=postgres",
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


def wait_for_requests(sim, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(sim_control(sim, "/_sim/requests")) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the simulator never received the request")


def psql_nostop_of(cluster, db):
    """psql reading a script from stdin, going on after errors."""
    return [a for a in cluster.psql_cmd(db) if a not in ("-v", "ON_ERROR_STOP=1")]


def psql_nostop(ctx):
    return psql_nostop_of(ctx.cluster, "regression")


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
def token_never_in_server_log(ctx):
    log = ctx.cluster.server_log()
    assert ctx.sim.token not in log, "the token appears in the server log"
    assert "authenticationtoken:" not in log.lower(), "a header line reached the server log"


def run_driver(ctx, results, only):
    for fn in DRIVER_TESTS:
        name = "driver/" + fn.__name__
        if only and fn.__name__ not in only:
            continue
        try:
            fn(ctx)
            results.ok(name)
        except Exception as e:  # any failure is this test's failure
            results.fail(name, "%s: %s" % (type(e).__name__, e))


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
                results.fail("fidelity/" + n, "see output above")
        sys.stdout.write(p.stdout[-8000:])
    if p.returncode != 0 and not (failed and int(failed.group(1)) > 0):
        results.fail("fidelity", "node exited %d" % p.returncode)


class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--only", default="regress,driver,fidelity")
    ap.add_argument("tests", nargs="*", help="run only these regress or driver tests")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    only = set(args.tests)
    results = Results()

    root = harness.make_workdir("sms_api_test.")
    sim = harness.Simulator(root).start()
    token_file = os.path.join(root, "token")
    harness.write_secret(token_file, sim.token)
    cluster = harness.Cluster(root, {
        "sms_api.base_url": sim.http,
        "sms_api.username": sim.username,
        "sms_api.token_file": token_file,
        "log_min_messages": "debug1",
        "log_min_error_statement": "debug1",
    })
    ctx = Ctx()
    ctx.sim, ctx.cluster = sim, cluster
    try:
        cluster.init().start()
        env = dict(os.environ, SIM_URL=sim.http, SIM_HTTPS=sim.https, SIM_CA=sim.ca,
                   SIM_OTHER_CA=os.path.join(sim.certs, "other-ca.pem"),
                   SIM_STATE_DIR=root, TEST_ROOT=root, PGTZ="UTC")
        if "regress" in parts:
            run_regress(cluster, sim, env, results, only)
        if "driver" in parts:
            run_driver(ctx, results, only)
        if "fidelity" in parts and not only:
            run_fidelity(results)
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
