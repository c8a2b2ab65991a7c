#!/usr/bin/python3
"""The daemon's start/stop path (and a reload, and a Redis reconnect) under
valgrind: no invalid access and no leak.  Skipped (77) in the sanitized
build, where ASan/LSan do this job on every test."""

import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import SANITIZED, Daemon, write_config  # noqa: E402
from yqfix import RedisServer  # noqa: E402

VALGRIND = shutil.which("valgrind")


class ValgrindTest(unittest.TestCase):
    def test_start_reload_reconnect_stop_clean(self):
        tmp = tempfile.mkdtemp(prefix="yq-vg-")
        vglog = os.path.join(tmp, "valgrind.log")
        try:
            with RedisServer() as redis:
                # started just after a Monday 09:00: the weekly report is
                # gathered, rendered and queued (its mail server refuses)
                conf = write_config(tmp, redis, extra='feeds = ( { id = "a"; '
                                    'url = "http://127.0.0.1:9/a"; } );\n'
                                    'channels = { smtp = { url = "smtp://127.0.0.1:9"; '
                                    'starttls = false; from = "yuqing@example.test"; }; };\n'
                                    'report = { mail_to = [ "office@example.test" ]; };')
                prefix = [VALGRIND, "--leak-check=full", "--show-leak-kinds=definite,indirect",
                          "--errors-for-leak-kinds=definite,indirect",
                          "--error-exitcode=99", "--log-file=" + vglog]
                with Daemon(conf, prefix=prefix,
                            args=["--time-start", "2026-11-30T09:00:05+08:00"]) as d:
                    d.wait_log("weekly report handed to delivery", timeout=30)
                    d.kill(signal.SIGHUP)
                    d.wait_log("configuration reloaded", timeout=30)
                    redis.kill()
                    d.wait_status(503, timeout=30)
                    redis.restart()
                    d.wait_status(200, timeout=30)
                with open(vglog) as f:
                    report = f.read()
                self.assertEqual(d.returncode, 0, report + d.log())
                self.assertIn("ERROR SUMMARY: 0 errors", report)
                self.assertRegex(report, r"definitely lost: 0 bytes|no leaks are possible")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if SANITIZED:
        print("SKIP: valgrind does not run sanitized binaries; ASan checks them")
        sys.exit(77)
    if VALGRIND is None:
        print("SKIP: valgrind not installed")
        sys.exit(77)
    unittest.main(verbosity=2)
