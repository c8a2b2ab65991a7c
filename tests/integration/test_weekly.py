#!/usr/bin/python3
"""The weekly report mail end to end, on the fast clock: every Monday at
report.at (local) the past ISO week's timeliness report goes by e-mail to
report.mail_to (the HTML report as the body, the CSV attached, a text
summary) through the SMTP sink, and its summary to the WeCom robot (a
loopback HTTP endpoint).  Each delivery is keyed by the week, so a
restart in the same week sends nothing again; a slot missed while the
daemon was down is sent when it starts within report.catch_up, and not
after."""

import datetime
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, SmtpSink, test_certs, wait_for  # noqa: E402
from test_incidents import TZ, rss, ms  # noqa: E402

RULES = "".join('"%s/config/rules/%s.rules", ' % (SOURCE_DIR, r) for r in
                ("emergency", "ordinary", "exclusions", "jurisdiction", "routing"))
# Sunday of ISO week 2026-W48 (Monday 23 to Sunday 29 November)
SUNDAY = datetime.datetime(2026, 11, 29, 8, 0, tzinfo=TZ)
MONDAY_9 = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
MINE = ("m1", "九龙岗镇一煤矿发生瓦斯爆炸 3人死亡 9人被困",
        "Sun, 29 Nov 2026 07:40:00 +0800",
        "29日7时许，淮南市大通区九龙岗镇一煤矿井下发生瓦斯爆炸。")
WAGE = ("w1", "洛河镇某建筑工地农民工讨薪", "Sun, 29 Nov 2026 07:20:00 +0800",
        "淮南市大通区洛河镇一在建工地农民工反映被拖欠工资。")
WEEK = "2026-W48"


class WeeklyTest(LoopbackTest):

    def setUp(self):
        super().setUp()
        self.smtp = SmtpSink().start()
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE])))
        self.http.route("/wecom", Response(body='{"errcode":0,"errmsg":"ok"}'))

    def tearDown(self):
        self.smtp.stop()
        super().tearDown()

    def config(self, feeds=True, smtp=None):
        smtp = smtp or ('smtp = { url = "smtp://%s"; starttls = false;\n'
                        '         from = "舆情值班 <yuqing@example.gov.cn>"; };\n'
                        % self.smtp.address)
        extra = (
            'rules = { files = [ %s ]; };\n' % RULES.rstrip(", ") +
            'fetch = { host_spacing = "0s"; timeout = "1s"; };\n' +
            ('feeds = ( { id = "local"; url = "%s"; interval = "5m"; } );\n'
             % self.http.url("/local.xml") if feeds else "") +
            'recipients = (\n'
            '  { id = "duty"; name = "值班员小王"; mobile = "13800000001"; },\n'
            '  { id = "director"; name = "李主任"; email = "director@example.gov.cn"; } );\n'
            'channels = {\n' + smtp +
            '  wecom = { webhook = "%s"; };\n'
            '};\n' % self.http.url("/wecom") +
            'escalation = { ack_secret = "0123456789abcdef-ack-secret";\n'
            '  levels = ( { name = "oncall"; recipients = [ "duty" ]; } ); };\n'
            'report = { mail_to = [ "director", "office@example.gov.cn" ];\n'
            '           robots = true; at = "09:00"; catch_up = "1d"; };\n')
        return write_config(self.tmp, self.redis, extra=extra)

    def start(self, conf, start, scale=7200):
        return Daemon(conf, args=["--time-scale", str(scale), "--time-start",
                                  start.isoformat()]).start()

    def wait(self, d, cond, timeout, what):
        try:
            wait_for(cond, timeout=timeout, what=what)
        except TimeoutError:
            self.fail("%s; daemon log:\n%s" % (what, d.log()[-4000:]))

    @staticmethod
    def last_run(d):
        """The log of the daemon's last start (the file is appended)."""
        return d.log().split("starting:")[-1]

    def now(self, d):
        status, h = d.healthz()
        self.assertEqual(status, 200, d.log())
        return ms(datetime.datetime.fromisoformat(h["now"]))

    def reports(self):
        return [m for m in self.smtp.messages
                if "舆情时效周报" in str(m.message["Subject"])]

    def robot_reports(self):
        return [json.loads(r.body)["text"]["content"]
                for r in self.http.requests_for("/wecom")
                if "舆情时效周报" in r.body.decode("utf-8")]

    def test_monday_mail_and_robot(self):
        conf = self.config()
        d = self.start(conf, SUNDAY)
        try:
            # Sunday 08:00 to Monday 09:00 is 25 monitored hours: 12.5 s
            self.wait(d, lambda: len(self.reports()) >= 2, 40, "two report mails")
            self.wait(d, lambda: self.robot_reports(), 10, "robot summary: %r" % [
                r.body.decode()[:300] for r in self.http.requests_for("/wecom")][-3:])
            sent_at = self.now(d)
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log()[-3000:])
        self.assertGreaterEqual(sent_at, ms(MONDAY_9))
        mails = self.reports()
        self.assertEqual(sorted(m.rcpt_tos[0] for m in mails),
                         ["director@example.gov.cn", "office@example.gov.cn"])
        msg = [m for m in mails if m.rcpt_tos == ["director@example.gov.cn"]][0].message
        self.assertIn(WEEK, msg["Subject"])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        text = msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("%s（2026-11-23 至 2026-11-29）" % WEEK, text)
        self.assertIn("本期新增 2 起", text)
        self.assertIn("按时率", text)
        # the mine's release (due Sunday 12:40) was never met: a breach
        self.assertIn("超时 ", text)
        html = msg.get_body(preferencelist=("html",)).get_content()
        self.assertIn("<svg", html)
        self.assertIn(MINE[1].split()[0], html)
        self.assertNotIn("<script", html)
        atts = list(msg.iter_attachments())
        self.assertEqual(len(atts), 1)
        self.assertEqual(atts[0].get_filename(), "yuqing-report-%s.csv" % WEEK)
        self.assertEqual(atts[0].get_content_type(), "text/csv")
        csv = atts[0].get_content()
        if isinstance(csv, bytes):
            csv = csv.decode("utf-8")
        self.assertIn(MINE[1].split()[0], csv)
        self.assertIn("\r\n", csv)
        # the robot's summary, once
        robot = self.robot_reports()
        self.assertEqual(len(robot), 1, robot)
        self.assertIn(WEEK, robot[0])
        self.assertIn("按时率", robot[0])
        # each delivery keyed by the week, recorded as sent
        keys = {e["key"]: e["state"] for e in self.stream("deliveries")
                if e["key"].startswith("report:")}
        self.assertEqual(keys, {
            "report:%s:director:email" % WEEK: "sent",
            "report:%s:office@example.gov.cn:email" % WEEK: "sent",
            "report:%s:group:wecom" % WEEK: "sent"})

        # a restart the same Monday (within catch_up): nothing again
        n_mail, n_robot = len(self.reports()), len(self.robot_reports())
        d = self.start(conf, MONDAY_9 + datetime.timedelta(hours=1), scale=3600)
        try:
            self.wait(d, lambda: "weekly report handed" in self.last_run(d), 15,
                      "the report made again")
            time.sleep(1.0)
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log()[-3000:])
        self.assertEqual(self.last_run(d).count("alert delivery already claimed: key=report:"),
                         3, self.last_run(d)[-3000:])
        self.assertEqual(len(self.reports()), n_mail)
        self.assertEqual(len(self.robot_reports()), n_robot)

    def test_waits_for_redis(self):
        """Redis is down at Monday 09:00: the report waits (nothing half
        made is sent) and goes out, once, when Redis is back."""
        conf = self.config(feeds=False)
        d = self.start(conf, MONDAY_9 - datetime.timedelta(seconds=30), scale=10)
        try:
            self.redis.kill()
            self.wait(d, lambda: "weekly report waits: redis away" in d.log(), 15,
                      "the report waiting for redis")
            self.assertEqual(self.reports(), [])
            self.redis.restart()
            self.wait(d, lambda: len(self.reports()) >= 2, 20, "the mails once redis is back")
            time.sleep(1.0)
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log()[-3000:])
        self.assertEqual(sorted(m.rcpt_tos[0] for m in self.reports()),
                         ["director@example.gov.cn", "office@example.gov.cn"])
        self.assertEqual(d.log().count("weekly report handed"), 1, d.log()[-3000:])

    def test_missed_slot_caught_up_once(self):
        """Down at Monday 09:00, up at 15:00: the week's report goes out at
        once; a daemon started Tuesday 10:00 (past catch_up) sends none.
        The mail server here speaks STARTTLS only, with a certificate from
        a test CA that channels.smtp.ca_file names: the daemon's mail path
        verifies it and the message travels encrypted."""
        certs = test_certs(self.tmp)
        self.smtp.stop()
        self.smtp = SmtpSink(tls=("starttls", os.path.join(certs, "ip.pem"),
                                  os.path.join(certs, "ip.key"))).start()
        conf = self.config(feeds=False, smtp=(
            'smtp = { url = "smtp://%s"; starttls = true; ca_file = "%s";\n'
            '         from = "yuqing@example.gov.cn"; };\n'
            % (self.smtp.address, os.path.join(certs, "ca.pem"))))
        d = self.start(conf, MONDAY_9 + datetime.timedelta(hours=6), scale=60)
        try:
            self.wait(d, lambda: len(self.reports()) >= 2, 20, "caught-up mails")
            # a reload the same day does not make the report again
            d.kill(signal.SIGHUP)
            d.wait_log("configuration reloaded", timeout=10)
            time.sleep(0.5)
            self.assertEqual(d.log().count("weekly report handed"), 1, d.log()[-3000:])
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log()[-3000:])
        self.assertTrue(all(m.tls for m in self.reports()))
        text = self.reports()[0].message.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("本期新增 0 起", text)
        self.redis.command("FLUSHALL")
        self.smtp.messages.clear()
        d = self.start(conf, MONDAY_9 + datetime.timedelta(hours=25), scale=60)
        try:
            time.sleep(2.0)
        finally:
            d.stop()
        self.assertEqual(d.returncode, 0, d.log()[-3000:])
        self.assertEqual(self.reports(), [])
        self.assertNotIn("weekly report handed", self.last_run(d))


if __name__ == "__main__":
    unittest.main(verbosity=2)
