#!/usr/bin/python3
"""Alert delivery end to end, on the fast clock (one monitored hour per
real second), against real peers on loopback: the SMTP sink receives the
director's mail (decoded back to the Chinese text), loopback HTTP
endpoints play the SMS gateway and the WeCom and DingTalk robots (bodies,
@mentions and DingTalk's signature checked).  The escalation: on-call
staff at every stage, the director from the 1 h warning and at the
breach, the leader at the breach of a major milestone.  A 500 from the
SMS gateway is retried; a robot's errcode on HTTP 200 is a failure; and
a restart sends nothing twice."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, SmtpSink, wait_for  # noqa: E402
from test_incidents import MINE, T0, WAGE, rss, ms  # noqa: E402

SECRET = "SECdemo0123456789abcdef"
RULES = "".join('"%s/config/rules/%s.rules", ' % (SOURCE_DIR, r) for r in
                ("emergency", "ordinary", "exclusions", "jurisdiction", "routing"))


class DeliveryTest(LoopbackTest):
    quiet = ("22:00", "07:00")
    robot_rate = 20
    ding_markdown = False
    feeds = ""
    sms_rate = 100

    def setUp(self):
        super().setUp()
        self.smtp = SmtpSink().start()
        self.http.route("/local.xml", Response(body=rss([MINE])))
        self.http.route("/sms", Response(body='{"ok":true}'))
        self.http.route("/wecom", Response(body='{"errcode":0,"errmsg":"ok"}'))
        self.http.route("/ding", Response(body='{"errcode":0,"errmsg":"ok"}'))

    def tearDown(self):
        self.smtp.stop()
        super().tearDown()

    def config(self, more=""):
        extra = more + (
            'rules = { files = [ %s ]; };\n' % RULES.rstrip(", ") +
            'fetch = { host_spacing = "0s"; timeout = "1s"; down_after_failures = 2; };\n'
            'feeds = ( { id = "local"; url = "%s"; interval = "5m"; }%s );\n'
            % (self.http.url("/local.xml"), self.feeds) +
            'recipients = (\n'
            '  { id = "duty"; name = "值班员小王"; mobile = "13800000001";\n'
            '    wecom = true; dingtalk = true; },\n'
            '  { id = "director"; name = "李主任"; email = "director@example.gov.cn"; },\n'            '  { id = "leader"; name = "张区长"; mobile = "13800000003"; },\n'
            '  { id = "ro"; name = "群里的人"; mobile = "13800000009"; wecom = true; },\n'
            '  { id = "tech"; name = "技术值班"; email = "tech@example.gov.cn"; } );\n'
            'channels = {\n'
            '  smtp = { url = "smtp://%s"; starttls = false;\n'
            '           from = "舆情值班 <yuqing@example.gov.cn>"; };\n'
            '  sms = { url = "%s"; body = "{\\"to\\":{phone},\\"msg\\":{text},\\"out_id\\":{key}}";\n'
            '          success = "\\"ok\\":true"; };\n'
            '  wecom = { webhook = "%s"; };\n'
            '  dingtalk = { webhook = "%s"; secret = "%s"; markdown = %s; };\n'
            '};\n' % (self.smtp.address, self.http.url("/sms"),
                      self.http.url("/wecom"), self.http.url("/ding?access_token=t"),
                      SECRET, "true" if self.ding_markdown else "false") +            'delivery = { retry_min = "200ms"; retry_max = "2s";\n'
            '             robot_per_minute = %d; sms_per_minute = %d;\n'
            '             rate_window = "2s";\n' % (self.robot_rate, self.sms_rate) +
            '             quiet_start = "%s"; quiet_end = "%s"; };\n' % self.quiet +
            'escalation = { ack_secret = "0123456789abcdef-ack-secret"; technical = "tech";\n'
            '  levels = (\n'            '  { name = "oncall"; recipients = [ "duty" ]; },\n'
            '  { name = "group"; recipients = [ "ro" ]; channels = [ "wecom" ]; },\n'
            '  { name = "director"; recipients = [ "director" ]; from_lead = "1h";\n'
            '    at_breach = true; on_unacked = true; },\n'
            '  { name = "leader"; recipients = [ "leader" ]; classes = [ "major" ];\n'
            '    at_breach = true; } ); };\n')
        return write_config(self.tmp, self.redis, extra=extra)

    def start(self, start, more=""):
        return Daemon(self.config(more), args=["--time-scale", "3600", "--time-start",
                                               start.isoformat()]).start()

    def run_until(self, d, until):
        while True:
            status, h = d.healthz()
            self.assertEqual(status, 200, d.log())
            now = ms(datetime.datetime.fromisoformat(h["now"]))
            if now >= until:
                return now
            time.sleep(min(0.1, max(0.002, (until - now) / 3600.0 / 1000 / 2)))

    def sms(self):
        return [json.loads(r.body) for r in self.http.requests_for("/sms")]

    def deliveries(self):
        return self.stream("deliveries")

    def test_escalation_channels_and_texts(self):
        # the first SMS attempt for the 2 h warning fails with a 500
        self.http.route("/sms", Response(status=500, body="busy"),
                        Response(body='{"ok":true}'))
        d = self.start(T0)
        try:
            # the failed SMS is retried 0.2 s real (12 monitored minutes)
            # later; stop before the first reminder (13:10)
            self.run_until(d, ms(T0.replace(hour=12, minute=55)))
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log())
        alerts = [a["stage"] for a in self.stream("alerts") if a["milestone"] == "release"]
        self.assertEqual(alerts, ["warn-2h", "warn-1h", "warn-30m", "breach"], alerts)

        # e-mail: the director from the 1 h warning on, and at the breach
        # (besides the pages for the unacknowledged incident)
        mails = [m for m in self.smtp.messages if "待确认" not in m.message["Subject"]]
        self.assertEqual([m.rcpt_tos for m in mails], [["director@example.gov.cn"]] * 3)
        subjects = [m.message["Subject"] for m in mails]
        self.assertTrue(all(MINE[1] in s for s in subjects), subjects)
        first = mails[0].message
        self.assertEqual(first["From"].addresses[0].display_name, "舆情值班")
        self.assertEqual(first["To"].addresses[0].display_name, "李主任")
        text = first.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("5小时权威发布", text)
        self.assertIn("11月27日 12:40", text)
        self.assertIn("区应急局", text)
        html = first.get_body(preferencelist=("html",))
        self.assertIsNotNone(html, "no HTML part")
        self.assertIn("5小时权威发布", html.get_content())
        self.assertIn('<a href="http://n.example/m1">', html.get_content())
        self.assertEqual(first.get_content_type(), "multipart/alternative")
        ids = [m.message["Message-ID"] for m in mails]
        self.assertEqual(len(set(ids)), 3)

        # SMS: on-call at every stage (the 500 retried), the leader at the breach
        sms = self.sms()
        to_duty = [s for s in sms if s["to"] == "13800000001"]
        to_leader = [s for s in sms if s["to"] == "13800000003"]
        self.assertEqual(len(to_duty), 5, sms)  # 4 stages + 1 retry
        self.assertEqual(len(to_leader), 1, sms)
        self.assertIn("已超时", to_leader[0]["msg"])
        self.assertTrue(all(len(s["msg"]) <= 134 for s in sms))
        self.assertTrue(to_leader[0]["out_id"].endswith(":release:breach:leader:sms"))
        states = [(x["key"].split(":")[2], x["state"]) for x in self.deliveries()
                  if x["key"].endswith(":duty:sms")]
        self.assertEqual(states[:2], [("warn-2h", "retry"), ("warn-2h", "sent")], states)

        # WeCom: one message per stage, @ the on-call mobile
        wecom = [json.loads(r.body) for r in self.http.requests_for("/wecom")]
        self.assertEqual(len(wecom), 4)
        self.assertEqual(wecom[0]["msgtype"], "text")
        self.assertEqual(wecom[0]["text"]["mentioned_mobile_list"],
                         ["13800000001", "13800000009"])
        self.assertIn(MINE[1], wecom[0]["text"]["content"])

        # DingTalk: signed (timestamp + "\n" + secret, HMAC-SHA256, base64)
        ding = self.http.requests_for("/ding")
        self.assertEqual(len(ding), 4)
        for r in ding:
            q = urllib.parse.urlparse(r.path).query
            params = urllib.parse.parse_qs(q)
            self.assertEqual(params["access_token"], ["t"])
            ts = params["timestamp"][0]
            want = base64.b64encode(hmac.new(SECRET.encode(), (ts + "\n" + SECRET).encode(),
                                             hashlib.sha256).digest()).decode()
            self.assertEqual(params["sign"], [want])
            self.assertEqual(json.loads(r.body)["at"]["atMobiles"], ["13800000001"])

    def test_robot_errcode_is_a_failure_and_restart_sends_nothing_twice(self):
        self.http.route("/ding", Response(body='{"errcode":310000,"errmsg":"sign not match"}'))
        d = self.start(T0)
        self.run_until(d, ms(T0.replace(hour=10, minute=50)))  # warn-2h at 10:40
        wait_for(lambda: len(self.http.requests_for("/wecom")) >= 1, 5, "wecom")
        time.sleep(0.3)
        d.stop(sig=signal.SIGKILL)
        ding = [x for x in self.deliveries() if x["channel"] == "dingtalk"]
        self.assertEqual([x["state"] for x in ding], ["failed"], ding)
        self.assertIn("310000", ding[0]["answer"])
        before = {p: len(self.http.requests_for(p)) for p in ("/sms", "/wecom")}
        # restart at the same monitored time: the warning is not sent again
        d2 = self.start(T0.replace(hour=10, minute=51))
        self.run_until(d2, ms(T0.replace(hour=11, minute=0)))
        d2.stop()
        after = {p: len(self.http.requests_for(p)) for p in ("/sms", "/wecom")}
        self.assertEqual(before, after)
        keys = [x["key"] for x in self.deliveries() if x["state"] == "sent"]
        self.assertEqual(len(keys), len(set(keys)), "a delivery recorded sent twice")

    def test_kill9_between_sent_and_recorded_resends_at_most_once(self):
        """The SMS gateway takes 3 s to answer; the daemon is killed while
        it waits (the provider has the message, Redis does not know).  The
        next daemon sends it once more; killed the same way again, the one
        after does not send it a third time."""
        self.http.route("/sms", Response(body='{"ok":true}', delay=3))
        key = ":release:warn-2h:duty:sms"

        def sent():
            return [r for r in self.sms() if r["out_id"].endswith(key)]

        d = self.start(T0)
        self.run_until(d, ms(T0.replace(hour=10, minute=41)))
        wait_for(lambda: len(sent()) == 1, 5, "the first SMS")
        d.stop(sig=signal.SIGKILL)
        d2 = self.start(T0.replace(hour=10, minute=42))
        wait_for(lambda: len(sent()) == 2, 5, "the SMS sent once more")
        d2.stop(sig=signal.SIGKILL)
        self.assertIn("resumed from an earlier run", d2.log())
        d3 = self.start(T0.replace(hour=10, minute=43))
        time.sleep(1.0)
        d3.stop()
        self.assertEqual(len(sent()), 2, "sent a third time")

    def test_failing_gateway_retried_until_the_next_stage_supersedes(self):
        self.http.route("/sms", Response(status=503, body="down"))
        d = self.start(T0)
        self.run_until(d, ms(T0.replace(hour=11, minute=50)))
        d.stop()
        states = [x["state"] for x in self.deliveries()
                  if x["key"].endswith(":release:warn-2h:duty:sms")]
        self.assertGreaterEqual(states.count("retry"), 2, states)
        self.assertEqual(states[-1], "superseded", states)
        self.assertNotIn("sent", states)

    def test_redis_down_across_a_due_stage(self):
        """Redis is killed before the 2 h warning: it is still delivered
        (claimed in the local spool), and when Redis returns the claims and
        outcomes are replayed into it, the spool is emptied, and nothing is
        sent twice."""
        from yqfix import RedisServer
        self.redis.stop()
        self.redis = RedisServer(persist=True).start()
        key = ":release:warn-2h:duty:sms"

        def sent():
            return [r for r in self.sms() if r["out_id"].endswith(key)]

        spool = os.path.join(self.tmp, "spool.jsonl")
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=10, minute=20)))
            self.redis.kill()
            wait_for(lambda: d.healthz()[0] == 503, 5, "healthz 503")
            wait_for(lambda: len(sent()) == 1, 10, "the SMS sent while redis is away")
            self.assertGreater(os.path.getsize(spool), 0)
            self.redis.restart()
            wait_for(lambda: os.path.getsize(spool) == 0, 10, "the spool replayed")
            full = [k for k in self.redis.command("SMEMBERS", "yq:deliveries:pending") or []]
            self.assertEqual([k for k in full if k.endswith(key)], [])
            hkey = "yq:delivery:" + sent()[0]["out_id"]
            self.assertEqual(self.redis.command("HGET", hkey, "state"), "sent")
            time.sleep(0.3)
        finally:
            d.stop()
        self.assertEqual(len(sent()), 1, "sent twice")
        self.assertIn("claimed in the spool", d.log())
        states = [x["state"] for x in self.deliveries() if x["key"].endswith(key)]
        self.assertEqual(states, ["sent"], states)

    def test_quiet_hours_defer_ordinary_sms_warnings_only(self):
        """Quiet hours 09:00-11:00; the wage arrears incident's response
        window is shortened to 6 h (due 13:20, warnings 09:20, 11:20,
        12:20).  Its 4 h warning SMS waits until 11:00 (deferred, not
        dropped); the major incident's SMS at 10:40 and the ordinary
        one's later warnings are not held."""
        self.quiet = ("09:00", "11:00")
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE])))
        d = self.start(T0, more='deadlines = { response = { window = "6h"; '
                                'warn = [ "4h", "2h", "1h" ]; remind = "4h"; }; };\n')
        self.run_until(d, ms(T0.replace(hour=12, minute=30)))
        d.stop()
        sent = {x["key"].split(":", 1)[1]: int(x["at"]) for x in self.deliveries()
                if x["state"] == "sent" and x["channel"] == "sms"}
        self.assertIn("deferred to the end of quiet hours", d.log())
        wage4 = sent["response:warn-4h:duty:sms"]
        self.assertGreaterEqual(wage4, ms(T0.replace(hour=11, minute=0)))
        self.assertLess(wage4, ms(T0.replace(hour=11, minute=15)))
        mine = sent["release:warn-2h:duty:sms"]
        self.assertLess(mine, ms(T0.replace(hour=10, minute=55)))  # not held
        self.assertLess(sent["response:warn-2h:duty:sms"],
                        ms(T0.replace(hour=11, minute=35)))

    def test_acknowledge_link(self):
        """The robot's text carries a signed link: GET shows the incident
        and a button and changes nothing; POST acknowledges (state and
        history); the link then says so; a forged token is refused; the
        deadline warnings go on after the acknowledgement."""
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=10, minute=45)))
            wait_for(lambda: self.http.requests_for("/wecom"), 5, "the robot")
            text = json.loads(self.http.requests_for("/wecom")[0].body)["text"]["content"]
            link = re.search(r"http://127\.0\.0\.1:\d+/ack\?t=[A-Za-z0-9_-]+", text)
            self.assertIsNotNone(link, text)
            link = link.group(0)
            inc = [i for i in self.redis.command("SMEMBERS", "yq:incidents:open")][0]
            page = urllib.request.urlopen(link, timeout=5).read().decode()
            self.assertIn("确认已收到", page)
            self.assertIn(MINE[1].split()[0], page)
            self.assertEqual(self.redis.command("HGET", "yq:incident:" + inc, "state"), "open")
            token = link.split("t=", 1)[1]
            post = urllib.request.urlopen(urllib.request.Request(
                link.split("?")[0], data=("t=" + token).encode(), method="POST"), timeout=5)
            self.assertIn("已确认", post.read().decode())
            wait_for(lambda: self.redis.command("HGET", "yq:incident:" + inc, "state")
                     == "acknowledged", 5, "acknowledged in redis")
            history = self.redis.command("LRANGE", "yq:incident:%s:history" % inc, 0, -1)
            self.assertTrue(any('"acknowledged"' in h and "group" in h for h in history),
                            history)
            again = urllib.request.urlopen(link, timeout=5).read().decode()
            self.assertIn("此事件已确认", again)
            forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(forged, timeout=5)
            self.assertEqual(e.exception.code, 400)
            self.run_until(d, ms(T0.replace(hour=11, minute=45)))
        finally:
            d.stop()
        stages = [a["stage"] for a in self.stream("alerts") if a["milestone"] == "release"]
        self.assertIn("warn-1h", stages)  # acknowledging does not stop the clock

    def test_unacknowledged_incident_pages_the_director_until_acknowledged(self):
        """A major incident nobody acknowledges within 15 minutes pages the
        on_unacked level (the director), again every 30 minutes; the
        acknowledge link in that mail stops the paging."""
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=8, minute=50)))
            pages = [m for m in self.smtp.messages if "待确认" in m.message["Subject"]]
            self.assertEqual(len(pages), 2, [m.message["Subject"] for m in self.smtp.messages])
            body = pages[-1].message.get_body(preferencelist=("plain",)).get_content()
            link = re.search(r"http://127\.0\.0\.1:\d+/ack\?t=[A-Za-z0-9_-]+", body)
            self.assertIsNotNone(link, body)
            url, token = link.group(0).split("?t=")
            urllib.request.urlopen(urllib.request.Request(
                url, data=("t=" + token).encode(), method="POST"), timeout=5).read()
            self.run_until(d, ms(T0.replace(hour=10, minute=0)))
        finally:
            d.stop()
        pages = [m for m in self.smtp.messages if "待确认" in m.message["Subject"]]
        self.assertEqual(len(pages), 2, "paged after the acknowledgement")
        self.assertIn("incident acknowledged", d.log())
        self.assertIn("by director", " ".join(self.redis.command(
            "LRANGE", "yq:incident:%s:history" % self.redis.command(
                "SMEMBERS", "yq:incidents:open")[0], 0, -1)))
    def test_robot_rate_limit_digest_and_sms_fallback(self):
        """WeCom takes 2 messages per 2 s here.  The major incident's
        stages come faster (one per 0.5-1 s): the overflow is held and sent
        as one digest message (never dropped; every key ends 'sent'), and
        each held message of the major incident goes at once by SMS to the
        robot-only recipient it @mentioned."""
        self.robot_rate = 2
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=13, minute=15)))
            time.sleep(2.5)  # the window passes: the digest goes
        finally:
            d.stop()
        wecom = [json.loads(r.body)["text"]["content"] for r in self.http.requests_for("/wecom")]
        digests = [t for t in wecom if t.startswith("【汇总")]
        self.assertTrue(digests, [l for l in d.log().splitlines() if "robot" in l or "wecom" in l][:30])
        sent = {x["key"] for x in self.deliveries()
                if x["channel"] == "wecom" and x["state"] == "sent"}
        want = {"warn-2h", "warn-1h", "warn-30m", "breach", "overdue-1"}
        got = {k.split(":")[2] for k in sent if ":release:" in k}
        self.assertTrue(want <= got, (want, got))
        self.assertLess(len(wecom), len(sent), "no message was merged")
        ro = [json.loads(r.body) for r in self.http.requests_for("/sms")]
        ro = [s["out_id"].split(":")[2] for s in ro if s["to"] == "13800000009"]
        self.assertTrue(ro, "no SMS fallback")
        self.assertNotIn("warn-2h", ro)  # sent by the robot at once
        self.assertIn("falling back to SMS", d.log())

    def test_stop_waits_for_deliveries_in_flight(self):
        """TERM while the SMS gateway is still answering: the daemon waits
        (within shutdown_grace) and records the outcome before it exits."""
        self.http.route("/sms", Response(body='{"ok":true}', delay=0.7))
        d = self.start(T0)
        self.run_until(d, ms(T0.replace(hour=10, minute=41)))
        wait_for(lambda: any(json.loads(r.body)["out_id"].endswith(":warn-2h:duty:sms")
                             for r in self.http.requests_for("/sms")), 5, "the SMS")
        d.stop()
        self.assertEqual(d.returncode, 0, d.log())
        states = [x["state"] for x in self.deliveries()
                  if x["key"].endswith(":release:warn-2h:duty:sms")]
        self.assertEqual(states, ["sent"], states)

    def test_sms_rate_limit_delays_never_drops(self):
        """The SMS gateway takes 1 message per 2 s here: the on-call SMS of
        two stages one real second apart are spread out, and both sent."""
        self.sms_rate = 1
        d = self.start(T0)
        try:
            # warn-2h at 10:40 and warn-1h one real second later
            self.run_until(d, ms(T0.replace(hour=11, minute=45)))
            wait_for(lambda: len(self.http.requests_for("/sms")) >= 2, 5, "two SMS")
        finally:
            d.stop()
        times = [r.time for r in self.http.requests_for("/sms")]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertEqual(len(times), 2)
        self.assertTrue(all(g > 1.8 for g in gaps), gaps)
        sent = {x["key"] for x in self.deliveries()
                if x["channel"] == "sms" and x["state"] == "sent"}
        for stage in ("warn-2h", "warn-1h"):
            self.assertTrue(any(k.endswith(":release:%s:duty:sms" % stage) for k in sent),
                            (stage, sent))

    def test_unacknowledged_paging_survives_a_restart(self):
        """Pages are numbered by their time slot (15 min after first seen,
        then every 30 min), so a daemon restarted after a kill -9 neither
        repeats the pages already sent nor forgets the incident: it pages
        once for the slot it missed and goes on."""
        d = self.start(T0)
        self.run_until(d, ms(T0.replace(hour=8, minute=50)))  # pages 08:15, 08:45
        wait_for(lambda: len([m for m in self.smtp.messages
                              if "待确认" in m.message["Subject"]]) == 2, 5, "two pages")
        d.stop(sig=signal.SIGKILL)
        d2 = self.start(T0.replace(hour=9, minute=20))       # slot 3 (09:15) missed
        try:
            self.run_until(d2, ms(T0.replace(hour=9, minute=50)))  # slot 4 at 09:45
            time.sleep(0.3)
        finally:
            d2.stop()
        keys = [x["key"] for x in self.deliveries()
                if ":unacked-" in x["key"] and x["key"].endswith(":director:email")
                and x["state"] == "sent"]
        slots = sorted(int(k.split(":")[2].split("-")[1]) for k in keys)
        self.assertEqual(slots, [1, 2, 3, 4], keys)

    def test_mail_4xx_retried_5xx_failed_and_gateway_timeout_retried(self):
        """The mail server answers 451 to the first message (retried, then
        taken) and later 550 to one (failed for good, not retried); the SMS
        gateway times out once (fetch.timeout 1 s) and is retried."""
        self.smtp.response_code(451, count=1)
        self.http.route("/sms", Response(body='{"ok":true}', delay=1.5),
                        Response(body='{"ok":true}'))
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=11, minute=45)))   # warn-1h mail
            wait_for(lambda: self.smtp.messages, 5, "the 1 h mail, retried")
            self.smtp.response_code(550, count=1)
            self.run_until(d, ms(T0.replace(hour=12, minute=15)))   # warn-30m mail
            time.sleep(0.5)
        finally:
            d.stop()
        mail = {}
        for x in self.deliveries():
            if x["channel"] == "email":
                mail.setdefault(x["key"], []).append((x["state"], x["status"]))
        first = next(iter(mail.values()))  # the first mail (a page at 08:15)
        self.assertEqual(first, [("retry", "451"), ("sent", "250")], mail)
        self.assertIn([("failed", "550")], list(mail.values()), mail)
        # the timeout (1 s real = 1 monitored hour) is retried; by then
        # the 1 h warning may supersede it
        sms = [(x["state"], x["answer"]) for x in self.deliveries()
               if x["key"].endswith(":release:warn-2h:duty:sms")]
        self.assertIn(sms[0][0], ("retry", "superseded"), sms)
        self.assertIn("time", sms[0][1].lower(), sms)
        self.assertNotIn("failed", [x for x, _ in sms], sms)

    def test_source_down_reaches_the_technical_contact(self):
        self.feeds = ', { id = "broken"; url = "%s"; interval = "1m"; }' % \
            self.http.url("/broken.xml")
        self.http.route("/broken.xml", Response(status=500, body="oops"))
        d = self.start(T0)
        try:
            wait_for(lambda: any("tech@example.gov.cn" in m.rcpt_tos for m in self.smtp.messages),
                     15, "the source-down mail")
        finally:
            d.stop()
        m = [m for m in self.smtp.messages if "tech@example.gov.cn" in m.rcpt_tos][0]
        self.assertIn("信息源中断", m.message["Subject"])
        body = m.message.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("broken", body)
        self.assertIn("500", body)

    def test_dingtalk_markdown(self):
        self.ding_markdown = True
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=10, minute=45)))
            wait_for(lambda: self.http.requests_for("/ding"), 5, "dingtalk")
        finally:
            d.stop()
        body = json.loads(self.http.requests_for("/ding")[0].body)
        self.assertEqual(body["msgtype"], "markdown")
        self.assertIn(MINE[1].split()[0], body["markdown"]["title"])
        self.assertTrue(body["markdown"]["text"].startswith("#### "), body)
        self.assertIn("  \n", body["markdown"]["text"])
        self.assertIn("@13800000001", body["markdown"]["text"])
        self.assertEqual(body["at"]["atMobiles"], ["13800000001"])

    def test_metrics(self):
        """/metrics in Prometheus text format after a few deliveries."""
        d = self.start(T0)
        try:
            self.run_until(d, ms(T0.replace(hour=10, minute=50)))
            wait_for(lambda: self.http.requests_for("/sms"), 5, "an SMS")
            time.sleep(0.2)
            with urllib.request.urlopen(d.url("/metrics"), timeout=5) as r:
                ctype = r.headers["Content-Type"]
                text = r.read().decode()
        finally:
            d.stop()
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
        values = {}
        for line in text.splitlines():
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) yq_[a-z_]+ ")
                continue
            m = re.match(r'^(yq_[a-z_]+(?:\{[a-z]+="[a-z]+"(?:,[a-z]+="[a-z]+")*\})?) (-?\d+)$', line)
            self.assertIsNotNone(m, line)
            values[m.group(1)] = int(m.group(2))
        self.assertEqual(values["yq_redis_up"], 1)
        self.assertEqual(values['yq_incidents{class="major",state="open"}'], 1)
        self.assertGreaterEqual(values['yq_deliveries_total{channel="sms",outcome="sent"}'], 1)
        self.assertGreaterEqual(values["yq_feed_polls_total"], 1)
        self.assertGreaterEqual(values["yq_alerts_recorded_total"], 1)
        self.assertGreaterEqual(values["yq_deadline_stages_total"], 1)
        self.assertEqual(values["yq_spool_bytes"], 0)

    def test_show_has_alerts_and_deliveries(self):
        """The API's view of one incident carries its alerts and every
        delivery attempt of them."""
        tok = "duty-token-0123456789abcdef0123"
        d = self.start(T0, more='api = { tokens = ( { name = "duty"; role = "read"; '
                                'token = "%s"; } ); };\n' % tok)
        try:
            self.run_until(d, ms(T0.replace(hour=10, minute=50)))
            wait_for(lambda: self.http.requests_for("/sms"), 5, "an SMS")
            time.sleep(0.3)
            req = urllib.request.Request(d.url("/api/incidents"))
            req.add_header("Authorization", "Bearer " + tok)
            with urllib.request.urlopen(req, timeout=5) as r:
                iid = [i for i in json.loads(r.read())["incidents"]
                       if i["class"] == "major"][0]["id"]
            req = urllib.request.Request(d.url("/api/incidents/" + iid))
            req.add_header("Authorization", "Bearer " + tok)
            with urllib.request.urlopen(req, timeout=5) as r:
                doc = json.loads(r.read())
        finally:
            d.stop()
        self.assertIn("warn-2h", [a["stage"] for a in doc["alerts"]])
        sent = {(x["recipient"], x["channel"]) for x in doc["deliveries"]
                if x["state"] == "sent" and ":warn-2h:" in x["key"]}
        self.assertIn(("duty", "sms"), sent)
        self.assertIn(("group", "wecom"), sent)


if __name__ == "__main__":
    unittest.main(verbosity=2)
