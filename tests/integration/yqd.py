"""yqd -- run the real yuqingd binary for integration tests.

    from yqd import Daemon, write_config
    with RedisServer() as redis:
        conf = write_config(tmp, redis)          # minimal valid config
        with Daemon(conf) as d:                  # --foreground, waits for /healthz
            status, doc = d.healthz()
            d.kill(signal.SIGHUP)
            d.wait_log(r"configuration reloaded")
        assert d.returncode == 0                 # TERM on exit, exit status kept

The binaries come from YQ_YUQINGD / YQ_YUQINGCTL (set by ctest).  Output
goes to a log file in the test's temp dir; ``d.log()`` reads it.  The
process is stopped by pid.
"""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("YQ_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "fixtures"))

from yqfix import free_port, terminate_process, wait_for  # noqa: E402

YUQINGD = os.environ.get("YQ_YUQINGD", os.path.join(SOURCE_DIR, "build", "yuqingd"))
YUQINGCTL = os.environ.get("YQ_YUQINGCTL", os.path.join(SOURCE_DIR, "build", "yuqingctl"))
SANITIZED = os.environ.get("YQ_SANITIZED", "0") in ("1", "ON", "TRUE", "true")


def write_config(tmpdir, redis=None, extra="", http_port=None, redis_extra="",
                 name="yuqing.conf"):
    """Write a minimal valid config; returns (path, http_port)."""
    port = http_port or free_port()
    address = "unix:%s" % redis.socket if redis is not None else "127.0.0.1:1"
    text = """
log = { level = "debug"; };
daemon = { state_dir = "%(tmp)s"; shutdown_grace = "10s"; };
redis = { address = "%(addr)s"; backoff_min = "50ms"; backoff_max = "500ms";
          connect_timeout = "1s"; command_timeout = "3s"; %(rextra)s };
http = { listen = "127.0.0.1:%(port)d"; };
%(extra)s
""" % {"tmp": tmpdir, "addr": address, "port": port, "extra": extra,
       "rextra": redis_extra}
    path = os.path.join(tmpdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path, port


def http_get(url, timeout=5.0):
    """GET url; returns (status, body bytes) for any HTTP status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Daemon:
    """One yuqingd process, in the foreground, logging to a file."""

    def __init__(self, config, args=(), env=None, wait_healthy=True,
                 foreground=True, binary=None, prefix=()):
        self.config = config[0] if isinstance(config, tuple) else config
        self.port = config[1] if isinstance(config, tuple) else None
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.wait_healthy = wait_healthy
        self.foreground = foreground
        self.binary = binary or YUQINGD
        self.prefix = list(prefix)
        self.proc = None
        self.returncode = None
        self.logpath = self.config + ".log"

    def start(self):
        cmd = self.prefix + [self.binary, "--config", self.config]
        if self.foreground:
            cmd.append("--foreground")
        cmd += self.args
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     env=self.env)
        if self.wait_healthy:
            self.wait_status(200, timeout=30 if self.prefix else 10)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def healthz(self, timeout=5.0):
        try:
            status, body = http_get(self.url("/healthz"), timeout=timeout)
        except OSError:
            return None, None
        return status, json.loads(body.decode("utf-8"))

    def wait_status(self, status, timeout=10.0):
        def check():
            if self.proc.poll() is not None:
                raise AssertionError("yuqingd exited early (%s):\n%s"
                                     % (self.proc.returncode, self.log()))
            return self.healthz(timeout=1.0)[0] == status
        try:
            wait_for(check, timeout=timeout, what="/healthz %d" % status)
        except TimeoutError:
            raise AssertionError("no /healthz %d within %.0fs; log:\n%s"
                                 % (status, timeout, self.log()))

    def kill(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=15.0):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("yuqingd did not exit within %.0fs; log:\n%s"
                                 % (timeout, self.log()))
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop by pid (sig, then SIGKILL after timeout); keep the status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                terminate_process(self.proc, timeout=1)
        self.returncode = self.proc.returncode
        self.logf.close()
        return self.returncode

    def log(self):
        try:
            with open(self.logpath, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Wait until the log (from offset start) matches pattern."""
        rx = re.compile(pattern)

        def check():
            return rx.search(self.log()[start:])
        try:
            return wait_for(check, timeout=timeout, what="log /%s/" % pattern)
        except TimeoutError:
            raise AssertionError("log never matched /%s/; log:\n%s" % (pattern, self.log()))


def run(cmd, **kw):
    """Run a command; returns CompletedProcess with text output."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)


class LoopbackTest(__import__("unittest").TestCase):
    """A test with a temp dir, a private redis-server and a loopback HTTP
    server, all stopped afterwards; plus readers for Redis streams and
    hashes as dicts."""

    def setUp(self):
        import tempfile
        from yqfix import HttpServer, RedisServer
        self.tmp = tempfile.mkdtemp(prefix="yq-it-")
        self.redis = RedisServer().start()
        self.http = HttpServer().start()

    def tearDown(self):
        import shutil
        self.http.stop()
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stream(self, name):
        """Entries of stream yq:NAME as dicts, oldest first."""
        entries = self.redis.command("XRANGE", "yq:" + name, "-", "+") or []
        return [dict(zip(f[::2], f[1::2])) for _id, f in entries]

    def hash(self, key):
        flat = self.redis.command("HGETALL", "yq:" + key) or []
        return dict(zip(flat[::2], flat[1::2]))
