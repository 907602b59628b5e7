#!/usr/bin/env python3
"""Driver tests for backups, standbys and the 0.1.0 -> 0.2.0 update.

Each test takes `ctx` (ctx.cluster: a started harness.Cluster whose worker
serves database "regression", which has the extension; ctx.sim: its
harness.Simulator) and raises AssertionError on failure. Every test makes
its own databases (and, for the standby, its own cluster and directory)
and removes them, whatever happens.

    dump_restore_keeps_the_data            pg_dump / pg_restore of the extension's tables
    dump_restore_into_a_fresh_cluster      ... into a new cluster, whose worker drains the outbox
    a_0_1_0_database_waits_for_the_update  the library refuses a 0.1.0 database (55000, HINT)
                                           and its worker waits; updated, it drains
    standby_refuses_before_the_network     25006 on a hot standby and in read-only
                                           transactions, with no request sent
    update_from_0_1_0_equals_fresh_install ALTER EXTENSION UPDATE == CREATE EXTENSION

Run alone (its own cluster and simulator): python3 test/driver_backup.py [--keep]
"""
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


# helpers -------------------------------------------------------------------

def _name(what):
    """A database name no other test uses."""
    return "sms_backup_%d_%s" % (os.getpid(), what)


def _sql(cluster, db, query):
    """The output of a query (rows joined by newlines); raises on error."""
    return cluster.psql(query, db=db)[1]


def _create_db(cluster, db):
    cluster.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)
    cluster.psql('CREATE DATABASE "%s" TEMPLATE template0' % db)


def _drop_dbs(cluster, *dbs):
    for db in dbs:
        cluster.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db, check=False)


def _psql_verbose(cluster, db, script, timeout=60):
    """Run a psql script that goes on after errors, with SQLSTATEs shown."""
    cmd = [a for a in cluster.psql_cmd(db) if a not in ("-v", "ON_ERROR_STOP=1")]
    return subprocess.run(cmd, input="\\set VERBOSITY verbose\n" + script + "\n",
                          text=True, capture_output=True, timeout=timeout)


def _sqlstates(stderr):
    return re.findall(r"\b(?:ERROR|FATAL):\s+([0-9A-Z]{5}):", stderr)


def _server_cmd(cluster, program, *args):
    """A PostgreSQL client program run as the server's OS user, connected
    through the cluster's socket directory."""
    return harness.as_server_user() + [
        os.path.join(cluster.bindir, program),
        "-h", cluster.root, "-p", str(cluster.port), "-U", "postgres"] + list(args)


def _run(cmd, what, timeout=60):
    p = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (what, p.returncode, p.stdout, p.stderr))
    return p


# the extension's data tables, each row as text, ordered by id
DATA_TABLES = ("message_status", "mo_message", "outbox")


def _rows(cluster, db, table):
    return _sql(cluster, db, "SELECT t::text FROM sms_api.%s t ORDER BY id" % table).splitlines()


def _snapshot(cluster, db):
    return {t: _rows(cluster, db, t) for t in DATA_TABLES}


# The outbox as 0.1.0 had it; 0.2.0 adds provider, provider_ref, dedupe_key.
OUTBOX_0_1_0 = ("id, destination, message_text, correlation_id, extra_info, flash, scheduled_at, "
                "expires_at, campaign_alias, sub_account, options, state, attempts, next_attempt_at, "
                "last_error, message_id, batch_id, created_at, sent_at")


def _snapshot_0_1_0(cluster, db):
    snap = {t: _rows(cluster, db, t) for t in DATA_TABLES if t != "outbox"}
    snap["outbox"] = _sql(cluster, db, "SELECT row(%s)::text FROM sms_api.outbox ORDER BY id"
                          % OUTBOX_0_1_0).splitlines()
    return snap


STATUS_IDS = ["5a1e0000-0000-4000-8000-00000000000%d" % i for i in range(1, 4)]
MO_IDS = ["5a1e0000-0000-4000-8000-00000000010%d" % i for i in range(1, 3)]

# The outbox in every state a 0.1.0 worker leaves it in, by destination:
# what a worker does with each row once it serves the database.
OUTBOX_STATES = {
    "5511900000101": "queued",      # due: sent
    "5511900000102": "queued",      # due after a failed attempt: sent
    "5511900000103": "queued",      # scheduled for tomorrow: left queued
    "5511900000104": "sending",     # a worker died sending it: queued again, sent
    "5511900000105": "sent",        # left as it is
    "5511900000106": "failed",      # left as it is
}
DRAINED = {"5511900000101", "5511900000102", "5511900000104"}


def _fill(cluster, db):
    """Rows in message_status and mo_message, and outbox rows in every state
    (OUTBOX_STATES), written with plain SQL, as a 0.1.0 database holds them
    (the library refuses its functions there), with ids from the bigserial
    default and the sequence moved on past them."""
    _sql(cluster, db,
         "INSERT INTO sms_api.message_status (id, correlation_id, destination, sent_status_code, "
         "sent_status, sent_at, delivered_status_code, delivered_status, delivered_at) VALUES "
         "('%s', 'x0', '5511900000000', 2, 'SENT_SUCCESS', '2026-01-02 10:00:00+00', 4, "
         "'DELIVERED_SUCCESS', '2026-01-02 10:00:05+00'), "
         "('%s', 'x1', '5511900000001', 2, 'SENT_SUCCESS', '2026-01-02 10:00:00+00', NULL, NULL, NULL), "
         "('%s', 'x2', '5511900000002', 2, 'SENT_SUCCESS', '2026-01-02 10:00:00+00', NULL, NULL, NULL)"
         % tuple(STATUS_IDS))
    _sql(cluster, db,
         "INSERT INTO sms_api.mo_message (id, source, message_text, received_at) VALUES "
         + ", ".join("('%s', '551199999000%d', 'hi %d', '2026-01-02 11:00:00+00')" % (u, i, i)
                     for i, u in enumerate(MO_IDS)))
    _sql(cluster, db,
         "INSERT INTO sms_api.outbox (destination, message_text, correlation_id, options, state, "
         "attempts, next_attempt_at, last_error, message_id, sent_at) VALUES "
         "('5511900000101', 'due', 'k-1', '{\"timeZone\": \"America/Sao_Paulo\"}', 'queued', 0, "
         " now() - interval '1 minute', NULL, NULL, NULL), "
         "('5511900000102', 'retried', 'k-2', NULL, 'queued', 1, now() - interval '1 second', "
         " 'SM003: the API is unavailable', NULL, NULL), "
         "('5511900000103', 'tomorrow', 'k-3', NULL, 'queued', 0, now() + interval '1 day', NULL, NULL, NULL), "
         "('5511900000104', 'interrupted', 'k-4', NULL, 'sending', 1, now() - interval '2 minutes', "
         " NULL, NULL, NULL), "
         "('5511900000105', 'sent', 'k-5', NULL, 'sent', 1, NULL, NULL, "
         " '5a1e0000-0000-4000-8000-000000000205', now() - interval '1 hour'), "
         "('5511900000106', 'failed', 'k-6', NULL, 'failed', 1, NULL, 'SM001: rejected', NULL, NULL)")
    if _sql(cluster, db, "SELECT extversion FROM pg_extension WHERE extname = 'sms_api'") != "0.1.0":
        # 0.2.0 keeps a sent row's provider id in provider_ref
        _sql(cluster, db, "UPDATE sms_api.outbox SET provider_ref = message_id::text "
                          "WHERE message_id IS NOT NULL")
    # ids 7, 8, 9 are taken by nobody: the restored sequence must be past them too
    _sql(cluster, db, "SELECT count(nextval('sms_api.outbox_id_seq')) FROM generate_series(1, 3)")
    snap = _snapshot(cluster, db)
    counts = {t: len(r) for t, r in snap.items()}
    assert counts == {"message_status": 3, "mo_message": 2, "outbox": len(OUTBOX_STATES)}, \
        "the rows put in are not all there: %s" % counts
    states = _sql(cluster, db, "SELECT string_agg(DISTINCT state, ',' ORDER BY state) FROM sms_api.outbox")
    assert states == "failed,queued,sending,sent", "the outbox is not in every state: %s" % states
    return snap


def _outbox_states(cluster, db):
    return dict(line.split("|") for line in _sql(
        cluster, db, "SELECT destination, state FROM sms_api.outbox "
                     "WHERE destination LIKE '55119000001%' ORDER BY id").splitlines())


def _assert_drained(cluster, db, what, timeout=30):
    """The worker serving db sends the rows it should (DRAINED) and leaves
    the others as they were."""
    want = {d: ("sent" if d in DRAINED else s) for d, s in OUTBOX_STATES.items()}
    deadline = time.time() + timeout
    while True:
        got = _outbox_states(cluster, db)
        if got == want:
            break
        assert time.time() < deadline, \
            "%s: the worker did not drain the outbox as expected within %d s: %s, expected %s" \
            % (what, timeout, got, want)
        time.sleep(0.1)
    unsent = _sql(cluster, db, "SELECT count(*) FROM sms_api.outbox WHERE state = 'sent' "
                               "AND (provider_ref IS NULL OR sent_at IS NULL)")
    assert unsent == "0", "%s: %s rows 'sent' without provider_ref or sent_at" % (what, unsent)


def _own_cluster(ctx, prefix, database):
    """A cluster of its own (stopped), set up as the suite's but with its
    worker serving database, talking to the same simulator."""
    root = harness.make_workdir(prefix)
    settings = dict(ctx.cluster.settings)
    settings["sms_api.database"] = database
    c = harness.Cluster(root, settings)
    c.bindir = ctx.cluster.bindir
    return c


def _worker_activity(cluster, db):
    return _sql(cluster, db, "SELECT query FROM pg_stat_activity WHERE backend_type = 'sms_api worker'")


def _wait_activity(cluster, db, activity, timeout=20):
    deadline = time.time() + timeout
    while _worker_activity(cluster, db) != activity:
        assert time.time() < deadline, "the worker never showed %r (it shows %r)" % (
            activity, _worker_activity(cluster, db))
        time.sleep(0.05)


def _diff(a, b, a_name, b_name):
    return "\n".join(difflib.unified_diff(a, b, a_name, b_name, lineterm="", n=2))


# 1. pg_dump / pg_restore ---------------------------------------------------

def _dump_restore(ctx, version=None):
    """The body of dump_restore_keeps_the_data; version '0.1.0' installs the
    old script (tables not marked for pg_dump), for which it must fail."""
    c = ctx.cluster
    src, dst = _name("dump_src"), _name("dump_dst")
    work = harness.make_workdir("sms_api_dump.")
    try:
        _create_db(c, src)
        _sql(c, src, "CREATE EXTENSION sms_api" + (" VERSION '%s'" % version if version else ""))
        before = _fill(c, src)
        if version is None:
            # 0.2.0: Reach's table is kept as well
            _sql(c, src, "INSERT INTO sms_api.reach_message (message_id, msisdn, direction, status, "
                         "message, created_on, updated_at) VALUES ('60eb80fa110ff06b4d9ec8e2', "
                         "'50235148164', 'MT', 'SENT', 'hola', '2021-07-11 17:38:34+00', now())")
            before["reach_message"] = _sql(c, src, "SELECT t::text FROM sms_api.reach_message t "
                                                   "ORDER BY message_id").splitlines()
        src_last = int(_sql(c, src, "SELECT last_value FROM sms_api.outbox_id_seq"))
        src_codes = _sql(c, src, "SELECT t::text FROM sms_api.status_code t ORDER BY code").splitlines()
        assert len(src_codes) == 13, "the source has %d status codes, not 13" % len(src_codes)

        dump = os.path.join(work, "dump.custom")
        _run(_server_cmd(c, "pg_dump", "-Fc", "-f", dump, "-d", src), "pg_dump")
        listing = _run(_server_cmd(c, "pg_restore", "-l", dump), "pg_restore -l").stdout
        missing = [what for what in
                   ["TABLE DATA sms_api message_status", "TABLE DATA sms_api mo_message",
                    "TABLE DATA sms_api outbox", "SEQUENCE SET sms_api outbox_id_seq"]
                   if not re.search(r"; \d+ \d+ %s " % re.escape(what), listing)]
        assert not missing, (
            "the dump has no %s: pg_dump leaves an extension's tables out unless they are marked "
            "with pg_extension_config_dump (extconfig: %s)"
            % (", ".join(missing),
               _sql(c, src, "SELECT coalesce(array(SELECT unnest(extconfig)::regclass::text)::text, '{}') "
                            "FROM pg_extension WHERE extname = 'sms_api'")))

        # a fresh database, no CREATE EXTENSION: the dump creates it
        _create_db(c, dst)
        p = subprocess.run(_server_cmd(c, "pg_restore", "-d", dst, dump),
                           text=True, capture_output=True, timeout=60)
        assert p.returncode == 0, "pg_restore exited %d:\n%s" % (p.returncode, p.stderr)
        assert "error" not in p.stderr.lower(), "pg_restore reported:\n%s" % p.stderr

        after = _snapshot(c, dst)
        if version is None:
            after["reach_message"] = _sql(c, dst, "SELECT t::text FROM sms_api.reach_message t "
                                                  "ORDER BY message_id").splitlines()
        problems = []
        for t in before:
            if before[t] != after[t]:
                problems.append("sms_api.%s differs after the restore (%d rows before, %d after):\n%s"
                                % (t, len(before[t]), len(after[t]),
                                   _diff(before[t], after[t], "dumped", "restored")))
        codes = _sql(c, dst, "SELECT t::text FROM sms_api.status_code t ORDER BY code").splitlines()
        if codes != src_codes:
            problems.append("sms_api.status_code: %d rows after the restore, not the 13 of the source "
                            "exactly once:\n%s" % (len(codes), _diff(src_codes, codes, "dumped", "restored")))
        max_id = int(_sql(c, dst, "SELECT coalesce(max(id), 0) FROM sms_api.outbox"))
        next_id = int(_sql(c, dst, "INSERT INTO sms_api.outbox (destination, message_text, state, "
                                   "next_attempt_at) VALUES ('5511900000001', 'after', 'failed', NULL) "
                                   "RETURNING id"))
        if next_id <= max_id:
            problems.append("the next outbox id after the restore is %d, not above the restored ids "
                            "(max %d): the sequence was not restored" % (next_id, max_id))
        elif next_id != src_last + 1:
            problems.append("the next outbox id after the restore is %d; the source's sequence was at %d"
                            % (next_id, src_last))
        assert not problems, "\n".join(problems)
    finally:
        _drop_dbs(c, src, dst)
        shutil.rmtree(work, ignore_errors=True)


@_test
def dump_restore_keeps_the_data(ctx):
    """pg_dump of a database with the extension, restored into a fresh
    database: message_status, mo_message and outbox come back as they were,
    status_code is not doubled, and the outbox's sequence is past its ids."""
    _dump_restore(ctx)


@_test
def dump_restore_into_a_fresh_cluster(ctx):
    """pg_dump of a database in the suite's cluster, pg_restore into a new
    cluster: the same rows; then, once that cluster's worker serves the
    restored database, it drains the restored outbox as it finds it and
    sends what is queued after, with ids past the restored ones."""
    c = ctx.cluster
    src = _name("fresh_src")
    # until the rows are compared, the new worker serves a database without
    # the extension, and so leaves the restored outbox alone
    new = _own_cluster(ctx, "sms_api_fresh.", "postgres")
    try:
        _create_db(c, src)
        _sql(c, src, "CREATE EXTENSION sms_api")
        before = _fill(c, src)
        src_last = int(_sql(c, src, "SELECT last_value FROM sms_api.outbox_id_seq"))
        dump = os.path.join(new.root, "dump.custom")
        _run(_server_cmd(c, "pg_dump", "-Fc", "-f", dump, "-d", src), "pg_dump")

        new.init().start()
        new.psql("CREATE DATABASE restored TEMPLATE template0")
        p = _run(_server_cmd(new, "pg_restore", "-d", "restored", dump), "pg_restore into a new cluster")
        assert "error" not in p.stderr.lower(), "pg_restore reported:\n%s" % p.stderr
        after = _snapshot(new, "restored")
        problems = ["sms_api.%s differs in the new cluster:\n%s"
                    % (t, _diff(before[t], after[t], "dumped", "restored"))
                    for t in before if before[t] != after[t]]
        assert not problems, "\n".join(problems)

        new.psql("ALTER SYSTEM SET sms_api.database = 'restored'")
        new.stop()
        new.start()
        _assert_drained(new, "restored", "after a restore into a new cluster")
        queued = int(_sql(new, "restored", "SELECT sms_api.sms_queue('5511900000107', 'after the restore')"))
        assert queued == src_last + 1, \
            "the first id queued after the restore is %d; the source's sequence was at %d" % (queued, src_last)
        deadline = time.time() + 20
        while _sql(new, "restored", "SELECT state FROM sms_api.outbox WHERE id = %d" % queued) != "sent":
            assert time.time() < deadline, "a row queued after the restore was not sent within 20 s"
            time.sleep(0.1)
    finally:
        new.stop()
        _drop_dbs(c, src)
        shutil.rmtree(new.root, ignore_errors=True)


# what a database at 0.1.0 may call: each must refuse, naming the update
CALLS_ON_0_1_0 = [
    "SELECT * FROM sms_api.sms_send('5511900000199', 'refused')",
    "SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000199'], 'refused')",
    "SELECT sms_api.sms_queue('5511900000199', 'refused')",
    "SELECT * FROM sms_api.sms_status_list()",
    "SELECT sms_api.ingest('{\"id\": \"5a1e0000-0000-4000-8000-000000000301\", \"sentStatusCode\": 2}')",
    "SELECT sms_api.wake()",
    "SELECT * FROM sms_api.worker_status",
]


@_test
def a_0_1_0_database_waits_for_the_update(ctx):
    """The library in a database still at 0.1.0: every function refuses
    with 55000 and a HINT to run ALTER EXTENSION sms_api UPDATE, sending
    nothing, and the worker says so (once in the log, and in
    pg_stat_activity) and leaves the outbox alone. Once updated, every row
    is there and the worker drains the outbox."""
    harness.sim_control(ctx.sim, "/_sim/reset", {})
    c = _own_cluster(ctx, "sms_api_old.", "old")
    waiting = "waiting for ALTER EXTENSION sms_api UPDATE"
    try:
        c.init().start()
        c.psql("CREATE DATABASE old TEMPLATE template0")
        _sql(c, "old", "CREATE EXTENSION sms_api VERSION '0.1.0'")
        _wait_activity(c, "old", waiting)
        _fill(c, "old")
        before = _snapshot_0_1_0(c, "old")

        problems = []
        for call in CALLS_ON_0_1_0:
            p = _psql_verbose(c, "old", call + ";")
            if "55000" not in _sqlstates(p.stderr) or "version 0.1.0" not in p.stderr \
                    or "HINT:  Run ALTER EXTENSION sms_api UPDATE" not in p.stderr:
                problems.append("%s: expected 55000 naming version 0.1.0 with a HINT to update, got "
                                "stdout %r, stderr:\n%s" % (call, p.stdout.strip(), p.stderr.strip()))
        assert not problems, "\n".join(problems)
        time.sleep(2.5)     # the worker looks again every 2 s
        assert _worker_activity(c, "old") == waiting, "the worker stopped waiting: %r" % _worker_activity(c, "old")
        ours = [r for r in harness.sim_control(ctx.sim, "/_sim/requests")
                if "55119000001" in json.dumps(r.get("body"))]
        assert not ours, "requests went out from the 0.1.0 database: %s" % ours
        now = _snapshot_0_1_0(c, "old")
        for t in DATA_TABLES:
            assert before[t] == now[t], "sms_api.%s changed before the update:\n%s" % (
                t, _diff(before[t], now[t], "filled", "2.5 s later"))
        said = c.server_log().count('extension "sms_api" is at version 0.1.0 in database "old"')
        assert said == 1, "the worker said %d times that it waits for the update, not once" % said
        assert "HINT:  Run ALTER EXTENSION sms_api UPDATE in that database." in c.server_log(), \
            "the worker's log line has no HINT to update"

        _sql(c, "old", "ALTER EXTENSION sms_api UPDATE")
        _assert_drained(c, "old", "after ALTER EXTENSION sms_api UPDATE")
        after = _snapshot_0_1_0(c, "old")
        for t in ("message_status", "mo_message"):
            kept = [r for r in before[t] if r not in after[t]]
            assert not kept, "sms_api.%s lost rows in the update: %s" % (t, kept)
        state = _sql(c, "old", "SELECT state FROM sms_api.worker_status")
        assert state != waiting and state, "worker_status after the update: %r" % state
        sent = _sql(c, "old", "SELECT id IS NOT NULL FROM sms_api.sms_send('5511900000198', 'updated')")
        assert sent == "t", "sms_send after the update: %r" % sent
    finally:
        c.stop()
        shutil.rmtree(c.root, ignore_errors=True)


# 2. a hot standby and read-only transactions ----------------------------------

STANDBY_CALLS = [
    "SELECT * FROM sms_api.sms_send('5511900000001', 'x')",
    "SELECT * FROM sms_api.sms_send_bulk(ARRAY['5511900000001'], 'x')",
    "SELECT * FROM sms_api.sms_status_list()",
    "SELECT * FROM sms_api.sms_status(ARRAY['00000000-0000-0000-0000-000000000001'::uuid])",
    "SELECT * FROM sms_api.sms_mo_list()",
]


def _requests(ctx):
    return harness.sim_control(ctx.sim, "/_sim/requests")


def _assert_quiet(ctx):
    """Nothing else (the primary's worker) is talking to the simulator, so
    every request seen afterwards comes from the call under test."""
    for _ in range(5):
        harness.sim_control(ctx.sim, "/_sim/reset", {})
        time.sleep(0.5)
        got = _requests(ctx)
        if not got:
            return
    raise AssertionError("the simulator keeps getting requests from elsewhere before the test "
                         "(the primary's worker?), so none could be blamed on a call: %s"
                         % [r["path"] for r in got])


def _refused_silently(ctx, cluster, where, script, label):
    """Run script (reset the simulator first); a list of what went wrong."""
    harness.sim_control(ctx.sim, "/_sim/reset", {})
    p = _psql_verbose(cluster, "regression", script)
    got = _requests(ctx)
    problems = []
    states = _sqlstates(p.stderr)
    if "25006" not in states:
        problems.append("%s on the %s: expected SQLSTATE 25006, got %s; stdout %r, stderr:\n%s"
                        % (label, where, states or "no error", p.stdout.strip(), p.stderr.strip()))
    if got:
        problems.append("%s on the %s: the simulator got %d request(s) (%s): it must refuse before "
                        "the first network byte" % (label, where, len(got),
                                                    ", ".join("%s %s -> %s" % (r["method"], r["path"], r.get("status"))
                                                              for r in got)))
    if "INSERT INTO" in p.stderr:
        context = re.findall(r"CONTEXT:\s+(.*)", p.stderr)
        problems.append("%s on the %s: the error shows the merge statement (CONTEXT: %s)"
                        % (label, where, " / ".join(context) or p.stderr.strip()))
    return problems


@_test
def standby_refuses_before_the_network(ctx):
    """On a hot standby every function that would send or receive (and then
    record) raises 25006 before any request; the same on the primary in a
    read-only transaction."""
    c = ctx.cluster
    wal_level = _sql(c, "postgres", "SHOW wal_level")
    senders = int(_sql(c, "postgres", "SHOW max_wal_senders"))
    assert wal_level in ("replica", "logical") and senders >= 1, \
        "the primary cannot feed a standby: wal_level %s, max_wal_senders %d" % (wal_level, senders)
    _assert_quiet(ctx)

    work = harness.make_workdir("sms_api_standby.")
    standby = harness.Cluster(work)   # not init(): the data directory comes from pg_basebackup
    standby.bindir = c.bindir         # the primary's binaries
    try:
        _run(_server_cmd(c, "pg_basebackup", "-D", standby.data, "-R", "-X", "stream",
                         "-c", "fast", "--no-sync"), "pg_basebackup", timeout=120)
        # its own port and socket; everything else (shared_preload_libraries,
        # sms_api.*) as the primary has it. postgresql.auto.conf is read last.
        with open(os.path.join(standby.data, "postgresql.auto.conf"), "a") as f:
            f.write("port = %d\nunix_socket_directories = '%s'\nhot_standby = on\n"
                    % (standby.port, work))
        standby.start()
        deadline = time.time() + 30
        while True:
            rc, out, _ = standby.psql(
                "SELECT pg_is_in_recovery() AND EXISTS (SELECT FROM pg_database WHERE datname = 'regression')",
                check=False)
            if rc == 0 and out == "t":
                break
            assert time.time() < deadline, "the standby never served database regression:\n" + out
            time.sleep(0.1)
        preload = _sql(standby, "regression", "SHOW shared_preload_libraries")
        ext = _sql(standby, "regression", "SELECT extversion FROM pg_extension WHERE extname = 'sms_api'")
        assert "sms_api" in preload and ext, \
            "the standby lacks the setup to test: shared_preload_libraries %r, extension %r" % (preload, ext)

        problems = []
        for call in STANDBY_CALLS:
            problems += _refused_silently(ctx, standby, "standby", call + ";", call)
        # the primary, read-only transactions
        call = "SELECT * FROM sms_api.sms_send('5511900000001', 'x')"
        problems += _refused_silently(ctx, c, "primary", "BEGIN READ ONLY;\n%s;\nROLLBACK;" % call,
                                      "BEGIN READ ONLY; " + call)
        problems += _refused_silently(ctx, c, "primary",
                                      "SET default_transaction_read_only = on;\n%s;" % call,
                                      "SET default_transaction_read_only = on; " + call)
        assert not problems, "\n".join(problems)
    finally:
        standby.stop()
        shutil.rmtree(work, ignore_errors=True)
        harness.sim_control(ctx.sim, "/_sim/reset", {})


# 3. ALTER EXTENSION UPDATE from 0.1.0 == a fresh 0.2.0 ------------------------

# Everything the extension defines, as text: run in two databases, compared.
# search_path is pg_catalog alone, so every sms_api name prints qualified
# (an object that landed in pg_catalog would show unqualified).
CATALOG_QUERIES = [
    ("extension",
     "SELECT extname, extowner::regrole, extnamespace::regnamespace, extversion, extrelocatable, "
     "obj_description(oid, 'pg_extension') FROM pg_extension WHERE extname = 'sms_api'"),
    ("extension config (extconfig, extcondition)",
     "SELECT u.c::regclass::text, u.cond FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, cond) "
     "WHERE e.extname = 'sms_api' ORDER BY 1"),
    ("what the extension depends on",
     "SELECT pg_describe_object(refclassid, refobjid, refobjsubid), deptype FROM pg_depend "
     "WHERE classid = 'pg_extension'::regclass "
     "AND objid = (SELECT oid FROM pg_extension WHERE extname = 'sms_api') ORDER BY 1"),
    ("members of the extension",
     "SELECT pg_describe_object(classid, objid, objsubid) || ' = ' "
     "|| (pg_identify_object(classid, objid, objsubid)).identity FROM pg_depend "
     "WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e' "
     "AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'sms_api') ORDER BY 1"),
    ("initial privileges (pg_init_privs) of the extension's objects",
     "SELECT pg_describe_object(classoid, objoid, objsubid), privtype, initprivs FROM pg_init_privs "
     "WHERE privtype = 'e' ORDER BY 1"),
    ("schema",
     "SELECT nspname, nspowner::regrole, nspacl, obj_description(oid, 'pg_namespace') "
     "FROM pg_namespace WHERE nspname = 'sms_api'"),
    ("functions",
     "SELECT p.oid::regprocedure::text, p.prokind, p.proowner::regrole, p.proacl, p.prosecdef, p.proconfig, "
     "obj_description(p.oid, 'pg_proc'), "
     "CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END "
     "FROM pg_proc p WHERE p.pronamespace = 'sms_api'::regnamespace ORDER BY 1"),
    ("relations",
     "SELECT c.oid::regclass::text, c.relkind, c.relowner::regrole, c.relpersistence, c.reloptions, c.relacl, "
     "c.relrowsecurity, c.relreplident, obj_description(c.oid, 'pg_class') "
     "FROM pg_class c WHERE c.relnamespace = 'sms_api'::regnamespace ORDER BY 1"),
    ("columns",
     "SELECT c.oid::regclass::text, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
     "pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation::regcollation, a.attacl, "
     "col_description(c.oid, a.attnum) "
     "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
     "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
     "WHERE c.relnamespace = 'sms_api'::regnamespace ORDER BY 1, 2"),
    ("indexes",
     "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
     "JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'sms_api'::regnamespace ORDER BY 1"),
    ("constraints",
     "SELECT conrelid::regclass::text, contypid::regtype::text, conname, contype, pg_get_constraintdef(oid) "
     "FROM pg_constraint WHERE connamespace = 'sms_api'::regnamespace ORDER BY 1, 2, 3"),
    ("views",
     "SELECT oid::regclass::text, pg_get_viewdef(oid) FROM pg_class "
     "WHERE relkind IN ('v', 'm') AND relnamespace = 'sms_api'::regnamespace ORDER BY 1"),
    ("sequences",
     "SELECT s.seqrelid::regclass::text, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, "
     "s.seqmin, s.seqcache, s.seqcycle, "
     "(SELECT string_agg(pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ' ' || d.deptype::text, ', ') "
     " FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i')) "
     "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
     "WHERE c.relnamespace = 'sms_api'::regnamespace ORDER BY 1"),
    ("triggers",
     "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
     "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
     "AND c.relnamespace = 'sms_api'::regnamespace ORDER BY 1, 2"),
    ("policies",
     "SELECT polrelid::regclass::text, polname, polcmd, polpermissive, polroles::regrole[], "
     "pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy p "
     "JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'sms_api'::regnamespace ORDER BY 1, 2"),
    ("types",
     "SELECT t.oid::regtype::text, t.typtype, t.typowner::regrole, t.typacl, obj_description(t.oid, 'pg_type') "
     "FROM pg_type t WHERE t.typnamespace = 'sms_api'::regnamespace ORDER BY 1"),
]


def _catalog(cluster, db):
    lines = []
    for section, query in CATALOG_QUERIES:
        lines.append("== %s ==" % section)
        out = cluster.psql("SET search_path = pg_catalog; " + query, db=db)[1]
        lines += out.splitlines()
    return lines


@_test
def update_from_0_1_0_equals_fresh_install(ctx):
    """A 0.1.0 database updated to 0.2.0 keeps its rows and has exactly
    what a fresh 0.2.0 install has; DROP EXTENSION then removes the schema.
    CREATE EXTENSION refuses a schema someone made beforehand and leaves it
    alone; the update refuses a schema holding someone else's function."""
    c = ctx.cluster
    a, b, cc = _name("upd_a"), _name("upd_b"), _name("upd_c")
    try:
        # A: 0.1.0 with data, updated
        _create_db(c, a)
        _sql(c, a, "CREATE EXTENSION sms_api VERSION '0.1.0'")
        v = _sql(c, a, "SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension "
                       "WHERE extname = 'sms_api'")
        assert v == "0.1.0 sms_api", "CREATE EXTENSION sms_api VERSION '0.1.0' gave %r" % v
        _fill(c, a)
        before = _snapshot_0_1_0(c, a)
        rc, out, err = c.psql("ALTER EXTENSION sms_api UPDATE", db=a, check=False)
        assert rc == 0, "ALTER EXTENSION sms_api UPDATE failed:\n%s" % err
        v = _sql(c, a, "SELECT extversion FROM pg_extension WHERE extname = 'sms_api'")
        assert v == "0.2.0", "after ALTER EXTENSION UPDATE extversion is %r, not 0.2.0" % v
        after = _snapshot_0_1_0(c, a)
        for t in DATA_TABLES:
            assert before[t] == after[t], "sms_api.%s changed in the update:\n%s" % (
                t, _diff(before[t], after[t], "0.1.0", "updated"))
        # every 0.1.0 row went through Sinch; a sent one has its id as provider_ref
        odd = _sql(c, a, "SELECT count(*) FROM sms_api.outbox WHERE provider <> 'sinch' "
                         "OR provider_ref IS DISTINCT FROM message_id::text OR dedupe_key IS NOT NULL")
        assert odd == "0", "%s updated outbox rows lack provider 'sinch' or provider_ref" % odd
        sent = _sql(c, a, "SELECT count(*) FROM sms_api.outbox WHERE provider_ref IS NOT NULL")
        assert sent == "1", "the sent row's provider_ref was not filled (%s rows have one)" % sent

        # B: a fresh 0.2.0; the two catalogs must be the same
        _create_db(c, b)
        _sql(c, b, "CREATE EXTENSION sms_api")
        updated, fresh = _catalog(c, a), _catalog(c, b)
        assert len(fresh) > 100, "the catalog query found almost nothing:\n" + "\n".join(fresh)
        assert updated == fresh, ("an update from 0.1.0 differs from a fresh 0.2.0 install:\n"
                                  + _diff(fresh, updated, "fresh 0.2.0", "0.1.0 updated"))

        # DROP EXTENSION removes the schema it now owns
        rc, out, err = c.psql("DROP EXTENSION sms_api", db=a, check=False)
        assert rc == 0, "DROP EXTENSION sms_api in the updated database failed:\n%s" % err
        left = _sql(c, a, "SELECT count(*) FROM pg_namespace WHERE nspname = 'sms_api'")
        assert left == "0", "DROP EXTENSION sms_api left schema sms_api behind in the updated database"

        # C: a schema made beforehand is refused and left as it was
        _create_db(c, cc)
        _sql(c, cc, "CREATE SCHEMA sms_api; COMMENT ON SCHEMA sms_api IS 'made by hand'; "
                    "CREATE TABLE sms_api.mine (x int); INSERT INTO sms_api.mine VALUES (42)")
        state = ("SELECT n.oid, n.nspowner::regrole, n.nspacl, obj_description(n.oid, 'pg_namespace'), "
                 "(SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class "
                 "  WHERE relnamespace = n.oid), "
                 "(SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid), "
                 "(SELECT count(*) FROM pg_type WHERE typnamespace = n.oid), "
                 "(SELECT count(*) FROM pg_extension WHERE extname = 'sms_api'), "
                 "(SELECT string_agg(x::text, ',') FROM sms_api.mine) "
                 "FROM pg_namespace n WHERE n.nspname = 'sms_api'")
        was = _sql(c, cc, state)
        p = _psql_verbose(c, cc, "CREATE EXTENSION sms_api;")
        assert "42P06" in _sqlstates(p.stderr) and "already exists" in p.stderr, \
            "CREATE EXTENSION sms_api over a schema made beforehand: expected 42P06 (schema already " \
            "exists), got stdout %r stderr:\n%s" % (p.stdout, p.stderr)
        now = _sql(c, cc, state)
        assert now == was, "the schema made beforehand changed: was %r, now %r" % (was, now)

        # ... and the update refuses a 0.1.0 schema holding a foreign function
        _sql(c, cc, "DROP SCHEMA sms_api CASCADE")
        _sql(c, cc, "CREATE EXTENSION sms_api VERSION '0.1.0'")
        _sql(c, cc, "CREATE FUNCTION sms_api.planted() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        # an operator the update's own check would pick (oid = int4 has no
        # exact match in pg_catalog): it must never run
        _sql(c, cc, "CREATE FUNCTION sms_api.planted_eq(oid, int4) RETURNS boolean LANGUAGE plpgsql "
                    "COST 0.0001 AS $$BEGIN RAISE NOTICE 'planted operator ran'; RETURN false; END$$")
        _sql(c, cc, "CREATE OPERATOR sms_api.= (leftarg = oid, rightarg = int4, "
                    "function = sms_api.planted_eq)")
        p = _psql_verbose(c, cc, "ALTER EXTENSION sms_api UPDATE;")
        assert "planted operator ran" not in p.stderr, \
            "the update ran an operator planted in schema sms_api:\n%s" % p.stderr
        v = _sql(c, cc, "SELECT extversion FROM pg_extension WHERE extname = 'sms_api'")
        assert "55000" in _sqlstates(p.stderr) and "planted()" in p.stderr and v == "0.1.0", \
            "ALTER EXTENSION UPDATE with a foreign function in schema sms_api: expected 55000 naming " \
            "it and version 0.1.0 kept, got version %r, stderr:\n%s" % (v, p.stderr)
    finally:
        _drop_dbs(c, a, b, cc)


# running alone -------------------------------------------------------------

def main():
    root, sim, cluster = harness.simulator_and_cluster("sms_api_backup.", {
        "sms_api.database": "regression",
        "sms_api.status_poll_interval_ms": 0,
    })

    class Ctx:
        pass

    ctx = Ctx()
    ctx.sim, ctx.cluster = sim, cluster
    failed = 0
    try:
        cluster.init().start()
        cluster.psql("CREATE DATABASE regression TEMPLATE template0")
        cluster.psql("CREATE EXTENSION sms_api", db="regression")
        for fn in TESTS:
            t0 = time.time()
            try:
                fn(ctx)
                print("ok     %s (%.1f s)" % (fn.__name__, time.time() - t0), flush=True)
            except Exception as e:
                failed += 1
                print("FAILED %s (%.1f s): %s: %s" % (fn.__name__, time.time() - t0,
                                                      type(e).__name__, e), flush=True)
        # the dump test must fail on 0.1.0, whose tables are not marked for pg_dump
        try:
            _dump_restore(ctx, "0.1.0")
            failed += 1
            print("FAILED self-check: dump_restore_keeps_the_data passes on 0.1.0, "
                  "which does not mark its tables for pg_dump", flush=True)
        except AssertionError as e:
            print("ok     self-check: dump_restore_keeps_the_data fails on 0.1.0: %s" % e, flush=True)
    finally:
        cluster.stop()
        sim.stop()
        if "--keep" in sys.argv:
            print("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
