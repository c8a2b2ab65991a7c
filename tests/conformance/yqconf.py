"""Shared helpers for the conformance checks (Debian's python3, stdlib only).

- normalise(): the Python twin of the C text normalisation (feeds/text.c,
  text_normalise), applied to the *expected* values so that they can be
  compared with what `yuqingctl feed-dump` prints.
- run_feed_dump(): runs the tool with a timeout and classifies the outcome.
- iso_to_utc6(): our ISO 8601 dates as a UTC (Y, M, D, h, m, s) tuple.

The normalisation, step by step (the order matters and is the C order):

 1. HTML: the value is read as an HTML fragment by Python's html.parser
    (browser-like rules for what is and is not a tag): tags, comments and
    declarations are dropped, the bodies of <script> and <style> with them,
    and character references are decoded (html.unescape: numeric, named,
    windows-1252 for &#128;..&#159;).  A '<' that cannot start a tag
    ("1 < 2") is text.  Every tag, comment or declaration counts as
    whitespace ("a<br>b" and "<p>a</p><p>b</p>" read "a b"), as in
    feeds/text.c.  What *is* a tag is decided here independently of the C
    code, so a tokenising difference shows up as a failing check.
 2. Full-width ASCII U+FF01..U+FF5E is folded to U+0021..U+007E, and the
    ideographic space U+3000 becomes U+0020.  Folding happens after step 1,
    so a full-width '＜' never starts a tag.
 3. Dropped: control characters, i.e. C0 (U+0000..U+001F) other than the
    whitespace below, DEL (U+007F) and C1 (U+0080..U+009F); and the
    invisible ZERO WIDTH SPACE U+200B, BOM/ZWNBSP U+FEFF, LRM U+200E and
    RLM U+200F.
 4. Runs of whitespace become one U+0020; the result is trimmed.
    Whitespace is TAB LF VT FF CR SPACE, NO-BREAK SPACE U+00A0 (so "&nbsp;"
    is a space), LINE/PARAGRAPH SEPARATOR U+2028/U+2029, and U+3000 (by
    step 2).

Where the one-line spec ("HTML stripped, entities decoded, full-width
folded, controls dropped, whitespace collapsed") leaves a choice open (tags
as spaces, NBSP as a space, which invisible characters go), it is taken as
feeds/text.c (text_normalise) takes it: these are design, and the
comparison with feedparser is about content, not spacing.
"""

import datetime
import html.parser
import json
import os
import re
import signal
import subprocess

DEFAULT_BINARY = "/work/main/build/yuqingctl"

# See the module docstring, steps 3 and 4.
WHITESPACE = " \t\n\x0b\x0c\r\u00a0\u2028\u2029"
INVISIBLE = "\u200b\ufeff\u200e\u200f"


class _Stripper(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        self.out.append(" ")
        if tag in ("script", "style"):
            self.skip += 1

    def handle_startendtag(self, tag, attrs):
        self.out.append(" ")

    def handle_endtag(self, tag):
        self.out.append(" ")
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_comment(self, data):
        self.out.append(" ")

    def handle_decl(self, decl):
        self.out.append(" ")

    def handle_pi(self, data):
        self.out.append(" ")

    def unknown_decl(self, data):
        self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def strip_html(s):
    p = _Stripper()
    p.feed(s)
    p.close()
    return "".join(p.out)


_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20


def normalise(s, html=True):
    """The expected value of a text field, as our tool prints it.  With
    html False the value is plain text (an Atom type="text" construct):
    only folding and whitespace apply."""
    if s is None:
        return ""
    if html:
        s = strip_html(s)
    s = s.translate(_FOLD)
    ws = WHITESPACE
    s = "".join(
        ch
        for ch in s
        if ch in ws
        or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in INVISIBLE)
    )
    s = re.sub("[" + re.escape(ws) + "]+", " ", s)
    return s.strip(" ")


def iso_to_utc6(s):
    """'2021-03-20T20:39:33+08:00' -> (2021, 3, 20, 12, 39, 33); None if
    s is None; raises ValueError if s is not ISO 8601 with an offset."""
    if s is None:
        return None
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if d.tzinfo is None:
        raise ValueError("no UTC offset in %r" % s)
    d = d.astimezone(datetime.timezone.utc)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second)


def binary():
    return os.environ.get("YQ_YUQINGCTL") or DEFAULT_BINARY


class Run:
    """One feed-dump run.  status: 'ok' (exit 0 or 1, JSON lines ending in
    the feed line, usable matching the exit status), 'crash' (a signal, an
    exit status other than 0/1, a sanitizer report), 'bad-output' (stdout is
    not the documented JSON lines), 'timeout'.  All but 'ok' are fatal."""

    def __init__(self):
        self.status = None
        self.detail = ""
        self.rc = None
        self.items = []
        self.feed = None
        self.stderr = ""


_SANITIZER = re.compile(
    r"ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer"
    r"|runtime error: |==\d+==ERROR"
)


def run_feed_dump(path, charset=None, base=None, zone=None, timeout=5.0):
    cmd = [binary(), "feed-dump"]
    if charset:
        cmd += ["--charset", charset]
    if base:
        cmd += ["--base", base]
    if zone:
        cmd += ["--zone", zone]
    cmd.append(path)
    r = Run()
    try:
        p = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as e:
        r.status, r.detail = "crash", "cannot run %s: %s" % (cmd[0], e)
        return r
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.communicate()
        r.status, r.detail = "timeout", "no exit within %gs" % timeout
        return r
    r.rc = p.returncode
    r.stderr = err.decode("utf-8", "replace")
    if p.returncode < 0:
        r.status = "crash"
        r.detail = "killed by signal %d" % -p.returncode
        return r
    if p.returncode not in (0, 1):
        r.status = "crash"
        first = r.stderr.strip().splitlines()[:1]
        r.detail = "exit status %d%s" % (
            p.returncode,
            (": " + first[0]) if first else "",
        )
        return r
    m = _SANITIZER.search(r.stderr)
    if m:
        r.status = "crash"
        line = next(
            (ln for ln in r.stderr.splitlines() if m.group(0) in ln), m.group(0)
        )
        r.detail = "sanitizer: " + line.strip()[:200]
        return r
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        r.status, r.detail = "bad-output", "stdout is not UTF-8: %s" % e
        return r
    lines = [ln for ln in text.split("\n") if ln.strip()]
    try:
        objs = [json.loads(ln) for ln in lines]
    except ValueError as e:
        r.status, r.detail = "bad-output", "stdout is not JSON lines: %s" % e
        return r
    if not objs or not isinstance(objs[-1], dict) or "feed" not in objs[-1]:
        r.status, r.detail = "bad-output", "no final {\"feed\": ...} line"
        return r
    r.feed = objs[-1]["feed"]
    r.items = objs[:-1]
    if any(not isinstance(o, dict) or "feed" in o for o in r.items):
        r.status, r.detail = "bad-output", "a line before the last is not an item"
        return r
    if r.feed.get("usable") is not (r.rc == 0):
        r.status = "crash"
        r.detail = "exit status %d but usable=%r" % (r.rc, r.feed.get("usable"))
        return r
    r.status = "ok"
    return r

