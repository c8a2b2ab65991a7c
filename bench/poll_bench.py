#!/usr/bin/python3
"""Poll-cycle benchmark: the real yuqingd against newsboat -x reload.

    /usr/bin/python3 bench/poll_bench.py [--feeds 1000] [--repeat 3] ...

A private nginx (its own configuration in a temporary directory, listen
127.0.0.1:PORT, access log off, static files so ETag and Last-Modified
work) serves a corpus from gen_corpus.py; a private redis-server (unix
socket only, no persistence) backs the daemon.  Both clients poll the same
N URLs with the same concurrency:

  yuqingd  fetch.max_concurrent = fetch.per_host = C, fetch.host_spacing =
           "0s" (the defaults, 2 per host and 1 s apart, would serialise N
           feeds on one host), interval = ceiling = --interval, run with
           --time-scale S.  A cycle is done when every PREFIX:feed:fK hash
           in Redis has last_attempt at or after the cycle's start.
  newsboat reload-threads = C, its own cache file, HOME in the temp dir.

Per repeat, interleaved (the order flips on odd repeats):
  ours  first cycle   fresh Redis; the daemon is started and measured from
                      exec until every feed has been polled (all 200).
  ours  conditional   the daemon is restarted on the same Redis with the
                      monitored clock moved past every next_poll, so it
                      restores the validators and polls everything once
                      (all 304): measured from exec as well.  Then, in the
                      same process, the next scheduled cycle (all 304) is
                      awaited and its CPU delta taken ("in-process").
  newsboat run 1      fresh cache (all 200): the first cycle.
  newsboat run 2      all 200 again: newsboat 2.21 updates the validators
                      of a new feed before the feed's row exists, so they
                      are lost on the first run (reported, not compared).
  newsboat run 3      all 304: the conditional cycle.

Wall is real time from exec to completion (the daemon: until the poller
sees the last feed done, polled every --poll-ms; newsboat: until exit).
CPU is user+sys: /proc/PID/stat utime+stime for the daemon (at
completion), wait4() rusage for newsboat (all threads).  redis-server's
CPU during our cycles is reported too (our storage lives there, newsboat's
SQLite work is in its own process).  Peak RSS: VmHWM of the daemon,
ru_maxrss of newsboat.  A verification pass (nginx access log on, not
timed) checks the status codes each client got and the items each stored.
Results: a JSON file under bench/out/ and a table of medians on stdout.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PREFIX = "yq"

# yuqingd's user agent as configured by default; newsboat's starts so.
UA_OURS = "yuqing-monitor/"
UA_NEWSBOAT = "newsboat/"

# The district of the example configuration (config/yuqing.conf.example).
JURISDICTION = ["大通区", "大通街道", "洛河镇", "上窑镇", "九龙岗镇", "孔店乡"]

# Advance the cursor over feeds whose last_attempt is at or after the
# cutoff; return the first index that is not yet done.
LUA_CURSOR = """
local i, n, cut = tonumber(ARGV[4]), tonumber(ARGV[2]), tonumber(ARGV[3])
while i < n do
  local v = redis.call('HGET', ARGV[1] .. i, 'last_attempt')
  if not v or tonumber(v) < cut then return i end
  i = i + 1
end
return i
"""


# Traffic goes to loopback only: never through a proxy from the environment.
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def drop_proxy_env():
    for k in list(os.environ):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy",
                         "ftp_proxy"):
            del os.environ[k]


def log(msg):
    print("poll_bench: " + msg, file=sys.stderr, flush=True)


class Fail(Exception):
    pass


# --- installing ------------------------------------------------------------

def ensure_packages():
    """Install what is missing (Debian packages), without starting any
    packaged service: a policy-rc.d refuses service starts meanwhile."""
    want = {"nginx": "nginx-light", "newsboat": "newsboat",
            "redis-server": "redis-server", "redis-cli": "redis-tools"}
    missing = {pkg for exe, pkg in want.items()
               if shutil.which(exe) is None and
               not os.path.exists("/usr/sbin/" + exe)}
    # parse_feedparser.py's peer, in Debian's Python
    if subprocess.call(["/usr/bin/python3", "-c", "import feedparser"],
                       stderr=subprocess.DEVNULL) != 0:
        missing.add("python3-feedparser")
    missing = sorted(missing)
    if not missing:
        return
    log("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    policy = "/usr/sbin/policy-rc.d"
    made_policy = False
    if not os.path.exists(policy):
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
        made_policy = True
    try:
        cmd = ["apt-get", "install", "-y", "-qq"] + missing
        if subprocess.call(cmd, env=env) != 0:
            subprocess.check_call(["apt-get", "update", "-qq"], env=env)
            subprocess.check_call(cmd, env=env)
    finally:
        if made_policy:
            os.unlink(policy)


def nginx_bin():
    return shutil.which("nginx") or "/usr/sbin/nginx"


# --- small helpers -----------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_cpu(pid):
    """utime+stime of a live process (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def iso(ms):
    t = dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_duration(s):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if s[-1:] in units:
        return int(s[:-1]) * units[s[-1]]
    return int(s)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Redis:
    """A minimal RESP client on a unix socket: one connection, no process
    per poll (redis-cli would fork one every --poll-ms on 2 cores)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    @staticmethod
    def enc(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def read(self):
        line = self.f.readline()
        if not line:
            raise Fail("redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise Fail("redis: " + rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise Fail("redis: bad reply %r" % line)

    def cmd(self, *args):
        self.s.sendall(self.enc(args))
        return self.read()

    def pipeline(self, cmds):
        self.s.sendall(b"".join(self.enc(c) for c in cmds))
        return [self.read() for _ in cmds]

    def close(self):
        self.f.close()
        self.s.close()


# --- the bench -------------------------------------------------------------

class Bench:
    def __init__(self, a):
        self.a = a
        self.procs = []  # (name, Popen) we started; stopped by pid
        self.tmp = tempfile.mkdtemp(prefix="yq-pollbench-")
        self.n = a.feeds
        self.interval = parse_duration(a.interval)
        self.rule_files = []
        if a.rules != "none" and os.path.isdir(a.rules):
            self.rule_files = sorted(
                os.path.join(os.path.abspath(a.rules), f)
                for f in os.listdir(a.rules) if f.endswith(".rules"))

    # servers

    def start(self, name, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append((name, p))
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=20):
        if p.poll() is None:
            os.kill(p.pid, sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                log("pid %d did not stop, killing it" % p.pid)
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = [(n, q) for n, q in self.procs if q is not p]
        return p.returncode

    def stop_all(self):
        for name, p in reversed(list(self.procs)):
            sig = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
            self.stop(p, sig)

    def start_nginx(self, access_log):
        port = free_port()
        conf = os.path.join(self.tmp, "nginx.conf")
        t = self.tmp
        logline = ('log_format st \'$status "$http_user_agent" '
                   '"$http_if_none_match"\';\n  access_log %s/access.log st;'
                   % t) if access_log else "access_log off;"
        with open(conf, "w") as f:
            f.write("""worker_processes %d;
pid %s/nginx.pid;
error_log %s/nginx-error.log warn;
events { worker_connections 4096; }
http {
  types { application/xml xml; application/feed+json json; }
  default_type application/octet-stream;
  %s
  sendfile on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  client_body_temp_path %s/nginx-cb;
  proxy_temp_path %s/nginx-px;
  fastcgi_temp_path %s/nginx-fc;
  uwsgi_temp_path %s/nginx-uw;
  scgi_temp_path %s/nginx-sc;
  server {
    listen 127.0.0.1:%d;
    root %s;
  }
}
""" % (self.a.nginx_workers, t, t, logline, t, t, t, t, t, port,
                self.corpus))
        p = self.start("nginx", [nginx_bin(), "-c", conf, "-p", t + "/",
                                 "-g", "daemon off;"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        url = "http://127.0.0.1:%d/feed0.xml" % port
        for _ in range(100):
            if p.poll() is not None:
                raise Fail("nginx exited: " + self.tail("nginx-error.log"))
            try:
                with NO_PROXY_OPENER.open(url, timeout=2) as r:
                    if r.status == 200 and r.headers.get("ETag"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            raise Fail("nginx does not serve %s: %s" % (
                url, self.tail("nginx-error.log")))
        self.nginx, self.port = p, port
        if access_log:
            self.access_log = os.path.join(t, "access.log")
        return p

    def nginx_cpu(self):
        return sum(proc_cpu(c) for c in children(self.nginx.pid))

    def start_redis(self):
        self.sock = os.path.join(self.tmp, "redis.sock")
        self.redis = self.start("redis", [
            "redis-server", "--port", "0", "--unixsocket", self.sock,
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", self.tmp, "--logfile",
            os.path.join(self.tmp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.redis.poll() is not None:
                raise Fail("redis-server exited: " + self.tail("redis.log"))
            try:
                self.r = Redis(self.sock)
                if self.r.cmd("PING") == "PONG":
                    return
            except OSError:
                time.sleep(0.05)
        raise Fail("redis-server does not answer")

    def tail(self, name, n=20):
        try:
            with open(os.path.join(self.tmp, name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no %s)" % name

    # configuration

    def feed_files(self):
        with open(os.path.join(self.corpus, "manifest.json")) as f:
            m = json.load(f)
        files = m["files"][:self.n]
        if len(files) < self.n:
            raise Fail("corpus has %d feeds, %d wanted" % (len(files),
                                                          self.n))
        self.expected_items = sum(e["items"] for e in files)
        self.formats = {}
        for e in files:
            k = e["format"] + ("/gbk" if e["encoding"] == "gbk" else "")
            self.formats[k] = self.formats.get(k, 0) + 1
        return [e["file"] for e in files]

    def write_configs(self):
        files = self.feed_files()
        urls = ["http://127.0.0.1:%d/%s" % (self.port, f) for f in files]
        c = self.a.concurrency
        self.conf = os.path.join(self.tmp, "yuqingd.conf")
        os.makedirs(os.path.join(self.tmp, "state"), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write('log = { level = "info"; };\n')
            f.write('daemon = { state_dir = "%s/state"; };\n' % self.tmp)
            f.write('clock = { zone = "Asia/Shanghai"; };\n')
            f.write('redis = { address = "unix:%s"; prefix = "%s"; };\n'
                    % (self.sock, PREFIX))
            f.write('http = { listen = "127.0.0.1:%d"; };\n' % free_port())
            f.write('fetch = { max_concurrent = %d; per_host = %d; '
                    'host_spacing = "0s"; };\n' % (c, c))
            if self.rule_files:
                f.write("rules = {\n  files = [ %s ];\n"
                        "  jurisdiction = [ %s ];\n};\n" % (
                            ", ".join('"%s"' % r for r in self.rule_files),
                            ", ".join('"%s"' % j for j in JURISDICTION)))
            f.write("feeds = (\n")
            f.write(",\n".join(
                '  { id = "f%d"; url = "%s"; interval = "%ds"; '
                'ceiling = "%ds"; chinese = true; }' % (
                    i, u, self.interval, self.interval)
                for i, u in enumerate(urls)))
            f.write("\n);\n")
        out = subprocess.run([self.a.yuqingd, "--check-config", self.conf],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Fail("yuqingd rejects the bench config:\n" + out.stdout +
                       out.stderr)
        self.urls = os.path.join(self.tmp, "urls")
        with open(self.urls, "w") as f:
            f.write("\n".join(urls) + "\n")
        self.nbconf = os.path.join(self.tmp, "newsboat.conf")
        with open(self.nbconf, "w") as f:
            f.write("reload-threads %d\n" % c)
        self.nbhome = os.path.join(self.tmp, "nbhome")
        os.makedirs(self.nbhome, exist_ok=True)
        self.nbcache = os.path.join(self.tmp, "newsboat-cache.db")

    # our daemon

    def feed_stats(self):
        """Per cycle, from Redis: last_attempt range, statuses, items."""
        rows = self.r.pipeline([
            ("HMGET", "%s:feed:f%d" % (PREFIX, i), "last_attempt",
             "last_status", "items", "last_error")
            for i in range(self.n)])
        las = [int(r[0]) for r in rows if r[0] is not None]
        statuses = {}
        for r in rows:
            statuses[r[1] or "none"] = statuses.get(r[1] or "none", 0) + 1
        errors = [r[3] for r in rows if r[3]]
        return {"min_la": min(las) if las else None,
                "max_la": max(las) if las else None,
                "statuses": statuses,
                "items_last_doc": sum(int(r[2] or 0) for r in rows),
                "errors": len(errors),
                "first_error": errors[0] if errors else None}

    def wait_cycle(self, p, cutoff, t0, name):
        cursor = 0
        while True:
            if p.poll() is not None:
                raise Fail("yuqingd exited (%s) during %s:\n%s" % (
                    p.returncode, name, self.tail(self.daemon_log)))
            if self.a.poller == "redis-cli":
                cursor = int(subprocess.check_output([
                    "redis-cli", "-s", self.sock, "EVAL", LUA_CURSOR, "0",
                    "%s:feed:f" % PREFIX, str(self.n), str(cutoff),
                    str(cursor)]))
            else:
                cursor = self.r.cmd("EVAL", LUA_CURSOR, 0,
                                    "%s:feed:f" % PREFIX, self.n, cutoff,
                                    cursor)
            if cursor >= self.n:
                return time.monotonic()
            if time.monotonic() - t0 > self.a.timeout:
                raise Fail("%s: %d of %d feeds done after %d s" % (
                    name, cursor, self.n, self.a.timeout))
            time.sleep(self.a.poll_ms / 1000)

    def wait_ingest(self, p, t0):
        """A daemon with the incident engine classifies the new items
        from the stream after they are recorded: wait until its offset
        reaches the stream's end (None for a daemon without it)."""
        with open(os.path.join(self.tmp, self.daemon_log), "rb") as f:
            if b"incidents restored" not in f.read():
                return None
        last = self.r.cmd("XINFO", "STREAM", "%s:items" % PREFIX)
        last = last[last.index("last-generated-id") + 1]
        while self.r.cmd("GET", "%s:ingest:offset" % PREFIX) != last:
            if p.poll() is not None:
                raise Fail("yuqingd exited while classifying:\n" +
                           self.tail(self.daemon_log))
            if time.monotonic() - t0 > self.a.timeout:
                raise Fail("classification backlog not drained after "
                           "%d s" % self.a.timeout)
            time.sleep(self.a.poll_ms / 1000)
        return {"wall_s": time.monotonic() - t0, "cpu_s": proc_cpu(p.pid),
                "vmhwm_kib": proc_status(p.pid, "VmHWM"),
                "incidents_open": self.r.cmd("SCARD", "%s:incidents:open"
                                             % PREFIX),
                "alerts": self.r.cmd("XLEN", "%s:alerts" % PREFIX)}

    def run_ours(self, tag, start_ms, conditional):
        """One daemon process: a cycle measured from exec; for the
        conditional run, then the next cycle in the same process."""
        s = self.a.scale
        self.daemon_log = "yuqingd-%s.log" % tag
        logf = open(os.path.join(self.tmp, self.daemon_log), "wb")
        redis0, nginx0 = proc_cpu(self.redis.pid), self.nginx_cpu()
        t0 = time.monotonic()
        p = self.start("yuqingd", [
            self.a.yuqingd, "-c", self.conf, "-f", "--time-scale", str(s),
            "--time-start", iso(start_ms)], stdout=logf,
            stderr=subprocess.STDOUT)
        logf.close()
        perf = None
        if self.a.perf_dir:
            # profiling only: perf's own CPU perturbs the figures
            perf = subprocess.Popen([
                "perf", "record", "-q", "-F", "999", "--call-graph", "dwarf",
                "-p", str(p.pid),
                "-o", os.path.join(self.a.perf_dir, "perf-%s.data" % tag)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            t1 = self.wait_cycle(p, start_ms, t0, tag)
            if perf is not None and conditional:
                perf.send_signal(signal.SIGINT)
                perf.wait()
            cpu = proc_cpu(p.pid)
            hwm = proc_status(p.pid, "VmHWM")
            res = {"wall_s": t1 - t0, "cpu_s": cpu,
                   "redis_cpu_s": proc_cpu(self.redis.pid) - redis0,
                   "nginx_cpu_s": self.nginx_cpu() - nginx0,
                   "vmhwm_kib": hwm, "start_ms": start_ms}
            st = self.feed_stats()
            res.update(st)
            # monitored ms -> real s
            res["fetch_span_s"] = (st["max_la"] - st["min_la"]) / s / 1000
            res["first_fetch_after_s"] = \
                (st["min_la"] - start_ms) / s / 1000
            # a feed polled twice in this cycle would have been due again
            res["overlap_possible"] = \
                (t1 - t0) * s >= 0.9 * self.interval * 1000
            if not conditional:
                res["items_stream"] = self.r.cmd("XLEN", "%s:items" % PREFIX)
                res["ingest"] = self.wait_ingest(p, t0)
                if perf is not None:  # first cycle: poll and classify
                    perf.send_signal(signal.SIGINT)
                    perf.wait()
                if res["ingest"] is not None:
                    res["vmhwm_kib"] = max(res["vmhwm_kib"],
                                           res["ingest"]["vmhwm_kib"])
                    res["overlap_possible"] |= res["ingest"]["wall_s"] * s \
                        >= 0.9 * self.interval * 1000
            elif not self.a.no_steady:
                cut = st["max_la"] + 1
                # no feed is due again before 0.9 interval (jitter):
                # sleep until shortly before; CPU is counted from there
                # (the idle daemon's is reported apart, and redis-server's
                # own housekeeping meanwhile is left out)
                time.sleep(max(0.0, t0 + 0.85 * self.interval / s -
                               time.monotonic()))
                cpu2 = proc_cpu(p.pid)
                idle_cpu, idle_s = cpu2 - cpu, time.monotonic() - t1
                redis1 = proc_cpu(self.redis.pid)
                t2 = self.wait_cycle(p, cut, time.monotonic(), tag + "-next")
                st2 = self.feed_stats()
                res["in_process"] = {
                    "cpu_s": proc_cpu(p.pid) - cpu2,
                    "idle_cpu_s": idle_cpu, "idle_s": idle_s,
                    "redis_cpu_s": proc_cpu(self.redis.pid) - redis1,
                    "idle_wait_s": t2 - t1,
                    "fetch_span_s":
                        (st2["max_la"] - st2["min_la"]) / s / 1000,
                    "statuses": st2["statuses"], "errors": st2["errors"],
                    "vmhwm_kib": proc_status(p.pid, "VmHWM")}
                res["vmhwm_kib"] = res["in_process"]["vmhwm_kib"]
        finally:
            rc = self.stop(p)
        res["exit_status"] = rc
        if rc != 0:
            raise Fail("yuqingd %s exited %s:\n%s" % (
                tag, rc, self.tail(self.daemon_log)))
        return res

    def ours_pair(self, tag):
        """First cycle on a fresh Redis, then the conditional one."""
        self.r.cmd("FLUSHALL")
        start = int(time.time()) * 1000
        first = self.run_ours(tag + "-first", start, False)
        # move the monitored clock past every next_poll (interval + 10 %)
        after = first["max_la"] + int(self.interval * 1100) + 60000
        start2 = (after // 1000 + 1) * 1000
        cond = self.run_ours(tag + "-cond", start2, True)
        return first, cond

    # newsboat

    def run_newsboat(self, tag):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": self.nbhome, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "TERM": "dumb"}
        logf = open(os.path.join(self.tmp, "newsboat-%s.log" % tag), "wb")
        nginx0 = self.nginx_cpu()
        t0 = time.monotonic()
        p = subprocess.Popen(["newsboat", "-u", self.urls, "-c",
                              self.nbcache, "-C", self.nbconf, "-x",
                              "reload"], stdout=logf,
                             stderr=subprocess.STDOUT, env=env,
                             stdin=subprocess.DEVNULL)
        logf.close()
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.monotonic()
        p.returncode = os.waitstatus_to_exitcode(status)
        res = {"wall_s": t1 - t0, "cpu_s": ru.ru_utime + ru.ru_stime,
               "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
               "maxrss_kib": ru.ru_maxrss, "exit_status": p.returncode,
               "nginx_cpu_s": self.nginx_cpu() - nginx0}
        db = sqlite3.connect(self.nbcache)
        try:
            res["items_cached"] = db.execute(
                "SELECT count(*) FROM rss_item").fetchone()[0]
            res["feeds_with_validators"] = db.execute(
                "SELECT count(*) FROM rss_feed WHERE etag != '' OR "
                "lastmodified != 0").fetchone()[0]
        finally:
            db.close()
        if p.returncode != 0:
            raise Fail("newsboat %s exited %s: %s" % (
                tag, p.returncode, self.tail("newsboat-%s.log" % tag)))
        return res

    def newsboat_runs(self, tag):
        for suffix in ("", "-journal", "-wal", "-shm", ".lock"):
            if os.path.exists(self.nbcache + suffix):
                os.unlink(self.nbcache + suffix)
        return [self.run_newsboat("%s-run%d" % (tag, k)) for k in (1, 2, 3)]

    # verification (access log on, not timed)

    def log_statuses(self, ua):
        out = {}
        with open(self.access_log, errors="replace") as f:
            for line in f:
                st, _, rest = line.partition(" ")
                if ('"' + ua) in rest:
                    out[st] = out.get(st, 0) + 1
        os.truncate(self.access_log, 0)
        return out

    def verify(self):
        log("verification pass (access log on, not timed)")
        out = {}
        self.r.cmd("FLUSHALL")
        os.truncate(self.access_log, 0)
        start = int(time.time()) * 1000
        first = self.run_ours("verify-first", start, False)
        out["ours_first"] = self.log_statuses(UA_OURS)
        out["ours_first_items_stream"] = first["items_stream"]
        after = first["max_la"] + int(self.interval * 1100) + 60000
        self.run_ours("verify-cond", (after // 1000 + 1) * 1000, True)
        out["ours_cond_and_next"] = self.log_statuses(UA_OURS)
        runs = []
        for suffix in ("", "-journal", "-wal", "-shm", ".lock"):
            if os.path.exists(self.nbcache + suffix):
                os.unlink(self.nbcache + suffix)
        for k in (1, 2, 3):
            r = self.run_newsboat("verify-run%d" % k)
            runs.append({"statuses": self.log_statuses(UA_NEWSBOAT),
                         "items_cached": r["items_cached"],
                         "feeds_with_validators":
                             r["feeds_with_validators"]})
        out["newsboat"] = runs
        n = str(self.n)
        ok = (out["ours_first"] == {"200": self.n} and
              out["ours_cond_and_next"] == {"304": self.n * (
                  1 if self.a.no_steady else 2)} and
              runs[0]["statuses"] == {"200": self.n} and
              runs[2]["statuses"] == {"304": self.n} and
              first["items_stream"] == self.expected_items and
              runs[0]["items_cached"] == self.expected_items)
        out["ok"] = ok
        log("verify: ours first %s, conditional+next %s, stream items %s; "
            "newsboat runs %s; expected %s x 200 / 304, %d items" % (
                out["ours_first"], out["ours_cond_and_next"],
                first["items_stream"],
                [(r["statuses"], r["items_cached"]) for r in runs], n,
                self.expected_items))
        return out

    # main

    def run(self):
        a = self.a
        self.corpus = os.path.abspath(a.corpus)
        self.start_redis()
        results = {"verify": None, "repeats": []}
        if not a.no_verify:
            self.start_nginx(access_log=True)
            self.write_configs()
            results["verify"] = self.verify()
            self.stop(self.nginx, signal.SIGQUIT)
        self.start_nginx(access_log=False)
        self.write_configs()
        for k in range(a.repeat):
            log("repeat %d of %d" % (k + 1, a.repeat))
            rep = {"order": "ours-first" if k % 2 == 0 else
                   "newsboat-first"}
            if k % 2 == 0:
                rep["ours"] = self.ours_pair("r%d" % k)
                rep["newsboat"] = self.newsboat_runs("r%d" % k)
            else:
                rep["newsboat"] = self.newsboat_runs("r%d" % k)
                rep["ours"] = self.ours_pair("r%d" % k)
            f, c = rep["ours"]
            nb = rep["newsboat"]
            log("  ours: first %.2fs wall %.2fs cpu (+redis %.2fs), "
                "conditional %.2fs wall %.2fs cpu; newsboat: first %.2fs "
                "wall %.2fs cpu, run2 %.2fs/%.2fs, conditional %.2fs wall "
                "%.2fs cpu" % (f["wall_s"], f["cpu_s"], f["redis_cpu_s"],
                               c["wall_s"], c["cpu_s"], nb[0]["wall_s"],
                               nb[0]["cpu_s"], nb[1]["wall_s"],
                               nb[1]["cpu_s"], nb[2]["wall_s"],
                               nb[2]["cpu_s"]))
            for x in (f, c):
                if x["overlap_possible"]:
                    log("  WARNING: a cycle lasted longer than 0.9 interval: "
                        "feeds may have been polled twice (raise --interval)")
            results["repeats"].append(rep)
        return results


def versions(yuqingd):
    def out(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    return {"yuqingd": out([yuqingd, "--version"]),
            "newsboat": out(["newsboat", "--version"]),
            "nginx": out([nginx_bin(), "-v"]),
            "redis": out(["redis-server", "--version"]),
            "kernel": os.uname().release, "cpus": os.cpu_count()}


def summarise(res, a):
    reps = res["repeats"]

    def col(f):
        return [f(r) for r in reps]

    rows = []
    m = {}
    for cyc, oi, ni in (("first", 0, 0), ("conditional", 1, 2)):
        ow = median(col(lambda r: r["ours"][oi]["wall_s"]))
        oc = median(col(lambda r: r["ours"][oi]["cpu_s"]))
        orc = median(col(lambda r: r["ours"][oi]["cpu_s"] +
                         r["ours"][oi]["redis_cpu_s"]))
        nw = median(col(lambda r: r["newsboat"][ni]["wall_s"]))
        nc = median(col(lambda r: r["newsboat"][ni]["cpu_s"]))
        m[cyc] = {"ours_wall_s": ow, "ours_cpu_s": oc,
                  "ours_plus_redis_cpu_s": orc, "newsboat_wall_s": nw,
                  "newsboat_cpu_s": nc, "wall_ratio": nw / ow,
                  "cpu_ratio": nc / oc, "cpu_ratio_with_redis": nc / orc}
        rows.append((cyc, ow, nw, nw / ow, oc, orc, nc, nc / oc, nc / orc))
    ing = [r["ours"][0].get("ingest") for r in reps]
    ing = [x for x in ing if x]
    if ing:
        iw = median([x["wall_s"] for x in ing])
        ic = median([x["cpu_s"] for x in ing])
        m["first_with_classification"] = {
            "ours_wall_s": iw, "ours_cpu_s": ic,
            "wall_ratio": m["first"]["newsboat_wall_s"] / iw,
            "cpu_ratio": m["first"]["newsboat_cpu_s"] / ic,
            "incidents_open": median([x["incidents_open"] for x in ing]),
            "alerts": median([x["alerts"] for x in ing])}
    inproc = [r["ours"][1].get("in_process") for r in reps]
    inproc = [x for x in inproc if x]
    if inproc:
        m["conditional_in_process"] = {
            "ours_cpu_s": median([x["cpu_s"] for x in inproc]),
            "ours_plus_redis_cpu_s": median(
                [x["cpu_s"] + x["redis_cpu_s"] for x in inproc])}
    hwm = [r["ours"][i]["vmhwm_kib"] for r in reps for i in (0, 1)]
    nbrss = [r["newsboat"][i]["maxrss_kib"] for r in reps for i in (0, 2)]
    m["ours_peak_rss_kib_max"] = max(hwm)
    m["newsboat_peak_rss_kib_max"] = max(nbrss)
    m["targets"] = {
        "wall_first_met": m["first"]["wall_ratio"] > 1,
        "wall_conditional_met": m["conditional"]["wall_ratio"] > 1,
        "cpu5x_first_met": m["first"]["cpu_ratio"] >= 5,
        "cpu5x_conditional_met": m["conditional"]["cpu_ratio"] >= 5,
        "rss_under_64mib_met": max(hwm) < 64 * 1024}
    print("\nPoll cycle, %d feeds, concurrency %d, %d repeats interleaved; "
          "figures are MEDIANS of the repeats" % (a.feeds, a.concurrency,
                                                 len(reps)))
    print("%-12s %9s %9s %7s | %9s %11s %9s %7s %10s" % (
        "cycle", "ours wall", "nb wall", "nb/ours", "ours cpu",
        "ours+redis", "nb cpu", "nb/ours", "nb/(o+r)"))
    for r in rows:
        print("%-12s %8.2fs %8.2fs %6.2fx | %8.2fs %10.2fs %8.2fs %6.2fx "
              "%9.2fx" % r)
    if ing:
        x = m["first_with_classification"]
        print("first cycle until the classifier drained the new items: "
              "%.2fs wall (nb/ours %.1fx), %.2fs cpu (nb/ours %.1fx)" % (
                  x["ours_wall_s"], x["wall_ratio"], x["ours_cpu_s"],
                  x["cpu_ratio"]))
    if inproc:
        x = m["conditional_in_process"]
        print("conditional cycle inside one running daemon: cpu %.2fs"
              % x["ours_cpu_s"])
    print("peak RSS: yuqingd VmHWM max %.1f MiB; newsboat max %.1f MiB" % (
        max(hwm) / 1024, max(nbrss) / 1024))
    return m


def main():
    ap = argparse.ArgumentParser(
        description="yuqingd vs newsboat poll cycles on a loopback nginx")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1000.0,
                    help="yuqingd --time-scale (default %(default)s)")
    ap.add_argument("--interval", default="1d",
                    help="feed interval and ceiling, monitored time: the "
                    "first cycle and its classification must end before "
                    "0.9 x interval / scale real seconds")
    ap.add_argument("--corpus", default=os.path.join(BENCH, "out",
                                                     "corpus-poll"))
    ap.add_argument("--yuqingd", default=os.path.join(REPO, "build-bench",
                                                      "yuqingd"))
    ap.add_argument("--rules", default=os.path.join(REPO, "config",
                                                    "rules"),
                    help="directory of *.rules files for the daemon's "
                    "classifier, or 'none' (default %(default)s)")
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--poll-ms", type=float, default=20)
    ap.add_argument("--poller", choices=("resp", "redis-cli"),
                    default="resp", help="how completion is polled: one "
                    "RESP connection (default) or a redis-cli process each "
                    "time")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--no-steady", action="store_true",
                    help="skip the in-process conditional cycle")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--perf-dir", default=None,
                    help="profile each daemon cycle with perf record into "
                    "this directory (perturbs the figures)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    drop_proxy_env()

    # TERM (and INT, which a background shell job ignores) stop the
    # servers we started, through the finally below
    def interrupted(sig, frame):
        raise Fail("interrupted by signal %d" % sig)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    ensure_packages()
    if not os.access(a.yuqingd, os.X_OK):
        raise SystemExit("poll_bench: no yuqingd at %s (bench/run.sh "
                         "builds it)" % a.yuqingd)
    man = os.path.join(a.corpus, "manifest.json")
    if not os.path.exists(man) or json.load(open(man))["feeds"] < a.feeds:
        subprocess.check_call([sys.executable,
                               os.path.join(BENCH, "gen_corpus.py"),
                               "--feeds", str(a.feeds), "--formats",
                               "rss20:40,atom10:25,rss10:15", a.corpus])
    b = Bench(a)
    res = {"args": vars(a), "versions": versions(a.yuqingd),
           "loadavg_before": open("/proc/loadavg").read().split()[:3]}
    rc = 0
    try:
        res.update(b.run())
        res["corpus_formats"] = b.formats
        res["expected_items"] = b.expected_items
        res["summary"] = summarise(res, a)
        if res["verify"] is not None and not res["verify"]["ok"]:
            log("VERIFICATION FAILED: see 'verify' in the results")
            rc = 1
    except Fail as e:
        log("failed: %s" % e)
        rc = 1
    finally:
        b.stop_all()
        res["loadavg_after"] = open("/proc/loadavg").read().split()[:3]
        out = a.out or os.path.join(BENCH, "out", "poll-%s.json" % (
            time.strftime("%Y%m%d-%H%M%S")))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
        log("results: %s (temp dir %s%s)" % (
            out, b.tmp, "" if a.keep_tmp else ", removed"))
        if not a.keep_tmp:
            shutil.rmtree(b.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
