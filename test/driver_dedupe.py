"""Driver tests for idempotent queueing: two sessions racing on one
dedupe_key get one outbox row. The second waits for the first's outcome
and gets the first's id if it commits, its own if it rolls back; whether
the first's row was still buffered (the statement that queued it had not
finished: the second waits on the key's lock) or already written (the
second waits on the first's transaction through the unique index).

Each test takes `ctx` (ctx.cluster, ctx.sim, as in run.py) and raises
AssertionError on failure; each leaves the outbox without its keys.
"""
import queue
import threading
import time

from driver_routing import Session
from driverlib import quiet_worker, sql

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


class Racer(Session):
    """A Session whose statement can be sent now and read later (a thread
    reads its output, so that a blocked statement blocks no one)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def send(self, q):
        self.p.stdin.write(q.rstrip(";") + ";\n\\echo __done__\n")
        self.p.stdin.flush()

    def result(self, timeout=20):
        got = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("no answer within %d s (still waiting?)" % timeout)
            if line is None or line == "__done__":
                return "\n".join(got)
            got.append(line)

    def query(self, q):
        self.send(q)
        return self.result()


def wait_event(ctx, pid, expected, timeout=10):
    """Wait until backend pid waits on `expected` (pg_stat_activity.wait_event)."""
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        seen = sql(ctx, "SELECT wait_event FROM pg_stat_activity WHERE pid = %s" % pid)
        if seen == expected:
            return
        time.sleep(0.02)
    raise AssertionError("backend %s never waited on %s (last: %r)" % (pid, expected, seen))


QUEUE = "SELECT sms_api.sms_queue('5511900000001', '%s', dedupe_key => '%s')"


def race(ctx, key, buffered, first_commits):
    """The first session queues key in an open transaction; the second queues it
    too and must wait. Either the first commits (the second gets its id, then
    rolls back: the row stays) or the first rolls back (the second gets a row of
    its own and commits)."""
    quiet_worker(ctx)
    first, second, gate = Racer(ctx), Racer(ctx), Racer(ctx)
    try:
        pid2 = second.query("SELECT pg_backend_pid()")
        first.query("BEGIN")
        if buffered:
            pid1 = first.query("SELECT pg_backend_pid()")
            # the row stays buffered (unwritten) until this statement ends,
            # which it does once the gate lets it take lock 777
            gate.query("SELECT pg_advisory_lock(777)")
            first.send((QUEUE % ("first", key)) + ", pg_advisory_xact_lock(777)")
            wait_event(ctx, pid1, "advisory")
        else:
            first.send(QUEUE % ("first", key))
        if not buffered:
            id1 = first.result()
        second.query("BEGIN")
        second.send(QUEUE % ("second", key))
        if buffered:
            wait_event(ctx, pid2, "advisory")
            gate.query("SELECT pg_advisory_unlock(777)")
            id1 = first.result().split("|")[0]
        # written now: the second waits on the first's transaction
        wait_event(ctx, pid2, "transactionid")
        assert second.p.poll() is None
        first.query("COMMIT" if first_commits else "ROLLBACK")
        id2 = second.result()
        assert id1.isdigit() and id2.isdigit(), (id1, id2)
        if first_commits:
            assert id2 == id1, "the second session got %s, not the first's %s" % (id2, id1)
            second.query("ROLLBACK")
            want = (id1, "first")
        else:
            assert id2 != id1, "the second session got the rolled-back row's id %s" % id1
            second.query("COMMIT")
            want = (id2, "second")
        rows = sql(ctx, "SELECT id || ' ' || message_text FROM sms_api.outbox "
                        "WHERE dedupe_key = '%s'" % key)
        assert rows == "%s %s" % want, "rows with the key: %r, expected %s %s" % ((rows,) + want)
        # a third call, later, gets the same row
        again = sql(ctx, QUEUE % ("third", key))
        assert again == want[0], "a later call got %s, not %s" % (again, want[0])
        held = sql(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND objsubid = 21325")
        assert held == "0", "%s key locks still held" % held
    finally:
        first.close()
        second.close()
        gate.close()
        sql(ctx, "DELETE FROM sms_api.outbox WHERE dedupe_key = '%s'" % key)


@_test
def dedupe_race_written_first_commits(ctx):
    race(ctx, "race-written-commit", buffered=False, first_commits=True)


@_test
def dedupe_race_written_first_rolls_back(ctx):
    race(ctx, "race-written-rollback", buffered=False, first_commits=False)


@_test
def dedupe_race_buffered_first_commits(ctx):
    race(ctx, "race-buffered-commit", buffered=True, first_commits=True)


@_test
def dedupe_race_buffered_first_rolls_back(ctx):
    race(ctx, "race-buffered-rollback", buffered=True, first_commits=False)
