"""Helpers the driver tests share: SQL against the regression database,
waiting for the worker, settings, and the simulator's request log."""
import time

from harness import sim_control


def wait_for_requests(sim, count, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(sim_control(sim, "/_sim/requests")) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the simulator never received the request")


def psql_nostop_of(cluster, db):
    """psql reading a script from stdin, going on after errors."""
    return [a for a in cluster.psql_cmd(db) if a not in ("-v", "ON_ERROR_STOP=1")]


def psql_nostop(ctx):
    return psql_nostop_of(ctx.cluster, "regression")


def sql(ctx, query):
    """One value (or rows joined by newlines) from the regression database."""
    return ctx.cluster.psql(query, db="regression")[1]


def wait_for(ctx, query, timeout=20, what=None):
    """Poll a boolean query until it is true; the seconds it took."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if sql(ctx, query) == "t":
            return time.time() - t0
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % (what or query))


def configure(ctx, **settings):
    """ALTER SYSTEM the given sms_api settings (None resets) and reload."""
    for name, value in settings.items():
        if value is None:
            sql(ctx, "ALTER SYSTEM RESET sms_api.%s" % name)
        else:
            sql(ctx, "ALTER SYSTEM SET sms_api.%s = '%s'" % (name, value))
    sql(ctx, "SELECT pg_reload_conf()")
    time.sleep(0.3)


def worker_pid(ctx):
    return sql(ctx, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'sms_api worker'")


def restart_worker(ctx):
    """Terminate the worker (once it runs); it is back within 2 s with a fresh state."""
    wait_for(ctx, "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'sms_api worker'",
             what="the worker to run")
    sql(ctx, "SELECT pg_terminate_backend(%s)" % worker_pid(ctx))


def sim_requests(ctx, path):
    return [r for r in sim_control(ctx.sim, "/_sim/requests") if r["path"].startswith(path)]


def quiet_worker(ctx):
    configure(ctx, status_poll_interval_ms=None, mo_poll_interval_ms=None,
              query_rate_limit=None, base_url=None)
    sim_control(ctx.sim, "/_sim/reset", {})
