#!/usr/bin/python3
"""Parse throughput of Python's feedparser: the peer of bench_parse.

    /usr/bin/python3 parse_feedparser.py [-r ROUNDS] [-w WARMUP] [-s SUFFIX] DIR

Run it with Debian's /usr/bin/python3 and python3-feedparser (not another
Python on PATH).  The same loop as bench/parse_bench.c: every file of DIR
but manifest.json is read into memory first (sorted by name); only the
parse loop is timed: feedparser.parse(bytes) per file, with feedparser's
defaults (HTML sanitising and relative-URI resolution on, as the daemon's
normalisation is) and the response headers the bench's nginx sends
(Content-Type application/xml or application/feed+json, no charset) plus
the same base URL http://127.0.0.1/NAME.  -s keeps only files whose name
ends with SUFFIX.  Prints one JSON object with the same fields as
bench_parse (items_expected from manifest.json when present); rates use
the median round.  Peak RSS is ru_maxrss (KiB) and includes the loaded
corpus and the interpreter.
"""

import argparse
import json
import os
import resource
import sys
import time

import feedparser

# What the poll bench's nginx sends (bench/poll_bench.py, types block).
CONTENT_TYPES = {"xml": "application/xml", "json": "application/feed+json"}


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def one_round(corpus):
    items = failed = bozo = 0
    formats = {}
    for name, body in corpus:
        d = feedparser.parse(body, response_headers={
            "content-location": "http://127.0.0.1/" + name,
            "content-type": CONTENT_TYPES.get(name.rsplit(".", 1)[-1],
                                              "application/octet-stream")})
        n = len(d.entries)
        if not d.version and n == 0:
            failed += 1
        items += n
        bozo += 1 if d.bozo else 0
        formats[d.version or "unknown"] = formats.get(
            d.version or "unknown", 0) + 1
    return items, failed, bozo, formats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-r", "--rounds", type=int, default=1)
    ap.add_argument("-w", "--warmup", type=int, default=0)
    ap.add_argument("-s", "--suffix", default="")
    ap.add_argument("dir")
    a = ap.parse_args()

    corpus = []
    for name in sorted(os.listdir(a.dir)):
        path = os.path.join(a.dir, name)
        if name.startswith(".") or name == "manifest.json" or \
                not name.endswith(a.suffix) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            corpus.append((name, f.read()))
    nbytes = sum(len(b) for _, b in corpus)
    expected = None
    try:
        with open(os.path.join(a.dir, "manifest.json")) as f:
            per = {e["file"]: e["items"] for e in json.load(f)["files"]}
        expected = sum(per.get(name, 0) for name, _ in corpus)
    except (OSError, ValueError, KeyError):
        pass
    loaded = rss_kib()

    for _ in range(a.warmup):
        one_round(corpus)
    secs, first, mismatch = [], None, False
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        res = one_round(corpus)
        secs.append(time.perf_counter() - t0)
        if first is None:
            first = res
        elif res[:2] != first[:2]:
            mismatch = True
    items, failed, bozo, formats = first
    s = sorted(secs)
    med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] +
                                             s[len(s) // 2]) / 2
    out = {"impl": "feedparser %s (Python %s)" % (
               feedparser.__version__, sys.version.split()[0]),
           "python": sys.executable,
           "suffix": a.suffix, "items_expected": expected,
           "files": len(corpus), "bytes": nbytes, "rounds": a.rounds,
           "warmup_rounds": a.warmup, "items_per_round": items,
           "failed_per_round": failed, "bozo_per_round": bozo,
           "formats": formats, "seconds_total": round(sum(secs), 6),
           "seconds_median_round": round(med, 6),
           "seconds_min_round": round(s[0], 6),
           "items_per_s": round(items / med, 1),
           "mb_per_s": round(nbytes / 1e6 / med, 3),
           "files_per_s": round(len(corpus) / med, 1),
           "items_per_s_mean": round(items * a.rounds / sum(secs), 1),
           "rss_after_load_kib": loaded,
           "peak_rss_kib": resource.getrusage(
               resource.RUSAGE_SELF).ru_maxrss}
    print(json.dumps(out))
    if mismatch:
        print("parse_feedparser: rounds differ in items", file=sys.stderr)
    return 1 if failed or mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
