"""Driver tests for routing: a change of sms_api.route made in one session
reaches a backend that already read it.

Each test takes `ctx` (ctx.cluster, ctx.sim, as in run.py) and raises
AssertionError on failure; each leaves the route table and the outbox
empty behind it.
"""
import subprocess

from driverlib import quiet_worker, sql

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


class Session:
    """One psql process kept open: one backend across statements."""

    def __init__(self, ctx):
        self.p = subprocess.Popen(ctx.cluster.psql_cmd("regression"), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  bufsize=1)

    def query(self, q):
        """One value: the line the query prints, read up to a marker."""
        self.p.stdin.write(q.rstrip(";") + ";\n\\echo __done__\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if line == "" or line.strip() == "__done__":
                break
            lines.append(line.strip())
        return "\n".join(lines)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


@_test
def a_route_change_reaches_other_backends(ctx):
    """A backend that routed rows by the old table routes the next row by
    the new one once the change is committed elsewhere, and not before."""
    quiet_worker(ctx)
    sql(ctx, "DELETE FROM sms_api.route")
    sql(ctx, "INSERT INTO sms_api.route VALUES ('55', '{sinch}')")
    s = Session(ctx)
    try:
        s.query("BEGIN")
        s.query("SELECT sms_api.sms_queue('5511900000001', 'first')")
        first = s.query("SELECT provider FROM sms_api.outbox WHERE message_text = 'first'")
        assert first == "sinch", "routed by the table as read: %r" % first
        s.query("ROLLBACK")
        # changed and committed by another session
        sql(ctx, "UPDATE sms_api.route SET providers = '{directcall,sinch}' WHERE prefix = '55'")
        s.query("BEGIN")
        s.query("SELECT sms_api.sms_queue('5511900000001', 'second')")
        second = s.query("SELECT provider || ' ' || route_prefix FROM sms_api.outbox "
                         "WHERE message_text = 'second'")
        assert second == "directcall 55", \
            "the other session's change did not reach this backend: %r" % second
        s.query("ROLLBACK")
    finally:
        s.close()
        sql(ctx, "DELETE FROM sms_api.route")
        sql(ctx, "DELETE FROM sms_api.outbox")
