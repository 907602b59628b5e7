#!/usr/bin/env python3
"""Sort AddressSanitizer, LeakSanitizer and UBSan reports (one log file per
process, see run.sh): every invalid access and every UB report counts (only
sms_api.so is instrumented for UB; an invalid access the interceptors see
in PostgreSQL's or a library's code is a real one too), a leak counts when
its allocating stack involves sms_api code. Prints those that count,
grouped by stack, and exits 1 if there is any.
Usage: report.py LOGDIR [--all]   (--all: print the others too)"""
import collections
import glob
import os
import re
import sys

# a frame in sms_api.so, or in one of its source files
SMS = re.compile(r"sms_api\.so|\bsrc/(?:core|http|providers)/\S+\.c:\d+")
FRAME = re.compile(r"^\s+#\d+ 0x[0-9a-f]+ (.*)$")
START = re.compile(r"^==\d+==ERROR: (?!LeakSanitizer)|"
                   r"^\S+:\d+:\d+: runtime error: |"
                   r"^(?:Direct|Indirect) leak of ")


def reports(path):
    """Each report in a log: its lines, from its first line to the next
    report, a leak summary or the end."""
    cur = None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if START.match(line):
            if cur:
                yield cur
            cur = [line]
        elif cur is not None:
            if line.startswith("SUMMARY: ") or "ERROR: LeakSanitizer" in line:
                yield cur
                cur = None
            else:
                cur.append(line)
    if cur:
        yield cur


def kind(first):
    first = re.sub(r"^==\d+==ERROR: ", "", first)
    first = re.sub(r" on address 0x[0-9a-f]+.*", "", first)
    first = re.sub(r"^\S+:\d+:\d+: ", "", first)
    return re.sub(r"\d+ byte\(s\) in \d+ object\(s\)", "N bytes", first)


def main():
    d = sys.argv[1]
    show_all = "--all" in sys.argv
    groups = collections.OrderedDict()
    logs = sorted(glob.glob(os.path.join(d, "asan.*")) + glob.glob(os.path.join(d, "ubsan.*")))
    for path in logs:
        for r in reports(path):
            frames = [FRAME.match(l).group(1) for l in r if FRAME.match(l)]
            key = (kind(r[0]), tuple(re.sub(r"0x[0-9a-f]+", "", f) for f in frames[:12]))
            g = groups.setdefault(key, {"n": 0, "logs": set(), "text": r,
                                        "counts": any(SMS.search(l) for l in r)
                                        or "leak of" not in r[0]})
            g["n"] += 1
            g["logs"].add(os.path.basename(path))
    counts = [g for g in groups.values() if g["counts"]]
    other = [g for g in groups.values() if not g["counts"]]
    print("sanitizers: %d logs, %d distinct reports that count, %d leaks of others (%s)"
          % (len(logs), len(counts), len(other), d))
    for g in counts + (other if show_all else []):
        print("\n--- %s x%d in %d processes (e.g. %s)" % (
            "COUNTS" if g["counts"] else "other", g["n"], len(g["logs"]), sorted(g["logs"])[0]))
        print("\n".join(g["text"]))
    sys.exit(1 if counts else 0)


if __name__ == "__main__":
    main()
