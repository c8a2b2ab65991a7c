#!/usr/bin/python3
"""The operators' JSON API end to end, on the fast clock (one monitored
hour per real second), with the shipped rules and a loopback feed that
publishes a major incident (a mine gas explosion) and an ordinary one
(wage arrears).  Two bearer tokens: "duty" may write, "viewer" may only
read.  Checked: the incident list with its order and filters, one
incident with its history and items, the actions (ack, respond, dismiss,
reopen) with their conflicts and the hash-chained audit trail they append
to yq:audit, the errors (401, 403, 404, 405, 400 with the position of a
JSON error, an oversized body, path traversal), and two operators acting
on the same incident at once (exactly one wins)."""

import hashlib
import json
import os
import re
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, wait_for  # noqa: E402
from test_incidents import H, M, MINE, T0, WAGE, rss, ms  # noqa: E402

RULES = "".join('"%s/config/rules/%s.rules", ' % (SOURCE_DIR, r) for r in
                ("emergency", "ordinary", "exclusions", "jurisdiction", "routing"))
DUTY = "duty-token-0123456789abcdef0123"
VIEW = "view-token-0123456789abcdef0123"
GENESIS = "0" * 64
STATES = ("open", "acknowledged", "closed", "dismissed")
MS_STATES = ("pending", "met", "breached", "met_late")
EVIDENCE = "https://gov.example/notice/1"

# urllib without any proxy from the environment: loopback only
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ApiFixture(LoopbackTest):
    """The daemon of these tests on a clock TIME_SCALE times fast from T0,
    and helpers to talk to it (test_dashboard.py uses them too)."""

    TIME_SCALE = 3600

    def setUp(self):
        super().setUp()
        self.http.route("/local.xml", Response(body=rss([MINE, WAGE])))
        extra = (
            'rules = { files = [ %s ]; };\n' % RULES.rstrip(", ") +
            'fetch = { host_spacing = "0s"; timeout = "1s"; };\n'
            'feeds = ( { id = "local"; url = "%s"; interval = "5m"; } );\n'
            % self.http.url("/local.xml") +
            'api = { tokens = (\n'
            '  { name = "duty"; role = "write"; token = "%s"; },\n'
            '  { name = "viewer"; role = "read"; token = "%s"; } ); };\n' % (DUTY, VIEW))
        conf = write_config(self.tmp, self.redis, extra=extra)
        self.d = Daemon(conf, args=["--time-scale", str(self.TIME_SCALE),
                                    "--time-start", T0.isoformat()]).start()

    def tearDown(self):
        self.d.stop()
        try:
            super().tearDown()
        finally:
            self.assertEqual(self.d.returncode, 0, self.d.log()[-4000:])

    # -- HTTP --------------------------------------------------------------

    def request(self, method, path, body=None, token=DUTY, raw=None, timeout=10.0):
        """(status, JSON document or None, body bytes, headers)."""
        data = raw
        if data is None and body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.d.url(path), data=data, method=method)
        if token is not None:
            req.add_header("Authorization", "Bearer " + token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with OPENER.open(req, timeout=timeout) as r:
                status, text, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, text, headers = e.code, e.read(), e.headers
        try:
            doc = json.loads(text.decode("utf-8")) if text else None
        except ValueError:
            doc = None
        return status, doc, text, headers

    def get(self, path, token=VIEW, **query):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.request("GET", path, token=token)

    def post(self, path, body=None, token=DUTY, raw=None):
        if body is None and raw is None:
            body = {}
        return self.request("POST", path, body=body, token=token, raw=raw)

    def listing(self, **query):
        status, doc, text, headers = self.get("/api/incidents", **query)
        self.assertEqual(status, 200, (query, text[:500]))
        self.assertTrue(headers.get("Content-Type", "").startswith("application/json"),
                        headers.get("Content-Type"))
        self.assertIsInstance(doc.get("incidents"), list, doc)
        return doc["incidents"]

    def titles(self, **query):
        return [i["title"] for i in self.listing(**query)]

    def wait_incidents(self):
        """Both incidents, as listed by the API: {title: incident}."""
        def both():
            try:
                status, doc, _, _ = self.get("/api/incidents")
            except OSError:
                return None
            if status != 200 or not isinstance(doc, dict):
                return None
            incs = doc.get("incidents") or []
            return incs if len(incs) == 2 else None
        try:
            incs = wait_for(both, 15, "two incidents in /api/incidents", interval=0.05)
        except TimeoutError as e:
            raise AssertionError("%s; last answer: %r\nlog:\n%s"
                                 % (e, self.get("/api/incidents")[2][:500],
                                    self.d.log()[-3000:]))
        by_title = {i["title"]: i for i in incs}
        self.assertEqual(set(by_title), {MINE[1], WAGE[1]})
        return by_title

    def action(self, iid, verb, body=None, token=DUTY):
        return self.post("/api/incidents/%s/%s" % (iid, verb), body, token=token)

    def assert_error(self, status, doc, text, want):
        if isinstance(want, int):
            want = (want,)
        self.assertIn(status, want, text[:500])
        self.assertIsInstance(doc, dict, text[:500])
        self.assertIsInstance(doc.get("error"), str, doc)
        self.assertTrue(doc["error"], doc)

    def audit(self):
        return self.redis.command("LRANGE", "yq:audit", "0", "-1") or []

    def check_chain(self, lines):
        """Every line: canonical, hash over the line without "hash", chained."""
        prev = GENESIS
        out = []
        for n, line in enumerate(lines):
            obj = json.loads(line)
            self.assertEqual(set(obj), {"action", "who", "when", "incident", "before",
                                        "after", "note", "prev", "hash", "v"}, line)
            self.assertEqual(line, canonical(obj), "line %d is not canonical" % n)
            self.assertEqual(obj["prev"], prev, "line %d: broken chain" % n)
            body = dict(obj)
            h = body.pop("hash")
            self.assertRegex(h, r"^[0-9a-f]{64}$")
            self.assertEqual(hashlib.sha256(canonical(body).encode("utf-8")).hexdigest(),
                             h, "line %d: wrong hash" % n)
            prev = h
            out.append(obj)
        return out

    # -- shape ---------------------------------------------------------------

    def check_incident(self, inc):
        for k in ("id", "title", "class", "grade", "state", "category", "departments",
                  "first_seen", "link", "milestones", "next_due"):
            self.assertIn(k, inc, inc)
        self.assertIsInstance(inc["id"], str)
        self.assertRegex(inc["id"], r"^[0-9]+$")
        self.assertIn(inc["class"], ("major", "ordinary"))
        self.assertIn(inc["state"], STATES)
        self.assertIsInstance(inc["departments"], list)
        self.assertTrue(all(isinstance(x, str) and x for x in inc["departments"]), inc)
        self.assertIsInstance(inc["first_seen"], int)
        self.assertIsInstance(inc["link"], str)
        unmet = []
        for m in inc["milestones"]:
            self.assertIn(m["name"], ("release", "presser", "response"), m)
            self.assertIsInstance(m["start"], int)
            self.assertIsInstance(m["due"], int)
            self.assertLess(m["start"], m["due"])
            self.assertIn(m["state"], MS_STATES, m)
            self.assertIn("met_at", m)
            if m["state"] in ("met", "met_late"):
                self.assertIsInstance(m["met_at"], int, m)
            else:
                self.assertIsNone(m["met_at"], m)
                unmet.append(m["due"])
        self.assertEqual(inc["next_due"], min(unmet) if unmet else None, inc)

    def milestone(self, inc, name):
        found = [m for m in inc["milestones"] if m["name"] == name]
        self.assertEqual(len(found), 1, inc["milestones"])
        return found[0]


class ApiTest(ApiFixture):

    # -- tests -----------------------------------------------------------------

    def test_list_and_filters(self):
        incs = self.wait_incidents()
        mine, wage = incs[MINE[1]], incs[WAGE[1]]
        for inc in (mine, wage):
            self.check_incident(inc)
            self.assertEqual(inc["state"], "open")
            self.assertGreaterEqual(inc["first_seen"], ms(T0) - 5 * M)
            self.assertLess(inc["first_seen"], ms(T0) + 12 * H)
        self.assertNotEqual(mine["id"], wage["id"])
        self.assertEqual((mine["class"], mine["grade"], mine["category"]),
                         ("major", "重大", "事故灾难"))
        self.assertEqual(mine["link"], "http://n.example/m1")
        self.assertIn("区应急局", mine["departments"])
        self.assertEqual(wage["class"], "ordinary")
        self.assertEqual(wage["departments"][0], "区人社局")
        self.assertEqual(sorted(m["name"] for m in mine["milestones"]),
                         ["presser", "release"])
        self.assertEqual([m["name"] for m in wage["milestones"]], ["response"])
        release = self.milestone(mine, "release")
        self.assertEqual(release["start"], ms(T0) - 20 * M)           # 07:40
        self.assertEqual(release["due"], ms(T0) + 4 * H + 40 * M)     # 12:40
        self.assertEqual(self.milestone(mine, "presser")["due"], ms(T0) - 20 * M + 24 * H)
        self.assertEqual(self.milestone(wage, "response")["due"], ms(T0) - 40 * M + 48 * H)
        self.assertEqual(mine["next_due"], release["due"])

        # sorted by next_due ascending
        self.assertEqual(self.titles(), [MINE[1], WAGE[1]])
        # the write token reads too
        status, doc, _, _ = self.get("/api/incidents", token=DUTY)
        self.assertEqual(status, 200)
        self.assertEqual([i["title"] for i in doc["incidents"]], [MINE[1], WAGE[1]])

        # state
        self.assertEqual(self.titles(state="open"), [MINE[1], WAGE[1]])
        for s in ("acknowledged", "closed", "dismissed"):
            self.assertEqual(self.titles(state=s), [], s)
        # class
        self.assertEqual(self.titles(**{"class": "major"}), [MINE[1]])
        self.assertEqual(self.titles(**{"class": "ordinary"}), [WAGE[1]])
        # department: an exact name among the incident's
        for dept in set(mine["departments"]) | set(wage["departments"]):
            want = [i["title"] for i in (mine, wage) if dept in i["departments"]]
            self.assertEqual(self.titles(department=dept), want, dept)
        self.assertEqual(self.titles(department="应急局"), [])    # not a substring match
        self.assertEqual(self.titles(department="区不存在局"), [])
        # due_before: an unmet milestone due before it
        self.assertEqual(self.titles(due_before=str(ms(T0))), [])
        self.assertEqual(self.titles(due_before=str(ms(T0) + 5 * H)), [MINE[1]])
        self.assertEqual(self.titles(due_before=str(ms(T0) + 3 * 24 * H)),
                         [MINE[1], WAGE[1]])
        # q: a substring of the title
        self.assertEqual(self.titles(q="瓦斯爆炸"), [MINE[1]])
        self.assertEqual(self.titles(q="讨薪"), [WAGE[1]])
        self.assertEqual(self.titles(q="镇"), [MINE[1], WAGE[1]])
        self.assertEqual(self.titles(q="台风"), [])
        # filters combine
        self.assertEqual(self.titles(q="镇", **{"class": "ordinary"}), [WAGE[1]])
        self.assertEqual(self.titles(q="讨薪", **{"class": "major"}), [])

    def test_show(self):
        incs = self.wait_incidents()
        for title, inc in incs.items():
            status, doc, text, headers = self.get("/api/incidents/" + inc["id"])
            self.assertEqual(status, 200, text[:500])
            self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))
            for k in ("incident", "history", "items"):
                self.assertIn(k, doc, doc)
            one = doc["incident"]
            self.check_incident(one)
            for k in ("id", "title", "class", "grade", "category", "departments",
                      "first_seen", "link"):
                self.assertEqual(one[k], inc[k], k)
            self.assertIsInstance(doc["history"], list)
            self.assertTrue(doc["history"], "no history for " + title)
            for h in doc["history"]:
                self.assertEqual(set(h) >= {"at", "event", "detail"}, True, h)
                self.assertIsInstance(h["at"], int, h)
                self.assertIsInstance(h["event"], str, h)
            self.assertIsInstance(doc["items"], list)
            self.assertGreaterEqual(len(doc["items"]), 1)
            self.assertTrue(all(isinstance(x, dict) for x in doc["items"]))
            link = "http://n.example/%s" % ("m1" if title == MINE[1] else "w1")
            self.assertIn(link, json.dumps(doc["items"], ensure_ascii=False))
        # unknown ids
        for bad in ("999999999", "0", "18446744073709551615", "abc"):
            status, _, text, _ = self.get("/api/incidents/" + bad)
            self.assertEqual(status, 404, (bad, text[:300]))

    def test_actions_and_audit(self):
        incs = self.wait_incidents()
        mine, wage = incs[MINE[1]], incs[WAGE[1]]
        iid = mine["id"]

        # ack
        status, doc, text, _ = self.action(iid, "ack")
        self.assertEqual(status, 200, text[:500])
        self.check_incident(doc["incident"])
        self.assertEqual(doc["incident"]["id"], iid)
        self.assertEqual(doc["incident"]["state"], "acknowledged")
        self.assert_error(*self.action(iid, "ack")[:3], 409)
        self.assertEqual(self.titles(state="acknowledged"), [MINE[1]])
        self.assertEqual(self.titles(), [MINE[1], WAGE[1]])   # default: open + acknowledged

        # respond
        status, doc, text, _ = self.action(iid, "respond", {
            "milestone": "release", "evidence": EVIDENCE, "note": "区政府网站已发布通报"})
        self.assertEqual(status, 200, text[:500])
        inc = doc["incident"]
        self.check_incident(inc)
        rel = self.milestone(inc, "release")
        self.assertIn(rel["state"], ("met", "met_late"), rel)
        self.assertIsInstance(rel["met_at"], int)
        self.assertGreaterEqual(rel["met_at"], ms(T0))
        self.assertEqual(rel["state"], "met" if rel["met_at"] <= rel["due"] else "met_late",
                         rel)
        self.assertEqual(inc["next_due"], self.milestone(inc, "presser")["due"])
        self.assert_error(*self.action(iid, "respond", {
            "milestone": "release", "evidence": EVIDENCE, "note": "again"})[:3], 409)
        for other in ("response", "bogus"):        # a milestone it does not have
            self.assert_error(*self.action(iid, "respond", {
                "milestone": other, "evidence": EVIDENCE, "note": "x"})[:3], (400, 409))
        status, doc, _, _ = self.get("/api/incidents/" + iid)
        self.assertEqual(self.milestone(doc["incident"], "release")["met_at"], rel["met_at"])

        # dismiss
        status, doc, text, _ = self.action(iid, "dismiss", {"reason": "误报"})
        self.assertEqual(status, 200, text[:500])
        self.assertEqual(doc["incident"]["state"], "dismissed")
        self.assert_error(*self.action(iid, "ack")[:3], 409)
        self.assert_error(*self.action(iid, "respond", {
            "milestone": "presser", "evidence": EVIDENCE, "note": "x"})[:3], 409)
        self.assert_error(*self.action(iid, "dismiss", {"reason": "误报"})[:3], 409)
        self.assertEqual(self.titles(), [WAGE[1]])
        self.assertEqual(self.titles(state="dismissed"), [MINE[1]])
        status, doc, _, _ = self.get("/api/incidents/" + iid)
        self.assertEqual(doc["incident"]["state"], "dismissed")

        # reopen
        status, doc, text, _ = self.action(iid, "reopen")
        self.assertEqual(status, 200, text[:500])
        self.assertEqual(doc["incident"]["state"], "open")
        self.assert_error(*self.action(iid, "reopen")[:3], 409)
        self.assert_error(*self.action(wage["id"], "reopen")[:3], 409)
        self.assertEqual(sorted(self.titles()), sorted([MINE[1], WAGE[1]]))
        self.assertEqual(self.titles(state="dismissed"), [])

        # the audit trail: one line per successful action, chained
        lines = self.audit()
        self.assertEqual(len(lines), 4, lines)
        trail = self.check_chain(lines)
        self.assertEqual([t["action"] for t in trail], ["ack", "respond", "dismiss", "reopen"])
        for t in trail:
            self.assertEqual(t["who"], "duty", t)
            self.assertEqual(str(t["incident"]), iid, t)
            self.assertEqual(t["v"], 1, t)
            self.assertIsInstance(t["when"], int)
            self.assertGreaterEqual(t["when"], ms(T0))
            self.assertIsInstance(t["note"], str)
        self.assertEqual([t["when"] for t in trail], sorted(t["when"] for t in trail))
        self.assertIn("误报", lines[2])

        # respond with an explicit time: met at that time; the chain goes on
        at = ms(T0)
        status, doc, text, _ = self.action(wage["id"], "respond", {
            "milestone": "response", "evidence": EVIDENCE, "note": "已回应", "at": at})
        self.assertEqual(status, 200, text[:500])
        resp = self.milestone(doc["incident"], "response")
        self.assertEqual((resp["state"], resp["met_at"]), ("met", at), resp)
        self.assertIsNone(doc["incident"]["next_due"])
        lines = self.audit()
        self.assertEqual(len(lines), 5, lines)
        trail = self.check_chain(lines)
        self.assertEqual(str(trail[4]["incident"]), wage["id"])

    def test_errors(self):
        incs = self.wait_incidents()
        iid = incs[MINE[1]]["id"]
        path = "/api/incidents/" + iid

        # 401: no header, unknown tokens, another scheme
        for token in (None, "nobody-token-0123456789abcdef", DUTY[:-1], DUTY + "x", ""):
            self.assertEqual(self.get("/api/incidents", token=token)[0], 401, token)
            self.assertEqual(self.get(path, token=token)[0], 401, token)
            self.assertEqual(self.action(iid, "ack", token=token)[0], 401, token)
        req = urllib.request.Request(self.d.url("/api/incidents"),
                                     headers={"Authorization": "Basic " + DUTY})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            OPENER.open(req, timeout=10)
        self.assertEqual(cm.exception.code, 401)
        cm.exception.close()

        # 403: the read-only token may not act
        for verb, body in (("ack", {}), ("dismiss", {"reason": "误报"}),
                           ("respond", {"milestone": "release", "evidence": EVIDENCE,
                                        "note": "x"}),
                           ("reopen", {})):
            self.assertEqual(self.action(iid, verb, body, token=VIEW)[0], 403, verb)

        # 404: unknown incident
        self.assertEqual(self.get("/api/incidents/999999999")[0], 404)
        for verb in ("ack", "dismiss", "reopen"):
            self.assertEqual(self.action("999999999", verb, {"reason": "x"})[0], 404, verb)

        # 400: malformed JSON, with the place of the error
        status, doc, text, _ = self.post(path + "/dismiss",
                                         raw='{"reason": "误报",\n  oops }'.encode("utf-8"))
        self.assert_error(status, doc, text, 400)
        self.assertRegex(doc["error"], r"(?i)line|column|col\b|行|列", doc)
        self.assertIn("2", doc["error"])
        status, doc, text, _ = self.post(path + "/ack", raw=b"{")
        self.assert_error(status, doc, text, 400)
        self.assertRegex(doc["error"], r"(?i)line|column|col\b|行|列", doc)

        # an oversized body (2 MiB): 413 or the connection closed
        big = json.dumps({"reason": "x" * (2 << 20)}).encode("ascii")
        try:
            status = self.post(path + "/dismiss", raw=big)[0]
        except (OSError, urllib.error.URLError) as e:
            status = None
            self.assertNotIsInstance(e, urllib.error.HTTPError)
        self.assertIn(status, (413, None))
        self.d.wait_status(200, timeout=5)

        # 405: GET on a POST-only path, POST on the list
        for verb in ("ack", "respond", "dismiss", "reopen"):
            self.assertEqual(self.get("%s/%s" % (path, verb), token=DUTY)[0], 405, verb)
        self.assertEqual(self.post("/api/incidents")[0], 405)

        # path traversal: never a file
        for p in ("/api/../../etc/passwd", "/api/incidents/..%2F..%2Fetc",
                  "/api/incidents/..%2F..%2Fetc%2Fpasswd", "/api/%2e%2e/%2e%2e/etc/passwd",
                  "/api/incidents/../../../etc/passwd"):
            status, _, text, _ = self.get(p, token=DUTY)
            self.assertEqual(status, 404, (p, text[:300]))
            self.assertNotIn(b"root:", text)

        # nothing above changed the incident or wrote to the audit trail
        status, doc, _, _ = self.get(path)
        self.assertEqual(status, 200)
        self.assertEqual(doc["incident"]["state"], "open")
        self.assertEqual(self.audit(), [])

    def test_concurrent_operators(self):
        incs = self.wait_incidents()

        def race(iid, verb, body):
            barrier = threading.Barrier(2)
            results = [None, None]

            def one(k):
                barrier.wait()
                try:
                    results[k] = self.action(iid, verb, body)[0]
                except Exception as e:  # reported below
                    results[k] = repr(e)
            threads = [threading.Thread(target=one, args=(k,)) for k in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            return sorted(results, key=str)

        mine, wage = incs[MINE[1]]["id"], incs[WAGE[1]]["id"]
        self.assertEqual(race(mine, "ack", {}), [200, 409])
        self.assertEqual(race(wage, "ack", {}), [200, 409])
        self.assertEqual(race(mine, "respond", {"milestone": "release", "evidence": EVIDENCE,
                                                "note": "同时回应"}), [200, 409])
        self.assertEqual(race(wage, "dismiss", {"reason": "误报"}), [200, 409])
        status, doc, _, _ = self.get("/api/incidents/" + mine)
        self.assertEqual(doc["incident"]["state"], "acknowledged")
        self.assertIn(self.milestone(doc["incident"], "release")["state"], ("met", "met_late"))
        status, doc, _, _ = self.get("/api/incidents/" + wage)
        self.assertEqual(doc["incident"]["state"], "dismissed")
        trail = self.check_chain(self.audit())
        self.assertEqual([(t["action"], str(t["incident"])) for t in trail],
                         [("ack", mine), ("ack", wage), ("respond", mine),
                          ("dismiss", wage)])
        time.sleep(0.2)
        self.d.wait_status(200, timeout=5)

    def ctl(self, *args, token=DUTY):
        import subprocess
        from yqd import YUQINGCTL
        env = dict(os.environ)
        env.pop("YQ_TOKEN", None)
        if token is not None:
            env["YQ_TOKEN"] = token
        p = subprocess.run([YUQINGCTL] + list(args[:1]) + ["-c", self.d.config] +
                           list(args[1:]), env=env, capture_output=True, timeout=30)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def check_time_left(self):
        """LEFT in the table is counted on the daemon's clock (the list says
        its "now"), not the wall: here the clock runs 3600 times fast from
        T0, so the wall would be hours off."""
        t = time.monotonic()
        rc, out, err = self.ctl("list", "--json", "--class", "ordinary")
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        rc, table, err = self.ctl("list", "--class", "ordinary")
        elapsed = time.monotonic() - t
        self.assertEqual(rc, 0, err)
        inc = doc["incidents"][0]
        want = (inc["next_due"] - doc["now"]) / 60000.0     # minutes
        row = [ln for ln in table.splitlines() if ln.startswith(inc["id"])][0]
        left = row.split()[5]
        m = re.fullmatch(r"(-?)(?:(\d+)d(\d+)h|(\d+)h(\d+)m)", left)
        self.assertIsNotNone(m, row)
        got = (int(m.group(2)) * 1440 + int(m.group(3)) * 60 if m.group(2)
               else int(m.group(4)) * 60 + int(m.group(5)))
        got = -got if m.group(1) else got
        # the table came later (the clock moved on) and a day-long span
        # prints whole hours
        self.assertLessEqual(got, want + 1, row)
        self.assertGreaterEqual(got, want - elapsed * 60 - 61, (row, want, elapsed))

    def test_yuqingctl_over_the_api(self):
        """yuqingctl list/show/ack/respond/dismiss/reopen through the API:
        tables and --json, and exit codes that mean something."""
        self.wait_incidents()
        rc, out, err = self.ctl("list")
        self.assertEqual(rc, 0, err)
        self.assertIn("NEXT DUE", out)
        self.assertIn(MINE[1].split()[0], out)
        rc, out, err = self.ctl("list", "--json", "--class", "major")
        self.assertEqual(rc, 0, err)
        incs = json.loads(out)["incidents"]
        self.assertEqual([i["class"] for i in incs], ["major"])
        iid = incs[0]["id"]
        self.check_time_left()
        rc, out, err = self.ctl("show", iid)
        self.assertEqual(rc, 0, err)
        self.assertIn("release", out)
        self.assertEqual(self.ctl("ack", iid)[0], 0)
        rc, out, err = self.ctl("ack", iid)
        self.assertEqual(rc, 1)                      # the daemon said no: 409
        self.assertIn("409", err)
        rc, out, err = self.ctl("respond", iid, "release", EVIDENCE, "已发布通报")
        self.assertEqual(rc, 0, err)
        self.assertIn("met", out)
        self.assertEqual(self.ctl("dismiss", iid, "误报")[0], 0)
        self.assertEqual(self.ctl("reopen", iid)[0], 0)
        self.assertEqual(self.ctl("ack", iid, token=VIEW)[0], 1)   # 403
        self.assertEqual(self.ctl("list", token=None)[0], 2)       # no token
        self.assertEqual(self.ctl("show", "../etc")[0], 2)         # not an id
        self.assertEqual(self.ctl("list", "--url", "http://127.0.0.1:1")[0], 3)
        self.assertEqual(len(self.audit()), 4)  # ack, respond, dismiss, reopen
        rc, out, err = self.ctl("audit", "verify")
        self.assertEqual(rc, 0, err)
        self.assertIn("4 entries, chain intact", out)
        rc, out, err = self.ctl("feeds")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"local +up ")
        rc, out, err = self.ctl("feeds", "--json")
        self.assertEqual(json.loads(out)["feeds"][0]["id"], "local")
        # change one stored line (a note): the chain check names it
        lines = self.audit()
        forged = lines[1].replace('"who":"duty"', '"who":"nobody"')
        self.assertNotEqual(forged, lines[1])
        self.redis.command("LSET", "yq:audit", "1", forged)
        rc, out, err = self.ctl("audit", "verify")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("BROKEN", out)
        self.assertIn("entry 1", out)

    def test_report(self):
        """The week's report from the running daemon after the release is
        met late: JSON, a table and HTML from yuqingctl; a bad format is
        the daemon's 400 (exit 1)."""
        self.wait_incidents()
        mine = [i for i in self.listing() if i["class"] == "major"][0]
        release = self.milestone(mine, "release")
        st, doc, _, _ = self.action(mine["id"], "respond", {
            "milestone": "release", "evidence": EVIDENCE, "at": release["due"] + 30 * M})
        self.assertEqual(st, 200, doc)
        rc, out, err = self.ctl("report", "--format", "json", "--at", str(release["due"]))
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        text = json.dumps(rep, ensure_ascii=False)
        self.assertIn("release", text)
        # (byte-identical reruns over the same data and "now": unit-report;
        # here the fast clock moves "now" between two calls)
        rc, table, err = self.ctl("report", "--at", str(release["due"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("按时率", table)
        self.assertIn("local", table)  # per source: the feed of the first item
        rc, html, err = self.ctl("report", "--format", "html", "--at", str(release["due"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("<svg", html)
        self.assertNotIn("<script", html)
        self.assertEqual(self.ctl("report", "--format", "pdf")[0], 1)  # 400

    def test_report_after_restart(self):
        """Closed and dismissed incidents leave the daemon's memory at a
        restart (only open ones are restored): the report reads them from
        Redis, so a restart changes none of its counts."""
        self.wait_incidents()
        incs = {i["class"]: i for i in self.listing()}
        self.assertEqual(self.action(incs["ordinary"]["id"], "dismiss",
                                     {"reason": "误报"})[0], 200)
        at = str(self.milestone(incs["major"], "release")["due"])

        def counts():
            rc, out, err = self.ctl("report", "--format", "json", "--at", at)
            self.assertEqual(rc, 0, err)
            rep = json.loads(out)
            return rep["incidents"], None
        before = counts()
        self.assertEqual((before[0]["opened"], before[0]["dismissed"]), (1, 1), before)
        conf = (self.d.config, self.d.port)
        now = self.d.healthz()[1]["now"]
        self.d.stop()
        self.assertEqual(self.d.returncode, 0, self.d.log()[-3000:])
        self.d = Daemon(conf, args=["--time-scale", str(self.TIME_SCALE),
                                    "--time-start", now]).start()
        wait_for(lambda: len(self.listing()) == 1, timeout=10, what="the open incident back")
        self.assertEqual(counts()[0], before[0])
        # data from before the index: it is rebuilt once at the next start
        self.redis.command("DEL", "yq:incidents:seen")
        now = self.d.healthz()[1]["now"]
        self.d.stop()
        self.assertEqual(self.d.returncode, 0, self.d.log()[-3000:])
        self.d = Daemon(conf, args=["--time-scale", str(self.TIME_SCALE),
                                    "--time-start", now]).start()
        wait_for(lambda: self.redis.command("ZCARD", "yq:incidents:seen") == 2,
                 timeout=10, what="the index rebuilt")
        self.assertEqual(counts()[0], before[0])

    def test_report_reads_every_page(self):
        """The delivery stream is read a page (2,000) at a time so the loop
        runs between pages: 4,500 attempts in the week all count, and
        unknown channel names are capped (16 names with ours, the rest
        "other"), so they can crowd out neither memory nor our own."""
        self.wait_incidents()
        at0 = ms(T0)
        for i in range(4500):
            self.redis.command("XADD", "yq:deliveries", "*", "key", "k%d" % i,
                               "channel", "sms", "recipient", "duty", "attempt", "1",
                               "state", "sent" if i % 3 else "retry", "status", "200",
                               "answer", "ok", "at", str(at0 + i * 1000))
        for i in range(20):
            self.redis.command("XADD", "yq:deliveries", "*", "channel", "x" * 100 + str(i),
                               "state", "failed", "at", str(at0 + i))
        rc, out, err = self.ctl("report", "--format", "json", "--at", str(at0))
        self.assertEqual(rc, 0, err)
        chans = {c["channel"]: c for c in json.loads(out)["deliveries"]}
        self.assertEqual(chans["sms"]["attempts"], 4500)
        self.assertEqual(chans["sms"]["sent"], 3000)
        self.assertEqual(chans["sms"]["retry"], 1500)
        self.assertEqual(len(chans), 1 + 11 + 1, sorted(chans))
        self.assertEqual(chans["other"]["attempts"], 9)

    def test_rate_limit_per_client(self):
        """A client that floods the API (over api.burst, 100) gets 429
        with Retry-After; a second later (api.rate, 20/s) it may go on."""
        self.wait_incidents()
        codes = [self.get("/api/incidents")[0] for _ in range(150)]
        self.assertIn(429, codes, codes)
        self.assertEqual(codes[0], 200)
        time.sleep(1.2)
        self.assertEqual(self.get("/api/incidents")[0], 200)

    def test_reclassify(self):
        """Staff upgrade the ordinary incident to major (release and
        presser clocked from now) and downgrade the major one to ordinary
        (its response clocked from its clock start); the same class again
        is a 409; each change is in the audit trail with its reason."""
        self.wait_incidents()
        incs = {i["class"]: i for i in self.listing()}
        wage, mine = incs["ordinary"], incs["major"]
        rc, out, err = self.ctl("reclassify", wage["id"], "major", "现场有伤亡")
        self.assertEqual(rc, 0, err)
        st, doc, _, _ = self.get("/api/incidents/" + wage["id"])
        names = {m["name"] for m in doc["incident"]["milestones"]}
        self.assertTrue({"release", "presser"} <= names, names)
        self.assertEqual(doc["incident"]["class"], "major")
        rc, out, err = self.ctl("reclassify", wage["id"], "major", "again")
        self.assertEqual(rc, 1)
        self.assertIn("409", err)
        rc, out, err = self.ctl("reclassify", mine["id"], "ordinary", "已核实为一般事件")
        self.assertEqual(rc, 0, err)
        st, doc, _, _ = self.get("/api/incidents/" + mine["id"])
        names = {m["name"] for m in doc["incident"]["milestones"]}
        self.assertEqual(names, {"response"}, names)
        self.assertEqual(self.ctl("reclassify", mine["id"], "huge", "x")[0], 1)  # 400
        lines = [json.loads(l) for l in self.audit()]
        self.assertEqual([l["action"] for l in lines], ["reclassify", "reclassify"])
        self.assertEqual(lines[1]["note"], "已核实为一般事件")

    def test_merge(self):
        """Merging the ordinary incident into the major one: it closes,
        the major one gains its items and departments; merging again, or
        into itself, is a 409."""
        self.wait_incidents()
        incs = {i["class"]: i for i in self.listing()}
        wage, mine = incs["ordinary"], incs["major"]
        rc, out, err = self.ctl("merge", wage["id"], mine["id"], "同一事件")
        self.assertEqual(rc, 0, err)
        st, doc, _, _ = self.get("/api/incidents/" + wage["id"])
        self.assertEqual(doc["incident"]["state"], "closed")
        st, doc, _, _ = self.get("/api/incidents/" + mine["id"])
        self.assertIn("区人社局", doc["incident"]["departments"])
        self.assertTrue(any(h["event"] == "merged" for h in doc["history"]), doc["history"])
        # the survivor shows the merged incident's items too, its own first
        self.assertEqual([i["key"].split(":")[-1] for i in doc["items"]][-2:],
                         [MINE[0], WAGE[0]], doc["items"])
        self.assertEqual(self.ctl("merge", wage["id"], mine["id"])[0], 1)   # closed: 409
        self.assertEqual(self.ctl("merge", mine["id"], mine["id"])[0], 1)   # itself: 409
        self.assertEqual(self.ctl("merge", mine["id"], "x")[0], 2)          # not an id
        lines = [json.loads(l) for l in self.audit()]
        self.assertEqual([l["action"] for l in lines], ["merge"])
        self.assertEqual([i["id"] for i in self.listing()], [mine["id"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
