#!/usr/bin/env python3
"""Every error README documents is reached by a test.

Reads README's tables (section "Errors" by SQLSTATE, "Reach answers" by
answer, and the SQLSTATEs named in "Validation") and checks each row
against EVIDENCE: a pg_regress suite whose expected output shows the
SQLSTATE within a few lines after the given text (a comment or statement
of the suite), or a driver test whose source asserts it. A row without
evidence, or evidence that no longer holds, fails; run.py counts this as a
driver test (every_documented_error_is_reached).
Usage: python3 test/error_table.py   (prints each row and its tests)
"""
import inspect
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# row -> [(suite, text in its expected output, SQLSTATE shown after it)],
# or ("driver", test function, SQLSTATE its source asserts)
EVIDENCE = {
    ("Errors", "22023"): [("validation", "-- destination: NULL (22004)", "22023"),
                          ("bulk", "sms_send_bulk", "22023")],
    ("Errors", "22001"): [("validation", "-- correlation_id over 64", "22001")],
    ("Errors", "22004"): [("validation", "-- destination: NULL (22004)", "22004")],
    ("Errors", "25006"): [("driver", "standby_refuses_before_the_network", "25006"),
                          ("reach", "-- a read-only transaction refuses before the network", "25006")],
    ("Errors", "55000"): [("driver", "not_preloaded_raises_55000", "55000"),
                          ("settings", "-- missing settings", "55000"),
                          ("outbox", "-- another database: the worker does not serve it", "55000")],
    ("Errors", "28000"): [("error_paths", "-- Sinch refusing the credentials (401)", "28000"),
                          ("errors", "--status 403", "28000"),
                          ("ingest", "-- a webhook secret", "28000")],
    ("Errors", "53400"): [("errors", "-- 429 every time: 53400", "53400")],
    ("Errors", "SM001"): [("errors", "-- the API rejected the request (400", "SM001")],
    ("Errors", "SM002"): [("errors", "-- 500 is unavailable (SM003)", "SM002"),
                          ("errors", "-- the request went out but no answer came", "SM002")],
    ("Errors", "SM003"): [("errors", "-- 503 three times: retries exhausted", "SM003"),
                          ("errors", "-- 500 is unavailable (SM003)", "SM003"),
                          ("errors", "-- nothing listens: SM003", "SM003"),
                          ("error_paths", "-- a host name that does not resolve", "SM003"),
                          ("tls", "-- the test CA is not a system CA", "SM003")],
    ("Errors", "SM004"): [("errors", "-- answers that are not usable: SM004", "SM004"),
                          ("errors", "-- a redirect is never followed", "SM004"),
                          ("errors", "-- an answer over max_response_bytes", "SM004")],
    ("Errors", "SM005"): [("optout", "-- every provider's single send raises SM005", "SM005")],
    ("Errors", "57014"): [("driver", "cancel_stops_hung_request", "57014"),
                          ("driver", "statement_timeout_stops_hung_request", "57014")],
    ("Reach answers", "code `42900`"): [("reach", "-- rate limited (code 42900", "53400")],
    ("Reach answers", "code `40301`"): [("reach", "-- the quota used up (40301)", "SM001")],
    ("Reach answers", "401, 403"): [("reach", "-- a refused key or signature: 28000", "28000")],
    ("Reach answers", "404"): [("error_paths", "-- Reach answering 404", "SM001")],
    ("Reach answers", "other 4xx"): [("reach", "-- a validation refusal by the API", "SM001")],
    ("Reach answers", "500, 503"): [("reach", "-- unavailable (503 three times)", "SM003")],
    ("Reach answers", "other 5xx"): [("reach", "\\echo :LAST_ERROR_SQLSTATE\nSM003\n\\! test/simctl fault hang", "SM002")],
    ("Reach answers", "2xx that is not a Message"): [("reach", "-- malformed answers: SM004", "SM004")],
    ("Validation", "22023"): [("validation", "-- options: values of the wrong JSON type", "22023")],
    ("Validation", "22001"): [("validation", "-- every text that goes into a request has a limit", "22001")],
    ("Validation", "22004"): [("validation", "-- message_text: NULL without a template (22004)", "22004")],
}

# how far after the text the SQLSTATE may come, in lines of output
REACH = 40


def section(readme, title):
    m = re.search(r"^#+ %s\n(.*?)(?=^#+ )" % re.escape(title), readme, re.M | re.S)
    if not m:
        raise AssertionError("README has no section %r" % title)
    return m.group(1)


def documented_rows(readme):
    """The README's rows: (table, key) in README order."""
    rows = []
    for line in section(readme, "Errors").splitlines():
        m = re.match(r"^\| `([0-9A-Z]{5})` \|", line)
        if m:
            rows.append(("Errors", m.group(1)))
    for line in section(readme, "Reach answers").splitlines():
        if line.startswith("| ") and not line.startswith("| Reach answer") \
                and not line.startswith("|---"):
            cell = line.split("|")[1].strip()
            key = next((k for t, k in EVIDENCE if t == "Reach answers" and cell.startswith(k)),
                       cell)
            rows.append(("Reach answers", key))
    for code in sorted(set(re.findall(r"`(22\d{3}|[0-9A-Z]{2}\d{3})`",
                                      section(readme, "Validation")))):
        rows.append(("Validation", code))
    return rows


def reached(evidence, driver_tests):
    """Why this evidence does not hold, or None."""
    kind, where, code = evidence
    if kind == "driver":
        fn = driver_tests.get(where)
        if fn is None:
            return "no driver test %s" % where
        if code not in inspect.getsource(fn):
            return "driver test %s does not assert %s" % (where, code)
        return None
    path = os.path.join(REPO, "expected", kind + ".out")
    with open(path) as f:
        out = f.read()
    at = out.find(where)
    if at < 0:
        return "%s not in expected/%s.out" % (where.splitlines()[0], kind)
    after = out[at + len(where):].splitlines()[:REACH]
    shows = re.compile(r"^(?:ERROR:  |\s*)?%s(?::|$)" % code)
    if not any(shows.match(line) for line in after):
        return "expected/%s.out shows no %s within %d lines of %r" % (
            kind, code, REACH, where.splitlines()[0])
    return None


def check(driver_tests):
    """Problems (empty when every documented error is reached), and the
    report lines."""
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    problems, report = [], []
    rows = documented_rows(readme)
    for row in rows:
        evidence = EVIDENCE.get(row)
        if not evidence:
            problems.append("%s %r: no test reaches it (add one to test/error_table.py)" % row)
            continue
        for e in evidence:
            why = reached(e, driver_tests)
            if why:
                problems.append("%s %r: %s" % (row[0], row[1], why))
        report.append("%-14s %-28s %s" % (row[0], row[1], ", ".join(
            "%s/%s" % (("driver", e[1]) if e[0] == "driver" else ("regress", e[0]))
            for e in evidence)))
    for row in EVIDENCE:
        if row not in rows:
            problems.append("%s %r: listed here, not in README" % row)
    return problems, report


def main():
    sys.path.insert(0, HERE)
    import run
    problems, report = check({fn.__name__: fn for fn in run.DRIVER_TESTS})
    print("\n".join(report))
    for p in problems:
        print("MISSING " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
