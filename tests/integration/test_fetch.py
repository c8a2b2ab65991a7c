#!/usr/bin/python3
"""Integration tests of the fetcher (feeds/fetch.c) through the real
`yuqingctl fetch`, against the scriptable HttpServer fixture on loopback:
conditional GET, decoding, the body and header caps (a gzip bomb too),
the low-speed abort, redirect chains and permanent moves, Retry-After,
cache headers, transport errors, what is sent, and the charset; then the
alert channels' paths: POSTs (byte-exact bodies, no redirect followed) and
mails to the SmtpSink fixture (envelope, exact message, AUTH, 4xx/5xx
replies, mandatory STARTTLS).  Only 127.0.0.1 is ever contacted."""

import calendar
import email.utils
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SANITIZED, YUQINGCTL  # noqa: E402
from yqfix import HttpServer, Response, SmtpSink, free_port, test_certs  # noqa: E402

RSS = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
       b'<title>t</title><item><title>\xe5\x8c\xba\xe6\x94\xbf\xe5\xba\x9c'
       b'</title></item></channel></rss>\n')


def gzip_zeros(n):
    """n zero bytes, gzipped, without ever holding n bytes (this process's
    RSS is inherited by the child's peak RSS measured below)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    out = []
    while n > 0:
        out.append(z.compress(chunk[:min(n, len(chunk))]))
        n -= len(chunk)
    out.append(z.flush())
    return b"".join(out)


class Fetch:
    """One finished `yuqingctl fetch`: rc, doc (parsed JSON or None),
    stderr, elapsed seconds and the peak RSS in KiB."""

    def __init__(self, args, timeout=30, input=None, env=None):
        cmd = [YUQINGCTL, "fetch"] + list(args)
        with tempfile.TemporaryFile() as err:
            start = time.monotonic()
            p = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=err, env=env,
                stdin=subprocess.PIPE if input is not None else None)
            try:
                if input is not None:
                    # read whole before anything is printed: no deadlock
                    p.stdin.write(input)
                    p.stdin.close()
                out = p.stdout.read()
            finally:
                p.stdout.close()
            # wait4 rather than wait: it also gives the child's own rusage
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            self.elapsed = time.monotonic() - start
            err.seek(0)
            self.stderr = err.read().decode("utf-8", "replace")
        self.rc = p.returncode
        self.maxrss_kib = ru.ru_maxrss
        self.stdout = out.decode("utf-8", "replace")
        try:
            self.doc = json.loads(out) if out.strip() else None
        except ValueError:
            self.doc = None

    def __getitem__(self, key):
        return self.doc[key]

    def __repr__(self):
        return "rc=%s elapsed=%.2fs stdout=%s stderr=%s" % (
            self.rc, self.elapsed, self.stdout, self.stderr)


class FetchTest(unittest.TestCase):
    def setUp(self):
        self.srv = HttpServer().start()

    def tearDown(self):
        self.srv.stop()
        self.assertEqual(self.srv.errors, [])

    def fetch(self, path_or_url, *args, **kw):
        url = path_or_url if "://" in path_or_url else self.srv.url(path_or_url)
        f = Fetch(list(args) + [url], **kw)
        self.assertIsNotNone(f.doc, f)
        self.assertIn(f.rc, (0, 1), f)  # LeakSanitizer would make it 23
        self.assertNotIn("Sanitizer", f.stderr)
        self.assertLess(f.elapsed, 5.0, f)
        return f

    def test_200_with_body(self):
        self.srv.route("/feed", Response(body=RSS, headers={
            "Content-Type": "application/rss+xml",
            "ETag": '"v1"',
            "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"}))
        f = self.fetch("/feed", "--body")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["status"], 200)
        self.assertIs(f["transport_ok"], True)
        self.assertIsNone(f["error"])
        self.assertEqual(f["body_len"], len(RSS))
        self.assertEqual(f["body"], RSS.decode("utf-8"))
        self.assertEqual(f["content_type"], "application/rss+xml")
        self.assertIsNone(f["charset"])
        self.assertEqual(f["etag"], '"v1"')
        self.assertEqual(f["last_modified"], "Wed, 21 Oct 2015 07:28:00 GMT")
        self.assertIsNone(f["permanent_location"])
        self.assertEqual(f["redirects"], 0)
        for k in ("retry_after_ms", "max_age_ms", "expires"):
            self.assertIsNone(f[k], k)
        self.assertGreaterEqual(f["latency_ms"], 0)
        self.assertLess(f["latency_ms"], 5000)

    def test_404_is_a_response_but_exit_1(self):
        f = self.fetch("/nothing-here")
        self.assertEqual(f.rc, 1, f)
        self.assertEqual(f["status"], 404)
        self.assertIs(f["transport_ok"], True)
        self.assertIsNone(f["error"])

    def test_conditional_get_304(self):
        def answer(req):
            if (req.headers.get("If-None-Match") == '"v7"' and
                    req.headers.get("If-Modified-Since") ==
                    "Sat, 01 Jan 2022 00:00:00 GMT"):
                return Response(304, headers={"ETag": '"v7"'})
            return Response(body=RSS, headers={"ETag": '"v7"'})
        self.srv.route("/feed", answer)
        f = self.fetch("/feed", "--etag", '"v7"', "--last-modified",
                       "Sat, 01 Jan 2022 00:00:00 GMT", "--body")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["status"], 304)
        self.assertIs(f["transport_ok"], True)
        self.assertEqual(f["body_len"], 0)
        self.assertEqual(f["body"], "")
        self.assertEqual(f["etag"], '"v7"')
        # sent verbatim, and not at all without validators
        req = self.srv.requests[0]
        self.assertEqual(req.headers.get("If-None-Match"), '"v7"')
        f = self.fetch("/feed")
        self.assertEqual(f["status"], 200)
        self.assertEqual(f["body_len"], len(RSS))
        self.assertNotIn("If-None-Match", self.srv.requests[1].headers)
        self.assertNotIn("If-Modified-Since", self.srv.requests[1].headers)

    def test_gzip_body_is_decoded(self):
        text = RSS * 50
        self.srv.route("/gz", Response(body=gzip.compress(text), headers={
            "Content-Encoding": "gzip", "Content-Type": "text/xml"}))
        f = self.fetch("/gz", "--body")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["body_len"], len(text))
        self.assertEqual(f["body"], text.decode("utf-8"))
        self.assertIn("gzip", self.srv.requests[0].headers.get("Accept-Encoding", ""))

    def test_gzip_bomb_stops_at_the_cap(self):
        bomb = gzip_zeros(50 * 1000 * 1000)
        self.assertLess(len(bomb), 100 * 1000)
        self.srv.route("/bomb", Response(body=bomb, headers={
            "Content-Encoding": "gzip", "Content-Type": "application/xml"}))
        f = self.fetch("/bomb", "--max-body", "1000000")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["error"], "body larger than 1000000 bytes")
        self.assertEqual(f["body_len"], 0)
        self.assertLess(f.elapsed, 3.0, f)
        # memory stays bounded: far from the 50 MB the bomb expands to
        limit = 80 * 1024 if SANITIZED else 40 * 1024
        self.assertLess(f.maxrss_kib, limit, f)

    def test_plain_body_over_the_cap(self):
        self.srv.route("/big", Response(body=b"a" * 5000))
        f = self.fetch("/big", "--max-body", "4096")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["error"], "body larger than 4096 bytes")
        # exactly at the cap is fine
        self.srv.route("/exact", Response(body=b"b" * 4096))
        f = self.fetch("/exact", "--max-body", "4096")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["body_len"], 4096)

    def test_trickle_is_aborted_as_too_slow(self):
        self.srv.route("/slow", Response(body=b"x" * 60, trickle=1.0))
        f = self.fetch("/slow", "--low-speed-time", "2")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^too slow: ")
        self.assertGreater(f.elapsed, 1.5, f)
        self.assertLess(f.elapsed, 4.5, f)

    def test_total_timeout(self):
        self.srv.route("/late", Response(body=b"x", delay=3.0))
        f = self.fetch("/late", "--timeout", "0.8")
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^timed out: ")
        self.assertLess(f.elapsed, 2.5, f)

    def test_permanent_redirect_chain(self):
        self.srv.route("/a", Response(301, headers={"Location": "/b"}))
        self.srv.route("/b", Response(308, headers={"Location": self.srv.url("/c")}))
        self.srv.route("/c", Response(body=RSS, headers={"ETag": '"c"'}))
        f = self.fetch("/a")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["status"], 200)
        self.assertEqual(f["redirects"], 2)
        self.assertEqual(f["permanent_location"], self.srv.url("/c"))
        self.assertEqual(f["etag"], '"c"')
        self.assertEqual([r.path for r in self.srv.requests], ["/a", "/b", "/c"])

    def test_301_301_200(self):
        self.srv.route("/a", Response(301, headers={"Location": "/b", "ETag": '"a"'}))
        self.srv.route("/b", Response(301, headers={"Location": "/c"}))
        self.srv.route("/c", Response(body=RSS))
        f = self.fetch("/a")
        self.assertEqual(f["permanent_location"], self.srv.url("/c"))
        self.assertEqual(f["redirects"], 2)
        self.assertIsNone(f["etag"], "headers are the final response's")

    def test_temporary_hop_means_no_permanent_location(self):
        self.srv.route("/a", Response(301, headers={"Location": "/b"}))
        self.srv.route("/b", Response(302, headers={"Location": "/c"}))
        self.srv.route("/c", Response(body=RSS))
        f = self.fetch("/a")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["redirects"], 2)
        self.assertIsNone(f["permanent_location"])
        self.srv.route("/t", Response(307, headers={"Location": "/c"}))
        f = self.fetch("/t")
        self.assertEqual(f["redirects"], 1)
        self.assertIsNone(f["permanent_location"])

    def test_redirect_loop_stops_after_5(self):
        self.srv.route("/loop", Response(301, headers={"Location": "/loop"}))
        f = self.fetch("/loop")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["error"], "too many redirects (more than 5)")
        self.assertEqual(f["redirects"], 5)
        self.assertEqual(len(self.srv.requests), 6)

    def test_redirect_to_other_protocols_refused(self):
        self.srv.route("/ftp", Response(302, headers={
            "Location": "ftp://127.0.0.1:%d/x" % free_port()}))
        f = self.fetch("/ftp")
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^protocol not allowed")

    def test_retry_after_seconds(self):
        self.srv.route("/busy", Response(503, headers={"Retry-After": "120"}))
        f = self.fetch("/busy")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], True)
        self.assertEqual(f["status"], 503)
        self.assertEqual(f["retry_after_ms"], 120000)

    def test_retry_after_http_date(self):
        # relative to the response's Date when it has one
        self.srv.route("/busy", Response(503, headers={
            "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
            "Retry-After": "Wed, 21 Oct 2015 07:29:30 GMT"}))
        f = self.fetch("/busy")
        self.assertEqual(f["retry_after_ms"], 90000)
        # else relative to now
        when = email.utils.formatdate(time.time() + 120, usegmt=True)
        self.srv.route("/busy2", Response(429, headers={"Retry-After": when}))
        f = self.fetch("/busy2")
        self.assertEqual(f["status"], 429)
        self.assertGreater(f["retry_after_ms"], 115000)
        self.assertLessEqual(f["retry_after_ms"], 121000)
        # garbage is ignored
        self.srv.route("/busy3", Response(503, headers={"Retry-After": "soon"}))
        self.assertIsNone(self.fetch("/busy3")["retry_after_ms"])

    def test_cache_control_and_expires(self):
        self.srv.route("/c", Response(body=RSS, headers={
            "Cache-Control": "public, s-maxage=5, max-age=300",
            "Expires": "Wed, 21 Oct 2037 07:28:00 GMT"}))
        f = self.fetch("/c")
        self.assertEqual(f["max_age_ms"], 300000)
        self.assertEqual(f["expires"],
                         calendar.timegm((2037, 10, 21, 7, 28, 0)) * 1000)
        self.srv.route("/d", Response(body=RSS, headers={
            "Cache-Control": "no-cache", "Expires": "0"}))
        f = self.fetch("/d")
        self.assertIsNone(f["max_age_ms"])
        self.assertIsNone(f["expires"])

    def test_connection_refused(self):
        f = self.fetch("http://127.0.0.1:%d/feed" % free_port())
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 0)
        self.assertRegex(f["error"], r"^connection refused: ")

    def test_disconnect_mid_body(self):
        self.srv.route("/cut", Response(body=b"y" * 1000, disconnect="mid_body"))
        f = self.fetch("/cut")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^connection closed before the body was complete")
        self.srv.route("/empty", Response(disconnect="before_headers"))
        f = self.fetch("/empty")
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^empty reply")

    def test_headers_and_user_agent_sent(self):
        self.srv.route("/feed", Response(body=RSS))
        f = self.fetch("/feed", "--header", "X-Token: abc 123",
                       "--header", "Accept: application/rss+xml",
                       "--user-agent", "probe/1.0")
        self.assertEqual(f.rc, 0, f)
        h = self.srv.requests[0].headers
        self.assertEqual(self.srv.requests[0].method, "GET")
        self.assertEqual(h.get("X-Token"), "abc 123")
        self.assertEqual(h.get_all("Accept"), ["application/rss+xml"])
        self.assertEqual(h.get("User-Agent"), "probe/1.0")
        self.fetch("/feed")
        self.assertRegex(self.srv.requests[1].headers.get("User-Agent"),
                         r"^yuqing-monitor/\d+\.\d+\.\d+$")

    def test_charset_from_content_type(self):
        body = '<?xml version="1.0"?><rss><channel><title>区政府</title>' \
               '</channel></rss>'.encode("gbk")
        self.srv.route("/gbk", Response(body=body, headers={
            "Content-Type": 'text/xml; charset="GBK"'}))
        f = self.fetch("/gbk", "--body")
        self.assertEqual(f["content_type"], 'text/xml; charset="GBK"')
        self.assertEqual(f["charset"], "GBK")
        self.assertNotIn("body", f.doc)
        import base64
        self.assertEqual(base64.b64decode(f["body_base64"]), body)
        self.srv.route("/u", Response(body=RSS, headers={
            "Content-Type": "application/xml;Charset = utf-8 ;q=1"}))
        self.assertEqual(self.fetch("/u")["charset"], "utf-8")

    def test_latin1_header_value(self):
        # header bytes that are not UTF-8 still make valid JSON
        self.srv.route("/l1", Response(body=RSS, headers={"ETag": 'W/"caf\xe9"'}))
        f = self.fetch("/l1")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["etag"], 'W/"caf\xe9"')

    def test_header_cap(self):
        many = [("X-Filler-%d" % i, "z" * 1000) for i in range(80)]
        self.srv.route("/fat", Response(body=RSS, headers=many))
        f = self.fetch("/fat")
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["error"], "response headers larger than 65536 bytes")

    def test_signal_cancels_the_transfer_in_flight(self):
        self.srv.route("/hang", Response(body=b"x" * 100, trickle=0.5))
        p = subprocess.Popen([YUQINGCTL, "fetch", self.srv.url("/hang")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            self.srv.wait_requests(1, timeout=4)
            time.sleep(0.3)  # inside the body
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=4)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(out, b"")
        self.assertIn(b"interrupted", err)
        self.assertNotIn(b"Sanitizer", err)

    def test_usage(self):
        r = Fetch(["--help"])
        self.assertEqual(r.rc, 0)
        for opt in ("--etag", "--last-modified", "--max-body", "--timeout",
                    "--connect-timeout", "--low-speed-time", "--user-agent",
                    "--header", "--insecure", "--body", "--post",
                    "--mail-from", "--mail-rcpt", "--user", "--password-env",
                    "--require-tls"):
            self.assertIn(opt, r.stdout)
        self.assertEqual(Fetch([]).rc, 2)
        self.assertEqual(Fetch(["--max-body", "lots", self.srv.url("/")]).rc, 2)
        self.assertEqual(Fetch(["--timeout", "-1", self.srv.url("/")]).rc, 2)
        self.assertEqual(Fetch(["--no-such", self.srv.url("/")]).rc, 2)
        self.assertEqual(Fetch([self.srv.url("/"), "extra"]).rc, 2)
        self.assertEqual(Fetch(["--etag"]).rc, 2)
        self.assertEqual(self.srv.requests, [])

    # -- POST, as the webhook channels send -------------------------------

    def post_file(self, data):
        return post_file(self, data)

    def test_post_json_arrives_byte_exact(self):
        body = json.dumps({"msgtype": "text", "text": {
            "content": "【预警】区政府 煤矿透水 \u2028 \"quoted\"\n"}},
            ensure_ascii=False).encode("utf-8")
        self.srv.route("/robot/send", Response.json({"errcode": 0,
                                                     "errmsg": "ok"}))
        f = self.fetch("/robot/send?key=k1", "--post", self.post_file(body),
                       "--header", "Content-Type: application/json",
                       "--header", "X-Sig: abc", "--body")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["status"], 200)
        self.assertIs(f["transport_ok"], True)
        self.assertEqual(json.loads(f["body"]), {"errcode": 0, "errmsg": "ok"})
        req = self.srv.requests[0]
        self.assertEqual(req.method, "POST")
        self.assertEqual(req.path, "/robot/send?key=k1")
        self.assertEqual(req.body, body)
        self.assertEqual(req.headers.get_all("Content-Type"),
                         ["application/json"])
        self.assertEqual(req.headers.get("Content-Length"), str(len(body)))
        self.assertEqual(req.headers.get("X-Sig"), "abc")
        self.assertRegex(req.headers.get("User-Agent"), r"^yuqing-monitor/")

    def test_post_binary_body_from_stdin(self):
        # NULs and every byte value, bigger than one socket write
        body = bytes(range(256)) * 800
        self.srv.route("/gw", Response(body=b"OK"))
        f = self.fetch("/gw", "--post", "-", "--header",
                       "Content-Type: application/octet-stream", "--body",
                       input=body)
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["body"], "OK")
        self.assertEqual(self.srv.requests[0].method, "POST")
        self.assertEqual(self.srv.requests[0].body, body)
        # an empty body is a POST with Content-Length: 0
        f = self.fetch("/gw", "--post", "-", input=b"")
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(self.srv.requests[1].method, "POST")
        self.assertEqual(self.srv.requests[1].body, b"")
        self.assertEqual(self.srv.requests[1].headers.get("Content-Length"),
                         "0")

    def test_post_redirect_is_not_followed(self):
        for code in (302, 307, 308):
            self.srv.clear_requests()
            self.srv.route("/hook", Response(code, headers={
                "Location": "/elsewhere"}))
            f = self.fetch("/hook", "--post", self.post_file(b'{"a":1}'))
            self.assertEqual(f.rc, 1, f)  # a POST wants 2xx
            self.assertIs(f["transport_ok"], True)
            self.assertEqual(f["status"], code)
            self.assertEqual(f["redirects"], 0)
            self.assertIsNone(f["permanent_location"])
            self.assertEqual([r.path for r in self.srv.requests], ["/hook"])

    def test_post_500_reported(self):
        self.srv.route("/hook", Response(500, body=b'{"errcode":-1}'))
        f = self.fetch("/hook", "--post", self.post_file(b"{}"), "--body")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], True)
        self.assertEqual(f["status"], 500)
        self.assertIsNone(f["error"])
        self.assertEqual(f["body"], '{"errcode":-1}')

    def test_post_response_body_cap(self):
        self.srv.route("/hook", Response(body=b"z" * 5000))
        f = self.fetch("/hook", "--post", self.post_file(b"{}"),
                       "--max-body", "4096")
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["error"], "body larger than 4096 bytes")

    def test_mail_options_need_a_mail_url(self):
        post = self.post_file(b"x")
        for extra in (["--mail-from", "a@x.test"], ["--mail-rcpt", "b@x.test"],
                      ["--user", "u"], ["--require-tls"]):
            r = Fetch(["--post", post] + extra + [self.srv.url("/")])
            self.assertEqual(r.rc, 2, r)
        self.assertEqual(Fetch(["--post", "/nonexistent/x",
                                self.srv.url("/")]).rc, 2)
        self.assertEqual(self.srv.requests, [])


def post_file(test, data):
    """data in a temp file removed when the test ends; its path."""
    fd, path = tempfile.mkstemp(prefix="yq-post-")
    with os.fdopen(fd, "wb") as fp:
        fp.write(data)
    test.addCleanup(os.unlink, path)
    return path


MAIL = ("From: yuqing-monitor <alerts@monitor.test>\r\n"
        "To: duty@district.test\r\n"
        "Subject: =?UTF-8?B?44CQ6aKE6K2m44CR?=\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "区政府: 煤矿透水\r\n"
        ".a line that starts with a dot\r\n"
        "..and two\r\n"
        "\r\n"
        "end\r\n").encode("utf-8")


class MailTest(unittest.TestCase):
    """yuqingctl fetch to smtp:// URLs, against the aiosmtpd SmtpSink."""

    def start_sink(self, **kw):
        sink = SmtpSink(**kw).start()
        self.addCleanup(sink.stop)
        return sink

    def mail(self, sink, *args, message=MAIL, rcpts=("duty@district.test",),
             env=None, scheme="smtp"):
        argv = ["--post", post_file(self, message),
                "--mail-from", "alerts@monitor.test"]
        for r in rcpts:
            argv += ["--mail-rcpt", r]
        argv += list(args) + ["%s://127.0.0.1:%d" % (scheme, sink.port)]
        f = Fetch(argv, env=env)
        self.assertIsNotNone(f.doc, f)
        self.assertIn(f.rc, (0, 1), f)
        self.assertNotIn("Sanitizer", f.stderr)
        self.assertLess(f.elapsed, 5.0, f)
        return f

    def test_delivered_with_envelope_and_exact_message(self):
        sink = self.start_sink()
        f = self.mail(sink, rcpts=("duty@district.test", "<chief@district.test>"))
        self.assertEqual(f.rc, 0, f)
        self.assertIs(f["transport_ok"], True)
        self.assertEqual(f["status"], 250)
        self.assertIsNone(f["error"])
        msgs = sink.wait_messages(1)
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(m.mail_from, "alerts@monitor.test")
        self.assertEqual(m.rcpt_tos, ["duty@district.test", "chief@district.test"])
        self.assertEqual(m.data, MAIL)  # dot-stuffing undone, byte-exact
        self.assertEqual(m.message["Subject"], "【预警】")
        self.assertIsNone(m.login)

    def test_auth(self):
        sink = self.start_sink(auth=("alerts", "s3cr3t pw"))
        env = dict(os.environ, YQ_TEST_SMTP_PW="s3cr3t pw")
        f = self.mail(sink, "--user", "alerts", "--password-env",
                      "YQ_TEST_SMTP_PW", env=env)
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(f["status"], 250)
        m = sink.wait_messages(1)[0]
        self.assertEqual(m.login, "alerts")
        self.assertEqual(m.data, MAIL)
        # a wrong password: 535, nothing sent
        env["YQ_TEST_SMTP_PW"] = "wrong"
        f = self.mail(sink, "--user", "alerts", "--password-env",
                      "YQ_TEST_SMTP_PW", env=env)
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 535)
        self.assertRegex(f["error"], r"^authentication failed: ")
        # no credentials where AUTH is required: 530 on MAIL
        f = self.mail(sink)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 530)
        self.assertRegex(f["error"], r"^refused by the mail server: ")
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual([a[2] for a in sink.auth_attempts], [True, False])
        # the password comes from the environment only
        self.assertEqual(Fetch(["--post", post_file(self, MAIL),
                                "--mail-from", "a@x.test", "--mail-rcpt",
                                "b@x.test", "--user", "alerts",
                                "--password-env", "YQ_TEST_UNSET_VAR",
                                "smtp://127.0.0.1:%d" % sink.port]).rc, 2)

    def test_451_after_the_message(self):
        sink = self.start_sink()
        sink.response_code(451)
        f = self.mail(sink)
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 451)
        self.assertEqual(f["error"],
                         "refused by the mail server: 451 after the message")
        self.assertEqual(sink.messages, [])
        self.assertEqual(len(sink.rejected), 1)
        # the retry goes through
        f = self.mail(sink)
        self.assertEqual(f["status"], 250)
        self.assertEqual(sink.wait_messages(1)[0].data, MAIL)

    def test_451_on_mail_550_on_rcpt(self):
        sink = self.start_sink()
        sink.response_code(451, stage="mail")
        f = self.mail(sink)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 451)
        self.assertRegex(f["error"], r"^refused by the mail server: MAIL")
        sink.response_code(550, stage="rcpt")
        f = self.mail(sink)
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertEqual(f["status"], 550)
        self.assertEqual(f["error"], "refused by the mail server: "
                                     "RCPT failed: 550")
        self.assertEqual(sink.messages, [])
        self.assertEqual(sink.rejected, [])

    def test_require_tls_without_starttls_sends_nothing(self):
        sink = self.start_sink()
        f = self.mail(sink, "--require-tls")
        self.assertEqual(f.rc, 1, f)
        self.assertIs(f["transport_ok"], False)
        self.assertRegex(f["error"], r"^TLS required but the server has "
                                     r"no STARTTLS")
        self.assertEqual(sink.messages, [])
        self.assertEqual(sink.rejected, [])

    # -- TLS: a test CA made here, certificates checked by libcurl --------

    @classmethod
    def certs(cls):
        if getattr(cls, "_certs", None) is None:
            cls._certs = test_certs(tempfile.mkdtemp(prefix="yq-tls-"))
        return cls._certs

    def tls_sink(self, mode, name="ip"):
        d = self.certs()
        return self.start_sink(tls=(mode, os.path.join(d, name + ".pem"),
                                    os.path.join(d, name + ".key")))

    def test_starttls_with_verified_certificate(self):
        sink = self.tls_sink("starttls")
        ca = os.path.join(self.certs(), "ca.pem")
        f = self.mail(sink, "--require-tls", "--ca-file", ca)
        self.assertEqual(f.rc, 0, f)
        msg = sink.wait_messages(1)[0]
        self.assertTrue(msg.tls, "the message did not travel encrypted")
        self.assertEqual(msg.data, MAIL)

    def test_smtps_implicit_tls(self):
        sink = self.tls_sink("implicit")
        ca = os.path.join(self.certs(), "ca.pem")
        f = self.mail(sink, "--ca-file", ca, scheme="smtps")
        self.assertEqual(f.rc, 0, f)
        self.assertTrue(sink.wait_messages(1)[0].tls)

    def test_tls_unknown_ca_or_wrong_name_sends_nothing(self):
        ca = os.path.join(self.certs(), "ca.pem")
        for mode, scheme in (("starttls", "smtp"), ("implicit", "smtps")):
            # the system's CAs do not know the test CA
            sink = self.tls_sink(mode)
            f = self.mail(sink, "--require-tls", scheme=scheme)
            self.assertEqual(f.rc, 1, f)
            self.assertIs(f["transport_ok"], False)
            self.assertRegex(f["error"], r"(?i)certificate|SSL", f)
            # a certificate for another name, from the right CA
            other = self.tls_sink(mode, name="other")
            f = self.mail(other, "--require-tls", "--ca-file", ca, scheme=scheme)
            self.assertEqual(f.rc, 1, f)
            self.assertRegex(f["error"], r"(?i)certificate|SSL|name", f)
            self.assertEqual(sink.messages + other.messages, [])

    def test_message_without_final_crlf_gets_one(self):
        sink = self.start_sink()
        f = self.mail(sink, message=MAIL[:-2])
        self.assertEqual(f.rc, 0, f)
        self.assertEqual(sink.wait_messages(1)[0].data, MAIL)

    def test_bad_envelope_refused_before_connecting(self):
        sink = self.start_sink()
        for bad in ("a@x.test>\r\nRCPT TO:<evil@x.test", "", "<>"):
            argv = ["--post", post_file(self, MAIL), "--mail-from",
                    "alerts@monitor.test", "--mail-rcpt", bad,
                    "smtp://127.0.0.1:%d" % sink.port]
            r = Fetch(argv)
            self.assertEqual(r.rc, 1, r)
            self.assertIsNone(r.doc, r)
            self.assertIn("cannot start", r.stderr)
        self.assertEqual(Fetch(["--post", post_file(self, MAIL),
                                "--mail-from", "a@x.test",
                                "smtp://127.0.0.1:%d" % sink.port]).rc, 2)
        self.assertEqual(sink.messages, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
