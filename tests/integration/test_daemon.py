#!/usr/bin/python3
"""Integration tests of the daemon's life cycle: start/stop, /healthz, HUP
with good and bad configs, TERM while Redis holds a write, the scaled clock,
Redis killed and restarted, systemd notifications, secrets kept out of logs,
and detaching.  Each test runs the real yuqingd against a private
redis-server on loopback."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yqd import (Daemon, YUQINGCTL, YUQINGD, http_get, run,  # noqa: E402
                 write_config)
from yqfix import RedisServer, free_port, wait_for  # noqa: E402

ISO_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="yq-it-")
        self.redis = RedisServer().start()

    def tearDown(self):
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_start_healthz_stop(self):
        conf = write_config(self.tmp, self.redis)
        with Daemon(conf) as d:
            status, doc = d.healthz()
            self.assertEqual(status, 200)
            self.assertEqual(doc["status"], "ok")
            self.assertEqual(doc["redis"]["state"], "up")
            self.assertRegex(doc["now"], ISO_RE)
            self.assertTrue(doc["now"].endswith("+08:00"), doc["now"])
            st, body = http_get(d.url("/no/such/thing"))
            self.assertEqual(st, 404)
            self.assertEqual(json.loads(body)["status"], 404)
            # SIGPIPE ignored: a peer vanishing mid-write (Redis killed)
            # must be an EPIPE, not the daemon's death (seen under valgrind)
            with open("/proc/%d/status" % d.pid) as f:
                sigign = int([ln for ln in f if ln.startswith("SigIgn:")][0].split()[1], 16)
            self.assertTrue(sigign & (1 << (signal.SIGPIPE - 1)), "SIGPIPE not ignored")
            started = self.redis.command("HGET", "yq:daemon", "started_at")
            self.assertIsNotNone(started)
            self.assertEqual(self.redis.command("GET", "yq:schema"), "1")
        self.assertEqual(d.returncode, 0, d.log())
        self.assertIsNotNone(self.redis.command("HGET", "yq:daemon", "stopped_at"))
        log = d.log()
        for line in log.splitlines():
            self.assertRegex(line, r"^<[0-7]>\S", "every line has a priority prefix")
        self.assertRegex(log, r"<5>stopping: signal=TERM")
        self.assertRegex(log, r"<5>stopped: pending=0")
        # The listener is gone after exit.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", conf[1]), timeout=1).close()

    def test_sigint_stops_too(self):
        with Daemon(write_config(self.tmp, self.redis)) as d:
            pass
        d2 = Daemon(write_config(self.tmp, self.redis, name="b.conf")).start()
        self.assertEqual(d2.stop(sig=signal.SIGINT), 0, d2.log())
        self.assertIn("signal=INT", d2.log())

    def test_version_help_and_bad_usage(self):
        r = run([YUQINGD, "--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^yuqingd \d+\.\d+\.\d+\n$")
        r = run([YUQINGD, "--help"])
        self.assertEqual(r.returncode, 0)
        for opt in ("--config", "--foreground", "--check-config", "--time-scale",
                    "--time-start", "--version", "--help", "--dump"):
            self.assertIn(opt, r.stdout)
        self.assertEqual(run([YUQINGD, "--no-such-option"]).returncode, 2)
        self.assertEqual(run([YUQINGD, "--time-scale", "0"]).returncode, 2)
        conf, _ = write_config(self.tmp, self.redis)
        r = run([YUQINGD, "-c", conf, "--time-start", "yesterday"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--time-start", r.stderr)
        r = run([YUQINGCTL, "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("check-config", r.stdout)
        self.assertEqual(run([YUQINGCTL, "no-such-command"]).returncode, 2)
        # every command listed answers --help with its own usage, exit 0,
        # and touches nothing (no config, no daemon needed)
        commands = [ln.split()[0] for ln in r.stdout.splitlines()[1:]
                    if ln.startswith("  ")]
        self.assertGreaterEqual(len(commands), 16, commands)
        for c in commands:
            if c in ("version", "help"):
                continue
            h = run([YUQINGCTL, c, "--help"])
            self.assertEqual(h.returncode, 0, (c, h.stderr))
            self.assertTrue(h.stdout.startswith("usage: yuqingctl " + c), (c, h.stdout))

    def test_check_config_both_binaries(self):
        good, _ = write_config(self.tmp, self.redis)
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write('redis = { adress = "127.0.0.1:6379"; db = 99; };\n'
                    'clock = { zone = "Asia/Beijing"; };\n')
        for cmd in ([YUQINGD, "--check-config"], [YUQINGCTL, "check-config"]):
            r = run(cmd + [good])
            self.assertEqual((r.returncode, r.stdout), (0, "configuration OK\n"))
            r = run(cmd + [bad])
            self.assertEqual(r.returncode, 1)
            self.assertIn("bad.conf:1: redis: 'adress': unknown key (did you mean 'address'?)",
                          r.stderr)
            self.assertIn("bad.conf:1: redis.db: 99 is out of range (0..15)", r.stderr)
            self.assertIn("bad.conf:2: clock.zone: unknown time zone 'Asia/Beijing'", r.stderr)
            self.assertIn("3 errors in configuration", r.stderr)
        # A daemon given a bad config does not start.
        r = run([YUQINGD, "--foreground", "-c", bad])
        self.assertEqual(r.returncode, 1)
        self.assertIn("not starting", r.stderr)

    def test_hup_good_config_applies(self):
        conf = write_config(self.tmp, self.redis)
        with Daemon(conf) as d:
            new_port = free_port()
            write_config(self.tmp, self.redis, http_port=new_port,
                         extra='feeds = ( { id = "a"; url = "http://127.0.0.1:9/a.xml"; } );')
            d.kill(signal.SIGHUP)
            d.wait_log(r"configuration reloaded: .* feeds=1")
            d.port = new_port
            d.wait_status(200)
            status, doc = d.healthz()
            self.assertEqual(doc["reloads"], 1)
            self.assertEqual(doc["feeds"]["configured"], 1)
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", conf[1]), timeout=1).close()
            self.assertIn("feed added: feed=a", d.log())
        self.assertEqual(d.returncode, 0)

    def test_hup_bad_config_is_refused(self):
        conf = write_config(self.tmp, self.redis)
        with Daemon(conf) as d:
            with open(conf[0], "a") as f:
                f.write('feeds = ( { id = "x"; url = "ftp://example/x"; interval = 0; } );\n'
                        'bogus = 1;\n')
            d.kill(signal.SIGHUP)
            d.wait_log(r"reload refused, keeping the running configuration: errors=3")
            log = d.log()
            self.assertRegex(log, r"<3>config error: .*yuqing.conf:\d+: feeds\[0\]\.url: "
                                  r"URL scheme 'ftp' not allowed")
            self.assertRegex(log, r"<3>config error: .*feeds\[0\]\.interval: 0s is out of range")
            self.assertRegex(log, r"<3>config error: .*:9: 'bogus': unknown section")
            status, doc = d.healthz()
            self.assertEqual((status, doc["reloads"], doc["feeds"]["configured"]), (200, 0, 0))
            # A fixed file is then accepted.
            write_config(self.tmp, self.redis, http_port=conf[1])
            d.kill(signal.SIGHUP)
            d.wait_log(r"configuration reloaded")
            self.assertEqual(d.healthz()[1]["reloads"], 1)
        self.assertEqual(d.returncode, 0)

    def test_hup_to_a_busy_port_keeps_old_listener(self):
        conf = write_config(self.tmp, self.redis)
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        try:
            with Daemon(conf) as d:
                write_config(self.tmp, self.redis, http_port=blocker.getsockname()[1])
                d.kill(signal.SIGHUP)
                d.wait_log(r"reload refused.*cannot listen")
                self.assertEqual(d.healthz()[0], 200)
        finally:
            blocker.close()

    def _term_while_paused(self, conf, pause_ms):
        """Start, pause Redis, send TERM; returns (daemon, status, seconds
        from TERM to exit)."""
        d = Daemon(conf).start()
        self.redis.command("CLIENT", "PAUSE", str(pause_ms), "ALL")
        t0 = time.monotonic()
        d.kill(signal.SIGTERM)
        rc = d.wait_exit(timeout=15)
        waited = time.monotonic() - t0
        d.stop()
        return d, rc, waited

    def test_term_while_redis_holds_a_write(self):
        """TERM while Redis is paused: the stop record is in flight; the
        daemon waits for it to land, then exits 0."""
        d, rc, waited = self._term_while_paused(write_config(self.tmp, self.redis), 2000)
        self.assertEqual(rc, 0, d.log())
        self.assertGreater(waited, 1.0, "exited before Redis answered")
        self.assertIsNotNone(self.redis.command("HGET", "yq:daemon", "stopped_at"))
        self.assertIn("in-flight work finished", d.log())

    def test_term_gives_up_after_grace(self):
        """Redis stalls longer than the grace: exit 0 anyway, say so."""
        conf = write_config(self.tmp, self.redis)
        text = open(conf[0]).read().replace('shutdown_grace = "10s"', 'shutdown_grace = "1s"')
        text = text.replace('command_timeout = "3s"', 'command_timeout = "10s"')
        open(conf[0], "w").write(text)
        d, rc, waited = self._term_while_paused(conf, 5000)
        self.assertEqual(rc, 0, d.log())
        self.assertLess(waited, 4.0)
        self.assertIn("shutdown grace expired", d.log())

    def test_scaled_clock(self):
        conf = write_config(self.tmp, self.redis)
        with Daemon(conf, args=["--time-scale", "3600", "--time-start",
                                "2026-01-01T00:00:00+08:00"]) as d:
            doc = d.healthz()[1]
            self.assertEqual(doc["time_scale"], 3600.0)
            self.assertTrue(doc["now"].startswith("2026-01-01T0"), doc["now"])
            time.sleep(1.0)
            doc = d.healthz()[1]
            # one real second later, about one monitored hour has passed
            hours = int(doc["now"][11:13]) + int(doc["now"][14:16]) / 60.0
            self.assertGreaterEqual(hours, 1.0, doc["now"])
            self.assertLess(hours, 4.0, doc["now"])
            self.assertIn("time_scale=3600", d.log())
        # A zone-less start is read in the configured zone.
        with Daemon(write_config(self.tmp, self.redis, name="z.conf"),
                    args=["--time-start", "2026-06-01 12:00"]) as d:
            self.assertTrue(d.healthz()[1]["now"].startswith("2026-06-01T12:00"))

    def test_redis_killed_and_restarted(self):
        conf = write_config(self.tmp, self.redis)
        with Daemon(conf) as d:
            self.redis.kill()
            d.wait_status(503, timeout=10)
            status, doc = d.healthz()
            self.assertEqual(doc["status"], "unhealthy")
            self.assertRegex(doc["reason"], r"^redis (down|connecting): ")
            self.assertIn(doc["redis"]["state"], ("down", "connecting"))
            d.wait_log(r"<4>redis link down: addr=unix:")
            # several reconnect attempts fail while it is away, then it returns
            time.sleep(1.0)
            self.redis.restart()
            d.wait_status(200, timeout=10)
            self.assertEqual(d.healthz()[1]["redis"]["state"], "up")
            self.assertGreaterEqual(len(re.findall(r"redis link up", d.log())), 2)
        self.assertEqual(d.returncode, 0, d.log())

    def test_redis_down_at_start(self):
        """The daemon starts without Redis, reports 503, and recovers."""
        port = free_port()
        conf = write_config(self.tmp, None)
        text = open(conf[0]).read().replace("127.0.0.1:1", "127.0.0.1:%d" % port)
        open(conf[0], "w").write(text)
        with Daemon(conf, wait_healthy=False) as d:
            wait_for(lambda: "connection refused" in
                     (d.healthz()[1] or {}).get("reason", "").lower(), 10,
                     "503 with the reason")
            with RedisServer(port=port):
                d.wait_status(200, timeout=10)
        self.assertEqual(d.returncode, 0)

    def test_foreign_schema_is_unhealthy(self):
        self.redis.command("SET", "yq:schema", "99")
        with Daemon(write_config(self.tmp, self.redis), wait_healthy=False) as d:
            # 503 "connecting" first, then 503 for the schema
            wait_for(lambda: "schema" in (d.healthz()[1] or {}).get("reason", ""), 10,
                     "503 for the foreign schema")

    def test_systemd_notify_protocol(self):
        sock_path = os.path.join(self.tmp, "notify.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(sock_path)
        s.settimeout(0.2)
        msgs = []

        def drain():
            while True:
                try:
                    msgs.append(s.recv(4096).decode())
                except socket.timeout:
                    return

        def seen(prefix):
            drain()
            return any(m.startswith(prefix) or ("\n" + prefix) in m for m in msgs)

        conf = write_config(self.tmp, self.redis)
        env = {"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000"}
        # no --foreground: under systemd the daemon must not detach
        d = Daemon(conf, env=env, foreground=False).start()
        try:
            wait_for(lambda: seen("READY=1"), 5, "READY=1")
            wait_for(lambda: sum("WATCHDOG=1" in m for m in msgs) >= 3 or drain(), 5,
                     "three WATCHDOG=1")
            msgs.clear()
            d.kill(signal.SIGHUP)
            wait_for(lambda: seen("RELOADING=1"), 5, "RELOADING=1")
            wait_for(lambda: any("READY=1" in m for m in msgs[1:]) or
                     (drain() and False), 5, "READY=1 after reload")
            reload_msg = [m for m in msgs if "RELOADING=1" in m][0]
            self.assertIn("MONOTONIC_USEC=", reload_msg)
            d.kill(signal.SIGTERM)
            self.assertEqual(d.wait_exit(), 0)
            self.assertTrue(seen("STOPPING=1"))
            self.assertTrue(any("STATUS=" in m for m in msgs))
        finally:
            d.stop()
            s.close()

    def test_secrets_stay_out_of_logs_and_dump(self):
        secret = "s3cret-Redis-Pa55-0123456789"
        self.redis.stop()
        self.redis = RedisServer(extra_args=("--requirepass", secret)).start()
        pwfile = os.path.join(self.tmp, "redis.pass")
        with open(pwfile, "w") as f:
            f.write(secret + "\n")
        conf = write_config(self.tmp, self.redis, redis_extra='password_file = "%s";' % pwfile)
        with Daemon(conf, args=["-v"]) as d:
            self.assertEqual(d.healthz()[0], 200)
        self.assertNotIn(secret, d.log())
        dump = run([YUQINGD, "--dump", "-c", conf[0]])
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn('password_file = "%s";' % pwfile, dump.stdout)
        self.assertNotIn(secret, dump.stdout + dump.stderr)
        # from the environment, and inline: the dump shows the source only
        env_conf = write_config(self.tmp, self.redis, name="env.conf",
                                redis_extra='password_env = "YQ_IT_REDIS_PW";')
        with Daemon(env_conf, env={"YQ_IT_REDIS_PW": secret}) as d2:
            pass
        self.assertNotIn(secret, d2.log())
        dump = run([YUQINGCTL, "check-config", "--dump", env_conf[0]],
                   env=dict(os.environ, YQ_IT_REDIS_PW=secret))
        self.assertIn('password_env = "YQ_IT_REDIS_PW";', dump.stdout)
        self.assertNotIn(secret, dump.stdout)
        inline = write_config(self.tmp, self.redis, name="inline.conf",
                              redis_extra='password = "%s";' % secret)
        dump = run([YUQINGCTL, "check-config", "--dump", inline[0]])
        self.assertIn('password = "(redacted)";', dump.stdout)
        self.assertNotIn(secret, dump.stdout)
        # A wrong password: unhealthy with Redis's reason, still no secret.
        wrong = write_config(self.tmp, self.redis, name="wrong.conf",
                             redis_extra='password = "not-the-%s";' % secret)
        with Daemon(wrong, wait_healthy=False) as d3:
            d3.wait_status(503)
            reason = d3.healthz()[1]["reason"]
            self.assertRegex(reason, r"WRONGPASS|invalid password")
        self.assertNotIn(secret, d3.log())

    def test_detaches_without_foreground(self):
        conf = write_config(self.tmp, self.redis)
        r = subprocess.run([YUQINGD, "-c", conf[0]], timeout=10,
                           env={k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"})
        self.assertEqual(r.returncode, 0)
        wait_for(lambda: self.redis.command("HGET", "yq:daemon", "pid"), 10, "daemon pid")
        pid = int(self.redis.command("HGET", "yq:daemon", "pid"))
        try:
            st, _ = http_get("http://127.0.0.1:%d/healthz" % conf[1])
            self.assertEqual(st, 200)
        finally:
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                 open("/proc/%d/stat" % pid).read().split()[2] == "Z", 10, "daemon exit")


if __name__ == "__main__":
    unittest.main(verbosity=2)
