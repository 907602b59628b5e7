"""Driver tests for Directcall: a campaign of 10,000 queued rows in at
most 10 requests, backends that renew the token together without a
stampede on the token endpoint, and secrets kept out of the server log.

Each test takes `ctx` (ctx.cluster, ctx.sim, as in run.py) and raises
AssertionError on failure; each leaves the outbox empty behind it.
"""
import subprocess

from harness import sim_control
from driverlib import configure, quiet_worker, sim_requests, sql, wait_for

TESTS = []


def _test(fn):
    TESTS.append(fn)
    return fn


@_test
def ten_thousand_rows_in_ten_requests(ctx):
    """10,000 rows with the same text go out as 10 requests of 1,000
    numbers each (queue_batch_size), every number once, and every row
    keeps the caller id of the request that carried it."""
    quiet_worker(ctx)
    sql(ctx, "DELETE FROM sms_api.outbox")
    configure(ctx, directcall_rate_limit=0)
    try:
        # a token the simulator knows, so that only the campaign's requests count
        sql(ctx, "SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'warm')")
        since = max(r["seq"] for r in sim_control(ctx.sim, "/_sim/requests"))
        sql(ctx, "SELECT count(sms_api.sms_queue('55419' || lpad(g::text, 8, '0'), 'Campanha', "
                 "provider => 'directcall')) FROM generate_series(1, 10000) g")
        wait_for(ctx, "SELECT count(*) = 10000 FROM sms_api.outbox "
                      "WHERE provider = 'directcall' AND state = 'sent'",
                 timeout=60, what="10,000 Directcall rows sent")
        sends = [r for r in sim_requests(ctx, "/directcall") if r["seq"] > since]
        assert len(sends) <= 10, "%d requests for 10,000 rows: %s" \
            % (len(sends), sorted({(r["path"], r["status"]) for r in sends}))
        stored = [m for m in sim_control(ctx.sim, "/_sim/directcall/messages")
                  if m["texto"] == "Campanha"]
        delivered = [d for m in stored for d in m["destinations"]]
        assert len(stored) == 10, "the simulator stored %d sends, not 10" % len(stored)
        assert len(delivered) == 10000 and len(set(delivered)) == 10000, \
            "%d numbers sent (%d distinct), not 10,000 once each" % (len(delivered), len(set(delivered)))
        assert max(len(m["destinations"]) for m in stored) == 1000
        refs = sql(ctx, "SELECT count(DISTINCT provider_ref) || ' ' || count(*) FILTER (WHERE provider_ref IS NULL) "
                        "FROM sms_api.outbox WHERE provider = 'directcall'")
        assert refs == "10 0", "caller ids: %s (10 distinct, none missing expected)" % refs
        callerids = {m["callerid"] for m in stored}
        mine = set(sql(ctx, "SELECT DISTINCT provider_ref FROM sms_api.outbox "
                            "WHERE provider = 'directcall'").split("\n"))
        assert mine == callerids, "the rows' caller ids are not the simulator's"
    finally:
        configure(ctx, directcall_rate_limit=None)
        sql(ctx, "DELETE FROM sms_api.outbox")
        sim_control(ctx.sim, "/_sim/reset", {})


@_test
def backends_renew_the_token_once(ctx):
    """The simulator forgets every token: 16 backends sending at once get
    006 for the shared token (those that start before the new one is in)
    and repeat their send once with a new one; the token endpoint is asked
    once, not 16 times."""
    quiet_worker(ctx)
    configure(ctx, directcall_rate_limit=0)
    try:
        # a token in the shared cache, which the simulator then forgets
        sql(ctx, "SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'warm')")
        sim_control(ctx.sim, "/_sim/reset", {})
        script = ("SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'together');\n")
        procs = [subprocess.Popen(ctx.cluster.psql_cmd("regression"), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(16)]
        outs = [p.communicate(script, timeout=60) for p in procs]
        codes = [o[0].strip() for o in outs]
        assert codes == ["000"] * 16, "not every backend sent: %s / %s" % (codes, [o[1] for o in outs])
        tokens = sim_requests(ctx, "/directcall/request_token")
        sends = sim_requests(ctx, "/directcall/sms/send")
        assert len(tokens) == 1, "%d token requests for 16 backends" % len(tokens)
        # each backend sent once with the old token (refused) unless the new one was in by then
        assert 16 < len(sends) <= 32, "%d sends for 16 backends" % len(sends)
        assert sim_control(ctx.sim, "/_sim/stats")["directcall_messages"] == 16
    finally:
        configure(ctx, directcall_rate_limit=None)
        sim_control(ctx.sim, "/_sim/reset", {})


@_test
def directcall_secrets_never_in_server_log(ctx):
    """Refusals at every step (bad secret, refused token, echoed id) at
    log_min_messages debug1: the client id and secret are nowhere in the
    server log, nor any access_token field."""
    quiet_worker(ctx)
    try:
        sql(ctx, "SET sms_api.directcall_client_secret = 'wrong'; "
                 "SELECT code FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x')")
    except Exception:
        pass
    sim_control(ctx.sim, "/_sim/fault", {"kind": "code", "code": "006", "count": 2})
    ctx.cluster.psql("SELECT 1 FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x')",
                     db="regression", check=False)
    sim_control(ctx.sim, "/_sim/fault", {
        "kind": "status", "path": "/directcall/sms", "status": 200,
        "body": '{"codigo": "001", "msg": "001 - %s %s"}'
                % (ctx.sim.directcall_client_id, ctx.sim.directcall_client_secret)})
    ctx.cluster.psql("SELECT 1 FROM sms_api.directcall_send(ARRAY['5541999990001'], 'x')",
                     db="regression", check=False)
    sim_control(ctx.sim, "/_sim/reset", {})
    log = ctx.cluster.server_log()
    assert "Directcall" in log, "the refusals did not reach the log: the check proves nothing"
    for secret in (ctx.sim.directcall_client_id, ctx.sim.directcall_client_secret):
        assert secret not in log, "a Directcall secret reached the server log"
    assert "access_token=" not in log and "client_secret=" not in log
