#!/usr/bin/python3
"""Golden-file tests of configuration checking (stdlib only).

  runconf.py bad FILE.conf...        stderr of check-config == FILE.err
  runconf.py good FILE.conf...       "configuration OK", nothing on stderr
  runconf.py dump FILE.conf...       --dump == FILE.dump, no secret in it
  runconf.py roundtrip FILE.conf...  dumping the dump gives the same text
  runconf.py --regen bad|dump FILE.conf...   rewrite .err / .dump files

A .err file holds the exact stderr of `yuqingctl check-config NAME.conf` run
in the file's directory (so messages carry the bare file name); the run must
exit 1.  An empty .err means the file is valid: exit 0, "configuration OK".
The same file goes through `yuqingd --check-config`, which must agree.

Binaries come from YQ_YUQINGCTL and YQ_YUQINGD.  Tests never regenerate:
--regen is for a person who changed the schema, and who then reads every
changed file (git diff) before committing it.
"""

import difflib
import os
import re
import subprocess
import sys
import tempfile

# Secrets the good configs take from the environment.  Their values, the
# contents of every *_file and every inline secret must never be dumped.
SECRET_ENV = {
    "YQ_TEST_FULL_REDIS_PASSWORD": "redis-password-env-value-9876",
    "YQ_TEST_FULL_COOKIE": "SESSIONID=cookie-env-value-5555",
    "YQ_TEST_FULL_SMS_SECRET": "sms-secret-env-value-1414",
    "YQ_TEST_FULL_WECOM_WEBHOOK":
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-env-1729",
    "YQ_TEST_FULL_API_TOKEN": "api-token-env-value-0123456789",
}
# Names of secret keys in the schema (CF_SECRET), inline spelling.
SECRET_KEYS = ("password", "access_key", "access_secret", "webhook",
               "secret", "token", "value")
REDACTED = "(redacted)"
TIMEOUT = 30


class Failure(Exception):
    pass


def test_env():
    """A fixed environment: C messages, the system tz database, the test
    secrets set and the deliberately unset variables really unset."""
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env.pop("LANGUAGE", None)
    env.pop("TZDIR", None)
    env.pop("TZ", None)
    for name in list(env):
        if name.startswith("YQ_TEST_SURELY_UNSET"):
            del env[name]
    env.update(SECRET_ENV)
    return env


def binary(var):
    path = os.environ.get(var)
    if not path:
        raise Failure("%s is not set (path of the binary under test)" % var)
    return path


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, env=test_env(), capture_output=True,
                       timeout=TIMEOUT)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def diff(want, got, want_name, got_name):
    return "".join(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), want_name, got_name))


def expect_text(what, want, got, want_name):
    if want != got:
        raise Failure("%s differs from %s:\n%s" % (
            what, want_name, diff(want, got, want_name, what) or
            "(difference in line endings or a final newline)\n"))


def check_run(who, rc, out, err, want_err, err_name):
    """One binary's result against the expected stderr."""
    valid = want_err == ""
    expect_text(who + " stderr", want_err, err, err_name)
    if valid and (rc != 0 or out != "configuration OK\n"):
        raise Failure("%s: want exit 0 and \"configuration OK\", got exit "
                      "%d, stdout %r" % (who, rc, out))
    if not valid and rc != 1:
        raise Failure("%s: want exit status 1, got %d" % (who, rc))
    if not valid and out != "":
        raise Failure("%s: want nothing on stdout, got %r" % (who, out))


def do_bad(conf, regen):
    d, name = os.path.split(os.path.abspath(conf))
    err_path = os.path.splitext(os.path.join(d, name))[0] + ".err"
    rc, out, err = run([binary("YQ_YUQINGCTL"), "check-config", name], d)
    if regen:
        write(err_path, err)
        print("wrote %s (exit %d): read it before committing" %
              (err_path, rc))
        return
    if not os.path.exists(err_path):
        raise Failure("%s has no %s (make it with --regen, then read it)" %
                      (conf, err_path))
    want = read(err_path)
    err_name = os.path.basename(err_path)
    check_run("yuqingctl check-config", rc, out, err, want, err_name)
    rc, out, err = run([binary("YQ_YUQINGD"), "--check-config", name], d)
    check_run("yuqingd --check-config", rc, out, err, want, err_name)


def do_good(conf, regen):
    d = os.path.dirname(os.path.abspath(conf))
    for who, argv in (
            ("yuqingctl check-config",
             [binary("YQ_YUQINGCTL"), "check-config", os.path.abspath(conf)]),
            ("yuqingd --check-config",
             [binary("YQ_YUQINGD"), "--check-config",
              os.path.abspath(conf)])):
        rc, out, err = run(argv, d)
        check_run(who, rc, out, err, "", "(nothing)")


def dump(conf, cwd):
    rc, out, err = run([binary("YQ_YUQINGCTL"), "check-config", "--dump",
                        os.path.abspath(conf)], cwd)
    if rc != 0 or err != "":
        raise Failure("--dump %s: exit %d, stderr:\n%s" % (conf, rc, err))
    return out


def secret_values(conf):
    """Every secret value conf refers to: inline, from files, from env."""
    d = os.path.dirname(os.path.abspath(conf))
    text = read(conf)
    values = set(SECRET_ENV.values())
    keys = "|".join(SECRET_KEYS)
    for m in re.finditer(r'\b(%s)(_file|_env)?\s*=\s*"([^"]*)"' % keys,
                         text):
        kind, v = m.group(2), m.group(3)
        if kind == "_file":
            values.add(read(os.path.join(d, v)).strip())
        elif kind == "_env":
            values.add(test_env().get(v, ""))
        else:
            values.add(v)
    values.discard("")
    return values


def do_dump(conf, regen):
    d = os.path.dirname(os.path.abspath(conf))
    dump_path = os.path.splitext(os.path.abspath(conf))[0] + ".dump"
    got = dump(conf, d)
    secrets = secret_values(conf)
    if len(secrets) < 3:
        raise Failure("%s: found only %d secret values to look for; the "
                      "secret scan is broken" % (conf, len(secrets)))
    leaked = sorted(s for s in secrets if s in got)
    if leaked:
        raise Failure("--dump %s shows secret values: %s" % (conf, leaked))
    if regen:
        write(dump_path, got)
        print("wrote %s: read it before committing" % dump_path)
        return
    expect_text("yuqingctl check-config --dump", read(dump_path), got,
                os.path.basename(dump_path))


def do_roundtrip(conf, regen):
    """Dump, load the dump, dump again: the same text, and it checks OK.
    Relative paths (secret and rule files) resolve against the file's own
    directory, so the dump is written beside the original, under a unique
    temporary name, and removed afterwards."""
    d = os.path.dirname(os.path.abspath(conf))
    first = dump(conf, d)
    fd, again = tempfile.mkstemp(prefix=".roundtrip-", suffix=".conf", dir=d)
    os.close(fd)
    try:
        write(again, first)
        second = dump(again, d)
        rc, out, err = run([binary("YQ_YUQINGCTL"), "check-config", again], d)
        check_run("check-config of the dump", rc, out, err, "", "(nothing)")
    finally:
        os.unlink(again)
    expect_text("second dump", first, second, "first dump")


MODES = {"bad": do_bad, "good": do_good, "dump": do_dump,
         "roundtrip": do_roundtrip}


def main(argv):
    regen = False
    if argv[:1] == ["--regen"]:
        regen = True
        argv = argv[1:]
    if len(argv) < 2 or argv[0] not in MODES or \
            (regen and argv[0] not in ("bad", "dump")):
        sys.stderr.write(__doc__)
        return 2
    failed = 0
    for conf in argv[1:]:
        try:
            MODES[argv[0]](conf, regen)
            if not regen:
                print("ok %s %s" % (argv[0], conf))
        except (Failure, OSError, subprocess.SubprocessError) as e:
            print("FAIL %s %s: %s" % (argv[0], conf, e))
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
