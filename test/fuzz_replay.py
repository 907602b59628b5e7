"""Fuzz regressions in the suite: each libFuzzer target (test/fuzz/) replays
its seed corpus and every crash input found and fixed so far
(test/fuzz/regressions/TARGET/), once each, under AddressSanitizer and
UBSan; a crash, a leak or a sanitizer report fails that target's test."""
import os
import shutil
import subprocess
import tempfile

import harness

FUZZ = os.path.join(harness.REPO, "test", "fuzz")


def count_inputs(*dirs):
    return sum(len(os.listdir(d)) for d in dirs if os.path.isdir(d))


def run_fuzz_replay(results, only):
    try:
        subprocess.run(["nice", "make", "-s", "-j2", "-C", FUZZ], check=True, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except subprocess.CalledProcessError as e:
        results.fail("fuzz/build", "make -C test/fuzz failed:\n" + e.stdout)
        return
    targets = subprocess.check_output(["make", "-s", "-C", FUZZ, "list"], text=True).split()
    work = tempfile.mkdtemp(prefix="sms_api-fuzz-replay.")
    try:
        for t in targets:
            if only and t not in only:
                continue
            name = "fuzz/" + t
            n = count_inputs(os.path.join(FUZZ, "corpus", t), os.path.join(FUZZ, "regressions", t))
            if n == 0:
                results.fail(name, "no seed or regression input to replay")
                continue
            p = subprocess.run([os.path.join(FUZZ, "run.sh"), "--replay", t], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=dict(os.environ, FUZZ_WORK=work))
            log = os.path.join(work, t + ".log")
            if p.returncode != 0:
                report = open(log).read()[-3000:] if os.path.exists(log) else p.stdout
                results.fail(name, "a report replaying %d inputs:\n%s" % (n, report))
            else:
                results.ok("%s (%d inputs replayed)" % (name, n))
    finally:
        shutil.rmtree(work, ignore_errors=True)
