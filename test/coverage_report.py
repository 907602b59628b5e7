#!/usr/bin/env python3
"""Line and branch coverage per file of src/, and the total, from the .gcda
files a --coverage build's test run left (test/coverage.sh).
Usage: coverage_report.py BUILD_DIR [--fail-under PERCENT] (default 85: the
README's target for lines; exit 1 below it)."""
import argparse
import json
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--fail-under", type=float, default=85.0)
    args = ap.parse_args()
    root = os.path.abspath(args.build)
    # branches PostgreSQL's macros add that no input can take (e.g. the
    # unlikely() of elog's level checks) are left out when gcc marks them
    out = subprocess.check_output(
        ["gcovr", "-r", root, "--filter", os.path.join(root, "src") + "/",
         "--exclude-unreachable-branches", "--json-summary", "-"], cwd=root, text=True)
    summary = json.loads(out)
    rows = sorted(summary["files"], key=lambda f: f["filename"])
    width = max(len(f["filename"]) for f in rows + [{"filename": "file"}])

    def pct(covered, total):
        return "%6.1f %%" % (100.0 * covered / total) if total else "     -  "

    print("%-*s %14s %8s %16s %8s" % (width, "file", "lines", "", "branches", ""))
    for f in rows:
        print("%-*s %6d / %-6d %s %7d / %-6d %s" % (
            width, f["filename"], f["line_covered"], f["line_total"],
            pct(f["line_covered"], f["line_total"]), f["branch_covered"],
            f["branch_total"], pct(f["branch_covered"], f["branch_total"])))
    lines = 100.0 * summary["line_covered"] / summary["line_total"]
    print("%-*s %6d / %-6d %s %7d / %-6d %s" % (
        width, "TOTAL", summary["line_covered"], summary["line_total"],
        pct(summary["line_covered"], summary["line_total"]), summary["branch_covered"],
        summary["branch_total"], pct(summary["branch_covered"], summary["branch_total"])))
    if lines < args.fail_under:
        print("line coverage %.1f %% is under %.0f %%" % (lines, args.fail_under))
        sys.exit(1)


if __name__ == "__main__":
    main()
