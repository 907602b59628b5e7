#!/usr/bin/env python3
"""README's fault table names a test in every cell: check that each named
test exists, so the table cannot rot.

A cell names `suite: text` (a line of sql/suite.sql containing text, the
suite listed in test/schedule) or `driver: name` (a driver test registered
in test/run.py), or starts with "impossible" and says why. run.py runs
check() as a driver test; alone: python3 test/faults_table.py
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = re.compile(r"`(\w+): ([^`]+)`")


def table_rows(readme):
    """The data rows of the table under '## Faults', as lists of cells."""
    section = readme.split("\n## Faults\n", 1)
    if len(section) < 2:
        return None
    body = section[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in rows[2:]]


def check(driver_names):
    """A list of problems (empty: every cell names tests that exist)."""
    with open(os.path.join(REPO, "README.md")) as f:
        rows = table_rows(f.read())
    if not rows:
        return ["README has no '## Faults' table"]
    with open(os.path.join(REPO, "test", "schedule")) as f:
        scheduled = {t for line in f if line.startswith("test:") for t in line.split()[1:]}
    header_cols = 7
    problems = []
    for row in rows:
        if len(row) != header_cols:
            problems.append("row %r has %d cells, not %d" % (row[0], len(row), header_cols))
            continue
        for col, cell in enumerate(row[1:], 1):
            refs = REF.findall(cell)
            if not refs and not cell.startswith("impossible"):
                problems.append("%s, column %d: names no test" % (row[0], col))
            for suite, text in refs:
                if suite == "driver":
                    if text not in driver_names:
                        problems.append("%s: no driver test %s" % (row[0], text))
                    continue
                path = os.path.join(REPO, "sql", suite + ".sql")
                if suite not in scheduled or not os.path.exists(path):
                    problems.append("%s: no regress suite %s in test/schedule" % (row[0], suite))
                    continue
                with open(path) as f:
                    sql = f.read()
                needle = ("-- fault: " + text) if suite == "faults" else text
                if needle not in sql:
                    problems.append("%s: sql/%s.sql has no %r" % (row[0], suite, needle))
    return problems


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run  # noqa: E402
    found = check({fn.__name__ for fn in run.DRIVER_TESTS})
    for p in found:
        print(p)
    print("%d problems" % len(found))
    sys.exit(1 if found else 0)
