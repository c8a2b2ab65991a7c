#!/usr/bin/python3
"""Report benchmark: what /api/report costs the daemon's one event loop.

    /usr/bin/python3 bench/report_bench.py [--yuqingd BUILD/yuqingd]
        [--deliveries 200000] [--reports 5] [--idle 3] [--out FILE.json]

A private redis-server (unix socket, no persistence) gets --deliveries
entries in yq:deliveries (the daemon's schema, `at` spread over the week
reported, so every entry is read and counted), then the real yuqingd
starts on it (no feeds, no rules).  A probe thread asks /healthz every
2 ms throughout; its latency is how long the loop could not answer:

idle     the probe alone for --idle seconds (the peer, same run, same
         machine);
report   --reports GET /api/report?format=json one after another, the
         probe going on: each report's latency, and the probe's p50, p99
         and max meanwhile.

The figures that matter are ratios against the idle peer: the loop's
worst stall while a report is made, and the report's own latency.  The
script prints a JSON document on stdout (and to --out).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from yqfix import RedisServer  # noqa: E402
from yqd import Daemon, write_config  # noqa: E402

TOKEN = "bench-token-0123456789abcdef0123"
WEEK_START = 1795363200000  # 2026-11-23 00:00 +08:00 (Monday of W48)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def fill(redis, n):
    """n delivery attempts in one pipelined write (redis-cli --pipe)."""
    import subprocess
    chans = ("sms", "email", "wecom", "console")
    states = ("sent", "sent", "sent", "retry", "failed")
    step = 7 * 24 * 3600 * 1000 // max(n, 1)
    data = b"".join(
        resp("XADD", "yq:deliveries", "*", "key", "1795760212425001:release:warn-2h:duty:%d" % i,
             "channel", chans[i % 4], "recipient", "duty", "attempt", 1,
             "state", states[i % 5], "status", 200, "answer", "ok",
             "at", WEEK_START + i * step)
        for i in range(n))
    p = subprocess.run(["redis-cli", "-s", redis.socket, "--pipe"], input=data,
                       capture_output=True, timeout=600)
    if p.returncode != 0 or b"errors: 0" not in p.stdout:
        raise SystemExit("fill failed: %s %s" % (p.stdout, p.stderr))


class Probe(threading.Thread):
    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.lat, self.stop, self.mark = url, [], False, None

    def run(self):
        while not self.stop:
            t = time.monotonic()
            OPENER.open(self.url, timeout=30).read()
            self.lat.append((t, time.monotonic() - t))
            time.sleep(0.002)

    def window(self, t0, t1):
        return sorted(d for t, d in self.lat if t0 <= t < t1)


def summary(lat):
    if not lat:
        return None
    return {"n": len(lat), "p50_ms": round(lat[len(lat) // 2] * 1000, 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yuqingd", default=os.path.join(HERE, "..", "build", "yuqingd"))
    ap.add_argument("--deliveries", type=int, default=200000)
    ap.add_argument("--reports", type=int, default=5)
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("--out")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="yq-report-bench-")
    with RedisServer() as redis:
        t = time.monotonic()
        fill(redis, a.deliveries)
        print("filled %d deliveries in %.1f s" % (a.deliveries, time.monotonic() - t),
              file=sys.stderr)
        conf = write_config(tmp, redis, extra=(
            'api = { tokens = ( { name = "bench"; role = "read"; token = "%s"; } );'
            ' rate = 10000; burst = 100000; };\n' % TOKEN))
        with Daemon(conf, binary=os.path.abspath(a.yuqingd)) as d:
            probe = Probe(d.url("/healthz"))
            probe.start()
            t0 = time.monotonic()
            time.sleep(a.idle)
            t1 = time.monotonic()
            reports = []
            for _ in range(a.reports):
                req = urllib.request.Request(
                    d.url("/api/report?format=json&at=%d" % (WEEK_START + 3 * 86400000)),
                    headers={"Authorization": "Bearer " + TOKEN})
                s = time.monotonic()
                body = OPENER.open(req, timeout=120).read()
                reports.append(time.monotonic() - s)
                counted = sum(c["attempts"] for c in json.loads(body)["deliveries"])
                if counted != a.deliveries:
                    raise SystemExit("report counted %d of %d attempts" % (counted, a.deliveries))
            t2 = time.monotonic()
            probe.stop = True
            probe.join()
    idle, busy = summary(probe.window(t0, t1)), summary(probe.window(t1, t2))
    doc = {
        "deliveries": a.deliveries,
        "report_s": {"median": round(statistics.median(reports), 3),
                     "all": [round(x, 3) for x in reports]},
        "healthz_idle": idle,
        "healthz_during_reports": busy,
        "ratios": {
            "max_stall_vs_idle_max": round(busy["max_ms"] / idle["max_ms"], 1),
            "p99_vs_idle_p99": round(busy["p99_ms"] / idle["p99_ms"], 1),
        },
    }
    text = json.dumps(doc, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
