#!/usr/bin/python3
"""Incidents and deadline clocks end to end, on the fast clock (one
monitored hour per real second), with the shipped rules: loopback feeds
publish a mine gas explosion in 九龙岗镇 whose toll rises in a later item
from another outlet, wage arrears at a 洛河镇 site, a drill that must not
count and a story from 西宁市大通县 outside the district.  Every alert in
Redis must be one the schedule says is due, at its monitored time, and
every stage due must be there exactly once.  Other tests kill the
daemon with SIGKILL mid-run (once, then at several points) and check that
stages due while it was down are recorded once, only the most severe per
milestone, and nothing twice."""

import datetime
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, wait_for  # noqa: E402

TZ = datetime.timezone(datetime.timedelta(hours=8))
T0 = datetime.datetime(2026, 11, 27, 8, 0, tzinfo=TZ)
H = 3600 * 1000
M = 60 * 1000


def ms(dt):
    return int(dt.timestamp() * 1000)


def rss(items):
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>t</title>" + "".join(
                "<item><title>%s</title><link>http://n.example/%s</link><guid>%s</guid>"
                "<pubDate>%s</pubDate><description>%s</description></item>"
                % (t, g, g, p, d) for g, t, p, d in items) +
            "</channel></rss>").encode("utf-8")


MINE = ("m1", "九龙岗镇一煤矿发生瓦斯爆炸 3人死亡 9人被困",
        "Fri, 27 Nov 2026 07:40:00 +0800", "27日7时许，淮南市大通区九龙岗镇一煤矿井下发生瓦斯爆炸。")
WAGE = ("w1", "洛河镇某建筑工地农民工讨薪", "Fri, 27 Nov 2026 07:20:00 +0800",
        "淮南市大通区洛河镇一在建工地农民工反映被拖欠工资。")
DRILL = ("d1", "大通区开展煤矿透水事故应急演练", "Fri, 27 Nov 2026 07:30:00 +0800",
         "大通区应急局组织开展煤矿透水事故应急演练。")
AWAY = ("x1", "西宁市大通县一煤矿发生瓦斯爆炸", "Fri, 27 Nov 2026 07:10:00 +0800",
        "青海省西宁市大通县。")
TOLL = ("t1", "网友：九龙岗煤矿爆炸遇难人数升至十二人", "Fri, 27 Nov 2026 07:55:00 +0800",
        "淮南大通区九龙岗镇煤矿瓦斯爆炸遇难人数升至十二人。")

RULES = "".join('"%s/config/rules/%s.rules", ' % (SOURCE_DIR, r) for r in
                ("emergency", "ordinary", "exclusions", "jurisdiction", "routing"))
CONF = ('rules = { files = [ %s ]; };\n'
        'fetch = { host_spacing = "0s"; };\n'
        'feeds = ( { id = "local"; url = "%%s"; interval = "5m"; ceiling = "1h"; },\n'
        '          { id = "social"; url = "%%s"; interval = "5m"; ceiling = "1h"; } );\n'
        % RULES.rstrip(", "))

# The stages the configuration defines (defaults: DESIGN.md)
STAGES = {"release": (5 * H, [2 * H, 1 * H, 30 * M], 30 * M),
          "presser": (24 * H, [4 * H, 1 * H], 30 * M),
          "response": (48 * H, [24 * H, 12 * H, 4 * H, 1 * H], 4 * H)}


def schedule(milestone, start, until):
    """(stage name, due) of a milestone clocked from start, due <= until."""
    window, warns, remind = STAGES[milestone]
    due = start + window
    out = []
    for w in warns:
        if w % (24 * H) == 0:
            name = "warn-%dd" % (w // (24 * H))
        elif w % H == 0:
            name = "warn-%dh" % (w // H)
        else:
            name = "warn-%dm" % (w // M)
        out.append((name, due - w))
    out.append(("breach", due))
    k = 1
    while due + k * remind <= until:
        out.append(("overdue-%d" % k, due + k * remind))
        k += 1
    return [(n, t) for n, t in out if t <= until]


class IncidentTest(LoopbackTest):

    def incidents(self):
        out = {}
        for i in self.redis.command("SMEMBERS", "yq:incidents:open") or []:
            flat = self.redis.command("HGETALL", "yq:incident:" + i)
            out[i] = dict(zip(flat[::2], flat[1::2]))
        return out

    def start(self, start, extra_args=()):
        conf = write_config(self.tmp, self.redis,
                            extra=CONF % (self.http.url("/local.xml"),
                                          self.http.url("/social.xml")))
        return Daemon(conf, args=["--time-scale", "3600", "--time-start",
                                  start.isoformat()] + list(extra_args))

    def test_story_and_schedule(self):
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE, DRILL, AWAY])))
        self.http.route("/social.xml", Response(status=404),
                        Response(body=rss([TOLL])))
        d = self.start(T0).start()
        try:
            wait_for(lambda: len(self.incidents()) == 2, 10, "two incidents")
            # the later item joins the mine incident and raises the toll
            wait_for(lambda: any(i["items"] == "2" for i in self.incidents().values()),
                     10, "the toll update joined the incident")
            time.sleep(5.5)  # about 13:30 monitored
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log())
        stopped = int(self.redis.command("HGET", "yq:daemon", "stopped_at"))
        incs = self.incidents()
        by_title = {i["title"]: i for i in incs.values()}
        mine = by_title[MINE[1]]
        wage = by_title[WAGE[1]]
        self.assertEqual((mine["class"], mine["grade"], mine["category"]),
                         ("major", "重大", "事故灾难"))
        self.assertEqual(mine["deaths"], "12")
        self.assertIn("区应急局", mine["departments"])
        self.assertEqual(int(mine["clock_start"]), ms(T0) - 20 * M)  # 07:40
        self.assertEqual(int(mine["ms.release.due"]), ms(T0) + 4 * H + 40 * M)
        self.assertEqual(wage["class"], "ordinary")
        self.assertEqual(wage["departments"].split(",")[0], "区人社局")  # wages first
        self.assertNotIn(DRILL[1], by_title)
        self.assertNotIn(AWAY[1], by_title)
        # every alert recorded is due by the schedule, at its time, once
        want = {}
        for inc, start in ((mine, int(mine["clock_start"])),):
            for m in ("release", "presser"):
                for name, due in schedule(m, start, stopped - 2 * M):
                    want["%s:%s:%s" % (inc["id"], m, name)] = due
        for name, due in schedule("response", int(wage["clock_start"]), stopped - 2 * M):
            want["%s:response:%s" % (wage["id"], name)] = due
        alerts = self.stream("alerts")
        keys = [a["key"] for a in alerts]
        self.assertEqual(len(keys), len(set(keys)), "an alert recorded twice")
        got = {a["key"]: a for a in alerts}
        for k, due in want.items():
            self.assertIn(k, got, "missing %s (due %d, stopped %d)" % (k, due, stopped))
            self.assertEqual(int(got[k]["due_at"]), due, k)
            late = int(got[k]["recorded_at"]) - due
            self.assertTrue(0 <= late < 5 * M, "%s recorded %d ms late" % (k, late))
        extra = [k for k in got if k not in want and int(got[k]["due_at"]) < stopped - 2 * M]
        self.assertEqual(extra, [], "alerts the schedule does not have")
        self.assertIn(mine["id"] + ":release:breach", got)
        self.assertTrue(any(k.startswith(mine["id"] + ":release:overdue-") for k in got))

    def test_stalled_daemon_records_every_stage(self):
        """SIGSTOP across four due stages, then SIGCONT: the daemon never
        stopped running, so each stage is recorded (the skip-to-the-most-
        severe rule is only for restarts)."""
        self.http.route("/local.xml", Response(body=rss([MINE])))
        self.http.route("/social.xml", Response(body=rss([])))
        d = self.start(T0).start()
        try:
            wait_for(lambda: len(self.incidents()) == 1, 10, "the incident")
            time.sleep(1.5)            # ~09:30 monitored
            d.kill(signal.SIGSTOP)
            time.sleep(3.5)            # ~13:00: warn-2h, -1h, -30m, breach due
            d.kill(signal.SIGCONT)
            wait_for(lambda: any(a["stage"] == "breach" for a in self.stream("alerts")),
                     10, "the breach")
            time.sleep(0.3)
        finally:
            d.stop()
        stages = [a["stage"] for a in self.stream("alerts") if a["milestone"] == "release"]
        self.assertEqual(stages[:4], ["warn-2h", "warn-1h", "warn-30m", "breach"], stages)
        self.assertEqual(len(stages), len(set(stages)))

    def test_kill9_and_restart(self):
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE])))
        self.http.route("/social.xml", Response(body=rss([])))
        d = self.start(T0).start()
        wait_for(lambda: len(self.incidents()) == 2, 10, "two incidents")
        time.sleep(2.9)  # to about 10:55: warn-2h (10:40) recorded
        d.stop(sig=signal.SIGKILL)
        before = {a["key"] for a in self.stream("alerts")}
        mine_id = [i for i, v in self.incidents().items() if v["title"] == MINE[1]][0]
        self.assertIn(mine_id + ":release:warn-2h", before)
        # down for two hours: warn-1h (11:40) and warn-30m (12:10) came due
        d2 = self.start(T0 + datetime.timedelta(hours=4, minutes=20)).start()  # 12:20
        time.sleep(1.0)
        d2.stop()
        self.assertEqual(d2.returncode, 0, d2.log())
        alerts = self.stream("alerts")
        keys = [a["key"] for a in alerts]
        self.assertEqual(len(keys), len(set(keys)), "an alert recorded twice")
        after = [k for k in keys if k not in before and k.startswith(mine_id + ":release")]
        # caught up: only the most severe of the missed ones, then the rest
        self.assertEqual(after[0], mine_id + ":release:warn-30m", after)
        self.assertNotIn(mine_id + ":release:warn-1h", keys)
        self.assertIn(mine_id + ":release:breach", keys)  # 12:40, while up
        # a second restart at the same time records nothing again
        n = len(alerts)
        d3 = self.start(T0 + datetime.timedelta(hours=4, minutes=21)).start()
        time.sleep(0.3)
        d3.stop()
        later = [a["key"] for a in self.stream("alerts")[n:]]
        self.assertTrue(all(":presser:" in k or ":overdue-" in k for k in later), later)

    def run_until(self, d, until, status=200):
        """Let d run to monitored time until (ms), as its /healthz says;
        returns the monitored time it last reported."""
        while True:
            got, h = d.healthz()
            self.assertEqual(got, status, d.log())
            now = ms(datetime.datetime.fromisoformat(h["now"]))
            if now >= until:
                return now
            time.sleep(min(0.1, max(0.002, (until - now) / 3600.0 / 1000 / 2)))

    def test_kill9_at_several_points(self):
        """Four SIGKILLs and restarts hours later, then a normal stop.  The
        kills fall between due stages and the restarts just after one, so
        which interval holds each stage is not a matter of timing.  The
        stream must hold every stage due while a daemon was up, once; for
        each milestone with stages due while none was, exactly the most
        severe (latest) of them; and nothing else."""
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE])))
        self.http.route("/social.xml", Response(body=rss([])))
        day = datetime.timedelta(days=1)

        def at(h, m, d=0):
            return ms(T0.replace(hour=h, minute=m) + d * day)

        # (restart at, kill at); the last one is stopped with SIGTERM
        plan = [(at(8, 0), at(11, 10)), (at(12, 12), at(13, 25)),
                (at(15, 12), at(15, 55)), (at(3, 42, 1), at(5, 55, 1)),
                (at(7, 42, 1), at(8, 55, 1))]
        ups = []
        for i, (start, kill) in enumerate(plan):
            when = datetime.datetime.fromtimestamp(start / 1000, TZ)
            d = self.start(when).start()
            if i == 0:
                wait_for(lambda: len(self.incidents()) == 2, 10, "two incidents")
            end = self.run_until(d, kill)
            d.stop(sig=signal.SIGKILL if i < len(plan) - 1 else signal.SIGTERM)
            ups.append((start, end))
        incs = {v["title"]: v for v in self.incidents().values()}
        mine, wage = incs[MINE[1]], incs[WAGE[1]]
        final = ups[-1][1]
        want = set()
        for inc, m in ((mine, "release"), (mine, "presser"), (wage, "response")):
            stages = schedule(m, int(inc["clock_start"]), final)
            for name, due in stages:
                # no stage within 10 monitored minutes of a kill or restart
                for a, b in ups:
                    self.assertFalse(abs(due - a) < 2 * M and due < a or
                                     abs(due - b) < 10 * M,
                                     "%s %s too close to a boundary" % (m, name))
                if any(a <= due < b for a, b in ups):
                    want.add("%s:%s:%s" % (inc["id"], m, name))
            for (_, down), (up, _) in zip(ups, ups[1:]):
                missed = [n for n, due in stages if down <= due < up]
                if missed:
                    want.add("%s:%s:%s" % (inc["id"], m, missed[-1]))
        keys = [a["key"] for a in self.stream("alerts")]
        self.assertEqual(len(keys), len(set(keys)), "an alert recorded twice")
        self.assertEqual(sorted(set(keys) - want), [], "not on the schedule")
        self.assertEqual(sorted(want - set(keys)), [], "missing")
        # the catch-ups this plan makes: one each, the most severe
        self.assertIn(mine["id"] + ":release:warn-30m", keys)
        self.assertNotIn(mine["id"] + ":release:warn-1h", keys)
        self.assertIn(mine["id"] + ":presser:breach", keys)
        self.assertNotIn(mine["id"] + ":presser:warn-1h", keys)
        self.assertIn(wage["id"] + ":response:warn-1d", keys)

    def test_stages_due_while_redis_is_down(self):
        """Redis killed across two due stages while the daemon runs: both
        are held and recorded, once each and in order, when Redis is back;
        then Redis forgets the alert script (SCRIPT FLUSH) and the next
        stage is still recorded."""
        from yqfix import RedisServer
        self.redis.stop()
        self.redis = RedisServer(persist=True).start()
        self.http.route("/local.xml", Response(body=rss([MINE])))
        self.http.route("/social.xml", Response(body=rss([])))
        d = self.start(T0).start()
        try:
            wait_for(lambda: len(self.incidents()) == 1, 10, "the incident")
            self.run_until(d, ms(T0.replace(hour=10, minute=20)))
            self.redis.kill()
            # warn-2h (10:40) and warn-1h (11:40) come due meanwhile
            self.run_until(d, ms(T0.replace(hour=11, minute=50)), status=503)
            self.redis.restart()
            wait_for(lambda: len(self.stream("alerts")) >= 2, 10, "held alerts")
            self.redis.command("SCRIPT", "FLUSH")
            self.run_until(d, ms(T0.replace(hour=12, minute=25)))  # warn-30m
            wait_for(lambda: len(self.stream("alerts")) >= 3, 5, "warn-30m")
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log())
        stages = [a["stage"] for a in self.stream("alerts")]
        self.assertEqual(stages, ["warn-2h", "warn-1h", "warn-30m"], stages)
        self.assertIn("alerts held until redis returns", d.log())

    def test_official_response_is_detected(self):
        """The district's own feed (official) publishes a 情况通报 about the
        mine explosion: it is recorded on the incident as a candidate
        response with its link and, with auto_respond, meets the release
        milestone at that time, so its warnings stop."""
        notice = ("n1", "大通区关于九龙岗镇一煤矿瓦斯爆炸事故的情况通报",
                  "Fri, 27 Nov 2026 09:30:00 +0800",
                  "淮南市大通区九龙岗镇一煤矿发生瓦斯爆炸，区政府已成立调查组。")
        self.http.route("/local.xml", Response(body=rss([MINE])))
        self.http.route("/gov.xml", Response(status=404),
                        Response(body=rss([notice])))
        conf = write_config(self.tmp, self.redis, extra=(
            'rules = { files = [ %s ]; };\n' % RULES.rstrip(", ") +
            'fetch = { host_spacing = "0s"; };\n'
            'responses = { auto_respond = true; };\n'
            'feeds = ( { id = "local"; url = "%s"; interval = "5m"; },\n'
            '  { id = "gov"; url = "%s"; interval = "1h"; official = true; local = true; } );\n'
            % (self.http.url("/local.xml"), self.http.url("/gov.xml"))))
        d = Daemon(conf, args=["--time-scale", "3600", "--time-start", T0.isoformat()]).start()
        try:
            wait_for(lambda: any(i.get("ms.release.state") == "met"
                                 for i in self.incidents().values()), 15, "release met")
            time.sleep(3.5)  # past 10:40, 11:40 and 12:10: no warnings
        finally:
            d.stop()
        inc = list(self.incidents().values())[0]
        hist = self.redis.command("LRANGE", "yq:incident:%s:history" % inc["id"], 0, -1)
        self.assertTrue(any("candidate_response" in h and "n.example/n1" in h for h in hist), hist)
        self.assertEqual(inc["ms.release.met_by"], "auto-detected")
        self.assertIn("n.example/n1", inc["ms.release.evidence"])
        stages = [a["stage"] for a in self.stream("alerts") if a["milestone"] == "release"]
        self.assertEqual(stages, [], stages)
        self.assertEqual(len(self.incidents()), 1)  # the notice opened nothing


if __name__ == "__main__":
    unittest.main(verbosity=2)
