#!/usr/bin/env python3
"""Group the errors in valgrind logs (one file per process) by stack.
Usage: report.py LOGDIR [--all]   (--all: also those not involving sms_api)"""
import collections
import glob
import os
import re
import sys

SMS = re.compile(r"sms_api\.so|\((?:http|api|json|json_answer|validate|send|bulk|query|store|"
                 r"worker|drain|outbox|trigger|ingest|admin|shmem|guc|ratelimit|srf|sms_api|"
                 r"credential|route|optout|optout_keyword|datum|jsonc|scrub|backoff|registry|"
                 r"directcall_[a-z]+|reach_[a-z]+|sinch_[a-z]+)\.c:")
FRAME = re.compile(r"^\s+(?:at|by) 0x[0-9A-F]+: (.*)$")


def blocks(path):
    cur = []
    for line in open(path, errors="replace"):
        m = re.match(r"^==\d+== ?(.*)$", line.rstrip("\n"))
        if not m:
            continue            # suppression text
        text = m.group(1)
        if text == "":
            if cur:
                yield cur
            cur = []
        else:
            cur.append(text)
    if cur:
        yield cur


def main():
    d = sys.argv[1]
    show_all = "--all" in sys.argv
    groups = collections.OrderedDict()
    nlogs = 0
    for path in sorted(glob.glob(os.path.join(d, "*.log"))):
        nlogs += 1
        pid = os.path.basename(path)[:-4]
        for b in blocks(path):
            frames = [FRAME.match(l).group(1) for l in b if FRAME.match(l)]
            if not frames:
                continue
            kind = re.sub(r"^[\d,]+ (\(.*?\) )?bytes in [\d,]+ blocks are ", "", b[0])
            kind = re.sub(r" in loss record.*", "", kind)
            kind = re.sub(r"of size \d+", "of size N", kind)
            key = (kind, tuple(re.sub(r"0x[0-9A-F]+", "", f) for f in frames))
            g = groups.setdefault(key, {"n": 0, "pids": set(), "text": b,
                                        "sms": any(SMS.search(l) for l in b)})
            g["n"] += 1
            g["pids"].add(pid)
    sms = [g for g in groups.values() if g["sms"]]
    other = [g for g in groups.values() if not g["sms"]]
    print("%d logs, %d distinct errors involving sms_api, %d others"
          % (nlogs, len(sms), len(other)))
    for g in sms + (other if show_all else []):
        print("\n--- %s x%d in %d processes (e.g. %s.log)" % (
            "SMS_API" if g["sms"] else "other", g["n"], len(g["pids"]), sorted(g["pids"])[0]))
        print("\n".join(g["text"]))


if __name__ == "__main__":
    main()
