#!/usr/bin/python3
"""Print the benchmark summary: medians, ratios, targets.

    summary.py PARSE.jsonl [POLL.json]

PARSE.jsonl holds one JSON object per benchmark run, as bench/run.sh
writes them: {"pair": i, "set": "xml"|"all", "side": "ours"|"feedparser",
"result": {...output of bench_parse or parse_feedparser.py...}}.
POLL.json is what poll_bench.py wrote.  Every figure printed is the median
over the interleaved runs; ratios are taken between medians of the same
run set.
"""

import json
import statistics
import sys


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def parse_summary(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    out = {}
    print("Parse throughput (feed_parse vs feedparser.parse, in-process, "
          "corpus already in memory; MEDIANS of %d interleaved runs)" %
          len({r["pair"] for r in runs}))
    print("%-36s %10s %8s %9s %12s %8s" % (
        "", "items/s", "MB/s", "files/s", "peak RSS MiB", "items"))
    for sset in ("xml", "all"):
        for side in ("ours", "feedparser"):
            rs = [r["result"] for r in runs
                  if r["set"] == sset and r["side"] == side]
            if not rs:
                continue
            m = {k: med([r[k] for r in rs]) for k in (
                "items_per_s", "mb_per_s", "files_per_s", "peak_rss_kib")}
            m["items"] = rs[0]["items_per_round"]
            m["items_expected"] = rs[0].get("items_expected")
            m["files"] = rs[0]["files"]
            m["runs"] = len(rs)
            out["%s/%s" % (sset, side)] = m
            label = "%s, %s (%d files)" % (side, "XML subset" if sset == "xml"
                                           else "whole corpus", m["files"])
            print("%-36s %10.0f %8.2f %9.1f %12.1f %8d" % (
                label, m["items_per_s"], m["mb_per_s"], m["files_per_s"],
                m["peak_rss_kib"] / 1024, m["items"]))
    o, f = out.get("xml/ours"), out.get("xml/feedparser")
    if o and f:
        ratio = o["items_per_s"] / f["items_per_s"]
        out["ratio_items_per_s_xml"] = ratio
        out["target_30x_met"] = ratio >= 30
        print("ratio ours/feedparser on the XML subset (both read every "
              "file): items/s %.1fx, MB/s %.1fx  -> target >= 30x %s" % (
                  ratio, o["mb_per_s"] / f["mb_per_s"],
                  "MET" if ratio >= 30 else "MISSED"))
    fa = out.get("all/feedparser")
    oa = out.get("all/ours")
    if oa and fa:
        print("whole corpus: feedparser %s reads no JSON Feed (its items "
              "count 0); ratio %.1fx" % (
                  "6.0.x", oa["items_per_s"] / fa["items_per_s"]))
    return out


def poll_summary(path):
    res = json.load(open(path))
    s = res.get("summary")
    if not s:
        print("poll benchmark: no summary (failed run?)")
        return None
    reps = len(res["repeats"])
    print("\nPoll cycle, %d feeds on a loopback nginx, concurrency %d "
          "(MEDIANS of %d interleaved repeats)" % (
              res["args"]["feeds"], res["args"]["concurrency"], reps))
    print("%-12s %9s %9s %8s | %8s %10s %8s %8s %9s" % (
        "cycle", "ours wall", "nb wall", "nb/ours", "ours cpu",
        "ours+redis", "nb cpu", "nb/ours", "nb/(o+r)"))
    for cyc in ("first", "conditional"):
        c = s[cyc]
        print("%-12s %8.2fs %8.2fs %7.1fx | %7.2fs %9.2fs %7.2fs %7.1fx "
              "%8.1fx" % (cyc, c["ours_wall_s"], c["newsboat_wall_s"],
                          c["wall_ratio"], c["ours_cpu_s"],
                          c["ours_plus_redis_cpu_s"], c["newsboat_cpu_s"],
                          c["cpu_ratio"], c["cpu_ratio_with_redis"]))
    x = s.get("first_with_classification")
    if x:
        print("first cycle until the classifier had drained every new item "
              "(%d open incidents, %d alerts): %.2fs wall (nb/ours %.1fx), "
              "%.2fs cpu (nb/ours %.1fx)" % (
                  x["incidents_open"], x["alerts"], x["ours_wall_s"],
                  x["wall_ratio"], x["ours_cpu_s"], x["cpu_ratio"]))
    ip = s.get("conditional_in_process")
    if ip:
        # (its redis-server figure spans the ~17 s the jittered cycle
        # takes, mostly Redis housekeeping: kept in the JSON only)
        print("conditional cycle inside one running daemon (no restart, "
              "spread over +-10 %% of the interval): cpu %.2fs -> nb/ours "
              "%.1fx" % (ip["ours_cpu_s"],
                         s["conditional"]["newsboat_cpu_s"] / ip["ours_cpu_s"]
                         if ip["ours_cpu_s"] else float("inf")))
    print("peak RSS: yuqingd VmHWM %.1f MiB (max of all runs), newsboat "
          "%.1f MiB" % (s["ours_peak_rss_kib_max"] / 1024,
                        s["newsboat_peak_rss_kib_max"] / 1024))
    t = s["targets"]
    print("targets: wall < newsboat: first %s, conditional %s; CPU >= 5x "
          "less: first %s, conditional %s; RSS < 64 MiB: %s" % tuple(
              "MET" if t[k] else "MISSED" for k in (
                  "wall_first_met", "wall_conditional_met",
                  "cpu5x_first_met", "cpu5x_conditional_met",
                  "rss_under_64mib_met")))
    over = sum(1 for r in res["repeats"] for x in r["ours"]
               if x.get("overlap_possible"))
    if over:
        print("WARNING: %d daemon runs lasted longer than 0.9 interval: "
              "feeds may have been polled twice in them" % over)
    v = res.get("verify")
    if v is not None:
        print("verification (untimed pass, nginx access log): %s" % (
            "OK: ours 200s then 304s, newsboat 200s, 200s, 304s; every "
            "item stored by both" if v["ok"] else "FAILED: %r" % v))
    return s


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    parse_summary(sys.argv[1])
    if len(sys.argv) > 2:
        poll_summary(sys.argv[2])


if __name__ == "__main__":
    main()
