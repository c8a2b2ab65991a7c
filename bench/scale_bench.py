#!/usr/bin/python3
"""Scale benchmark: open incidents and deadline alerts in the real yuqingd.

    /usr/bin/python3 bench/scale_bench.py [--yuqingd BUILD/yuqingd]
        [--incidents 100000] [--rebuild-repeat 5] [--scales 1,60,600]
        [--window 30] [--replay-incidents 1000] [--replay-scales 86400,43200]
        [--only baseline,rebuild,scale,replay] [--out FILE.json] [--keep]

Everything runs against a private redis-server (unix socket only, no
persistence) and the real daemon (`--foreground`, shipped rules, no feeds,
log level info, stderr to a file).  Both are started and stopped by pid.
Parts (`--only ...`; default all; see bench/scale_README.md):

baseline  empty Redis: the daemon's RSS once "incidents restored ... open=0"
          is logged (the reference for memory per incident).
rebuild   one preload (as below), then --rebuild-repeat daemon starts at
          scale 1 (nothing comes due meanwhile): exec -> "incidents
          restored", CPU of the daemon and of redis-server, RSS.
scale     for each --scales S: Redis is flushed and preloaded with
          --incidents open incidents in the daemon's schema (the hash fields
          istore_fields() writes and istore_load_cb() reads back, and the
          set yq:incidents:open), written as pipelined RESP.  Each incident
          is major (release 5 h + presser 24 h) with --major-share, else
          ordinary (response 48 h); clock starts are uniform over the
          --spread-hours before T0, and every milestone's next_stage is the
          first stage due after T0, so the restart owes nothing.  The daemon
          starts with --time-start T0 --time-scale S.
            rebuild  exec -> log line "incidents restored from redis:
                     open=N" (the log file is polled every 2 ms), split at
                     "starting:" (config and rules loaded, clock started)
                     and "redis link up".
            memory   VmRSS/VmHWM of the daemon right after the rebuild and
                     at the end, minus the baseline, / N.
            lateness the alerts of yq:alerts whose due_at lies in the steady
                     window (rebuild + --warmup .. stop - --tail, in real
                     seconds): recorded_at - due_at (monitored ms) / S =
                     real ms; p50/p99/max.  Also the Redis commit lag: the
                     stream entry id is Redis's real wall clock at XADD,
                     compared with recorded_at mapped to real time (offset
                     taken as the smallest seen, so lag >= 0 by definition).
            exactness every stage due in the window is recorded once and
                     nothing else is (an independent schedule in Python).
          CPU of both processes over the window, Redis memory per alert.
replay    --replay-incidents incidents over --replay-days monitored days at
          each --replay-scales S: most clocks start after T0 (spread over the first
          --replay-start-days days), a catch-up group of ordinary incidents
          started before T0 with next_stage 0 and two stages already due
          (the restart must record only the later, warn-12h, and nothing of
          warn-24h), then the daemon is stopped once the monitored clock
          has passed T0 + days (+ --replay-margin real seconds).  Every
          stage due by T0 + days must be in yq:alerts exactly once with its
          due_at, nothing else due by then may be, and every milestone's
          stored next_stage must follow its last alert.  Wall time: exec ->
          the last alert due by the horizon committed in Redis.

The expected schedule is computed here from the default windows (release
5 h: warn 2h 1h 30m, breach, overdue every 30m; presser 24 h: warn 4h 1h,
breach, overdue every 30m; response 48 h: warn 24h 12h 4h 1h, breach,
overdue every 4h), and checked against `yuqingd --dump` of the config used.
The script prints progress on stderr and a JSON document on stdout (and to
--out).  Exit status 0 even when a target is missed: it measures.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PREFIX = "yq"
RULES = ("emergency", "ordinary", "exclusions", "jurisdiction", "routing")

S_ = 1000
M = 60 * S_
H = 60 * M
D = 24 * H

# The default deadlines (README "Deadlines", config.c defaults):
# milestone -> (window, warnings longest first, reminder interval)
STAGES = {"release": (5 * H, [2 * H, 1 * H, 30 * M], 30 * M),
          "presser": (24 * H, [4 * H, 1 * H], 30 * M),
          "response": (48 * H, [24 * H, 12 * H, 4 * H, 1 * H], 4 * H)}
MAJOR_MS = ("release", "presser")
ORDINARY_MS = ("response",)

T0_ISO = "2026-11-27T08:00:00+08:00"
T0 = int(dt.datetime.fromisoformat(T0_ISO).timestamp() * 1000)

PLACES = ["九龙岗镇", "洛河镇", "上窑镇", "孔店乡", "大通街道", "淮舜街道",
          "大通区", "舜耕山", "洞山", "九龙岗煤矿"]
MAJOR_CATS = [("事故灾难", "煤矿瓦斯爆炸"), ("事故灾难", "道路交通事故"),
              ("自然灾害", "暴雨内涝"), ("公共卫生事件", "集体食物中毒"),
              ("社会安全事件", "群体性聚集")]
ORD_SUBJ = ["农民工讨薪", "小区停水", "供暖不热", "物业纠纷", "征地拆迁补偿",
            "学校乱收费", "噪声扰民", "医疗纠纷", "食品安全投诉", "停电"]
DEPTS = ["区应急局", "区人社局", "区住建局", "区卫健委", "区教体局",
         "区公安分局", "区市场监管局", "区生态环境分局", "区信访局"]


def log(msg):
    sys.stderr.write("[scale %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Fail(Exception):
    pass


# ---------------------------------------------------------------- schedule

def dur_name(ms):
    """config_duration_format(): 2h, 30m, 1h30m, 1d ..."""
    if ms == 0:
        return "0s"
    out = ""
    for unit, name in ((D, "d"), (H, "h"), (M, "m"), (S_, "s"), (1, "ms")):
        if ms >= unit:
            out += "%d%s" % (ms // unit, name)
            ms %= unit
    return out


def stage_at(m, due, s):
    """(name, due time) of stage s of milestone m due at `due`."""
    _window, warns, remind = STAGES[m]
    nw = len(warns)
    if s < nw:
        return "warn-" + dur_name(warns[s]), due - warns[s]
    if s == nw:
        return "breach", due
    return "overdue-%d" % (s - nw), due + (s - nw) * remind


def first_stage_after(m, due, t):
    """Index of the first stage due strictly after t."""
    _window, warns, remind = STAGES[m]
    nw = len(warns)
    for s in range(nw + 1):
        if stage_at(m, due, s)[1] > t:
            return s
    return nw + 1 + (t - due) // remind


def stages_between(m, due, lo, hi, first=0):
    """[(s, name, at)] of stages s >= first with lo < at <= hi."""
    s = max(first, first_stage_after(m, due, lo))
    out = []
    while True:
        name, at = stage_at(m, due, s)
        if at > hi:
            return out
        out.append((s, name, at))
        s += 1


def check_dump(binary, conf):
    """The config's deadlines as yuqingd --dump prints them == STAGES."""
    text = subprocess.run([binary, "-c", conf, "--dump"], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    units = {"ms": 1, "s": S_, "m": M, "h": H, "d": D}

    def parse(s):
        return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|[smhd])", s))
    got = {}
    for m in STAGES:
        blk = re.search(r"\b%s = \{(.*?)\};" % m, text, re.S)
        if blk is None:
            raise Fail("no %s in yuqingd --dump" % m)
        b = blk.group(1)
        got[m] = (parse(re.search(r'window = "([^"]+)"', b).group(1)),
                  sorted((parse(w) for w in re.findall(r'"([^"]+)"',
                          re.search(r"warn = \[(.*?)\]", b).group(1))), reverse=True),
                  parse(re.search(r'remind = "([^"]+)"', b).group(1)))
    want = {m: (w, list(ws), r) for m, (w, ws, r) in STAGES.items()}
    if got != want:
        raise Fail("the config's deadlines are not the defaults: %r" % got)


# ------------------------------------------------------------------ redis

class Redis:
    """A minimal RESP2 client on a unix socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.f = self.sock.makefile("rb", buffering=1 << 20)

    @staticmethod
    def enc(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode("utf-8")
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self.f.read(n + 2)[:-2].decode("utf-8", "replace")
        if t == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self.read() for _ in range(n)]
        if t == b":":
            return int(rest)
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise Fail("redis: " + rest.decode("utf-8", "replace"))
        raise Fail("redis: connection lost")

    def cmd(self, *args):
        self.sock.sendall(self.enc(args))
        return self.read()

    def pipeline(self, cmds, chunk=2000):
        """Send encoded commands in chunks, read and check every reply."""
        buf, n, total = [], 0, 0
        for c in cmds:
            buf.append(self.enc(c))
            n += 1
            if n == chunk:
                self.sock.sendall(b"".join(buf))
                for _ in range(n):
                    self.read()
                total += n
                buf, n = [], 0
        if n:
            self.sock.sendall(b"".join(buf))
            for _ in range(n):
                self.read()
            total += n
        return total

    def xrange_all(self, key, batch=20000):
        """Every entry of a stream: [(id, {field: value})]."""
        out, start = [], "-"
        while True:
            part = self.cmd("XRANGE", key, start, "+", "COUNT", batch) or []
            for eid, f in part:
                out.append((eid, dict(zip(f[::2], f[1::2]))))
            if len(part) < batch:
                return out
            start = "(" + part[-1][0]

    def info(self, section):
        out = {}
        for line in self.cmd("INFO", section).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def close(self):
        self.f.close()
        self.sock.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_cpu(pid):
    """user+system CPU seconds of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon"):
                out[k] = int(v.split()[0]) * 1024
    return out


def pct(sorted_xs, p):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_xs:
        return None
    k = max(0, min(len(sorted_xs) - 1, int(-(-p * len(sorted_xs) // 100)) - 1))
    return sorted_xs[k]


def dist(xs):
    xs = sorted(xs)
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "min": round(xs[0], 3), "p50": round(pct(xs, 50), 3),
            "p90": round(pct(xs, 90), 3), "p99": round(pct(xs, 99), 3),
            "max": round(xs[-1], 3)}


# ------------------------------------------------------------ processes

class Procs:
    """The private redis-server and yuqingd runs, all stopped by pid."""

    def __init__(self, work, binary):
        self.work = work
        self.binary = binary
        self.sock = os.path.join(work, "redis.sock")
        self.redis_proc = None
        self.port = free_port()
        self.conf = os.path.join(work, "yuqing.conf")
        rules = ", ".join('"%s/config/rules/%s.rules"' % (REPO, r) for r in RULES)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('log = { level = "info"; };\n'
                    'daemon = { state_dir = "%s"; shutdown_grace = "60s"; };\n'
                    'redis = { address = "unix:%s"; prefix = "%s"; };\n'
                    'http = { listen = "127.0.0.1:%d"; };\n'
                    'rules = { files = [ %s ]; };\n'
                    % (work, self.sock, PREFIX, self.port, rules))

    def start_redis(self):
        self.redis_proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock,
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--dir", self.work, "--logfile", os.path.join(self.work, "redis.log"),
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            if self.redis_proc.poll() is not None:
                raise Fail("redis-server exited")
            try:
                r = Redis(self.sock)
                r.cmd("PING")
                return r
            except OSError:
                time.sleep(0.01)
        raise Fail("redis-server does not answer")

    def stop_redis(self):
        p = self.redis_proc
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.redis_proc = None


class Daemon:
    """One yuqingd run; its log is a file polled for the lines that matter."""

    MARKS = {"starting": re.compile(rb"starting: "),
             "link_up": re.compile(rb"redis link up"),
             "restored": re.compile(rb"incidents restored from redis: open=(\d+) "
                                    rb"scheduled=(\d+)"),
             "stopping": re.compile(rb"stopping: signal=\w+ pending=(\d+)"),
             "drained": re.compile(rb"in-flight work finished: pending=(\d+)"),
             "grace_expired": re.compile(rb"shutdown grace expired.*pending=(\d+)")}

    def __init__(self, procs, tag, args):
        self.procs = procs
        self.logpath = os.path.join(procs.work, "yuqingd-%s.log" % tag)
        self.args = args
        self.proc = None
        self.marks = {}
        self.pos = 0
        self.partial = b""

    def start(self):
        self.logf = open(self.logpath, "wb")
        cmd = [self.procs.binary, "-c", self.procs.conf, "--foreground"] + self.args
        # YQ_BENCH_WRAP="perf record -g -o F --": profile the daemon (its
        # CPU figures then include the wrapper's)
        cmd = os.environ.get("YQ_BENCH_WRAP", "").split() + cmd
        self.t_exec = time.monotonic()
        self.w_exec = time.time()
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def scan(self):
        now = time.monotonic()
        with open(self.logpath, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        self.pos += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            for k, rx in self.MARKS.items():
                if k not in self.marks:
                    m = rx.search(line)
                    if m:
                        self.marks[k] = (now, tuple(g.decode() for g in m.groups()))

    def wait_mark(self, name, timeout, poll=0.002):
        end = time.monotonic() + timeout
        while name not in self.marks:
            if self.proc.poll() is not None:
                raise Fail("yuqingd exited (%s); log tail:\n%s"
                           % (self.proc.returncode, self.tail()))
            if time.monotonic() > end:
                raise Fail("no '%s' within %ss; log tail:\n%s" % (name, timeout, self.tail()))
            self.scan()
            if name not in self.marks:
                time.sleep(poll)
        return self.marks[name]

    def healthz(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % self.procs.port,
                                    timeout=5) as r:
            return json.loads(r.read())

    def stop(self, timeout=90):
        """TERM, wait (KILL after timeout); keeps the exit status, the
        exit time and the rusage (CPU, peak RSS) of the whole run."""
        self.rusage = None
        if self.proc.returncode is None:
            self.t_term = time.monotonic()
            self.proc.send_signal(signal.SIGTERM)
            end = time.monotonic() + timeout
            while True:
                pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
                if pid == self.proc.pid:
                    self.t_exit = time.monotonic()
                    self.proc.returncode = os.waitstatus_to_exitcode(status)
                    self.rusage = ru
                    break
                if time.monotonic() > end:
                    log("yuqingd did not exit in %ss: SIGKILL" % timeout)
                    self.proc.kill()
                    end = time.monotonic() + 30
                time.sleep(0.01)
        self.logf.close()
        self.scan()
        return self.proc.returncode

    def shutdown(self):
        """What the log says about the stop: pending at TERM, drained or not."""
        out = {}
        for k in ("stopping", "drained", "grace_expired"):
            if k in self.marks:
                out[k + "_pending"] = int(self.marks[k][1][0])
        if self.rusage is not None:
            out["stop_to_exit_s"] = round(self.t_exit - self.t_term, 2)
        return out

    def cpu_total(self):
        return round(self.rusage.ru_utime + self.rusage.ru_stime, 2) if self.rusage else None

    def tail(self, n=15):
        try:
            with open(self.logpath, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


# --------------------------------------------------------------- dataset

def incident_fields(inc, rng):
    """The hash fields istore_fields() writes, as a flat HSET argument list."""
    major = inc["class"] == "major"
    if major:
        cat, subj = rng.choice(MAJOR_CATS)
        grade = rng.choice(["重大", "较大", "unknown"])
    else:
        cat, subj = "other", rng.choice(ORD_SUBJ)
        grade = rng.choice(["一般", "unknown"])
    place = rng.choice(PLACES)
    title = "%s%s（第%d号）最新进展" % (place, subj, inc["n"])
    depts = ",".join(rng.sample(DEPTS, rng.randint(1, 3)))
    f = ["id", inc["id"], "state", "open", "class", inc["class"], "grade", grade,
         "title", title, "category", cat, "place", place, "departments", depts,
         "simhash", "%016x" % rng.getrandbits(64),
         "key", "%s|%s" % (place, cat) if major else "",
         "first_seen", inc["first_seen"], "clock_start", inc["start"],
         "updated", inc["first_seen"], "items", rng.randint(1, 5),
         "deaths", rng.randint(0, 12) if major else 0, "missing", 0,
         "trapped", 0, "injured", 0, "loss_yuan", 0]
    for m, (start, due, nxt) in inc["ms"].items():
        nw = len(STAGES[m][1])
        f += ["ms.%s.start" % m, start, "ms.%s.due" % m, due,
              "ms.%s.state" % m, "breached" if nxt > nw else "pending",
              "ms.%s.next_stage" % m, nxt]
    return f


def make_incident(n, cls, start, next_at, rng, ids):
    """One incident dict; milestones' next_stage = first stage after next_at
    (None: 0, nothing recorded yet)."""
    first_seen = start + rng.randint(0, 20 * M)
    iid = first_seen * 1000 + n % 1000
    while iid in ids:
        iid += 1
    ids.add(iid)
    ms = {}
    for m in (MAJOR_MS if cls == "major" else ORDINARY_MS):
        due = start + STAGES[m][0]
        nxt = 0 if next_at is None else first_stage_after(m, due, next_at)
        ms[m] = (start, due, nxt)
    return {"n": n, "id": iid, "class": cls, "start": start,
            "first_seen": first_seen, "ms": ms}


def preload(r, incs, seed):
    rng = random.Random(seed)
    r.cmd("FLUSHALL")
    r.cmd("SET", "%s:schema" % PREFIX, "1")
    t = time.monotonic()
    r.pipeline(["HSET", "%s:incident:%d" % (PREFIX, inc["id"])] + incident_fields(inc, rng)
               for inc in incs)
    ids = [inc["id"] for inc in incs]
    r.pipeline(["SADD", "%s:incidents:open" % PREFIX] + ids[i:i + 1000]
               for i in range(0, len(ids), 1000))
    el = time.monotonic() - t
    mem = int(r.info("memory")["used_memory"])
    return {"seconds": round(el, 2), "redis_used_memory": mem}


# --------------------------------------------------------------- parts

def run_baseline(a, procs, r):
    r.cmd("FLUSHALL")
    r.cmd("SET", "%s:schema" % PREFIX, "1")
    d = Daemon(procs, "baseline", ["--time-start", T0_ISO, "--time-scale", "60"]).start()
    try:
        d.wait_mark("restored", 60)
        time.sleep(1.0)
        st = proc_status(d.pid)
        rebuild = d.marks["restored"][0] - d.t_exec
    finally:
        d.stop()
    log("baseline: RSS %.1f MiB (HWM %.1f MiB), exec->restored(0) %.0f ms"
        % (st["VmRSS"] / 2**20, st["VmHWM"] / 2**20, rebuild * 1000))
    return {"rss": st, "exec_to_restored_ms": round(rebuild * 1000, 1)}


def scale_dataset(a):
    rng = random.Random(a.seed)
    ids = set()
    incs = []
    for n in range(a.incidents):
        cls = "major" if rng.random() < a.major_share else "ordinary"
        start = T0 - rng.randint(1, int(a.spread_hours * H))
        incs.append(make_incident(n, cls, start, T0, rng, ids))
    return incs


def alert_rate(incs, lo, hi):
    """Stages of incs due in (lo, hi] (all milestones never met)."""
    want = {}
    for inc in incs:
        for m, (_start, due, _nxt) in inc["ms"].items():
            for _s, name, at in stages_between(m, due, lo, hi):
                want["%d:%s:%s" % (inc["id"], m, name)] = at
    return want


def run_rebuild(a, procs, r, incs, baseline):
    """The rebuild alone, --rebuild-repeat times on one preload, at scale 1
    (no stage comes due while it runs, so the data stays as loaded)."""
    log("rebuild: preloading %d incidents" % len(incs))
    pre = preload(r, incs, a.seed + 1)
    log("  preload %.1f s, redis used_memory %.1f MiB"
        % (pre["seconds"], pre["redis_used_memory"] / 2**20))
    runs = []
    for k in range(a.rebuild_repeat):
        load0 = os.getloadavg()[0]
        rcpu0 = proc_cpu(procs.redis_proc.pid)
        d = Daemon(procs, "rebuild-%d" % k, ["--time-start", T0_ISO]).start()
        try:
            t_ready, (n_open, n_sched) = d.wait_mark("restored", 120)
            st = proc_status(d.pid)
            cpu = proc_cpu(d.pid)
            rcpu = proc_cpu(procs.redis_proc.pid) - rcpu0
            d.scan()
        finally:
            d.stop()
        t_start, t_link = d.marks["starting"][0], d.marks["link_up"][0]
        run = {"open": int(n_open), "scheduled": int(n_sched),
               "exec_to_restored_ms": round((t_ready - d.t_exec) * 1000, 1),
               "exec_to_starting_ms": round((t_start - d.t_exec) * 1000, 1),
               "link_up_to_restored_ms": round((t_ready - t_link) * 1000, 1),
               "yuqingd_cpu_s": round(cpu, 2), "redis_cpu_s": round(rcpu, 2),
               "rss": st, "loadavg1_before": load0}
        if baseline:
            run["bytes_per_incident"] = round((st["VmRSS"] - baseline["rss"]["VmRSS"]) / len(incs))
            run["hwm_bytes_per_incident"] = round((st["VmHWM"] - baseline["rss"]["VmHWM"])
                                                  / len(incs))
        runs.append(run)
        log("  rebuild %d: open=%s scheduled=%s exec->restored %.0f ms (link up->restored %.0f); "
            "CPU yuqingd %.2f s redis %.2f s; RSS %.1f MiB -> %s B/incident; load %.1f"
            % (k, n_open, n_sched, run["exec_to_restored_ms"], run["link_up_to_restored_ms"],
               cpu, rcpu, st["VmRSS"] / 2**20, run.get("bytes_per_incident"), load0))
    walls = sorted(x["exec_to_restored_ms"] for x in runs)
    return {"incidents": len(incs), "preload": pre, "runs": runs,
            "exec_to_restored_ms": {"min": walls[0], "median": walls[len(walls) // 2],
                                    "max": walls[-1]},
            "yuqingd_cpu_s_median": sorted(x["yuqingd_cpu_s"] for x in runs)[len(runs) // 2],
            "redis_cpu_s_median": sorted(x["redis_cpu_s"] for x in runs)[len(runs) // 2]}


def run_scale(a, procs, r, incs, scale, baseline):
    log("scale x%g: preloading %d incidents" % (scale, len(incs)))
    pre = preload(r, incs, a.seed + 1)
    log("  preload %.1f s, redis used_memory %.1f MiB"
        % (pre["seconds"], pre["redis_used_memory"] / 2**20))
    mem0 = pre["redis_used_memory"]
    rcpu0 = proc_cpu(procs.redis_proc.pid)
    d = Daemon(procs, "scale-x%g" % scale,
               ["--time-start", T0_ISO, "--time-scale", "%g" % scale]).start()
    res = {"scale": scale, "incidents": len(incs), "preload": pre}
    try:
        t_ready, (n_open, n_sched) = d.wait_mark("restored", 120)
        st_ready = proc_status(d.pid)
        cpu_ready = proc_cpu(d.pid)
        rcpu_ready = proc_cpu(procs.redis_proc.pid) - rcpu0
        d.scan()
        t_start = d.marks["starting"][0]
        t_link = d.marks.get("link_up", (None,))[0]
        res["rebuild"] = {
            "open": int(n_open), "scheduled": int(n_sched),
            "exec_to_restored_ms": round((t_ready - d.t_exec) * 1000, 1),
            "exec_to_starting_ms": round((t_start - d.t_exec) * 1000, 1),
            "link_up_to_restored_ms": round((t_ready - t_link) * 1000, 1) if t_link else None,
            "yuqingd_cpu_s_at_restored": round(cpu_ready, 2),
            "redis_cpu_s_during_rebuild": round(rcpu_ready, 2),
            "note": "log polled every 2 ms; 'starting' = config+rules loaded, clock running"}
        log("  rebuild: open=%s scheduled=%s exec->restored %.0f ms (exec->starting %.0f, "
            "link up->restored %s ms)" % (n_open, n_sched, res["rebuild"]["exec_to_restored_ms"],
                                          res["rebuild"]["exec_to_starting_ms"],
                                          res["rebuild"]["link_up_to_restored_ms"]))
        # steady window
        time.sleep(a.warmup)
        c0 = (time.monotonic(), proc_cpu(d.pid), proc_cpu(procs.redis_proc.pid))
        pending = []
        hz = {}
        end = c0[0] + a.window
        while time.monotonic() < end:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            try:
                hz = d.healthz()
                pending.append(hz["redis"]["pending"])
            except (OSError, KeyError, ValueError) as e:
                hz = {"error": str(e)}
        c1 = (time.monotonic(), proc_cpu(d.pid), proc_cpu(procs.redis_proc.pid))
        st_end = proc_status(d.pid)
        time.sleep(a.tail)
        t_stop = time.monotonic()
    finally:
        rc = d.stop()
    res["shutdown"] = d.shutdown()
    stopped = r.cmd("HGET", "%s:daemon" % PREFIX, "stopped_at")
    if stopped is None or int(stopped) < T0:
        # the stop record is queued behind everything in flight; lost if
        # the grace expired
        res["shutdown"]["stopped_at_missing"] = True
        stopped = T0 + int((t_stop - d.marks["starting"][0]) * 1000 * scale)
    stopped = int(stopped)
    res["redis_pending_in_window"] = {"samples": len(pending), "max": max(pending, default=None),
                                      "last": pending[-1] if pending else None}
    base = baseline["rss"] if baseline else None
    res["memory"] = {"ready": st_ready, "end": st_end}
    if base:
        res["memory"]["bytes_per_incident_ready"] = round((st_ready["VmRSS"] - base["VmRSS"]) / len(incs))
        res["memory"]["bytes_per_incident_end"] = round((st_end["VmRSS"] - base["VmRSS"]) / len(incs))
        res["memory"]["hwm_bytes_per_incident"] = round((st_end["VmHWM"] - base["VmHWM"]) / len(incs))
    res["cpu_window"] = {"real_s": round(c1[0] - c0[0], 2),
                         "yuqingd_core_pct": round(100 * (c1[1] - c0[1]) / (c1[0] - c0[0]), 1),
                         "redis_core_pct": round(100 * (c1[2] - c0[2]) / (c1[0] - c0[0]), 1)}
    res["healthz_incidents"] = hz.get("incidents")
    res["exit_status"] = rc

    # the window in monitored ms: the clock started at the "starting" line
    def mon(t):
        return T0 + int((t - t_start) * 1000 * scale)
    lo, hi = mon(t_ready + a.warmup), stopped - int(a.tail * 1000 * scale)
    log("  reading yq:alerts")
    alerts = r.xrange_all("%s:alerts" % PREFIX)
    mem1 = int(r.info("memory")["used_memory"])
    res["alerts_total"] = len(alerts)
    if alerts:
        res["redis_bytes_per_alert"] = round((mem1 - mem0) / len(alerts))
    keys = [f["key"] for _i, f in alerts]
    res["duplicates"] = len(keys) - len(set(keys))
    early = [f["key"] for _i, f in alerts if int(f["recorded_at"]) < int(f["due_at"])]
    res["recorded_before_due"] = len(early)
    # catch-up at the rebuild: stages due between T0 and the rebuild
    res["due_before_restored"] = sum(1 for _i, f in alerts if int(f["due_at"]) <= mon(t_ready))
    want = alert_rate(incs, lo, hi)
    got = {f["key"]: (eid, f) for eid, f in alerts if lo < int(f["due_at"]) <= hi}
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    wrong_due = [k for k in want if k in got and int(got[k][1]["due_at"]) != want[k]]
    lat = [(int(f["recorded_at"]) - int(f["due_at"])) / scale for _e, f in got.values()]
    off = [int(e.split("-")[0]) - (int(f["recorded_at"]) - T0) / scale for e, f in got.values()]
    o0 = min(off) if off else 0
    lag = [o - o0 for o in off]
    res["window"] = {
        "monitored_from": lo, "monitored_to": hi,
        "real_s": round((hi - lo) / scale / 1000, 2),
        "expected": len(want), "recorded": len(got), "missing": len(missing),
        "unexpected": len(extra), "wrong_due": len(wrong_due),
        "alerts_per_real_s": round(len(want) / ((hi - lo) / scale / 1000), 1) if hi > lo else None,
        "lateness_real_ms": dist(lat),
        "redis_commit_lag_real_ms": dist(lag),
        "lateness_is_lower_bound": bool(missing),
        "examples_missing": missing[:5], "examples_unexpected": extra[:5]}
    w = res["window"]
    log("  redis pending (healthz, 1/s) max %s; shutdown %s"
        % (res["redis_pending_in_window"]["max"], res["shutdown"]))
    log("  window %.1f s real: %d alerts expected (%.0f/s), %d recorded, missing %d, "
        "unexpected %d; lateness real ms p50 %s p99 %s max %s; commit lag p99 %s"
        % (w["real_s"], w["expected"], w["alerts_per_real_s"] or 0, w["recorded"],
           w["missing"], w["unexpected"], w["lateness_real_ms"].get("p50"),
           w["lateness_real_ms"].get("p99"), w["lateness_real_ms"].get("max"),
           w["redis_commit_lag_real_ms"].get("p99")))
    if "memory" in res and base:
        log("  memory: RSS ready %.1f MiB end %.1f MiB HWM %.1f MiB -> %s B/incident (ready), "
            "%s (end); CPU yuqingd %s%% redis %s%%"
            % (st_ready["VmRSS"] / 2**20, st_end["VmRSS"] / 2**20, st_end["VmHWM"] / 2**20,
               res["memory"]["bytes_per_incident_ready"], res["memory"]["bytes_per_incident_end"],
               res["cpu_window"]["yuqingd_core_pct"], res["cpu_window"]["redis_core_pct"]))
    return res


def replay_dataset(a):
    rng = random.Random(a.seed + 7)
    ids = set()
    incs = []
    catch = int(a.replay_incidents * a.replay_catchup_share)
    for n in range(a.replay_incidents):
        if n < catch:
            # ordinary, due T0+7h..T0+11h: warn-24h (T0-17h..-13h) and
            # warn-12h (T0-5h..-1h) already due, warn-4h at T0+3h..+7h
            due = T0 + 7 * H + rng.randint(0, 4 * H)
            incs.append(make_incident(n, "ordinary", due - STAGES["response"][0], None, rng, ids))
            incs[-1]["catchup"] = True
            continue
        cls = "major" if rng.random() < a.major_share else "ordinary"
        start = T0 + 5 * M + rng.randint(0, int(a.replay_start_days * D))
        incs.append(make_incident(n, cls, start, None, rng, ids))
    return incs


def run_replay(a, procs, r, scale):
    incs = replay_dataset(a)
    horizon = T0 + int(a.replay_days * D)
    log("replay: %d incidents (%d catch-up), %g days at x%g"
        % (len(incs), sum(1 for i in incs if i.get("catchup")), a.replay_days, scale))
    preload(r, incs, a.seed + 8)
    d = Daemon(procs, "replay-x%g" % scale,
               ["--time-start", T0_ISO, "--time-scale", "%g" % scale]).start()
    res = {"incidents": len(incs), "scale": scale, "days": a.replay_days}
    rpid = procs.redis_proc.pid
    rcpu0 = proc_cpu(rpid)
    try:
        t_ready = d.wait_mark("restored", 60)[0]
        d.scan()
        t_start = d.marks["starting"][0]
        # sleep until the monitored clock passes the horizon, plus a margin
        t_h = t_start + (horizon - T0) / 1000 / scale
        while time.monotonic() < t_h + a.replay_margin:
            if d.proc.poll() is not None:
                raise Fail("yuqingd exited during the replay:\n" + d.tail())
            time.sleep(0.05)
        cpu_h = proc_cpu(d.pid)
        rcpu_h = proc_cpu(rpid)
        st_h = proc_status(d.pid)
        t_stop = time.monotonic()
    finally:
        rc = d.stop()
    rcpu1 = proc_cpu(rpid)
    res["shutdown"] = d.shutdown()
    stopped = r.cmd("HGET", "%s:daemon" % PREFIX, "stopped_at")
    if stopped is None:
        res["shutdown"]["stopped_at_missing"] = True
        stopped = T0 + int((t_stop - t_start) * 1000 * scale)
    stopped = int(stopped)
    alerts = r.xrange_all("%s:alerts" % PREFIX)
    byinc = {inc["id"]: inc for inc in incs}
    # expected: every stage due by the horizon, except the catch-up rule at
    # the restart: stages already due before the rebuild, only the latest
    want = {}
    catchup_want = {}
    for inc in incs:
        for m, (_start, due, nxt) in inc["ms"].items():
            st = stages_between(m, due, -1, horizon, nxt)
            if inc.get("catchup"):
                before = [x for x in st if x[2] <= T0]
                st = [x for x in st if x[2] > T0]
                if before:
                    s, name, at = before[-1]
                    catchup_want["%d:%s:%s" % (inc["id"], m, name)] = at
                    st = [before[-1]] + st
            for s, name, at in st:
                want["%d:%s:%s" % (inc["id"], m, name)] = at
    keys = [f["key"] for _e, f in alerts]
    got = {}
    for eid, f in alerts:
        got.setdefault(f["key"], (eid, f))
    in_h = {k: v for k, v in got.items() if int(v[1]["due_at"]) <= horizon}
    missing = sorted(k for k in want if k not in got)
    extra = sorted(k for k in in_h if k not in want)
    wrong = sorted(k for k in want if k in got and int(got[k][1]["due_at"]) != want[k])
    beyond = [k for k, v in got.items() if int(v[1]["due_at"]) > horizon]
    bad_beyond = [k for k in beyond if int(got[k][1]["due_at"]) > stopped]
    # next_stage in the hashes follows the last alert of each milestone
    last = {}
    for k in got:
        iid, m, name = k.split(":")
        sidx = stage_index(m, name)
        if sidx >= last.get((int(iid), m), -1):
            last[(int(iid), m)] = sidx
    # a missing stage with a later stage of its milestone recorded was
    # skipped (the loop was behind by more than the gap between stages, and
    # inc_schedule() records only the latest of the stages already due)
    skipped = [k for k in missing
               if last.get((int(k.split(":")[0]), k.split(":")[1]), -1)
               > stage_index(k.split(":")[1], k.split(":")[2])]
    ns_bad = 0
    pipe = [["HGET", "%s:incident:%d" % (PREFIX, inc["id"]), "ms.%s.next_stage" % m]
            for inc in incs for m in inc["ms"]]
    r.sock.sendall(b"".join(Redis.enc(c) for c in pipe))
    for c in pipe:
        v = int(r.read())
        iid, m = int(c[1].rsplit(":", 1)[1]), c[2].split(".")[1]
        exp = last.get((iid, m), byinc[iid]["ms"][m][2] - 1) + 1
        if v != exp:
            ns_bad += 1
    lat = [(int(f["recorded_at"]) - int(f["due_at"])) / scale for k, (_e, f) in in_h.items()
           if k not in catchup_want]
    off = [int(e.split("-")[0]) - (int(f["recorded_at"]) - T0) / scale for e, f in in_h.values()]
    o0 = min(off, default=0)
    catch_rec = [int(got[k][1]["recorded_at"]) for k in catchup_want if k in got]
    # wall: exec -> the last alert due by the horizon committed (stream id =
    # redis real wall ms)
    last_commit = max((int(e.split("-")[0]) for e, f in in_h.values()), default=0) / 1000
    res.update({
        "horizon": horizon, "stopped_at": stopped, "exit_status": rc,
        "expected": len(want), "recorded_total": len(alerts),
        "recorded_by_horizon": len(in_h), "duplicates": len(keys) - len(set(keys)),
        "missing": len(missing), "missing_skipped_by_catchup_rule": len(skipped),
        "unexpected": len(extra), "wrong_due": len(wrong),
        "beyond_horizon": len(beyond), "beyond_stop": len(bad_beyond),
        "next_stage_mismatch": ns_bad,
        "catchup_expected": len(catchup_want),
        "catchup_recorded": sum(1 for k in catchup_want if k in got),
        "catchup_recorded_by_monitored_ms": max(catch_rec) - T0 if catch_rec else None,
        "exact": not (missing or extra or wrong or len(keys) != len(set(keys)) or bad_beyond
                      or ns_bad),
        "lateness_real_ms": dist(lat),
        "redis_commit_lag_real_ms": dist([o - o0 for o in off]),
        "wall_exec_to_restored_s": round(t_ready - d.t_exec, 3),
        "wall_exec_to_horizon_s": round(t_h - d.t_exec, 3),
        "wall_exec_to_last_commit_s": round(last_commit - d.w_exec, 3) if last_commit else None,
        "wall_stop_to_exit_s": round(d.t_exit - t_stop, 3) if d.rusage else None,
        "yuqingd_cpu_s_to_stop": round(cpu_h, 2),
        "yuqingd_cpu_s_total": d.cpu_total(),
        "redis_cpu_s_to_stop": round(rcpu_h - rcpu0, 2),
        "redis_cpu_s_total": round(rcpu1 - rcpu0, 2),
        "yuqingd_rss_at_stop": st_h["VmRSS"], "yuqingd_hwm": st_h["VmHWM"],
        "examples_missing": missing[:8], "examples_unexpected": extra[:8],
        "examples_wrong_due": wrong[:5]})
    log("replay x%g: %d expected, %d recorded by the horizon (%d total), missing %d (%d skipped "
        "after a later stage), unexpected %d, wrong due %d, dup %d, next_stage mismatch %d "
        "-> exact=%s" % (scale, len(want), len(in_h), len(alerts), len(missing), len(skipped),
                         len(extra), len(wrong), res["duplicates"], ns_bad, res["exact"]))
    log("replay x%g: wall exec->last alert committed %.2f s (exec->horizon %.2f s, stop->exit "
        "%s s), lateness real ms p50 %s p99 %s max %s, commit lag p99 %s max %s; catch-up %d/%d recorded by T0+%.1f min; "
        "CPU to stop / total: yuqingd %s/%s s, redis %s/%s s; RSS at stop %.0f MiB"
        % (scale, res["wall_exec_to_last_commit_s"] or -1, res["wall_exec_to_horizon_s"],
           res["wall_stop_to_exit_s"], res["lateness_real_ms"].get("p50"),
           res["lateness_real_ms"].get("p99"), res["lateness_real_ms"].get("max"),
           res["redis_commit_lag_real_ms"].get("p99"), res["redis_commit_lag_real_ms"].get("max"),
           res["catchup_recorded"], len(catchup_want),
           (res["catchup_recorded_by_monitored_ms"] or 0) / M,
           res["yuqingd_cpu_s_to_stop"], res["yuqingd_cpu_s_total"],
           res["redis_cpu_s_to_stop"], res["redis_cpu_s_total"], st_h["VmRSS"] / 2**20))
    return res


def stage_index(m, name):
    _w, warns, _r = STAGES[m]
    if name == "breach":
        return len(warns)
    if name.startswith("overdue-"):
        return len(warns) + int(name[8:])
    return ["warn-" + dur_name(w) for w in warns].index(name)


def default_binary():
    env = os.environ.get("YQ_YUQINGD")
    if env:
        return env
    for b in ("build-bench", "build"):
        p = os.path.join(REPO, b, "yuqingd")
        if os.path.exists(p):
            return p
    return "/tmp/hsc/yuqingd"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--yuqingd", default=default_binary())
    p.add_argument("--only", default="baseline,rebuild,scale,replay")
    p.add_argument("--rebuild-repeat", type=int, default=5)
    p.add_argument("--incidents", type=int, default=100000)
    p.add_argument("--major-share", type=float, default=0.5)
    p.add_argument("--spread-hours", type=float, default=48.0,
                   help="clock starts uniform over this long before T0")
    p.add_argument("--scales", default="1,60,600")
    p.add_argument("--warmup", type=float, default=2.0, help="real s after the rebuild")
    p.add_argument("--window", type=float, default=30.0, help="real s measured")
    p.add_argument("--tail", type=float, default=1.0, help="real s before the stop not judged")
    p.add_argument("--replay-incidents", type=int, default=1000)
    p.add_argument("--replay-days", type=float, default=7.0)
    p.add_argument("--replay-start-days", type=float, default=3.0)
    p.add_argument("--replay-scales", default="86400,43200",
                   help="comma-separated; 86400 = one day a second")
    p.add_argument("--replay-margin", type=float, default=0.5,
                   help="real s the daemon runs past the horizon")
    p.add_argument("--replay-catchup-share", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--out")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    parts = set(a.only.split(","))
    work = tempfile.mkdtemp(prefix="yq-scale-")
    procs = Procs(work, a.yuqingd)
    out = {"yuqingd": a.yuqingd, "t0": T0_ISO, "args": vars(a),
           "host": {"nproc": os.cpu_count(), "loadavg": os.getloadavg()}}
    try:
        check_dump(a.yuqingd, procs.conf)
        r = procs.start_redis()
        out["redis_version"] = r.info("server").get("redis_version")
        baseline = None
        if parts & {"baseline", "rebuild", "scale"}:
            baseline = out["baseline"] = run_baseline(a, procs, r)
        if parts & {"rebuild", "scale"}:
            incs = scale_dataset(a)
        if "rebuild" in parts:
            out["rebuild"] = run_rebuild(a, procs, r, incs, baseline)
        if "scale" in parts:
            out["scale"] = []
            for s in a.scales.split(","):
                out["scale"].append(run_scale(a, procs, r, incs, float(s), baseline))
            del incs
        if "replay" in parts:
            out["replay"] = [run_replay(a, procs, r, float(x))
                             for x in a.replay_scales.split(",")]
        r.close()
    finally:
        procs.stop_redis()
        out["host"]["loadavg_end"] = os.getloadavg()
        if a.keep:
            log("work directory kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(out, indent=1, ensure_ascii=False)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        log("FAILED: %s" % e)
        sys.exit(1)
