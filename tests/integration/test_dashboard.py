#!/usr/bin/python3
"""The dashboard end to end in a real browser: headless Chromium (Debian's
/usr/bin/chromium) driven by playwright-core (npm, pinned in
tests/browser/package-lock.json; installed with `npm ci` when missing).
The daemon runs on a 60x clock (one monitored minute per real second)
with the shipped rules, a loopback feed that publishes a major incident
(a mine gas explosion) and an ordinary one (wage arrears), a write token
and a read-only one.  tests/browser/dashboard.mjs drives the page (see
there); this side checks the page's headers, that the browser only ever
asked the daemon for anything, and through the API and Redis that what
the page did happened: acknowledged, the release met with its evidence,
dismissed, each with its line in the audit trail and nothing from the
read-only token.  Screenshots (desktop, phone) go to the build
directory's test-artifacts/.  Chromium or node missing is a failure:
scripts/deps.sh installs them."""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, YUQINGD  # noqa: E402
from test_incidents import MINE, WAGE  # noqa: E402
from test_api import DUTY, VIEW, ApiFixture  # noqa: E402

BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
CHROMIUM = os.environ.get("YQ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(YUQINGD)), "test-artifacts")
EVIDENCE = "https://gov.example/notice/dashboard"


def node_version():
    """(major, text) of `node --version`, or None if there is no node."""
    node = shutil.which("node")
    if node is None:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True,
                         timeout=30).stdout.strip()
    m = re.match(r"v(\d+)\.", out)
    return (int(m.group(1)) if m else 0, out)


def browser_deps():
    """tests/browser/node_modules as package-lock.json pins it (npm ci
    when missing or another version; one installer at a time)."""
    with open(os.path.join(BROWSER_DIR, "package.json"), encoding="utf-8") as f:
        want = json.load(f)["dependencies"]["playwright-core"]
    have = os.path.join(BROWSER_DIR, "node_modules", "playwright-core", "package.json")

    def installed():
        try:
            with open(have, encoding="utf-8") as f:
                return json.load(f).get("version") == want
        except (OSError, ValueError):
            return False
    with open("/tmp/yq-dashboard-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise AssertionError("npm is missing: scripts/deps.sh installs it")
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", BROWSER_DIR],
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"))
        if p.returncode != 0 or not installed():
            raise AssertionError("npm ci in tests/browser failed (%d):\n%s\n%s"
                                 % (p.returncode, p.stdout[-3000:], p.stderr[-3000:]))


class DashboardTest(ApiFixture):
    """The daemon, feed and tokens of test_api.py, on a 60x clock: the
    major incident's release (due 12:40) is a few real minutes away."""

    TIME_SCALE = 60

    def setUp(self):
        # the tools first: missing ones fail the test, clearly
        v = node_version()
        self.assertIsNotNone(v, "node is missing: scripts/deps.sh installs it")
        self.assertGreaterEqual(v[0], 20, "playwright-core needs node >= 20, this is %s" % v[1])
        self.assertTrue(os.access(CHROMIUM, os.X_OK),
                        "%s is missing: scripts/deps.sh installs chromium" % CHROMIUM)
        browser_deps()
        super().setUp()

    def fetch(self, path, method="GET", data=None):
        """(status, headers, body bytes) without a token; redirects are
        not followed."""
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **kw):
                return None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
        req = urllib.request.Request(self.d.url(path), method=method, data=data)
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def check_page(self):
        """The page, script and style: embedded, static, locked down."""
        for path, ctype in (("/dashboard", "text/html; charset=utf-8"),
                            ("/dashboard.js", "text/javascript; charset=utf-8"),
                            ("/dashboard.css", "text/css; charset=utf-8"),
                            ("/dashboard.svg", "image/svg+xml")):
            status, h, body = self.fetch(path)
            self.assertEqual(status, 200, path)
            self.assertEqual(h["Content-Type"], ctype, path)
            csp = h["Content-Security-Policy"]
            self.assertIn("default-src 'none'", csp)
            self.assertIn("script-src 'self'", csp)
            self.assertIn("connect-src 'self'", csp)
            self.assertNotIn("unsafe", csp)
            self.assertEqual(h["X-Content-Type-Options"], "nosniff")
            self.assertEqual(h["Referrer-Policy"], "no-referrer")
            self.assertEqual(h["Cache-Control"], "no-store")
            self.assertEqual(h["X-Frame-Options"], "DENY")
            with open(os.path.join(SOURCE_DIR, "alerts", "dashboard", path[1:] +
                                   ("" if "." in path else ".html")), "rb") as f:
                self.assertEqual(body, f.read(), "%s: not the file embedded" % path)
        status, h, body = self.fetch("/dashboard")
        html = body.decode("utf-8")
        self.assertIn('<meta name="viewport"', html)
        self.assertNotIn("<script>", html)        # no inline script
        self.assertNotIn(" style=", html)         # nor inline style
        # no external asset: no other host named outside comments (the
        # icon's XML namespace is a name, not a fetch)
        for path in ("/dashboard", "/dashboard.js", "/dashboard.css"):
            text = self.fetch(path)[2].decode("utf-8")
            self.assertIsNone(re.search(r"(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]", _code(text)),
                              "%s names another host" % path)
        # / is the dashboard; HEAD works; nothing else is served here
        status, h, _ = self.fetch("/")
        self.assertEqual((status, h["Location"]), (302, "dashboard"))
        status, h, body = self.fetch("/dashboard", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        status, h, _ = self.fetch("/dashboard", method="POST", data=b"{}")
        self.assertEqual(status, 405)
        self.assertEqual(h["Allow"], "GET, HEAD")
        self.assertEqual(self.fetch("/dashboard/x")[0], 404)
        self.assertEqual(self.fetch("/dashboard.html")[0], 404)
        # path traversal on the static files, sent verbatim: never a file
        import http.client
        for p in ("/dashboard/../../../etc/passwd", "/../etc/passwd",
                  "/dashboard.js/..%2F..%2Fetc%2Fpasswd", "/%2e%2e/%2e%2e/etc/passwd",
                  "/dashboard/..%2f..%2fCMakeLists.txt", "//etc/passwd"):
            c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=10)
            c.putrequest("GET", p, skip_host=True, skip_accept_encoding=True)
            c.putheader("Host", "127.0.0.1")
            c.endheaders()
            r = c.getresponse()
            body = r.read()
            c.close()
            self.assertIn(r.status, (400, 404), p)
            self.assertNotIn(b"root:", body)
            self.assertNotIn(b"cmake_minimum_required", body)

    def run_browser(self):
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update({
            "YQ_DASH_URL": "http://127.0.0.1:%d" % self.d.port,
            "YQ_DASH_WRITE": DUTY,
            "YQ_DASH_READ": VIEW,
            "YQ_DASH_MAJOR": MINE[1],
            "YQ_DASH_ORDINARY": WAGE[1],
            "YQ_DASH_ARTIFACTS": ARTIFACTS,
            "YQ_CHROMIUM": CHROMIUM,
            "TMPDIR": self.tmp,  # the browser's profile: new, removed after
        })
        try:
            p = subprocess.run(["node", os.path.join(BROWSER_DIR, "dashboard.mjs")],
                               capture_output=True, text=True, timeout=180, env=env)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("the browser run took over 180 s:\n%s\n%s"
                                 % (e.stdout, e.stderr))
        if p.returncode != 0:
            raise AssertionError("the browser run failed (%d; screenshot in %s):\n%s\n%s\n"
                                 "daemon log:\n%s" % (p.returncode, ARTIFACTS, p.stdout[-4000:],
                                                      p.stderr[-6000:], self.d.log()[-3000:]))
        return json.loads(p.stdout.strip().splitlines()[-1])

    def test_dashboard(self):
        incs = self.wait_incidents()
        mine, wage = incs[MINE[1]], incs[WAGE[1]]
        self.check_page()
        for name in ("dashboard-phone.png", "dashboard-desktop.png",
                     "dashboard-desktop-after.png", "dashboard-failure.png"):
            try:
                os.unlink(os.path.join(ARTIFACTS, name))
            except FileNotFoundError:
                pass

        seen = self.run_browser()

        # the browser asked the daemon, and nobody else, for everything
        base = "http://127.0.0.1:%d/" % self.d.port
        self.assertTrue(seen["requests"], seen)
        self.assertEqual([u for u in seen["requests"] if not u.startswith(base)], [])
        for want in ("dashboard", "dashboard.js", "dashboard.css", "dashboard.svg",
                     "api/incidents",
                     "api/feeds", "api/incidents/%s/ack" % mine["id"]):
            self.assertIn(base + want, seen["requests"])
        # no script error, no CSP refusal, nothing missing (404): only the
        # answers the script provoked (401, 403, 409, the aborted list)
        self.assertEqual([e for e in seen["consoleErrors"] if not re.fullmatch(
            r"Failed to load resource: (the server responded with a status of "
            r"(401 \(Unauthorized\)|403 \(Forbidden\)|409 \(Conflict\))|net::ERR_FAILED)",
            e)], [])
        self.assertEqual(seen["order"], [MINE[1], WAGE[1]])
        self.assertIn("只读", seen["readOnly"])
        self.assertIn("操作冲突", seen["conflict"])
        for name in ("dashboard-phone.png", "dashboard-desktop.png"):
            with open(os.path.join(ARTIFACTS, name), "rb") as f:
                png = f.read()
            self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"), name)
            self.assertGreater(len(png), 20000, name)

        # what the page did, as the daemon and Redis have it
        status, doc, text, _ = self.get("/api/incidents/%s" % mine["id"])
        self.assertEqual(status, 200, text[:500])
        inc = doc["incident"]
        self.assertEqual(inc["state"], "acknowledged")
        release = [m for m in inc["milestones"] if m["name"] == "release"][0]
        self.assertIn(release["state"], ("met", "met_late"))
        self.assertTrue(any(h.get("event") == "acknowledged" and "duty" in h.get("detail", "")
                            for h in doc["history"]), doc["history"])
        self.assertEqual([i["id"] for i in self.listing(state="dismissed")], [wage["id"]])
        self.assertEqual([i["id"] for i in self.listing()], [mine["id"]])
        self.assertEqual(self.redis.command("HGET", "yq:incident:%s" % wage["id"], "state"),
                         "dismissed")

        trail = self.check_chain(self.audit())  # canonical and chained
        self.assertEqual([(e["action"], str(e["incident"]), e["who"]) for e in trail],
                         [("ack", mine["id"], "duty"), ("respond", mine["id"], "duty"),
                          ("ack", wage["id"], "duty"), ("dismiss", wage["id"], "duty")])
        self.assertEqual(trail[0]["before"]["state"], "open")
        self.assertEqual(trail[0]["after"]["state"], "acknowledged")
        self.assertEqual(trail[1]["after"]["evidence"], EVIDENCE)
        self.assertEqual(trail[1]["note"], "已发布情况通报")
        self.assertEqual(trail[3]["note"], "误报：非本区事件")


def _code(text):
    """text without the comments of JS/CSS (/* */, //) and HTML (<!-- -->)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
