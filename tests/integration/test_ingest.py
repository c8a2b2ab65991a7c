#!/usr/bin/python3
"""Feed ingestion end to end: the real yuqingd polls feeds served by the
loopback HTTP fixture and records state, seen items and events in a private
redis-server.  Covers conditional GET across a restart, seen items and
edits, backoff and source down/up, Retry-After, permanent redirects, and
the hostile sources of issue 3 (each a stored error with its reason while
a good feed keeps being polled on time, memory bounded).  The clock runs
60x so a 10 s interval is a sixth of a real second."""

import gzip
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SANITIZED, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, wait_for  # noqa: E402

SCALE = "60"


def rss(items, title="本地新闻", extra=""):
    body = "".join(
        "<item><title>%s</title><link>http://news.example/%s</link>"
        "<guid>%s</guid><pubDate>Fri, 27 Nov 2026 08:00:00 +0800</pubDate>"
        "<description>%s</description></item>" % (t, g, g, d)
        for g, t, d in items)
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>%s</title>%s%s</channel></rss>" % (title, extra, body)).encode("utf-8")


def feeds_conf(entries, fetch_extra=""):
    """entries: (id, url, extra) -> config text for feeds and fetch."""
    feeds = ",\n".join('{ id = "%s"; url = "%s"; interval = "10s"; ceiling = "2m"; %s }'
                       % e for e in entries)
    return ('fetch = { host_spacing = "0s"; per_host = 64; connect_timeout = "2s"; '
            'timeout = "5s"; low_speed_time = "2s"; down_after_failures = 3; %s };\n'
            "feeds = ( %s );\n" % (fetch_extra, feeds))


class IngestTest(LoopbackTest):
    def daemon(self, conf_text, **kw):
        conf = write_config(self.tmp, self.redis, extra=conf_text)
        return Daemon(conf, args=["--time-scale", SCALE], **kw)

    def items(self):
        return self.stream("items")

    def feed_state(self, fid):
        return self.hash("feed:" + fid)

    def test_conditional_get_seen_items_and_restart(self):
        body = rss([("a1", "洛河镇某工地拖欠农民工工资", "工人讨薪"),
                    ("a2", "上窑镇停水通知", "管网维修")])
        etag = '"v1"'

        def feed(req):
            if req.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(body=body, headers={"ETag": etag,
                                                "Content-Type": "application/rss+xml"})
        self.http.route("/local.xml", feed)
        conf = feeds_conf([("local", self.http.url("/local.xml"), "local = true;")])
        with self.daemon(conf) as d:
            wait_for(lambda: len(self.items()) == 2, 10, "two items recorded")
            self.http.wait_requests(3, timeout=10, path="/local.xml")
            st = self.feed_state("local")
            self.assertEqual(st["etag"], etag)
            self.assertEqual(st["last_status"], "304")
            self.assertEqual(st["failures"], "0")
            self.assertEqual(st["charset"], "UTF-8")
            titles = sorted(i["title"] for i in self.items())
            self.assertEqual(titles, ["上窑镇停水通知", "洛河镇某工地拖欠农民工工资"])
            self.assertTrue(all(i["kind"] == "new" for i in self.items()))
            self.assertEqual(self.items()[0]["published"], "1795737600000")
            d.wait_log(r"feed items recorded: feed=local new=2")
        self.assertEqual(d.returncode, 0)
        # After a restart the stored ETag is sent at once: no full refetch.
        self.http.clear_requests()
        with self.daemon(conf) as d:
            reqs = self.http.wait_requests(1, timeout=10, path="/local.xml")
            self.assertEqual(reqs[0].headers.get("If-None-Match"), etag)
            time.sleep(0.5)
        self.assertEqual(len(self.items()), 2, "nothing passed on twice")
        # An edited item is an update, a new one is new; neither repeats.
        body = rss([("a1", "洛河镇某工地拖欠农民工工资（更新）", "工人讨薪"),
                    ("a2", "上窑镇停水通知", "管网维修"),
                    ("a3", "九龙岗镇道路施工", "绕行")])
        etag = '"v2"'
        with self.daemon(conf) as d:
            wait_for(lambda: len(self.items()) == 4, 10, "edit and new item")
            time.sleep(0.5)
        kinds = [(i["key"], i["kind"]) for i in self.items()[2:]]
        self.assertEqual(sorted(kinds), [("g:a1", "upd"), ("g:a3", "new")])
        self.assertEqual(len(self.items()), 4)

    def test_backoff_down_and_up(self):
        self.http.route("/flaky.xml", Response(status=500, body=b"oops"))
        conf = feeds_conf([("flaky", self.http.url("/flaky.xml"), "")])
        with self.daemon(conf) as d:
            reqs = self.http.wait_requests(4, timeout=20, path="/flaky.xml")
            gaps = [b.time - a.time for a, b in zip(reqs, reqs[1:])]
            # 10 s, 20 s, 40 s monitored (+-10 %): each gap longer
            self.assertGreater(gaps[1], gaps[0] * 1.4, gaps)
            self.assertGreater(gaps[2], gaps[1] * 1.4, gaps)
            d.wait_log(r"<3>feed is down: feed=flaky failures=3")
            ev = self.redis.command("XRANGE", "yq:events", "-", "+")
            self.assertEqual(dict(zip(ev[0][1][::2], ev[0][1][1::2]))["type"], "source_down")
            st = self.feed_state("flaky")
            self.assertEqual((st["down"], st["last_status"]), ("1", "500"))
            self.assertEqual(st["last_error"], "HTTP status 500")
            self.http.route("/flaky.xml", Response(body=rss([("x", "t", "d")])))
            d.wait_log(r"feed is up again: feed=flaky", timeout=20)
            wait_for(lambda: len(self.redis.command("XRANGE", "yq:events", "-", "+")) == 2,
                     5, "source_up event")
            self.assertEqual(self.feed_state("flaky")["down"], "0")

    def test_retry_after_and_permanent_redirect(self):
        self.http.route("/busy.xml", Response(status=503, headers={"Retry-After": "120"}),
                        Response(body=rss([("b", "t", "d")])))
        self.http.route("/old.xml", Response(status=301, headers={"Location": "/new.xml"}))
        self.http.route("/new.xml", Response(body=rss([("n", "t", "d")])))
        conf = feeds_conf([("busy", self.http.url("/busy.xml"), ""),
                           ("moved", self.http.url("/old.xml"), "")])
        with self.daemon(conf) as d:
            reqs = self.http.wait_requests(2, timeout=15, path="/busy.xml")
            # Retry-After 120 s monitored = 2 s real at 60x (backoff alone: ~0.17 s)
            self.assertGreater(reqs[1].time - reqs[0].time, 1.7)
            d.wait_log(r"feed moved permanently: feed=moved", timeout=15)
            n_old = len(self.http.requests_for("/old.xml"))
            self.assertEqual(n_old, 3, "moved after three polls that saw it")
            self.http.wait_requests(6, timeout=10, path="/new.xml")
            self.assertEqual(len(self.http.requests_for("/old.xml")), 3)
            self.assertEqual(self.feed_state("moved")["url"], self.http.url("/new.xml"))

    def test_host_caps_and_spacing(self):
        """Six feeds on a slow host (3 s per answer) and one on another
        host name: the slow host never has more than per_host requests in
        flight, starts on it are host_spacing apart, and the other host's
        feed keeps its schedule."""
        inflight = {"now": 0, "max": 0}

        def slow(req):
            inflight["now"] += 1
            inflight["max"] = max(inflight["max"], inflight["now"])
            time.sleep(3)
            inflight["now"] -= 1
            return Response(body=rss([("s", "t", "d")]))
        for i in range(6):
            self.http.route("/slow%d.xml" % i, slow)
        self.http.route("/fast.xml", Response(body=rss([("f", "t", "d")])))
        feeds = [("slow%d" % i, self.http.url("/slow%d.xml" % i), "") for i in range(6)]
        feeds.append(("fast", "http://localhost:%d/fast.xml" % self.http.port, ""))
        # (a 3 s answer must not trip the low-speed abort meant for trickles)
        conf = feeds_conf(feeds).replace(
            'host_spacing = "0s"; per_host = 64;', 'host_spacing = "500ms"; per_host = 2;'
        ).replace('low_speed_time = "2s"', 'low_speed_time = "10s"')
        with self.daemon(conf):
            time.sleep(6)
        slow_reqs = sorted(r.time for r in self.http.requests
                           if r.path.startswith("/slow"))
        self.assertLessEqual(inflight["max"], 2)
        self.assertGreaterEqual(len(slow_reqs), 2)
        gaps = [b - a for a, b in zip(slow_reqs, slow_reqs[1:])]
        self.assertGreaterEqual(min(gaps), 0.45, gaps)
        fast = self.http.requests_for("/fast.xml")
        self.assertGreaterEqual(len(fast), 6, "the other host was starved")

    def test_hostile_sources(self):
        h = self.http
        good = rss([("g1", "大通区新闻", "正常")])
        h.route("/good.xml", Response(body=good))
        h.route("/empty.xml", Response(body=b""))
        h.route("/html.xml", Response(body=b"<!DOCTYPE html><html><body>Welcome to RSSHub"
                                       b"</body></html>", headers={"Content-Type": "text/html"}))
        h.route("/truncated.xml", Response(body=good[: len(good) // 2 + 40]))
        h.route("/huge.xml", Response(body=b"<rss>" + b"x" * 3_000_000))
        h.route("/bomb.xml", Response(body=gzip.compress(b"<rss>" + b" " * 60_000_000),
                                      headers={"Content-Encoding": "gzip"}))
        h.route("/trickle.xml", Response(body=good, trickle=1.0))
        h.route("/loop.xml", Response(status=302, headers={"Location": "/loop.xml"}))
        h.route("/garbage.xml", Response(body=bytes(range(256)) * 64))
        h.route("/badutf8.xml", Response(body=good.replace("大通".encode(), b"\xff\xfe\xfa")))
        h.route("/gbk.xml", Response(body=rss([("k1", "大通区孔店乡拆迁补偿", "补偿")]).decode()
                                      .encode("gbk"), headers={"Content-Type":
                                                               "text/xml; charset=utf-8"}))
        h.route("/lol.xml", Response(body=(
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1) if i else "&lol;") * 10)
                      for i in range(10))
            + ']><rss version="2.0"><channel><item><title>&lol9;</title><guid>l</guid>'
            '</item></channel></rss>').encode()))
        h.route("/xxe.xml", Response(body=(
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<rss version="2.0"><channel><item><title>&x;</title><guid>x</guid></item>'
            '</channel></rss>').encode()))
        h.route("/sameguid.xml", Response(body=rss(
            [("same", "条目%d" % i, "d") for i in range(1000)])))
        names = ["good", "empty", "html", "truncated", "huge", "bomb", "trickle", "loop",
                 "garbage", "badutf8", "gbk", "lol", "xxe", "sameguid"]
        conf = feeds_conf([(n, h.url("/%s.xml" % n), "") for n in names],
                          fetch_extra="max_body = 1000000;")
        with self.daemon(conf) as d:
            t0 = time.monotonic()
            wait_for(lambda: all(self.feed_state(n).get("last_attempt", "-1") != "-1"
                                 for n in names), 30, "every feed polled once")
            time.sleep(3)
            elapsed = time.monotonic() - t0
            polls = len(h.requests_for("/good.xml"))
            st = {n: self.feed_state(n) for n in names}
            with open("/proc/%d/status" % d.pid) as f:
                rss_kb = int([ln for ln in f if ln.startswith("VmRSS")][0].split()[1])
        self.assertEqual(d.returncode, 0, d.log())
        # the good feed kept its schedule (10 s monitored = 1/6 s real)
        self.assertGreater(polls, elapsed * 6 * 0.4, (polls, elapsed))
        self.assertEqual(st["good"]["failures"], "0")

        def failed(name, reason):
            self.assertNotEqual(st[name]["failures"], "0", (name, st[name]))
            self.assertIn(reason, st[name]["last_error"], (name, st[name]))
            self.assertIn("cannot poll feed '%s'" % name, d.log())
        failed("empty", "empty body")
        failed("html", "an HTML page, not a feed")
        failed("huge", "larger than")
        failed("bomb", "larger than")
        failed("trickle", "too slow")
        failed("loop", "redirect")
        failed("garbage", "not a feed")
        # recovered, usable, flagged with the reason
        for name in ("truncated", "badutf8"):
            self.assertEqual(st[name]["failures"], "0", (name, st[name]))
            self.assertEqual(st[name]["recovered"], "1", (name, st[name]))
            self.assertTrue(st[name]["reason"], (name, st[name]))
        titles = {i["feed"] + ":" + i["key"]: i["title"] for i in self.items()}
        self.assertEqual(titles["gbk:g:k1"], "大通区孔店乡拆迁补偿")
        self.assertEqual(st["gbk"]["charset"], "GB18030")
        self.assertNotIn("lollol", titles.get("lol:g:l", ""))
        self.assertNotIn("root:", titles.get("xxe:g:x", ""))
        same = [k for k in titles if k.startswith("sameguid:")]
        self.assertEqual(len(same), 1000, "one item per entry, none merged")
        # ASan's shadow memory and quarantine multiply the footprint
        self.assertLess(rss_kb, (512 if SANITIZED else 64) * 1024, "memory bounded")


if __name__ == "__main__":
    unittest.main(verbosity=2)
