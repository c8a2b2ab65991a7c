#!/usr/bin/python3
"""The template SMS providers, worked examples against a loopback endpoint
playing the provider: Aliyun SendSms (RPC, HMAC-SHA1 signature) and
Tencent Cloud SendSms (API 3.0, TC3-HMAC-SHA256).  The test recomputes
each signature independently from what arrived, checks the parameters
(number, signature name, template, the text as the template's variable,
the delivery key as OutId / SessionContext), and that the provider's
answer decides: OK is sent, a bad number fails for good, a rate limit is
retried."""

import datetime
import hashlib
import hmac
import base64
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SOURCE_DIR, Daemon, LoopbackTest, write_config  # noqa: E402
from yqfix import Response, wait_for  # noqa: E402
from test_incidents import MINE, T0, rss, ms  # noqa: E402

RULES = "".join('"%s/config/rules/%s.rules", ' % (SOURCE_DIR, r) for r in
                ("emergency", "ordinary", "exclusions", "jurisdiction", "routing"))
KEY_ID, SECRET = "LTAI4testkeyid", "testSecret"


def pct(s):
    return urllib.parse.quote(s, safe="-_.~")


class SmsProviderTest(LoopbackTest):

    def start(self, sms):
        self.http.route("/local.xml", Response(body=rss([MINE])))
        extra = (
            'rules = { files = [ %s ]; };\n' % RULES.rstrip(", ") +
            'fetch = { host_spacing = "0s"; };\n'
            'feeds = ( { id = "local"; url = "%s"; interval = "5m"; } );\n'
            % self.http.url("/local.xml") +
            'recipients = ( { id = "duty"; name = "值班员"; mobile = "13800000001"; } );\n'
            'channels = { sms = { %s }; };\n' % sms +
            'delivery = { retry_min = "200ms"; retry_max = "1s"; };\n'
            'escalation = { levels = ( { name = "oncall"; recipients = [ "duty" ]; } ); };\n')
        conf = write_config(self.tmp, self.redis, extra=extra)
        self.d = Daemon(conf, args=["--time-scale", "3600", "--time-start",
                                    T0.isoformat()]).start()
        return self.d

    def states(self, stage):
        return [x["state"] for x in self.stream("deliveries")
                if x["key"].endswith(":release:%s:duty:sms" % stage)]

    def test_aliyun(self):
        self.http.route("/aliyun", Response(body='{"Code":"OK","Message":"OK","BizId":"1"}'),
                        Response(body='{"Code":"isv.BUSINESS_LIMIT_CONTROL"}'),
                        Response(body='{"Code":"OK"}'),
                        Response(body='{"Code":"isv.MOBILE_NUMBER_ILLEGAL"}'))
        d = self.start('provider = "aliyun"; url = "%s"; access_key = "%s";\n'
                       'access_secret = "%s"; sign_name = "大通区舆情"; template = "SMS_1234";'
                       % (self.http.url("/aliyun"), KEY_ID, SECRET))
        try:
            wait_for(lambda: len(self.http.requests_for("/aliyun")) >= 4, 15,
                     "four requests")
            time.sleep(0.3)
        finally:
            d.stop()
        reqs = self.http.requests_for("/aliyun")
        for r in reqs:
            self.assertEqual(r.method, "POST")
            form = dict(urllib.parse.parse_qsl(r.body.decode(), keep_blank_values=True))
            sig = form.pop("Signature")
            canon = "&".join("%s=%s" % (pct(k), pct(v)) for k, v in sorted(form.items()))
            sts = "POST&%2F&" + pct(canon)
            want = base64.b64encode(hmac.new((SECRET + "&").encode(), sts.encode(),
                                             hashlib.sha1).digest()).decode()
            self.assertEqual(sig, want)
            self.assertEqual(form["Action"], "SendSms")
            self.assertEqual(form["AccessKeyId"], KEY_ID)
            self.assertEqual(form["PhoneNumbers"], "13800000001")
            self.assertEqual(form["SignName"], "大通区舆情")
            self.assertEqual(form["TemplateCode"], "SMS_1234")
            self.assertIn(MINE[1][:6], json.loads(form["TemplateParam"])["text"])
            self.assertTrue(form["OutId"].endswith(":duty:sms"), form["OutId"])
        nonces = [dict(urllib.parse.parse_qsl(r.body.decode()))["SignatureNonce"] for r in reqs]
        self.assertEqual(len(set(nonces)), len(nonces))
        self.assertEqual(self.states("warn-2h"), ["sent"])
        self.assertEqual(self.states("warn-1h"), ["retry", "sent"])   # rate limit: retried
        self.assertEqual(self.states("warn-30m"), ["failed"])         # bad number: for good

    def test_tencent(self):
        self.http.route("/tencent", Response(
            body='{"Response":{"SendStatusSet":[{"Code":"Ok","SerialNo":"1"}],"RequestId":"r"}}'))
        d = self.start('provider = "tencent"; url = "%s"; access_key = "AKIDtest";\n'
                       'access_secret = "tcsecret"; sign_name = "大通区舆情"; template = "1234567";\n'
                       'app_id = "1400000001"; region = "ap-shanghai";'
                       % self.http.url("/tencent"))
        try:
            wait_for(lambda: self.http.requests_for("/tencent"), 15, "a request")
            time.sleep(0.3)
        finally:
            d.stop()
        r = self.http.requests_for("/tencent")[0]
        h = {k.lower(): v for k, v in r.raw_headers}
        self.assertEqual(h["host"], "sms.tencentcloudapi.com")
        self.assertEqual(h["x-tc-action"], "SendSms")
        self.assertEqual(h["x-tc-version"], "2021-01-11")
        self.assertEqual(h["x-tc-region"], "ap-shanghai")
        body = json.loads(r.body)
        self.assertEqual(body["PhoneNumberSet"], ["+8613800000001"])
        self.assertEqual(body["SmsSdkAppId"], "1400000001")
        self.assertEqual(body["TemplateId"], "1234567")
        self.assertTrue(body["SessionContext"].endswith(":duty:sms"))
        ts = h["x-tc-timestamp"]
        date = datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime("%Y-%m-%d")
        canon = ("POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s"
                 % (h["content-type"], h["host"], hashlib.sha256(r.body).hexdigest()))
        scope = date + "/sms/tc3_request"
        sts = "TC3-HMAC-SHA256\n%s\n%s\n%s" % (ts, scope, hashlib.sha256(canon.encode()).hexdigest())

        def hm(k, m):
            return hmac.new(k, m.encode(), hashlib.sha256).digest()
        key = hm(hm(hm(("TC3tcsecret").encode(), date), "sms"), "tc3_request")
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        self.assertEqual(h["authorization"],
                         "TC3-HMAC-SHA256 Credential=AKIDtest/%s, SignedHeaders=content-type;host, "
                         "Signature=%s" % (scope, sig))
        self.assertEqual(self.states("warn-2h")[-1], "sent")


if __name__ == "__main__":
    unittest.main(verbosity=2)
