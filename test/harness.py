"""Throwaway PostgreSQL clusters and the API simulator, for the test driver,
the demo and the benchmarks.

PostgreSQL refuses to run as root, so when we are root the server runs as
the `postgres` OS user, in a temporary directory, on a non-default port,
with its socket in that directory.
"""
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pg_bindir():
    # test/private_pg.sh points this at a private copy with this tree's build
    return os.environ.get("SMS_API_PG_BINDIR") or \
        subprocess.check_output(["pg_config", "--bindir"], text=True).strip()


def as_server_user():
    """Command prefix that runs a program as the server's OS user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


def server_user():
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def make_workdir(prefix):
    """A temporary directory the server's OS user owns."""
    root = tempfile.mkdtemp(prefix=prefix)
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def chown_to_server(path):
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Simulator:
    """test/sim/simulator.py on free ports, HTTP and HTTPS with a test CA.
    Sinch: username, token. Reach: reach_key, reach_secret,
    reach_short_name, and reach_url (the API root, for
    sms_api.reach_base_url). Directcall: directcall_client_id,
    directcall_client_secret, and directcall_url (for
    sms_api.directcall_base_url)."""

    def __init__(self, root, username="demo", token=None, reach_key=None,
                 reach_secret=None, reach_short_name="SIMCO", directcall_client_id=None,
                 directcall_client_secret=None):
        self.root = root
        self.username = username
        self.token = token or "sim-" + secrets.token_hex(16)
        self.reach_key = reach_key or "rk-" + secrets.token_hex(8)
        self.reach_secret = reach_secret or "rs-" + secrets.token_hex(16)
        self.reach_short_name = reach_short_name
        self.reach_url = None
        self.directcall_client_id = directcall_client_id or "dc-" + secrets.token_hex(8)
        self.directcall_client_secret = (directcall_client_secret
                                         or "dcs-" + secrets.token_hex(16))
        self.directcall_url = None
        self.certs = os.path.join(root, "certs")
        self.ready = os.path.join(root, "simulator.json")
        self.proc = None
        self.http = self.https = self.ca = None

    def start(self):
        os.makedirs(self.certs, exist_ok=True)
        self.log = open(os.path.join(self.root, "simulator.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(REPO, "test", "sim", "simulator.py"),
             "--port", "0", "--tls-port", "0", "--cert-dir", self.certs,
             "--username", self.username, "--token", self.token,
             "--admin-users", self.username,
             "--reach-api-key", self.reach_key, "--reach-api-secret", self.reach_secret,
             "--reach-short-name", self.reach_short_name,
             "--directcall-client-id", self.directcall_client_id,
             "--directcall-client-secret", self.directcall_client_secret,
             "--ready-file", self.ready],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("the simulator did not start; see " + self.log.name)
            time.sleep(0.05)
        with open(self.ready) as f:
            info = json.load(f)
        self.http, self.https, self.ca = info["http"], info["https"], info["ca"]
        self.reach_url = self.http + "/reach/api/rest"
        self.directcall_url = self.http + "/directcall"
        # the server's OS user reads the CA files
        for name in os.listdir(self.certs):
            if name.endswith(".pem"):
                os.chmod(os.path.join(self.certs, name), 0o644)
        os.chmod(self.certs, 0o755)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            self.log.close()



def sim_control(sim, path, payload=None):
    """GET the simulator's control path, or POST payload to it."""
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(sim.http + path, data=data,
                                 method="GET" if data is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


class Cluster:
    """A throwaway cluster: initdb, start, psql, stop."""

    def __init__(self, root, settings=None):
        self.root = root
        self.data = os.path.join(root, "data")
        self.logfile = os.path.join(root, "server.log")
        self.port = free_port()
        self.settings = settings or {}
        self.bindir = pg_bindir()

    def _run(self, args, **kw):
        return subprocess.run(as_server_user() + args, check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw)

    def init(self):
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data,
                   "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8",
                   "--locale=C"])
        conf = {
            "port": self.port,
            "listen_addresses": "",
            "unix_socket_directories": self.root,
            "fsync": "off",
            "shared_preload_libraries": "sms_api",
        }
        conf.update(self.settings)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            for k, v in conf.items():
                if isinstance(v, str):
                    v = "'" + v.replace("'", "''") + "'"
                f.write("%s = %s\n" % (k, v))
        return self

    def start(self):
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                   "-l", self.logfile, "-w", "-t", "60", "start"])
        return self

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run(as_server_user() + [
                os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def conninfo(self, db="postgres"):
        return ["-h", self.root, "-p", str(self.port), "-U", "postgres", "-d", db]

    def psql_cmd(self, db="postgres"):
        return [os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1"] + self.conninfo(db)

    def psql(self, sql, db="postgres", check=True):
        """Run SQL, return (returncode, stdout, stderr)."""
        p = subprocess.run(self.psql_cmd(db) + ["-c", sql], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, p.stderr))
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    def server_log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()


class Session:
    """One psql process, so one backend, kept across statements: for an open
    transaction, the locks it holds, or its CPU time."""

    def __init__(self, cluster, db="postgres"):
        self.p = subprocess.Popen(cluster.psql_cmd(db), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, bufsize=1)

    def send(self, sql):
        """Hand over sql and return at once; answer() reads its output."""
        self.p.stdin.write(sql + ";\n\\echo __done__\n")
        self.p.stdin.flush()

    def answer(self):
        lines = []
        for line in self.p.stdout:
            if line.strip() == "__done__":
                return "\n".join(lines)
            lines.append(line.strip())
        raise AssertionError("the psql session ended: %s" % "\n".join(lines))

    def query(self, sql):
        self.send(sql)
        return self.answer()

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()


def write_secret(path, text):
    """A file only the server's OS user can read (sms_api.token_file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    chown_to_server(path)


def simulator_and_cluster(prefix, settings=None):
    """The simulator and a cluster configured to use it (not yet started):
    base_url, username and a token file the server's OS user alone reads;
    for Reach its base URL, key, short name and a secret file; for
    Directcall its base URL, client id, a client secret file and the caller
    number (origin)."""
    root = make_workdir(prefix)
    sim = Simulator(root).start()
    token_file = os.path.join(root, "token")
    write_secret(token_file, sim.token)
    reach_secret_file = os.path.join(root, "reach_secret")
    write_secret(reach_secret_file, sim.reach_secret)
    directcall_secret_file = os.path.join(root, "directcall_secret")
    write_secret(directcall_secret_file, sim.directcall_client_secret)
    conf = {
        "sms_api.base_url": sim.http,
        "sms_api.username": sim.username,
        "sms_api.token_file": token_file,
        "sms_api.reach_base_url": sim.reach_url,
        "sms_api.reach_api_key": sim.reach_key,
        "sms_api.reach_api_secret_file": reach_secret_file,
        "sms_api.reach_short_name": sim.reach_short_name,
        "sms_api.directcall_base_url": sim.directcall_url,
        "sms_api.directcall_client_id": sim.directcall_client_id,
        "sms_api.directcall_client_secret_file": directcall_secret_file,
        "sms_api.directcall_origin": "554130600300",
    }
    conf.update(settings or {})
    return root, sim, Cluster(root, conf)


# The cluster settings the pg_regress suites expect (test/run.py and make
# installcheck): the worker serves database "regression".
SUITE_SETTINGS = {
    "sms_api.database": "regression",
    # the worker's polling is switched on by the suites that test it
    "sms_api.status_poll_interval_ms": 0,
    "log_min_messages": "debug1",
    "log_min_error_statement": "debug1",
}


def regress_env(sim, root):
    """The environment the pg_regress suites read (test/simctl and the
    suites' \\getenv): where the simulator is and the credentials it knows."""
    return dict(os.environ, SIM_URL=sim.http, SIM_HTTPS=sim.https, SIM_CA=sim.ca,
                SIM_OTHER_CA=os.path.join(sim.certs, "other-ca.pem"),
                REACH_URL=sim.reach_url, REACH_KEY=sim.reach_key,
                REACH_SECRET=sim.reach_secret, REACH_SHORT_NAME=sim.reach_short_name,
                DIRECTCALL_URL=sim.directcall_url,
                DIRECTCALL_CLIENT_ID=sim.directcall_client_id,
                SIM_STATE_DIR=root, TEST_ROOT=root, PGTZ="UTC")
