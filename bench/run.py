#!/usr/bin/env python3
"""sms_api benchmarks (make bench).

Builds and installs the extension, starts in a temporary directory a
throwaway cluster (sms_api preloaded, rate limits off), a local nginx that
answers the API's send, bulk and status-list endpoints as fast as it can, and
the Python API simulator (for its "hang" fault). Then it measures, in one
run, each figure next to a reference measured in the same run, and prints a
table: figure, ours, reference, ratio, target, result. Everything is stopped
and removed at the end.

Figures (see bench/README.md):
  send     sequential sms_send() calls/s in one session vs a raw libcurl loop
           (bench/rawloop.c) posting the same single-send body;     >= 0.9x
  bulk     sms_send_bulk() of 100,000 destinations, messages/s, vs the
           ceiling raw loop (the same 100 bodies of 1000) + plain SQL that
           builds the same input and output and records the ids;   >= 0.8x
  memory   peak backend memory (VmHWM) of sms_send_bulk() of 1,000,000
           destinations minus that of the same plain SQL;           < 64 MB
  queue_memory
           peak backend memory (VmHWM over a fresh backend's) of one
           sms_queue() transaction of 1,000,000 rows, vs a plain INSERT of
           the same rows into a copy of sms_api.outbox; informational,
           target: it does not grow with the rows, ours - ref <= +32 MB
  merge    sms_status_list() merging 100,000 statuses into message_status,
           rows/s, next to a plain INSERT of the same rows;  >= 150,000 rows/s
  cancel   pg_cancel_backend() and statement_timeout against a hung request,
           20 trials each, median and max;                          < 100 ms
  outbox   sms_queue() of 100,000 messages in one transaction until the
           worker has sent them all (queueing and draining also shown
           apart), messages/s, vs a plain INSERT then UPDATE of the same
           rows in a copy of sms_api.outbox;                        >= 0.5x
           vs one HTTP request per row (the raw loop, one message per
           POST, like a generic HTTP-queue extension);              >= 10x
           pickup latency, COMMIT of one queued row to nginx seeing its
           request, 20 trials, median and max;                      < 100 ms

Noisy 2-core machines: every timed figure is warmed up, repeated (--reps,
best taken), and ours and its reference are interleaved.

Needs root for apt-get and `make install` (or run with --no-build after
installing the extension yourself). Only 127.0.0.1 is used.
"""
import argparse
import datetime
import grp
import json
import os
import pwd
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(REPO, "test"))
import harness  # noqa: E402
from harness import sim_control  # noqa: E402

NGINX_MODULES = "/usr/lib/nginx/modules"
LUA_MODULE = os.path.join(NGINX_MODULES, "ngx_http_lua_module.so")
NDK_MODULE = os.path.join(NGINX_MODULES, "ndk_http_module.so")

# What building, the cluster and this script need (installed when missing).
PACKAGES = ["nginx", "libnginx-mod-http-lua", "build-essential", "postgresql-15",
            "postgresql-server-dev-15", "libcurl4-openssl-dev", "libjson-c-dev"]

TEXT = "Benchmark message"
USERNAME = "bench"
# The database every session uses; the cluster's sms_api.database names it
# too, so that the worker drains the outbox the bench queues into.
BENCH_DB = "postgres"
BATCH_ID = "5b1e6b7e-5c8f-4f3a-9d55-2b1f4d1c0a01"  # the reference's batch id column


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def destination(i):
    """The i-th benchmark destination (13 digits), as the SQL below builds it."""
    return "55119%08d" % i


DEST_SQL = "'55119' || lpad(g::text, 8, '0')"


def array_sql(n):
    return "(SELECT array_agg(%s ORDER BY g) FROM generate_series(1, %d) g)" % (DEST_SQL, n)


# Setup ----------------------------------------------------------------------

def ensure_packages():
    missing = []
    for p in PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if "install ok installed" not in r.stdout:
            missing.append(p)
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit("bench: missing Debian packages %s; install them as root (apt-get install %s)"
                 % (", ".join(missing), " ".join(missing)))
    log("installing %s" % " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                   check=True, env=env, stdout=subprocess.DEVNULL)


def build_extension():
    log("building and installing the extension (make && make install)")
    for target in ([], ["install"]):
        r = subprocess.run(["make", "-C", REPO] + target, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.exit("bench: `%s` failed:\n%s" % (" ".join(["make"] + target), r.stdout[-4000:]))


def compile_rawloop(workdir):
    exe = os.path.join(workdir, "rawloop")
    r = subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe,
                        os.path.join(BENCH, "rawloop.c"), "-lcurl"],
                       text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0 or r.stdout.strip():
        sys.exit("bench: compiling bench/rawloop.c failed or warned:\n" + r.stdout)
    return exe


# Data files -----------------------------------------------------------------

def compact(obj):
    """JSON as json-c's JSON_C_TO_STRING_PLAIN writes it (what sms_api sends)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def single_body():
    return compact({"destination": destination(1), "messageText": TEXT})


def bulk_body(first, n):
    return compact({"messages": [{"destination": destination(first + i)} for i in range(n)],
                    "defaultValues": {"messageText": TEXT}})


CARRIERS = [(1, "VIVO"), (2, "CLARO"), (4, "TIM"), (5, "OI"), (3, "NEXTEL")]


def status_items(n, seed=20240601):
    """n realistic statuses with distinct ids: most delivered, some not
    delivered, some still only sent; about half from a campaign."""
    rnd = random.Random(seed)
    base_ms = 1717200000000
    for i in range(n):
        carrier = CARRIERS[rnd.randrange(len(CARRIERS))]
        sent_at = base_ms + i * 37 + rnd.randrange(1000)
        item = {
            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "correlationId": "order-%07d" % i,
            "carrierId": carrier[0],
            "carrierName": carrier[1],
            "destination": destination(i + 1),
            "sentStatusCode": 2,
            "sentStatus": "SENT_SUCCESS",
            "sentAt": sent_at,
        }
        r = rnd.random()
        if r < 0.85:
            item.update({"deliveredStatusCode": 4, "deliveredStatus": "DELIVERED_SUCCESS",
                         "deliveredAt": sent_at + 1500 + rnd.randrange(60000)})
        elif r < 0.90:
            item.update({"deliveredStatusCode": 104, "deliveredStatus": "NOT_DELIVERED",
                         "deliveredAt": sent_at + 86400000})
        if rnd.random() < 0.5:
            item["campaignId"] = 40000 + rnd.randrange(20)
        item["extraInfo"] = "" if rnd.random() < 0.7 else "segment=%d" % rnd.randrange(100)
        yield item


def write_status_file(path, n):
    with open(path, "w") as f:
        f.write('{"total":%d,"smsStatuses":[' % n)
        for i, item in enumerate(status_items(n)):
            if i:
                f.write(",")
            f.write(compact(item))
        f.write("]}")
    os.chmod(path, 0o644)


# nginx ----------------------------------------------------------------------

BULK_LUA = r"""
        -- the pickup figure: when this request reached the handler, in
        -- microseconds ($msec has only milliseconds); not for other requests
        if ngx.var.pickup_log == "1" then
          ngx.var.pickup_at = string.format("%.6f", bench_now())
        end
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if body == nil then
          ngx.status = 413
          ngx.say('{"errorCode":413,"errorMessage":"request body not buffered in memory"}')
          return
        end
        -- one id per message: count the messages cheaply
        local find = string.find
        local n, pos = 0, 1
        while true do
          local s, e = find(body, '"destination"', pos, true)
          if not s then break end
          n = n + 1
          pos = e + 1
        end
        -- $request_id is 32 random hex digits per request: the batch id, and
        -- the prefix of the message ids (then the message's index)
        local rid = ngx.var.request_id
        local prefix = rid:sub(1, 8) .. "-" .. rid:sub(9, 12) .. "-" .. rid:sub(13, 16) .. "-" .. rid:sub(17, 20) .. "-"
        local fmt = string.format
        local parts = {}
        for i = 1, n do
          parts[i] = fmt('{"id":"%s%012x"}', prefix, i)
        end
        ngx.print('{"id":"', prefix, rid:sub(21, 32), '","messages":[', table.concat(parts, ","), ']}')
"""


def nginx_conf(ngxdir, port, status_file, rtt_ms):
    user = ""
    if os.geteuid() == 0:
        # workers only read the status file (0644 in a 0755 directory)
        try:
            pwd.getpwnam("nobody")
            grp.getgrnam("nogroup")
            user = "user nobody nogroup;"
        except KeyError:
            user = "user root;"
    tmp = os.path.join(ngxdir, "tmp")
    return """
load_module %(ndk)s;
load_module %(lua)s;
daemon off;
master_process on;
worker_processes 1;
%(user)s
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  keepalive_timeout 600s;
  keepalive_requests 100000000;
  client_body_temp_path %(tmp)s/body;
  proxy_temp_path %(tmp)s/proxy;
  fastcgi_temp_path %(tmp)s/fastcgi;
  uwsgi_temp_path %(tmp)s/uwsgi;
  scgi_temp_path %(tmp)s/scgi;
  sendfile on;
  tcp_nodelay on;
  # the outbox pickup figure: when a one-message bulk request from sms_api
  # (User-Agent sms_api/..., a body under 1000 bytes) arrives; nothing else
  # is logged
  log_format pickup '$pickup_at $content_length';
  init_by_lua_block {
    -- wall-clock time in microseconds (LuaJIT's FFI; ngx.now() has milliseconds)
    local ok, ffi = pcall(require, "ffi")
    if ok then
      ffi.cdef[[
        typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
        int clock_gettime(int clk, bench_timespec *ts);
      ]]
      local ts = ffi.new("bench_timespec")
      function bench_now()
        ffi.C.clock_gettime(0, ts)
        return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
      end
    else
      function bench_now()
        ngx.update_time()
        return ngx.now()
      end
    end
  }
  map "$http_user_agent|$content_length" $pickup_log {
    "~^sms_api/[^|]*[|][0-9]{1,3}$" 1;
    default 0;
  }
  # a distinct, valid UUID per single send: $request_id is 32 random hex digits
  map $request_id $message_uuid {
    "~^(?<a>.{8})(?<b>.{4})(?<c>.{4})(?<d>.{4})(?<e>.{12})$" "$a-$b-$c-$d-$e";
  }
  server {
    listen 127.0.0.1:%(port)d;
    location = /v1/send-sms {
      default_type application/json;
      return 200 '[{"id":"$message_uuid"}]';
    }
    location = /v1/send-bulk-sms {
      client_body_buffer_size 16m;
      client_max_body_size 64m;
      default_type application/json;
      set $pickup_at "";
      access_log %(dir)s/pickup.log pickup if=$pickup_log;
      content_by_lua_block {%(lua_code)s      }
    }
    # the same two send endpoints, answering after a round trip of rtt
    # seconds (ngx.sleep yields: requests in flight overlap, as with a real API)
    location = /rtt/v1/send-sms {
      default_type application/json;
      content_by_lua_block {
        ngx.sleep(%(rtt)s)
        ngx.print('[{"id":"', ngx.var.message_uuid, '"}]')
      }
    }
    location = /rtt/v1/send-bulk-sms {
      client_body_buffer_size 16m;
      client_max_body_size 64m;
      default_type application/json;
      set $pickup_at "";
      content_by_lua_block {
        ngx.sleep(%(rtt)s)
%(lua_code)s      }
    }
    location = /v1/sms/status/list {
      default_type application/json;
      alias %(status_file)s;
    }
    location = /nginx_status { stub_status; }
    location / { return 404 '{"errorCode":404,"errorMessage":"not in the benchmark endpoint"}'; }
  }
}
""" % {"ndk": NDK_MODULE, "lua": LUA_MODULE, "user": user, "dir": ngxdir, "tmp": tmp,
       "port": port, "status_file": status_file, "lua_code": BULK_LUA,
       "rtt": "%.4f" % (rtt_ms / 1000.0)}


class Nginx:
    def __init__(self, ngxdir, status_file, rtt_ms):
        self.dir = ngxdir
        self.rtt_ms = rtt_ms
        self.port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.status_file = status_file
        self.proc = None

    def start(self):
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(self.dir, self.port, self.status_file, self.rtt_ms))
        self.out = open(os.path.join(self.dir, "nginx.out"), "w")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", conf,
                                      "-e", os.path.join(self.dir, "error.log")],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.logs())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("nginx did not listen: %s" % self.logs())
                time.sleep(0.05)
        return self

    def logs(self):
        text = ""
        for name in ("nginx.out", "error.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()[-2000:]
        return text

    def requests(self):
        """Requests nginx has counted (stub_status), this one included."""
        with urllib.request.urlopen(self.url + "/nginx_status", timeout=10) as r:
            lines = r.read().decode().splitlines()
        return int(lines[2].split()[2])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.out.close()


# psql sessions ----------------------------------------------------------------

class Session:
    """One psql process kept open (one backend), driven over pipes."""

    def __init__(self, cluster, name):
        cmd = [os.path.join(cluster.bindir, "psql"), "-X", "-q", "-A", "-t",
               "-v", "ON_ERROR_STOP=0"] + cluster.conninfo(BENCH_DB)
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=dict(os.environ, PGAPPNAME=name))
        self.out = b""
        self.err = b""
        self.n = 0
        self.pid = int(self.run("SELECT pg_backend_pid();"))

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def pump(self, timeout):
        """Read what is there (waiting up to timeout); returns the time of the read."""
        fds = [self.p.stdout, self.p.stderr]
        ready, _, _ = select.select(fds, [], [], timeout)
        now = time.perf_counter()
        for f in ready:
            data = os.read(f.fileno(), 1 << 16)
            if not data:
                raise RuntimeError("psql exited: %s" % self.err.decode(errors="replace"))
            if f is self.p.stdout:
                self.out += data
            else:
                self.err += data
        return now

    def run(self, sql, timeout=900, check=True):
        """Run SQL and wait for it; returns stdout (and raises on ERROR if check)."""
        self.n += 1
        mark = ("__bench_done_%d__" % self.n).encode()
        sql = sql.strip()
        if not sql.endswith(";"):
            sql += ";"
        self.send(sql + "\n\\echo " + mark.decode() + "\n")
        deadline = time.time() + timeout
        while mark not in self.out:
            if time.time() > deadline:
                raise RuntimeError("timed out: %s" % sql[:200])
            self.pump(1.0)
        out, _, rest = self.out.partition(mark)
        self.out = rest.lstrip(b"\n")
        err = self.err.decode(errors="replace")
        self.err = b""
        if check and "ERROR" in err:
            raise RuntimeError("SQL failed: %s\n%s" % (sql[:300], err))
        self.last_err = err
        return out.decode(errors="replace").strip()

    def timed(self, sql, timeout=900):
        """Wall time of one statement (psql round trip included, well under 1 ms)."""
        t0 = time.perf_counter()
        out = self.run(sql, timeout)
        return time.perf_counter() - t0, out

    def wait_err(self, needle, timeout):
        """Wait until stderr shows needle; returns the time it arrived."""
        deadline = time.time() + timeout
        when = None
        while needle.encode() not in self.err:
            if time.time() > deadline:
                raise RuntimeError("no %r within %ss (stderr: %s)"
                                   % (needle, timeout, self.err.decode(errors="replace")))
            when = self.pump(0.5)
        return when if when is not None else time.perf_counter()

    def proc_status(self):
        """The backend's /proc/self/status fields, in kB."""
        text = self.run("SELECT pg_read_file('/proc/self/status');")
        return {k: int(v) for k, v in re.findall(r"^(Vm\w+|Rss\w+):\s+(\d+) kB", text, re.M)}

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def rawloop(ctx, path, count, bodies, warmup, cpus=None):
    """Requests per second and seconds of the raw libcurl loop (on cpus, if given)."""
    cmd = [ctx.rawloop, "-w", str(warmup), ctx.nginx.url + path, str(count), USERNAME,
           ctx.token] + bodies
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    r = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       preexec_fn=pin)
    if r.returncode != 0:
        raise RuntimeError("rawloop failed: %s" % r.stderr)
    m = re.search(r"seconds ([\d.]+) requests_per_second ([\d.]+)", r.stdout)
    return float(m.group(2)), float(m.group(1))


# Profiling (--perf) ------------------------------------------------------------

# Functions outside sms_api.so worth showing next to ours.
PERF_EXTERNAL = ("fmgr_security_definer", "SPI_execute_plan", "ExecCheckIndexConstraints",
                 "ExecInsertIndexTuples", "curl_multi_perform", "curl_multi_poll",
                 "json_tokener_parse_ex", "json_object_put", "tuplestore_putvalues",
                 "__libc_send", "__libc_recv",
                 # the outbox: queueing (one SPI INSERT per row) and draining
                 "GetCachedPlan", "standard_ExecutorStart", "standard_ExecutorEnd",
                 "ExecInitNode", "ExecInitModifyTable", "ExecConstraints", "stringToNode",
                 "ProcessGUCArray", "heap_insert", "heap_update", "heap_lock_tuple",
                 "MultiExecHash", "heap_getnextslot", "index_getnext_slot",
                 "CommitTransactionCommand", "StartTransactionCommand", "XLogFlush",
                 "XLogFileInit", "json_object_to_json_string_length")


def source_files():
    """function name -> src/file.c, from the definitions (name at a line's start)."""
    where = {}
    for dirpath, _, names in sorted(os.walk(os.path.join(REPO, "src"))):
        for name in sorted(names):
            if name.endswith(".c"):
                path = os.path.join(dirpath, name)
                with open(path, errors="replace") as f:
                    for m in re.finditer(r"^([A-Za-z_]\w*)\(", f.read(), re.M):
                        where.setdefault(m.group(1), os.path.relpath(path, REPO))
    return where


def profile(ctx, session, name, sql, setup=None):
    """Run sql once more (untimed) with perf recording the session's backend."""
    if not ctx.args.perf:
        return
    if setup:
        session.run(setup)
    rec = perf_start(ctx, session.pid, name)
    session.run(sql)
    perf_stop(ctx, rec)


def perf_start(ctx, pid, name):
    """Start `perf record` on one process; perf_stop() ends it and summarises."""
    data = os.path.join(ctx.args.perf, name + ".perf.data")
    proc = subprocess.Popen(["perf", "record", "-q", "-F", "999", "--call-graph", "dwarf,32768",
                             "-p", str(pid), "-o", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # perf attaches
    tree = symfs(ctx, pid, data)
    return (name, data, tree, proc)


def perf_stop(ctx, rec, title=None):
    name, data, tree, proc = rec
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    if proc.returncode not in (0, -signal.SIGINT, 130) or not os.path.exists(data):
        ctx.profiles.append("%s: perf record failed: %s" % (name, err.decode(errors="replace")))
        return
    rep = subprocess.run(["perf", "report", "-i", data, "--symfs", tree,
                          "--children", "--sort", "dso,sym", "-g", "none",
                          "--percent-limit", "0.5", "--stdio"], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    with open(os.path.join(ctx.args.perf, name + ".report.txt"), "w") as f:
        f.write(rep)
    # and the call chains leading to each hot function (perf report -G): which
    # sms_api function, so which SQL statement, an executor sample belongs to
    graph = subprocess.run(["perf", "report", "-i", data, "--symfs", tree, "--no-children",
                            "--sort", "sym", "-G", "--percent-limit", "2", "--stdio"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    with open(os.path.join(ctx.args.perf, name + ".callers.txt"), "w") as f:
        f.write(graph)
    where = source_files()
    lines = ["%s (share of the %s's CPU samples, callees included; report in %s):"
             % (name, title or "backend", os.path.join(ctx.args.perf, name + ".report.txt"))]
    # a DSO can show twice (e.g. before and after its file was replaced):
    # the rows then hold disjoint samples, so add them up
    share = {}
    for m in re.finditer(r"^\s*([\d.]+)%\s+[\d.]+%\s+(\S+)(?: \(deleted\))?\s+\[.\]\s+(\S+)",
                         rep, re.M):
        total, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        if "sms_api" in dso or sym in PERF_EXTERNAL:
            share[sym] = share.get(sym, 0.0) + total
    for sym, total in sorted(share.items(), key=lambda kv: -kv[1]):
        if total >= 1.0:
            lines.append("  %5.1f%%  %s%s" % (total, sym, "  (%s)" % where[sym] if sym in where
                                                else ""))
    ctx.profiles.append("\n".join(lines))


def symfs(ctx, pid, data):
    """A --symfs tree: every file the backend maps, as itself, except
    sms_api.so, which is the copy taken when the cluster started (perf cannot
    read a mapped file that a `make install` has replaced meanwhile)."""
    root = data + ".symfs"
    with open("/proc/%d/maps" % pid) as f:
        paths = {m.group(1) for m in re.finditer(r"\s(/[^\n]*?)(?: \(deleted\))?$", f.read(), re.M)}
    paths.add(ctx.so_path)
    for path in paths:
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if path == ctx.so_path:
            for name in (target, target + " (deleted)"):
                shutil.copyfile(ctx.so_copy, name)
        elif not os.path.lexists(target):
            os.symlink(path, target)
    return root


def explain_summary(ctx):
    """--explain: per statement (its first 150 characters), how often it ran
    over 5 ms, total and max milliseconds, from auto_explain's log lines."""
    log_text = ctx.cluster.server_log()
    with open(os.path.join(ctx.args.explain, "server.log"), "w") as f:
        f.write(log_text)
    stats = {}
    for m in re.finditer(r"LOG:  duration: ([\d.]+) ms  plan:\n\s*Query Text: ([^\n]*)", log_text):
        key = re.sub(r"\s+", " ", m.group(2))[:150]
        st = stats.setdefault(key, [0, 0.0, 0.0])
        st[0] += 1
        st[1] += float(m.group(1))
        st[2] = max(st[2], float(m.group(1)))
    lines = ["Statements over 5 ms (auto_explain; plans in %s):"
             % os.path.join(ctx.args.explain, "server.log"),
             "  count   total ms     max ms  statement"]
    for key, (n, total, top) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
        lines.append("  %5d %10.0f %10.1f  %s" % (n, total, top, key))
    with open(os.path.join(ctx.args.explain, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    ctx.profiles.append("\n".join(lines[:40]))


# Figures --------------------------------------------------------------------

class Row:
    """One line of the table. info: the target is shown and judged, but the
    row is informational (not counted in "targets met", nor by --strict)."""

    def __init__(self, figure, ours, reference, ratio, target, ok, note="", info=False):
        self.figure, self.ours, self.reference = figure, ours, reference
        self.ratio, self.target, self.ok, self.note = ratio, target, ok, note
        self.info = info

    @property
    def result(self):
        if self.ok is None:
            return "info"
        if self.info:
            return "info: met" if self.ok else "info: missed"
        return "pass" if self.ok else "FAIL"

    @property
    def counts(self):
        """Whether the row's target counts (targets met, --strict)."""
        return self.ok is not None and not self.info


def fmt_rate(x, unit):
    return "{:,.0f} {}".format(x, unit)


def order(rep):
    """Interleave: ours first in even repetitions, the reference first in odd."""
    return (0, 1) if rep % 2 == 0 else (1, 0)


def send_sql(n):
    return ("SELECT count(s.id) FROM generate_series(1, %d) g, "
            "LATERAL sms_api.sms_send(%s, '%s') s" % (n, DEST_SQL, TEXT))


def timed_requests(ctx, s, sql):
    """Wall time and output of one statement, and the requests nginx saw
    meanwhile (its counter counts the stub_status request that reads it)."""
    before = ctx.nginx.requests()
    secs, out = s.timed(sql)
    return secs, out, ctx.nginx.requests() - before - 1


def nginx_workers(ctx):
    pid = ctx.nginx.proc.pid
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def cpu_speeds():
    """Seconds a fixed busy loop takes on each CPU (best of 3). On this
    shared VM the two vCPUs are not alike: one was 1.7x slower than the
    other for hours (host contention), which moved every figure that
    ran there."""
    cpus = sorted(os.sched_getaffinity(0))
    speeds = {}
    try:
        for c in cpus:
            os.sched_setaffinity(0, {c})
            best = None
            for _ in range(3):
                t = time.perf_counter()
                x = 0
                for i in range(300000):
                    x += i
                t = time.perf_counter() - t
                best = t if best is None else min(best, t)
            speeds[c] = best
    finally:
        os.sched_setaffinity(0, set(cpus))
    return speeds


class Pinned:
    """Pins the session's backend to client_cpu and nginx's worker to
    nginx_cpu (by default client_layout()'s) while the block runs;
    everything free again afterwards."""

    def __init__(self, ctx, s, client_cpu=None, nginx_cpu=None):
        self.ctx, self.s = ctx, s
        if client_cpu is None:
            client_cpu, nginx_cpu = client_layout(ctx)
        self.client_cpu, self.nginx_cpu = client_cpu, nginx_cpu

    def __enter__(self):
        self.workers = nginx_workers(self.ctx)
        for w in self.workers:
            os.sched_setaffinity(w, {self.nginx_cpu})
        os.sched_setaffinity(self.s.pid, {self.client_cpu})
        return self

    def __exit__(self, *exc):
        every = set(range(os.cpu_count() or 1))
        for pid in self.workers + [self.s.pid]:
            try:
                os.sched_setaffinity(pid, every)
            except OSError:
                pass
        return False


def client_layout(ctx):
    """(client CPU, nginx CPU): the fastest CPU for the side whose work is
    measured, nginx on another one when there is one."""
    cpus = sorted(ctx.cpu_speeds, key=lambda c: ctx.cpu_speeds[c])
    return cpus[0], (cpus[1] if len(cpus) > 1 else cpus[0])


# Where the client and nginx run decides how long a loopback round trip
# takes: on one CPU the answer is there when the client polls; on two, every
# request wakes the other CPU (this VM halts an idle vCPU at once), which
# costs more than the request itself. Left to the scheduler, the layout
# changes from run to run, and with it the ratio. So each layout is pinned
# and measured on its own: the client (the backend, or the raw loop) on the
# fastest CPU, nginx's worker on another ("two CPUs") or the same ("one
# CPU"). Two CPUs is the headline: a real API never shares the client's CPU.
SEND_LAYOUTS = (("two CPUs", True), ("one CPU", False))


def make_ids(s, sizes):
    """Random ids made beforehand for the plain-SQL references, one array per
    key: sms_api parses its ids from the answers, and gen_random_uuid()
    alone costs 1.5 us each on this VM, which would slow the reference."""
    s.run("CREATE TABLE IF NOT EXISTS bench.made_ids (key text PRIMARY KEY, ids uuid[] NOT NULL);")
    for key, k in sizes.items():
        s.run("DELETE FROM bench.made_ids WHERE key = '%s';"
              "INSERT INTO bench.made_ids SELECT '%s', array_agg(gen_random_uuid()) "
              "FROM generate_series(1, %d);" % (key, key, k))
    s.run("VACUUM ANALYZE bench.made_ids;")


def made_ids_sql(key):
    return "(SELECT ids FROM bench.made_ids WHERE key = '%s')" % key


def send_record_sql(b):
    """Plain SQL doing what the calls of block b do besides HTTP and JSON:
    a row of send_result's shape per call, its id recorded in a copy of
    message_status."""
    return ("WITH r AS MATERIALIZED ("
            " SELECT u.id, NULL::text AS correlation_id, %s AS destination,"
            " NULL::uuid AS batch_id, NULL::text AS error"
            " FROM unnest(%s) WITH ORDINALITY AS u(id, g)),"
            " i AS (INSERT INTO bench.ref_status (id, correlation_id, destination)"
            " SELECT id, correlation_id, destination FROM r)"
            " SELECT count(id) FROM r" % (DEST_SQL, made_ids_sql("send %d" % b)))


def send_layout_runs(ctx, s, n, client_cpu, nginx_cpu_id):
    """Calls/s of ours, req/s of the raw loop, and rows/s of the plain SQL
    recording the same ids, interleaved in blocks."""
    with Pinned(ctx, s, client_cpu, nginx_cpu_id):
        s.run(send_sql(max(n // 20, 200)))  # warm-up
        rawloop(ctx, "/v1/send-sms", max(n // 20, 200), [ctx.single_body], 10, {client_cpu})
        # each repetition: `blocks` alternating blocks of n/blocks calls, ours
        # and the raw loop, so that both meet the same phases of a noisy machine
        blocks = max(1, min(ctx.args.blocks, n // 100))
        per = [n // blocks + (1 if b < n % blocks else 0) for b in range(blocks)]
        make_ids(s, {"send %d" % b: k for b, k in enumerate(per)})
        s.run(send_record_sql(0))  # warm-up
        s.run("TRUNCATE bench.ref_status;")
        ours, ref, rec = [], [], []
        for rep in range(ctx.args.reps):
            s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
            t_ours = t_ref = t_rec = 0.0
            for b, k in enumerate(per):
                for which in order(rep + b):
                    if which == 0:
                        secs, out, sent = timed_requests(ctx, s, send_sql(k))
                        if int(out) != k or sent != k:
                            raise RuntimeError("send: %s ids for %d calls, nginx saw %d requests"
                                               % (out, k, sent))
                        t_ours += secs
                    else:
                        t_ref += rawloop(ctx, "/v1/send-sms", k, [ctx.single_body], 10,
                                         {client_cpu})[1]
                        secs, out = s.timed(send_record_sql(b))
                        if int(out) != k:
                            raise RuntimeError("send: the plain SQL made %s rows, not %d" % (out, k))
                        t_rec += secs
            ours.append(n / t_ours)
            ref.append(n / t_ref)
            rec.append(n / t_rec)
        s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
    return ours, ref, rec


def figure_send(ctx):
    n = ctx.args.sends
    stmt = send_sql(n)
    s = Session(ctx.cluster, "bench_send")
    client_cpu, other_cpu = client_layout(ctx)
    layouts = [(name, client_cpu, other_cpu if apart else client_cpu)
               for name, apart in SEND_LAYOUTS]
    if other_cpu == client_cpu:
        layouts = [("one CPU", client_cpu, client_cpu)]
    rows, raw = [], {}
    try:
        plan = s.run("EXPLAIN (VERBOSE, COSTS OFF) " + stmt)
        calls = re.findall(r"sms_api\.sms_send\(", plan)
        if "Function Scan on sms_api.sms_send" not in plan or len(calls) != 1:
            raise RuntimeError("sms_send is not called once per row:\n" + plan)
        ctx.notes.append("send: EXPLAIN shows one Function Scan on sms_api.sms_send per "
                         "generate_series row (Nested Loop); nginx counted exactly one request "
                         "per call. Each repetition alternates %d blocks of ours and the raw "
                         "loop. The client (the backend, or the raw loop) is pinned to CPU %d, "
                         "nginx's worker to CPU %d (two CPUs) or CPU %d (one CPU)."
                         % (ctx.args.blocks, layouts[0][1], layouts[0][2], layouts[-1][2]))
        for name, client_cpu, nginx_cpu_id in layouts:
            ours, ref, rec = send_layout_runs(ctx, s, n, client_cpu, nginx_cpu_id)
            log("send (%s): ours %s calls/s, raw loop %s req/s, recording %s rows/s" % (
                name, ", ".join("%.0f" % x for x in ours), ", ".join("%.0f" % x for x in ref),
                ", ".join("%.0f" % x for x in rec)))
            raw[name] = {"ours_calls_per_s": ours, "rawloop_requests_per_s": ref,
                         "plain_sql_recording_rows_per_s": rec}
            o, r, w = max(ours), max(ref), max(rec)
            ctx.notes.append("send (%s): ours takes %.1f us per call, the raw loop %.1f us per "
                             "request: sms_send adds %.1f us per call over the bare HTTP "
                             "exchange, of which recording the id (plain SQL, batched) takes "
                             "%.1f us." % (name, 1e6 / o, 1e6 / r, 1e6 / o - 1e6 / r, 1e6 / w))
            headline = not rows
            rows.append(Row("sms_send, sequential calls/s (%s calls, one session, client and "
                            "nginx on %s)" % ("{:,}".format(n), name),
                            fmt_rate(o, "calls/s"), fmt_rate(r, "req/s (raw libcurl loop)"),
                            "%.2fx" % (o / r), ">= 0.90x" if headline else "-",
                            o / r >= 0.9 if headline else None))
            if headline:
                # the same calls against a ceiling that also does the one
                # thing the contract adds to each send: a row in message_status
                both = 1.0 / (1.0 / r + 1.0 / w)
                rows.append(Row("sms_send vs the raw loop + the same ids recorded by plain SQL "
                                "(%s)" % name, fmt_rate(o, "calls/s"),
                                fmt_rate(both, "calls/s (raw loop + plain SQL)"),
                                "%.2fx" % (o / both), "-", None))
        profile(ctx, s, "send", stmt, "TRUNCATE sms_api.message_status;")
        s.run("TRUNCATE sms_api.message_status;")
    finally:
        s.close()
    ctx.raw["send"] = raw
    return rows


def bulk_reference_sql(n, made=False):
    """Plain SQL doing what sms_send_bulk does minus the HTTP: build the same
    input array, produce n rows of send_result's shape, record n ids. The
    ids are made beforehand (made_ids) for the speed figure, and by
    gen_random_uuid() for the memory figure, where an array of them loaded
    first would count against the reference."""
    if made:
        rows = "unnest(%s, %s) AS u(d, id)" % (array_sql(n), made_ids_sql("bulk %d" % n))
        id_sql = "u.id"
    else:
        rows, id_sql = "unnest(%s) AS d" % array_sql(n), "gen_random_uuid()"
    return ("WITH r AS MATERIALIZED ("
            " SELECT %s AS id, NULL::text AS correlation_id, d AS destination,"
            " '%s'::uuid AS batch_id, NULL::text AS error FROM %s),"
            " i AS (INSERT INTO bench.ref_status (id, correlation_id, destination)"
            " SELECT id, correlation_id, destination FROM r)"
            " SELECT count(id) FROM r" % (id_sql, BATCH_ID, rows))


def bulk_sql(n):
    return "SELECT count(id) FROM sms_api.sms_send_bulk(%s, '%s')" % (array_sql(n), TEXT)


def figure_bulk(ctx):
    n = ctx.args.bulk
    chunks = (n + 999) // 1000
    s = Session(ctx.cluster, "bench_bulk")
    try:
        # warm-up: a few requests, the reference at a small size, the raw loop
        s.run(bulk_sql(3000))
        make_ids(s, {"bulk 3000": 3000, "bulk %d" % n: n})
        s.run(bulk_reference_sql(3000, made=True))
        rawloop(ctx, "/v1/send-bulk-sms", 5, ctx.bulk_bodies[:5], 2)
        ours, raw, sql = [], [], []
        with Pinned(ctx, s) as pin:
            for rep in range(ctx.args.reps):
                for which in order(rep):
                    s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
                    if which == 0:
                        secs, out, sent = timed_requests(ctx, s, bulk_sql(n))
                        if int(out) != n or sent != chunks:
                            raise RuntimeError("bulk: %s ids for %d messages in %d requests"
                                               % (out, n, sent))
                        ours.append(secs)
                    else:
                        raw.append(rawloop(ctx, "/v1/send-bulk-sms", chunks, ctx.bulk_bodies,
                                           2, {pin.client_cpu})[1])
                        secs, out = s.timed(bulk_reference_sql(n, made=True))
                        if int(out) != n:
                            raise RuntimeError("bulk reference produced %s rows" % out)
                        sql.append(secs)
        profile(ctx, s, "bulk", bulk_sql(n), "TRUNCATE sms_api.message_status, bench.ref_status;")
        s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
    finally:
        s.close()
    log("bulk: ours %s s; raw loop %s s; plain SQL %s s" % tuple(
        ", ".join("%.3f" % x for x in v) for v in (ours, raw, sql)))
    o = min(ours)
    ceiling = min(raw) + min(sql)
    ctx.raw["bulk"] = {"ours_s": ours, "rawloop_s": raw, "plain_sql_s": sql}
    ctx.notes.append("bulk: ceiling = best raw loop %.3f s (%d bodies of 1000) + best plain SQL "
                     "%.3f s; ours best %.3f s." % (min(raw), chunks, min(sql), o))
    return Row("sms_send_bulk, %s destinations, messages/s" % "{:,}".format(n),
               fmt_rate(n / o, "msg/s"), fmt_rate(n / ceiling, "msg/s (raw loop + plain SQL)"),
               "%.2fx" % (ceiling / o), ">= 0.80x", ceiling / o >= 0.8)


def peak_memory(ctx, sql, name):
    """VmHWM of a fresh backend running sql, after touching all of shared_buffers."""
    s = Session(ctx.cluster, name)
    try:
        s.run("SELECT pg_prewarm('bench.ballast', 'buffer');")
        base = s.proc_status()
        secs, out = s.timed(sql)
        after = s.proc_status()
    finally:
        s.close()
    return base, after, secs, out


def figure_memory(ctx):
    n = ctx.args.memory
    ctx.cluster_session.run("TRUNCATE sms_api.message_status, bench.ref_status;")
    ob, oa, osecs, oout = peak_memory(ctx, bulk_sql(n), "bench_mem_ours")
    ctx.cluster_session.run("TRUNCATE sms_api.message_status, bench.ref_status;")
    rb, ra, rsecs, rout = peak_memory(ctx, bulk_reference_sql(n), "bench_mem_ref")
    ctx.cluster_session.run("TRUNCATE sms_api.message_status, bench.ref_status;")
    if int(oout) != n or int(rout) != n:
        raise RuntimeError("memory: %s and %s rows for %d" % (oout, rout, n))
    mb = 1024.0
    ours, ref = oa["VmHWM"] / mb, ra["VmHWM"] / mb
    diff = ours - ref
    ctx.raw["memory"] = {"ours_before": ob, "ours_after": oa, "ref_before": rb, "ref_after": ra,
                         "ours_s": osecs, "ref_s": rsecs}
    ctx.notes.append(
        "memory: VmHWM (peak resident set) of a fresh backend, read from /proc/self/status with "
        "pg_read_file() in the same session; each session first touches all of shared_buffers "
        "(pg_prewarm of a table larger than it), so shared memory counts the same in both "
        "(after warm-up VmHWM %.0f MB ours, %.0f MB reference; RssShmem at the end %.0f / %.0f MB). "
        "Reference: the bulk figure's plain SQL at %s rows. Ours took %.1f s, the reference %.1f s."
        % (ob["VmHWM"] / mb, rb["VmHWM"] / mb, oa.get("RssShmem", 0) / mb,
           ra.get("RssShmem", 0) / mb, "{:,}".format(n), osecs, rsecs))
    return Row("sms_send_bulk, %s destinations, peak backend memory" % "{:,}".format(n),
               "%.1f MB" % ours, "%.1f MB (plain SQL)" % ref, "%+.1f MB" % diff,
               "< +64 MB", diff < 64)


def status_reference_sql(path):
    return ("INSERT INTO bench.ref_status (id, correlation_id, carrier_id, carrier_name, destination,"
            " sent_status_code, sent_status, sent_at, delivered_status_code, delivered_status,"
            " delivered_at, campaign_id, extra_info)"
            " SELECT id, \"correlationId\", \"carrierId\", \"carrierName\", destination,"
            " \"sentStatusCode\", \"sentStatus\", to_timestamp(\"sentAt\" / 1000.0),"
            " \"deliveredStatusCode\", \"deliveredStatus\", to_timestamp(\"deliveredAt\" / 1000.0),"
            " \"campaignId\", \"extraInfo\""
            " FROM jsonb_to_recordset(pg_read_file('%s')::jsonb -> 'smsStatuses') AS r("
            "id uuid, \"correlationId\" text, \"carrierId\" int, \"carrierName\" text,"
            " destination text, \"sentStatusCode\" int, \"sentStatus\" text, \"sentAt\" bigint,"
            " \"deliveredStatusCode\" int, \"deliveredStatus\" text, \"deliveredAt\" bigint,"
            " \"campaignId\" bigint, \"extraInfo\" text)" % path)


STATUS_COLUMNS = ("id, correlation_id, carrier_id, carrier_name, destination, sent_status_code,"
                  " sent_status, sent_at, delivered_status_code, delivered_status, delivered_at,"
                  " campaign_id, extra_info")

# the same rows already typed (loaded once from the file, outside the clock):
# the reference is then the INSERT alone, with no JSON at all
TYPED_LOAD_SQL = ("CREATE TABLE bench.typed_status AS SELECT %s FROM bench.ref_status;"
                  " VACUUM ANALYZE bench.typed_status;" % STATUS_COLUMNS)
TYPED_REF_SQL = ("INSERT INTO bench.ref_status (%s) SELECT %s FROM bench.typed_status"
                 % (STATUS_COLUMNS, STATUS_COLUMNS))

MERGE_SQL = "SELECT count(*) FROM sms_api.sms_status_list()"

PRESEND_SQL = ("INSERT INTO sms_api.message_status (id, correlation_id, destination)"
               " SELECT id, \"correlationId\", destination FROM jsonb_to_recordset("
               "pg_read_file('%s')::jsonb -> 'smsStatuses') AS r(id uuid, \"correlationId\" text,"
               " destination text)")


def figure_merge(ctx):
    n = ctx.args.statuses
    s = Session(ctx.cluster, "bench_merge")
    ref_sql = status_reference_sql(ctx.status_file)
    try:
        s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
        s.run(MERGE_SQL)           # warm-up
        s.run(ref_sql)
        s.run("DROP TABLE IF EXISTS bench.typed_status;")
        s.run(TYPED_LOAD_SQL)
        if int(s.run("SELECT count(*) FROM bench.typed_status")) != n:
            raise RuntimeError("bench.typed_status does not hold %d rows" % n)
        s.run("TRUNCATE bench.ref_status;")
        s.run(TYPED_REF_SQL)       # warm-up
        ours, ref, typed, upd = [], [], [], []
        with Pinned(ctx, s):
            for rep in range(ctx.args.reps):
                # ours, the INSERT from JSON, the typed INSERT; rotated per repetition
                for which in (0, 1, 2)[rep % 3:] + (0, 1, 2)[:rep % 3]:
                    # the CHECKPOINT recycles WAL segments, so that no side
                    # pays for zero-filling new ones (as in the outbox figure)
                    s.run("TRUNCATE sms_api.message_status, bench.ref_status; CHECKPOINT;")
                    if which == 2:
                        secs, _ = s.timed(TYPED_REF_SQL)
                        typed.append(secs)
                    elif which == 0:
                        secs, out = s.timed(MERGE_SQL)
                        if int(out) != n:
                            raise RuntimeError("merge returned %s rows for %d" % (out, n))
                        if int(s.run("SELECT count(*) FROM sms_api.message_status "
                                     "WHERE sent_status IS NOT NULL")) != n:
                            raise RuntimeError("merge did not store %d statuses" % n)
                        ours.append(secs)
                    else:
                        secs, _ = s.timed(ref_sql)
                        ref.append(secs)
                # the same list onto ids already recorded by sends (the update path)
                s.run("TRUNCATE sms_api.message_status;")
                s.run(PRESEND_SQL % ctx.status_file)
                s.run("VACUUM ANALYZE sms_api.message_status; CHECKPOINT;")
                secs, out = s.timed(MERGE_SQL)
                upd.append(secs)
        profile(ctx, s, "merge", MERGE_SQL, "TRUNCATE sms_api.message_status, bench.ref_status;")
        s.run("TRUNCATE sms_api.message_status, bench.ref_status;")
        s.run("DROP TABLE bench.typed_status;")
    finally:
        s.close()
    log("merge: ours %s s; plain INSERT from JSON %s s; plain typed INSERT %s s; "
        "onto recorded ids %s s" % tuple(
            ", ".join("%.3f" % x for x in v) for v in (ours, ref, typed, upd)))
    o, r, t, u = n / min(ours), n / min(ref), n / min(typed), n / min(upd)
    ctx.raw["merge"] = {"ours_s": ours, "plain_insert_s": ref, "typed_insert_s": typed,
                        "onto_recorded_ids_s": upd}
    rows = [Row("sms_status_list, %s statuses merged (new ids), rows/s" % "{:,}".format(n),
                fmt_rate(o, "rows/s"), fmt_rate(r, "rows/s (plain INSERT from JSON)"),
                "%.2fx" % (o / r), ">= 150,000 rows/s", o >= 150000),
            Row("sms_status_list, %s statuses merged (new ids) vs a plain typed INSERT, rows/s"
                % "{:,}".format(n),
                fmt_rate(o, "rows/s"), fmt_rate(t, "rows/s (plain typed INSERT, no JSON)"),
                "%.2fx" % (o / t), ">= 0.50x", o / t >= 0.5),
            Row("sms_status_list, %s statuses onto ids already sent, rows/s" % "{:,}".format(n),
                fmt_rate(u, "rows/s"), fmt_rate(r, "rows/s (plain INSERT from JSON)"),
                "%.2fx" % (u / r), "-", None)]
    ctx.notes.append("merge: the list is one %.1f MB JSON answer (nginx static file); the "
                     "reference parses the same file with jsonb_to_recordset(pg_read_file()) and "
                     "INSERTs into a copy of message_status (same indexes); the typed "
                     "reference INSERTs the same rows, already typed in a table "
                     "(bench.typed_status, loaded beforehand), into that copy."
                     % (os.path.getsize(ctx.status_file) / 1048576.0))
    return rows


def wait_for_sim_requests(sim, count, timeout=10):
    deadline = time.time() + timeout
    while sim_control(sim, "/_sim/stats")["requests"] < count:
        if time.time() > deadline:
            raise RuntimeError("the hung request did not reach the simulator")
        time.sleep(0.005)


def figure_cancel(ctx):
    trials = ctx.args.trials
    sim = ctx.sim
    a = Session(ctx.cluster, "bench_cancel_victim")
    b = Session(ctx.cluster, "bench_cancel_canceller")
    hang_sql = "SELECT id FROM sms_api.sms_send('%s', 'hang');" % destination(1)
    cancel, timeout_over = [], []
    st_ms = 200
    try:
        a.run("SET sms_api.base_url = '%s';" % sim.http)
        sim_control(sim, "/_sim/reset", {})
        a.run("SELECT id FROM sms_api.sms_send('%s', 'warm-up');" % destination(1))
        rnd = random.Random(7)
        for _ in range(trials):
            sim_control(sim, "/_sim/reset", {})
            sim_control(sim, "/_sim/fault", {"kind": "hang", "seconds": 60})
            seen = sim_control(sim, "/_sim/stats")["requests"]
            a.send(hang_sql + "\n\\echo __cancel_done__\n")
            wait_for_sim_requests(sim, seen + 1)
            time.sleep(rnd.uniform(0.03, 0.12))  # any phase of the transport's wait
            t0 = time.perf_counter()
            b.send("SELECT pg_cancel_backend(%d);\n" % a.pid)
            t1 = a.wait_err("canceling statement due to user request", 30)
            cancel.append((t1 - t0) * 1000)
            while b"__cancel_done__" not in a.out:
                a.pump(1.0)
            a.out, a.err = b"", b""
        b.out, b.err = b"", b""
        a.run("SET statement_timeout = '%dms';" % st_ms)
        for _ in range(trials):
            sim_control(sim, "/_sim/reset", {})
            sim_control(sim, "/_sim/fault", {"kind": "hang", "seconds": 60})
            t0 = time.perf_counter()
            a.send(hang_sql + "\n\\echo __timeout_done__\n")
            t1 = a.wait_err("canceling statement due to statement timeout", 30)
            timeout_over.append((t1 - t0) * 1000 - st_ms)
            while b"__timeout_done__" not in a.out:
                a.pump(1.0)
            a.out, a.err = b"", b""
        a.run("RESET statement_timeout;")
        sim_control(sim, "/_sim/reset", {})
    finally:
        a.close()
        b.close()
    ctx.raw["cancel"] = {"cancel_ms": cancel, "statement_timeout_over_ms": timeout_over}
    ctx.notes.append("cancel: the simulator's hang fault holds the request; the clock starts when "
                     "the other session is handed SELECT pg_cancel_backend(pid) (for "
                     "statement_timeout: when the statement is handed to psql, minus the %d ms "
                     "timeout) and stops when the error reaches the client." % st_ms)
    rows = []
    for name, v in (("cancel: pg_cancel_backend() to error, %d trials" % trials, cancel),
                    ("cancel: statement_timeout, time beyond the timeout, %d trials" % trials,
                     timeout_over)):
        rows.append(Row(name, "median %.1f ms, max %.1f ms" % (statistics.median(v), max(v)),
                        "-", "-", "max < 100 ms", max(v) < 100))
    return rows


# The outbox -------------------------------------------------------------------

def queue_sql(n):
    return ("SELECT count(sms_api.sms_queue(%s, '%s')) FROM generate_series(1, %d) g"
            % (DEST_SQL, TEXT, n))


def ref_outbox_sqls(n):
    """The database's own write speed for the outbox's rows: the same rows
    INSERTed into a copy of sms_api.outbox (the defaults fill state,
    attempts, next_attempt_at, created_at), then UPDATEd as the worker leaves
    them once the API has accepted them."""
    return ("INSERT INTO bench.ref_outbox (destination, message_text) SELECT %s, '%s' "
            "FROM generate_series(1, %d) g" % (DEST_SQL, TEXT, n),
            "UPDATE bench.ref_outbox SET state = 'sent', attempts = attempts + 1, "
            "message_id = gen_random_uuid(), batch_id = '%s', sent_at = now(), "
            "next_attempt_at = NULL, last_error = NULL WHERE state = 'queued'" % BATCH_ID)


LSN_SQL = "SELECT pg_current_wal_insert_lsn()"


def wal_bytes(s, a, b):
    return int(s.run("SELECT pg_wal_lsn_diff('%s', '%s')" % (b, a)))


OUTBOX_LEFT_SQL = "SELECT count(*) FROM sms_api.outbox WHERE state <> 'sent'"
WORKER_SQL = ("SELECT pid, messages_sent, requests, state, coalesce(last_error, '') "
              "FROM sms_api.worker_status")


def one_bulk_body():
    """A one-message bulk body, as the worker sends a lone outbox row."""
    return compact({"messages": [{"destination": destination(1), "messageText": TEXT}]})


def worker_info(s):
    out = s.run(WORKER_SQL)
    if not out:
        raise RuntimeError("no sms_api worker runs (sms_api.worker_status is empty)")
    pid, sent, requests, state, error = out.split("|", 4)
    return {"pid": int(pid), "sent": int(sent), "requests": int(requests), "state": state,
            "error": error}


def wait_worker(s, timeout=30):
    """Wait until the worker has found the extension in BENCH_DB."""
    deadline = time.time() + timeout
    while True:
        out = s.run(WORKER_SQL)
        if out and out.split("|")[3] not in ("starting", "waiting for CREATE EXTENSION"):
            return worker_info(s)
        if time.time() > deadline:
            raise RuntimeError("the sms_api worker is not serving %s: %r" % (BENCH_DB, out))
        time.sleep(0.1)


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def nginx_cpu(ctx):
    """CPU time of nginx's worker processes so far."""
    pid = ctx.nginx.proc.pid
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return 0.0
    total = 0.0
    for k in kids:
        try:
            total += cpu_seconds(k)
        except OSError:
            pass
    return total


def wait_drained(poll, sent_target, timeout=180):
    """Wait until every outbox row is 'sent'; returns the perf_counter() at
    which the query that found none left was issued. Every 20 ms the worker's
    shared-memory counter is read (no table access); once it says enough were
    sent, the count of rows not 'sent' runs, every 20 ms, until it is 0. So
    the bench does not scan a 100,000-row table 50 times a second on a
    machine whose other core the worker needs."""
    deadline = time.time() + timeout
    while True:
        if worker_info(poll)["sent"] >= sent_target:
            # the counter is bumped just before the last record commits
            time.sleep(0.001)
            t = time.perf_counter()
            if int(poll.run(OUTBOX_LEFT_SQL)) == 0:
                return t
        if time.time() > deadline:
            states = poll.run("SELECT string_agg(state || ': ' || n, ', ') FROM (SELECT state, "
                              "count(*) AS n FROM sms_api.outbox GROUP BY state) x")
            raise RuntimeError("the outbox was not drained within %d s (%s); worker: %s"
                               % (timeout, states, worker_info(poll)))
        time.sleep(0.02)


def outbox_once(ctx, s, poll, n, perf_name=None):
    """One run of ours: queue n rows in one transaction, wait until all are sent."""
    s.run("TRUNCATE sms_api.outbox, sms_api.message_status;")
    s.run("CHECKPOINT;")
    w = worker_info(poll)
    recs = []
    if perf_name:
        recs = [(perf_start(ctx, s.pid, perf_name + "-queue"), "backend running sms_queue()"),
                (perf_start(ctx, w["pid"], perf_name + "-drain"), "worker")]
    before = ctx.nginx.requests()
    lsn0 = poll.run(LSN_SQL)
    cpu0 = (cpu_seconds(s.pid), cpu_seconds(w["pid"]), nginx_cpu(ctx))
    t0 = time.perf_counter()
    out = s.run(queue_sql(n))
    t1 = time.perf_counter()
    cpu1 = (cpu_seconds(s.pid), cpu_seconds(w["pid"]), nginx_cpu(ctx))
    lsn1 = poll.run(LSN_SQL)
    t2 = wait_drained(poll, w["sent"] + n)
    cpu2 = (cpu_seconds(s.pid), cpu_seconds(w["pid"]), nginx_cpu(ctx))
    lsn2 = poll.run(LSN_SQL)
    for rec, title in recs:
        perf_stop(ctx, rec, title)
    requests = ctx.nginx.requests() - before - 1
    recorded = int(poll.run("SELECT count(*) FROM sms_api.message_status"))
    if int(out) != n or recorded != n or requests != (n + 999) // 1000:
        raise RuntimeError("outbox: %s rows queued, %d ids recorded, %d requests for %d messages"
                           % (out, recorded, requests, n))
    # nothing left for autovacuum to work on while the other side is measured
    s.run("TRUNCATE sms_api.outbox, sms_api.message_status;")
    return {"total_s": t2 - t0, "queue_s": t1 - t0, "drain_s": t2 - t1, "requests": requests,
            "backend_cpu_queue_s": cpu1[0] - cpu0[0], "worker_cpu_queue_s": cpu1[1] - cpu0[1],
            "worker_cpu_drain_s": cpu2[1] - cpu1[1], "nginx_cpu_drain_s": cpu2[2] - cpu1[2],
            "backend_cpu_drain_s": cpu2[0] - cpu1[0],
            "wal_queue_bytes": wal_bytes(poll, lsn0, lsn1),
            "wal_drain_bytes": wal_bytes(poll, lsn1, lsn2)}


def outbox_reference_once(s, poll, n):
    s.run("TRUNCATE bench.ref_outbox;")
    s.run("CHECKPOINT;")
    ins, upd = ref_outbox_sqls(n)
    lsn0 = poll.run(LSN_SQL)
    ti, _ = s.timed(ins)
    lsn1 = poll.run(LSN_SQL)
    tu, _ = s.timed(upd)
    lsn2 = poll.run(LSN_SQL)
    if int(s.run("SELECT count(*) FROM bench.ref_outbox WHERE state = 'sent'")) != n:
        raise RuntimeError("outbox reference: not %d rows sent" % n)
    s.run("TRUNCATE bench.ref_outbox;")
    return {"insert_s": ti, "update_s": tu, "total_s": ti + tu,
            "wal_insert_bytes": wal_bytes(poll, lsn0, lsn1),
            "wal_update_bytes": wal_bytes(poll, lsn1, lsn2)}


def pickup_trials(ctx, s, poll, trials):
    """Latency from COMMIT of one queued row to nginx logging its request."""
    logf = os.path.join(ctx.nginx.dir, "pickup.log")

    def logged():
        try:
            with open(logf) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    s.run("TRUNCATE sms_api.outbox, sms_api.message_status;")
    rnd = random.Random(11)
    lat, commit_ms = [], []
    for i in range(trials + 1):     # the first is a warm-up
        time.sleep(rnd.uniform(0.05, 0.25))   # the worker idle in any phase of its wait
        # the warm-up queues what one_bulk_body() holds: its request must be as long
        s.run("BEGIN; SELECT sms_api.sms_queue('%s', '%s');"
              % (destination(1 if i == 0 else i + 1), TEXT if i == 0 else "pickup %d" % i))
        seen = len(logged())
        t0 = time.time()
        s.run("COMMIT;")
        t1 = time.time()
        deadline = t0 + 10
        while True:
            lines = logged()
            if len(lines) > seen:
                break
            if time.time() > deadline:
                raise RuntimeError("pickup: no request reached nginx within 10 s of COMMIT; "
                                   "worker: %s" % worker_info(poll))
            time.sleep(0.0005)
        if len(lines) != seen + 1:
            raise RuntimeError("pickup: %d requests for one row" % (len(lines) - seen))
        arrived, length = lines[seen].split()[:2]
        arrived = float(arrived)
        if i == 0 and int(length) != len(one_bulk_body().encode()):
            raise RuntimeError("the worker's one-message request is %s bytes, the raw loop's "
                               "one-message body %d" % (length, len(one_bulk_body().encode())))
        deadline = time.time() + 10
        while int(poll.run(OUTBOX_LEFT_SQL)) != 0:
            if time.time() > deadline:
                raise RuntimeError("pickup: the row was not recorded as sent")
            time.sleep(0.002)
        if i > 0:
            lat.append((arrived - t0) * 1000)
            commit_ms.append((t1 - t0) * 1000)
    return lat, commit_ms


def figure_outbox(ctx):
    n = ctx.args.outbox
    k = ctx.args.outbox_http
    s = Session(ctx.cluster, "bench_outbox")
    poll = Session(ctx.cluster, "bench_outbox_poll")
    try:
        wait_worker(poll)
        # warm-up at full size: the worker's connection and plans, the
        # reference's plans, and WAL segments to recycle (every run starts
        # with a CHECKPOINT, which recycles the previous run's segments:
        # otherwise whichever side first crosses into new WAL pays for
        # zero-filling 16 MB files)
        outbox_once(ctx, s, poll, n)
        outbox_reference_once(s, poll, n)
        ours, ref, single, bulk1 = [], [], [], []
        for rep in range(ctx.args.reps):
            for which in order(rep):
                if which == 0:
                    ours.append(outbox_once(ctx, s, poll, n))
                else:
                    ref.append(outbox_reference_once(s, poll, n))
            # one HTTP request per row: a single send, and a bulk of one
            # message to the endpoint the worker uses; the faster counts
            for path, body, into in (("/v1/send-sms", ctx.single_body, single),
                                     ("/v1/send-bulk-sms", ctx.one_bulk_body, bulk1)):
                into.append(rawloop(ctx, path, k, [body], 10)[0])
        log("outbox: ours %s s (queue %s, drain %s); plain INSERT+UPDATE %s s; one request "
            "per row %s / %s req/s" % (
                ", ".join("%.2f" % r["total_s"] for r in ours),
                ", ".join("%.2f" % r["queue_s"] for r in ours),
                ", ".join("%.2f" % r["drain_s"] for r in ours),
                ", ".join("%.2f" % r["total_s"] for r in ref),
                ", ".join("%.0f" % x for x in single), ", ".join("%.0f" % x for x in bulk1)))
        lat, commit_ms = pickup_trials(ctx, s, poll, ctx.args.trials)
        if ctx.args.perf:
            outbox_once(ctx, s, poll, n, perf_name="outbox")
        s.run("TRUNCATE sms_api.outbox, sms_api.message_status, bench.ref_outbox;")
    finally:
        s.close()
        poll.close()
    best = min(ours, key=lambda r: r["total_s"])
    rbest = min(ref, key=lambda r: r["total_s"])
    o, r = n / best["total_s"], n / rbest["total_s"]
    http = max(single + bulk1)
    ctx.raw["outbox"] = {"ours": ours, "reference": ref, "single_send_req_per_s": single,
                         "one_message_bulk_req_per_s": bulk1, "pickup_ms": lat,
                         "pickup_commit_ms": commit_ms}
    ctx.notes.append(
        "outbox: ours = one autocommit `SELECT count(sms_api.sms_queue(...)) FROM "
        "generate_series(1, %s)` until `%s` is 0 (checked every 20 ms once the worker's "
        "messages_sent counter says all went out); %d requests of up to 1000 per run. Best run: "
        "queueing %.2f s (the backend used %.2f s CPU), draining %.2f s (the worker used %.2f s "
        "CPU, nginx %.2f s). Reference, best: INSERT %.2f s + UPDATE %.2f s into "
        "bench.ref_outbox (LIKE sms_api.outbox INCLUDING ALL: the same indexes). WAL per "
        "message: queueing %.0f B, draining %.0f B; the INSERT %.0f B, the UPDATE %.0f B."
        % (n, OUTBOX_LEFT_SQL, best["requests"], best["queue_s"],
           best["backend_cpu_queue_s"], best["drain_s"], best["worker_cpu_drain_s"],
           best["nginx_cpu_drain_s"], rbest["insert_s"], rbest["update_s"],
           best["wal_queue_bytes"] / n, best["wal_drain_bytes"] / n,
           rbest["wal_insert_bytes"] / n, rbest["wal_update_bytes"] / n))
    ctx.notes.append(
        "outbox: one request per row = the raw libcurl loop, one kept-alive connection, %s "
        "POSTs of one message per repetition: best %s to /v1/send-sms, %s to /v1/send-bulk-sms "
        "with a one-message body; the faster is the reference (%s rows would take %.1f s). The "
        "plain INSERT + UPDATE alone is %.1fx this rate in this run."
        % ("{:,}".format(k), fmt_rate(max(single), "req/s"), fmt_rate(max(bulk1), "req/s"),
           "{:,}".format(n), n / http, r / http))
    ctx.notes.append(
        "outbox pickup: a session queues one row in an open transaction; the clock starts when "
        "COMMIT is handed to psql (the COMMIT itself took median %.2f ms) and stops when nginx's "
        "handler for that one-message request starts (clock_gettime() from Lua, logged only "
        "for one-message bulk requests with sms_api's User-Agent); 50-250 ms idle before each "
        "trial."
        % statistics.median(commit_ms))
    return [
        Row("outbox: sms_queue() of %s messages, COMMIT, until all are sent, messages/s"
            % "{:,}".format(n), fmt_rate(o, "msg/s"),
            fmt_rate(r, "rows/s (plain INSERT + UPDATE)"), "%.2fx" % (o / r), ">= 0.50x",
            o / r >= 0.5),
        Row("outbox, queueing phase: the sms_queue() transaction, messages/s",
            fmt_rate(n / best["queue_s"], "msg/s"),
            fmt_rate(n / rbest["insert_s"], "rows/s (the plain INSERT)"),
            "%.2fx" % (rbest["insert_s"] / best["queue_s"]), "-", None),
        Row("outbox, draining phase: COMMIT to the last row sent, messages/s",
            fmt_rate(n / best["drain_s"], "msg/s"),
            fmt_rate(n / rbest["update_s"], "rows/s (the plain UPDATE)"),
            "%.2fx" % (rbest["update_s"] / best["drain_s"]), "-", None),
        Row("outbox vs one HTTP request per row, messages/s", fmt_rate(o, "msg/s"),
            fmt_rate(http, "req/s (raw libcurl loop, 1 message per POST)"),
            "%.1fx" % (o / http), ">= 10x", o / http >= 10),
        Row("outbox pickup: COMMIT of one queued row to nginx receiving it, %d trials"
            % len(lat), "median %.1f ms, max %.1f ms" % (statistics.median(lat), max(lat)),
            "-", "-", "max < 100 ms", max(lat) < 100),
    ]


def figure_rtt(ctx):
    """The outbox figure's comparison again, with a real round trip: nginx
    answers both send endpoints after rtt_ms (as an API across a network
    would), the worker's base_url points there, and the raw loop posts one
    message per request to it."""
    n = ctx.args.outbox
    rtt = ctx.args.rtt_ms
    k = max(50, int(2000 / max(rtt, 0.1)))     # about 2 s of one request per row
    s = Session(ctx.cluster, "bench_rtt")
    poll = Session(ctx.cluster, "bench_rtt_poll")
    try:
        s.run("ALTER SYSTEM SET sms_api.base_url = '%s/rtt';" % ctx.nginx.url)
        s.run("SELECT pg_reload_conf();")
        time.sleep(1)
        wait_worker(poll)
        outbox_once(ctx, s, poll, min(n, 10000))    # warm-up
        ours = [outbox_once(ctx, s, poll, n) for _ in range(ctx.args.reps)]
        single = [rawloop(ctx, "/rtt/v1/send-sms", k, [ctx.single_body], 2)[0]
                  for _ in range(ctx.args.reps)]
    finally:
        s.run("ALTER SYSTEM RESET sms_api.base_url;")
        s.run("SELECT pg_reload_conf();")
        s.close()
        poll.close()
    time.sleep(1)
    best = min(ours, key=lambda r: r["total_s"])
    o, http = n / best["total_s"], max(single)
    ctx.raw["rtt"] = {"rtt_ms": rtt, "ours": ours, "single_send_req_per_s": single}
    ctx.notes.append(
        "rtt: nginx answers /rtt/v1/send-sms and /rtt/v1/send-bulk-sms after %.1f ms "
        "(ngx.sleep); the worker's base_url points there (ALTER SYSTEM, reloaded); ours = the "
        "outbox figure's run (%s messages, best of %d), the reference = the raw loop posting "
        "%d single sends there over one kept-alive connection (best of %d)."
        % (rtt, "{:,}".format(n), len(ours), k, len(single)))
    return Row("outbox vs one HTTP request per row, each answer after %.1f ms, messages/s" % rtt,
               fmt_rate(o, "msg/s"), fmt_rate(http, "req/s (raw libcurl loop, 1 per POST)"),
               "%.0fx" % (o / http), "-", None)


# Where the worker is sent while the queue_memory figure runs: nginx answers
# 404 under it (`location /`), which the worker takes for a wrong URL and
# stops draining until the next reload ("paused"), so it never touches the
# measured rows.
PAUSED_PATH = "/paused"


def worker_state_until(poll, want, timeout=30, what=""):
    """Wait until want(worker_info) holds; returns the worker's info."""
    deadline = time.time() + timeout
    while True:
        w = worker_info(poll)
        if want(w):
            return w
        if time.time() > deadline:
            raise RuntimeError("the sms_api worker did not %s within %d s: %s"
                               % (what, timeout, w))
        time.sleep(0.05)


def pause_worker(ctx, s, poll):
    """Point sms_api.base_url where nginx answers 404, then queue one probe
    row: the worker's request for it is refused as a wrong URL, and the
    worker pauses (drain.c) with the row back in 'queued'. Returns the
    worker's info once paused and the probe is settled."""
    s.run("ALTER SYSTEM SET sms_api.base_url = '%s%s';" % (ctx.nginx.url, PAUSED_PATH))
    s.run("SELECT pg_reload_conf();")
    time.sleep(1)       # the reload reaches the worker (as in figure_rtt)
    wait_worker(poll)
    probe = w = None
    # a probe that went out (the reload not seen yet) is followed by another
    for _ in range(5):
        s.run("TRUNCATE sms_api.outbox;")
        s.run("SELECT sms_api.sms_queue('%s', 'queue_memory probe');" % destination(1))
        deadline = time.time() + 10
        while time.time() < deadline:
            w = worker_info(poll)
            probe = poll.run("SELECT state || '|' || coalesce(last_error, '') "
                             "FROM sms_api.outbox")
            if w["state"].startswith("paused") and probe.startswith("queued|") \
                    and probe != "queued|":
                s.run("TRUNCATE sms_api.outbox;")
                return w
            if probe.startswith("sent|"):
                break
            time.sleep(0.05)
        time.sleep(0.5)
    raise RuntimeError("queue_memory: the worker did not pause on %s%s (probe row %r, "
                       "worker %s)" % (ctx.nginx.url, PAUSED_PATH, probe, w))


def figure_queue_memory(ctx):
    """Peak memory of one sms_queue() transaction of n rows, each side in a
    fresh backend, over that backend's own VmHWM after the prewarm."""
    n = ctx.args.queue_memory
    s = ctx.cluster_session
    poll = Session(ctx.cluster, "bench_qmem_poll")
    ins, _ = ref_outbox_sqls(n)
    try:
        s.run("TRUNCATE sms_api.outbox, sms_api.message_status, bench.ref_outbox;")
        w0 = pause_worker(ctx, s, poll)
        requests0 = ctx.nginx.requests()
        # ours: one autocommit statement, so its COMMIT is measured too
        ob, oa, osecs, oout = peak_memory(ctx, queue_sql(n), "bench_qmem_ours")
        counts = s.run("SELECT count(*) || '|' || count(*) FILTER (WHERE state = 'queued' AND "
                       "attempts = 0) FROM sms_api.outbox;")
        w1 = worker_info(poll)
        requests = ctx.nginx.requests() - requests0 - 1
        if (int(oout) != n or counts != "%d|%d" % (n, n) or w1["sent"] != w0["sent"]
                or w1["requests"] != w0["requests"] or requests != 0):
            raise RuntimeError("queue_memory: sms_queue() returned %s for %d rows; the outbox "
                               "holds (all|queued untried) %s; the worker sent %d messages in "
                               "%d requests meanwhile, nginx saw %d requests"
                               % (oout, n, counts, w1["sent"] - w0["sent"],
                                  w1["requests"] - w0["requests"], requests))
        s.run("TRUNCATE sms_api.outbox;")
        # the reference: the outbox figure's plain INSERT of the same rows
        rb, ra, rsecs, _ = peak_memory(ctx, ins, "bench_qmem_ref")
        rcount = int(s.run("SELECT count(*) FROM bench.ref_outbox;"))
        if rcount != n:
            raise RuntimeError("queue_memory: the reference inserted %d rows, not %d" % (rcount, n))
    finally:
        # nothing left for the worker, then its usual URL back (a reload
        # also ends the pause); no leftovers for autovacuum or checkpoints
        # in the figures that follow
        s.run("TRUNCATE sms_api.outbox, sms_api.message_status, bench.ref_outbox;")
        s.run("ALTER SYSTEM RESET sms_api.base_url;")
        s.run("SELECT pg_reload_conf();")
        try:
            worker_state_until(poll, lambda w: not w["state"].startswith("paused"),
                               what="resume after the reload")
        finally:
            poll.close()
        s.run("VACUUM ANALYZE sms_api.outbox, sms_api.message_status, bench.ref_outbox;")
        s.run("CHECKPOINT;")
    mb = 1024.0
    ours = (oa["VmHWM"] - ob["VmHWM"]) / mb
    ref = (ra["VmHWM"] - rb["VmHWM"]) / mb
    diff = ours - ref
    ctx.raw["queue_memory"] = {"rows": n, "ours_before": ob, "ours_after": oa,
                               "ref_before": rb, "ref_after": ra,
                               "ours_s": osecs, "ref_s": rsecs}
    ctx.notes.append(
        "queue_memory: VmHWM of a fresh backend (the memory figure's method: all of "
        "shared_buffers touched first) running one autocommit `%s`, its COMMIT included, minus "
        "that backend's VmHWM before it (%.0f -> %.0f MB); the reference, in its own fresh "
        "backend, the outbox figure's plain INSERT of the same %s rows into bench.ref_outbox "
        "(%.0f -> %.0f MB). Ours - reference = %.0f bytes per row. The worker was paused "
        "meanwhile (sms_api.base_url pointed at a 404, ALTER SYSTEM, reloaded; checked: it sent "
        "nothing, all %s rows still queued), both tables emptied afterwards. Ours took %.1f s, "
        "the reference %.1f s."
        % (queue_sql(n), ob["VmHWM"] / mb, oa["VmHWM"] / mb, "{:,}".format(n),
           rb["VmHWM"] / mb, ra["VmHWM"] / mb, diff * 1048576.0 / n, "{:,}".format(n),
           osecs, rsecs))
    return Row("sms_queue(), %s rows in one transaction, peak backend memory over a fresh "
               "backend's" % "{:,}".format(n),
               "%.1f MB" % ours, "%.1f MB (plain INSERT)" % ref,
               "%+.1f MB (%s)" % (diff, "%.2fx" % (ours / ref) if ref > 0 else "-"),
               "<= +32 MB", diff <= 32, info=True)


# Main -------------------------------------------------------------------------

class Context:
    pass


def print_table(rows, out=sys.stdout):
    head = ("figure", "ours", "reference", "ratio", "target", "result")
    cells = [head] + [(r.figure, r.ours, r.reference, r.ratio, r.target, r.result) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    line = "  ".join("%%-%ds" % w for w in widths)
    print(line % head, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for c in cells[1:]:
        print(line % c, file=out)


def markdown_table(rows):
    lines = ["| figure | ours | reference | ratio | target | result |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            r.figure, r.ours, r.reference, r.ratio, r.target, r.result))
    return "\n".join(lines)


FIGURES = ("send", "bulk", "memory", "queue_memory", "merge", "cancel", "outbox", "rtt")


def parse_args():
    p = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sends", type=int, default=20000, help="sms_send calls per timed run (20000)")
    p.add_argument("--bulk", type=int, default=100000, help="destinations per bulk run (100000)")
    p.add_argument("--memory", type=int, default=1000000,
                   help="destinations for the memory figure (1000000)")
    p.add_argument("--queue-memory", type=int, default=1000000,
                   help="rows queued in the one transaction of the queue_memory figure "
                        "(1000000)")
    p.add_argument("--statuses", type=int, default=100000,
                   help="statuses in the list answer (100000)")
    p.add_argument("--outbox", type=int, default=100000,
                   help="messages queued and drained per outbox run (100000)")
    p.add_argument("--outbox-http", type=int, default=10000,
                   help="one-message POSTs per repetition for the one-request-per-row rate "
                        "(10000)")
    p.add_argument("--rtt-ms", type=float, default=5.0,
                   help="rtt figure: the round trip nginx adds to each send request (5)")
    p.add_argument("--trials", type=int, default=20,
                   help="cancel trials of each kind, and outbox pickup trials (20)")
    p.add_argument("--reps", type=int, default=3, help="repetitions of each timed figure (3)")
    p.add_argument("--blocks", type=int, default=10,
                   help="send figure: alternating blocks of ours and the raw loop per "
                        "repetition (10)")
    p.add_argument("--only", default=",".join(FIGURES),
                   help="comma-separated figures to run (%s)" % ",".join(FIGURES))
    p.add_argument("--quick", action="store_true",
                   help="small sizes, one repetition: a smoke test of the harness itself")
    p.add_argument("--no-build", action="store_true",
                   help="skip apt-get and make/make install (use the installed extension)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--json", metavar="FILE", help="also write the raw measurements as JSON")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--explain", metavar="DIR",
                   help="load auto_explain (log_analyze on, timing off, nested statements "
                        "too) and log the plan of every statement over 5 ms, the worker's "
                        "included; the server log and a per-statement summary (count, total, "
                        "max) go to DIR. Slows the statements a little: for reading plans, not "
                        "for figures")
    p.add_argument("--perf", metavar="DIR",
                   help="after the timed runs, run ours once more under `perf record` "
                        "(send, bulk, merge; outbox: the queueing backend and the worker) "
                        "and summarise where the time goes; "
                        "perf.data and reports go to DIR")
    args = p.parse_args()
    if args.quick:
        args.sends, args.bulk, args.memory = 2000, 10000, 100000
        args.queue_memory = 100000
        args.statuses, args.trials, args.reps = 10000, 5, 1
        args.outbox, args.outbox_http = 10000, 2000
    if args.perf:
        if not shutil.which("perf"):
            p.error("--perf needs perf (Debian package linux-perf)")
        args.perf = os.path.abspath(args.perf)
        os.makedirs(args.perf, exist_ok=True)
    if args.explain:
        args.explain = os.path.abspath(args.explain)
        os.makedirs(args.explain, exist_ok=True)
    args.only = [f.strip() for f in args.only.split(",") if f.strip()]
    for f in args.only:
        if f not in FIGURES:
            p.error("unknown figure %r" % f)
    return args


def setup_cluster(ctx):
    s = ctx.cluster_session = Session(ctx.cluster, "bench_setup")
    # the worker must serve the database the bench queues in, with its
    # polling off (set in postgresql.conf before the server started)
    want = {"sms_api.database": BENCH_DB, "sms_api.status_poll_interval_ms": "0",
            "sms_api.mo_poll_interval_ms": "0", "sms_api.send_rate_limit": "0",
            "current_database()": BENCH_DB}
    for name, value in want.items():
        got = s.run("SELECT %s;" % name if name.endswith(")")
                    else "SELECT current_setting('%s');" % name)
        if got != value:
            raise RuntimeError("cluster setting %s is %r, not %r" % (name, got, value))
    s.run("CREATE EXTENSION sms_api;")
    s.run("CREATE EXTENSION pg_prewarm;")
    s.run("CREATE SCHEMA bench;")
    s.run("CREATE TABLE bench.ref_status (LIKE sms_api.message_status INCLUDING ALL);")
    # the outbox reference: the same columns, defaults, constraints and
    # indexes (partial and expression ones included), its own id sequence
    s.run("CREATE TABLE bench.ref_outbox (LIKE sms_api.outbox INCLUDING ALL);")
    # LIKE copies no storage parameters: the same fillfactor, so that the
    # reference's UPDATE can use the same free space on each page
    relopts = s.run("SELECT array_to_string(reloptions, ', ') FROM pg_class "
                    "WHERE oid = 'sms_api.outbox'::regclass;")
    if relopts:
        s.run("ALTER TABLE bench.ref_outbox SET (%s);" % relopts)
    s.run("CREATE SEQUENCE bench.ref_outbox_id_seq OWNED BY bench.ref_outbox.id;")
    s.run("ALTER TABLE bench.ref_outbox ALTER id SET DEFAULT nextval('bench.ref_outbox_id_seq');")
    idx = "SELECT string_agg(regexp_replace(indexdef, '^.* USING ', ''), '; ' ORDER BY 1) " \
          "FROM pg_indexes WHERE schemaname = '%s' AND tablename = '%s';"
    ours_idx, ref_idx = s.run(idx % ("sms_api", "outbox")), s.run(idx % ("bench", "ref_outbox"))
    if ours_idx != ref_idx:
        raise RuntimeError("bench.ref_outbox has other indexes than sms_api.outbox:\n%s\n%s"
                           % (ours_idx, ref_idx))
    if "memory" in ctx.args.only or "queue_memory" in ctx.args.only:
        # larger than shared_buffers: pg_prewarm of it touches every buffer
        sb = int(s.run("SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers';"))
        rows = int(sb * 1.25 / 1100) + 1000
        s.run("CREATE TABLE bench.ballast WITH (autovacuum_enabled = off) AS "
              "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, %d) g;" % rows)
    s.run("VACUUM ANALYZE;")


def check_bodies(ctx):
    """The bodies the raw loop posts have the shape sms_api sends (through the simulator)."""
    sim = ctx.sim
    s = ctx.cluster_session
    sim_control(sim, "/_sim/reset", {})
    s.run("SET sms_api.base_url = '%s';" % sim.http)
    s.run("SELECT id FROM sms_api.sms_send('%s', '%s');" % (destination(1), TEXT))
    s.run("SELECT count(id) FROM sms_api.sms_send_bulk(%s, '%s');" % (array_sql(3), TEXT))
    s.run("RESET sms_api.base_url;")
    s.run("TRUNCATE sms_api.message_status;")
    got = [r["body"] for r in sim_control(sim, "/_sim/requests")
           if r["path"] in ("/v1/send-sms", "/v1/send-bulk-sms")]
    want = [json.loads(single_body()), json.loads(bulk_body(1, 3))]
    if got != want:
        raise RuntimeError("sms_api sent bodies of another shape than the raw loop posts:\n"
                           "%s\nvs\n%s" % (got, want))
    sim_control(sim, "/_sim/reset", {})


def main():
    args = parse_args()
    started = time.time()
    if not args.no_build:
        ensure_packages()
        build_extension()
    elif not os.path.exists(LUA_MODULE) or not shutil.which("nginx"):
        sys.exit("bench: nginx and libnginx-mod-http-lua are missing (run without --no-build)")

    ctx = Context()
    ctx.args = args
    ctx.notes = []
    ctx.profiles = []
    ctx.raw = {}
    ctx.root = harness.make_workdir("sms_api_bench.")
    ngxdir = os.path.join(ctx.root, "nginx")
    os.makedirs(ngxdir)
    os.chmod(ngxdir, 0o755)
    ctx.cluster = ctx.sim = ctx.nginx = ctx.cluster_session = None
    rows = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        ctx.rawloop = compile_rawloop(ctx.root)
        ctx.cpu_speeds = cpu_speeds()
        fastest = min(ctx.cpu_speeds.values())
        ctx.notes.append("CPUs: a fixed busy loop took %s; the send, bulk and merge figures pin "
                         "the measured session (and the raw loop) to CPU %d and nginx's worker "
                         "to CPU %d." % (", ".join("%.1f ms on CPU %d (%.2fx the fastest)"
                                                   % (t * 1e3, c, t / fastest)
                                                   for c, t in sorted(ctx.cpu_speeds.items())),
                                         *client_layout(ctx)))
        log(ctx.notes[-1])
        log("generating request bodies and a %s-status list" % "{:,}".format(args.statuses))
        ctx.single_body = os.path.join(ctx.root, "single.json")
        with open(ctx.single_body, "w") as f:
            f.write(single_body())
        ctx.one_bulk_body = os.path.join(ctx.root, "one_bulk.json")
        with open(ctx.one_bulk_body, "w") as f:
            f.write(one_bulk_body())
        ctx.bulk_bodies = []
        bodydir = os.path.join(ctx.root, "bulk")
        os.makedirs(bodydir)
        for c in range((args.bulk + 999) // 1000):
            path = os.path.join(bodydir, "%03d.json" % c)
            with open(path, "w") as f:
                f.write(bulk_body(c * 1000 + 1, min(1000, args.bulk - c * 1000)))
            ctx.bulk_bodies.append(path)
        ctx.status_file = os.path.join(ngxdir, "statuses.json")
        write_status_file(ctx.status_file, args.statuses)

        ctx.nginx = Nginx(ngxdir, ctx.status_file, args.rtt_ms).start()
        ctx.sim = harness.Simulator(ctx.root, username=USERNAME).start()
        ctx.token = ctx.sim.token
        token_file = os.path.join(ctx.root, "token")
        harness.write_secret(token_file, ctx.token)
        settings = {
            "sms_api.base_url": ctx.nginx.url,
            "sms_api.username": USERNAME,
            "sms_api.token_file": token_file,
            "sms_api.send_rate_limit": 0,
            "sms_api.query_rate_limit": 0,
            # the worker drains the outbox of the database the bench uses,
            # and does nothing else (no status or MO polling traffic)
            "sms_api.database": BENCH_DB,
            "sms_api.status_poll_interval_ms": 0,
            "sms_api.mo_poll_interval_ms": 0,
            "jit": "off",                 # no compile-time noise in either side
        }
        if args.explain:
            settings.update({"shared_preload_libraries": "sms_api,auto_explain",
                             "auto_explain.log_min_duration": "5ms",
                             "auto_explain.log_analyze": "on",
                             "auto_explain.log_timing": "off",
                             "auto_explain.log_nested_statements": "on"})
        size = os.path.getsize(ctx.status_file)
        if size > 60 * 1048576:
            settings["sms_api.max_response_bytes"] = "%dMB" % (size // 1048576 + 64)
        ctx.cluster = harness.Cluster(ctx.root, settings).init().start()
        log("nginx %s, simulator %s, cluster port %d, in %s"
            % (ctx.nginx.url, ctx.sim.http, ctx.cluster.port, ctx.root))
        setup_cluster(ctx)
        check_bodies(ctx)
        if args.perf:
            # keep the library the server mapped: a `make install` meanwhile
            # replaces the file, and perf can then no longer read its symbols
            pkglib = subprocess.check_output(["pg_config", "--pkglibdir"], text=True).strip()
            # under test/private_pg.sh the server runs from a private copy
            bindir = subprocess.check_output(["pg_config", "--bindir"], text=True).strip()
            if harness.pg_bindir() != bindir and harness.pg_bindir().endswith(bindir):
                pkglib = harness.pg_bindir()[:-len(bindir)] + pkglib
            ctx.so_path = os.path.join(pkglib, "sms_api.so")
            ctx.so_copy = os.path.join(args.perf, "sms_api.so")
            shutil.copyfile(ctx.so_path, ctx.so_copy)

        for name in args.only:
            log("figure: %s" % name)
            t = time.time()
            got = globals()["figure_" + name](ctx)
            rows.extend(got if isinstance(got, list) else [got])
            log("figure %s done in %.0f s" % (name, time.time() - t))
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        rows = None
    finally:
        if ctx.cluster_session:
            ctx.cluster_session.close()
        if ctx.cluster:
            ctx.cluster.stop()
            if args.explain and os.path.exists(ctx.cluster.logfile):
                explain_summary(ctx)
        if ctx.sim:
            ctx.sim.stop()
        if ctx.nginx:
            ctx.nginx.stop()
        if args.keep:
            log("kept %s" % ctx.root)
        else:
            shutil.rmtree(ctx.root, ignore_errors=True)
    if rows is None:
        sys.exit(130)

    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print()
    print("sms_api benchmarks, %s, %s, %d CPUs, %.0f s in all"
          % (when, socket.gethostname(), os.cpu_count(), time.time() - started))
    print()
    print_table(rows)
    print()
    for n in ctx.notes:
        print("- " + n)
    if ctx.profiles:
        print()
        print("Profiles (--perf, --explain):")
        for p in ctx.profiles:
            print(p)
    missed = [r for r in rows if r.counts and r.ok is False]
    checked = [r for r in rows if r.counts]
    print()
    print("%d of %d targets met" % (len(checked) - len(missed), len(checked)))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_table(rows) + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": when, "raw": ctx.raw,
                       "rows": [r.__dict__ for r in rows]}, f, indent=1)
    if args.strict and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
