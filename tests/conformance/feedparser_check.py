#!/usr/bin/python3
"""Conformance of `yuqingctl feed-dump` against feedparser's own test corpus.

Usage: feedparser_check.py CONFORMANCE_DIR [--update] [-v] [--zone ZONE]
                           [--differences FILE] [--jobs N] [--only SUBSTR]

CONFORMANCE_DIR holds feedparser/ (kurtmckee/feedparser's tests/); exit 77
(skip) if it is absent.  The binary is $YQ_YUQINGCTL (default
/work/main/build/yuqingctl).

What is checked
---------------
Every .xml file under feedparser/{wellformed/rss, wellformed/atom,
wellformed/atom10, wellformed/rdf, encoding, entities, illformed}
(recursively) is run through feed-dump (5 s timeout each); any crash (a
signal, an exit status other than 0/1, a sanitizer report, output that is
not the documented JSON lines) or timeout fails the check outright.

Each file's leading comment has an `Expect:` Python expression.  It is
parsed (ast, never eval'd) and split at its top-level `and`s into
conjuncts; since all conjuncts must hold, each is checked on its own.  A
conjunct is *simple* if it is `bozo`, `not bozo`, or `X == literal` with X
one of `version`, `encoding`, `feed['k']` (or `feed.k`), `entries[N]['k']`
(or `entries[N].k`) and the literal a Python string, number or tuple.
Every other conjunct (nested keys, len(), chained ==, ...) is "not simple"
and not checked.

Simple conjuncts become checks, compared with feed-dump's output as follows
(feedparser key -> our field):

  bozo                  -> feed.recovered (feedparser's bozo also covers
                           media-type and encoding-override complaints; we
                           compare anyway and the differences file says why)
  version               -> feed.format, mapped: rss091n, rss091u -> rss091;
                           rss092 -> rss092; rss093, rss094 -> rss092 (we
                           have no separate value for these 0.92 successor
                           drafts, so 0.92 is the closest honest match);
                           'rss' (an <rss> without a usable version) ->
                           rss20 (versionless RSS is read as 2.0); the rest
                           unchanged (rss090, rss10, rss20, atom03, atom10)
  encoding              -> feed.charset; both names go through Python's
                           codec registry (so utf-16le == UTF-16LE, utf_32
                           == utf-32, ...), after two label equivalences
                           (LABEL_FAMILIES): the GB family is gb18030, as in
                           feedparser's own mapping, and us-ascii,
                           iso-8859-1, latin1 are windows-1252, as in the
                           WHATWG Encoding Standard that browsers and
                           feeds/charset.c follow; the report says how many
                           encoding checks pass only through these
  feed title            -> feed.title, after normalise() (see yqconf.py)
  feed link             -> feed.link, exactly
  feed ttl              -> feed.ttl_s == 60 * ttl (RSS ttl is minutes)
  entries[N] title, summary, description (= summary), author
                        -> item title, text, text, author, after normalise()
  entries[N] link       -> item link, exactly
  entries[N] id, guid   -> item guid, exactly
  entries[N] published, issued (= published): the date as written
                        -> item published_raw, exactly (both trimmed)
  entries[N] published_parsed, issued_parsed -> item published
  entries[N] updated_parsed, modified_parsed, date_parsed -> item updated,
                           or item published when updated is null (that is
                           feedparser's own updated -> published fallback)
                        dates compare as UTC (Y, M, D, h, m, s): the first
                        six fields of feedparser's 9-tuple
  anything else (subtitle, rights, generator, tags, feed dates, ...)
                        -> "not applicable": we do not produce it; counted,
                           never a failure.

A missing text field (null) counts as the empty string.

Skipped files: `SkipUnless: __import__('chardet')` (the expectation is what
Python's chardet guesses; it says nothing about our detector) and any
SkipUnless we cannot evaluate.  `__import__('codecs').lookup('X')` and
`__import__('sys').version...` are evaluated (they hold here).  Skipped files
are still run for crashes.

HTTP: files whose path contains "http" are served, in feedparser's suite,
with their `Header:` lines; the default Content-Type is text/xml.  We pass
the Content-Type's charset parameter (parsed like feedparser does) as
--charset and Content-Location as --base.  For a text/* type without a
charset we pass nothing: RFC 3023's us-ascii default (which feedparser
follows) was dropped by RFC 7303, and the monitor's fetcher passes only an
explicit charset parameter, so "nothing" is what the monitor would do.  The
media type itself is not passed (the tool has no such input).

Dates: feedparser reads zone-less dates as UTC; we pass --zone UTC (change
with --zone) so that the date checks test parsing, not our zone policy.
The Asia/Shanghai default is covered by realworld_check.py.

The differences file
--------------------
feedparser-differences.txt beside this script lists every failing check:
    path<TAB>key<TAB>reason
path relative to feedparser/, key as printed by -v (e.g. entries[0]['title']),
reason starting with "deliberate:", "bug:" or "feedparser:" (a feedparser
quirk or a test artefact).  Lines starting with # are comments.

The check fails if (a) the pass rate over applicable checks is below 95 %,
(b) a failing check is not listed, (c) a listed check passes (stale), (d) a
file crashes or times out, or (e) a listed reason is UNREVIEWED.
--update rewrites the file: reasons of still-failing checks are kept, stale
lines dropped, new failures added as "UNREVIEWED: expected ..., got ...".
"""

import argparse
import ast
import codecs
import collections
import concurrent.futures
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yqconf  # noqa: E402

FOLDERS = [
    "wellformed/rss",
    "wellformed/atom",
    "wellformed/atom10",
    "wellformed/rdf",
    "encoding",
    "entities",
    "illformed",
]
MIN_RATE = 95.0
DIFF_FILE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "feedparser-differences.txt"
)
REASON_PREFIXES = ("deliberate:", "bug:", "feedparser:")

VERSION_MAP = {
    "rss090": "rss090",
    "rss091n": "rss091",
    "rss091u": "rss091",
    "rss092": "rss092",
    "rss093": "rss092",
    "rss094": "rss092",
    "rss": "rss20",
    "rss20": "rss20",
    "rss10": "rss10",
    "atom03": "atom03",
    "atom10": "atom10",
    "atom": "atom10",
}

# feedparser key -> (our field, kind)
FEED_KEYS = {
    "title": ("title", "text"),
    "link": ("link", "exact"),
    "ttl": ("ttl_s", "ttl"),
}
ENTRY_KEYS = {
    "title": ("title", "text"),
    "summary": ("text", "text"),
    "description": ("text", "text"),
    "author": ("author", "text"),
    "link": ("link", "exact"),
    "id": ("guid", "exact"),
    "guid": ("guid", "exact"),
    "published": ("published_raw", "raw"),
    "issued": ("published_raw", "raw"),
    "published_parsed": ("published", "date"),
    "issued_parsed": ("published", "date"),
    "updated_parsed": ("updated", "date_upd"),
    "modified_parsed": ("updated", "date_upd"),
    "date_parsed": ("updated", "date_upd"),
}

# --- reading a corpus file, as feedparser's tests/helpers.py does ---------

skip_re = re.compile(r"SkipUnless:\s*(.*?)\n")
desc_re = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
headers_re = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)


def file_text(data):
    """The file as text, sniffing the BOM (helpers.get_file_contents)."""
    if data[:4] == b"\x00\x00\xfe\xff":
        return data.decode("utf-32be")
    if data[:4] == b"\xff\xfe\x00\x00":
        return data.decode("utf-32le")
    if data[:4] == b"\x00\x00\x00\x3c":
        return data.decode("utf-32be")
    if data[:4] == b"\x3c\x00\x00\x00":
        return data.decode("utf-32le")
    if data[:4] == b"\x00\x3c\x00\x3f":
        return data.decode("utf-16be")
    if data[:4] == b"\x3c\x00\x3f\x00":
        return data.decode("utf-16le")
    if data[:2] == b"\xfe\xff" and data[2:4] != b"\x00\x00":
        return data[2:].decode("utf-16be")
    if data[:2] == b"\xff\xfe" and data[2:4] != b"\x00\x00":
        return data[2:].decode("utf-16le")
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", errors="ignore")
    return data.decode("utf-8", errors="ignore")


def content_type_charset(value):
    """feedparser's encodings.parse_content_type, charset part."""
    charset = ""
    for chunk in value.split(";")[1:]:
        key, _, v = chunk.partition("=")
        if key.strip().lower() == "charset":
            charset = v.strip().strip("\"'")
    return charset


def skip_unless(cond):
    """None if the condition holds here, else why the file is skipped."""
    if cond is None:
        return None
    m = re.fullmatch(r"__import__\('codecs'\)\.lookup\('([\w.-]+)'\)", cond)
    if m:
        try:
            codecs.lookup(m.group(1))
            return None
        except LookupError:
            return "SkipUnless codec %s (not in Python)" % m.group(1)
    if re.fullmatch(r"__import__\('sys'\)\.version.*", cond):
        return None
    if cond == "__import__('chardet')":
        return "SkipUnless chardet (expects chardet's guess)"
    return "SkipUnless not evaluable: %s" % cond


# --- expectations ----------------------------------------------------------


class Check:
    def __init__(self, path, key, target, expected):
        self.path = path  # relative to feedparser/
        self.key = key  # "bozo", "version", "feed['title']", ...
        self.target = target  # ("bozo",) ("version",) ("feed", k) ("entries", n, k)
        self.expected = expected
        self.na = None  # why not applicable, or None
        self.ok = None
        self.got = None  # what we printed, for messages
        self.want = None  # expected as compared (after normalise/mapping)
        self.via_label = False  # passed only through LABEL_FAMILIES


def _literal(node):
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _key_of(node):
    """'k' from ['k'] or .k"""
    if isinstance(node, ast.Subscript):
        ok, k = _literal(node.slice)
        return k if ok and isinstance(k, str) else None
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _target(node):
    """The (target, key-string) a simple left-hand side names, else None."""
    if isinstance(node, ast.Name) and node.id in ("version", "encoding"):
        return (node.id,), node.id
    if not isinstance(node, (ast.Subscript, ast.Attribute)):
        return None
    key = _key_of(node)
    inner = node.value
    if key is None:
        return None
    if isinstance(inner, ast.Name) and inner.id == "feed":
        return ("feed", key), "feed['%s']" % key
    if (
        isinstance(inner, ast.Subscript)
        and isinstance(inner.value, ast.Name)
        and inner.value.id == "entries"
    ):
        ok, n = _literal(inner.slice)
        if ok and isinstance(n, int) and not isinstance(n, bool) and n >= 0:
            return ("entries", n, key), "entries[%d]['%s']" % (n, key)
    return None


def split_expectation(expr):
    """[(target, key, expected)] for the simple conjuncts, and the number of
    conjuncts that are not simple."""
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return [], 1
    if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And):
        conj = tree.values
    else:
        conj = [tree]
    simple, other = [], 0
    for c in conj:
        if isinstance(c, ast.Name) and c.id == "bozo":
            simple.append((("bozo",), "bozo", True))
        elif (
            isinstance(c, ast.UnaryOp)
            and isinstance(c.op, ast.Not)
            and isinstance(c.operand, ast.Name)
            and c.operand.id == "bozo"
        ):
            simple.append((("bozo",), "bozo", False))
        elif (
            isinstance(c, ast.Compare)
            and len(c.ops) == 1
            and isinstance(c.ops[0], ast.Eq)
            and _target(c.left)
            and _literal(c.comparators[0])[0]
            and isinstance(
                _literal(c.comparators[0])[1], (str, int, float, tuple)
            )
        ):
            t, k = _target(c.left)
            simple.append((t, k, _literal(c.comparators[0])[1]))
        elif isinstance(c, ast.Constant) and c.value == 1 and len(conj) == 1:
            pass  # "Expect: 1": nothing but "does not crash"
        else:
            other += 1
    return simple, other


class CorpusFile:
    def __init__(self, root, rel):
        self.rel = rel
        self.abspath = os.path.join(root, rel)
        self.folder = next(f for f in FOLDERS if rel.startswith(f + "/"))
        self.skip = None
        self.checks = []
        self.not_simple = 0
        self.trivial = False
        self.charset = None
        self.base = None
        self.run = None
        with open(self.abspath, "rb") as fp:
            text = file_text(fp.read())
        m = skip_re.search(text)
        self.skip = skip_unless(m.group(1).strip() if m else None)
        m = desc_re.search(text)
        if not m:
            self.not_simple = 1
            return
        expect = m.group(2).strip()
        self.trivial = expect == "1"
        if "http" in rel:
            headers = {k: v.strip() for k, v in headers_re.findall(text)}
            ctype = headers.get("Content-type", "text/xml")
            self.charset = content_type_charset(ctype) or None
            self.base = headers.get("Content-Location")
        simple, self.not_simple = split_expectation(expect)
        for t, k, v in simple:
            self.checks.append(Check(rel, k, t, v))


# Labels that name one decoder.  The windows-1252 family is the WHATWG
# Encoding Standard's (browsers decode "us-ascii" and "iso-8859-1" pages as
# windows-1252, and so do we: feeds/charset.c reports WINDOWS-1252 for all
# of them); the GB family follows feedparser's own gb2312 -> gb18030 (a
# superset, decoding gb2312 bytes identically).  Counted separately in the
# report ("passed through a label equivalence").
LABEL_FAMILIES = {
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 "
    "iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 "
    "latin1 us-ascii windows-1252 x-cp1252 us",
    "gb18030": "gb2312 gbk cp936 x-gbk chinese csgb2312 gb_2312 gb_2312-80 "
    "iso-ir-58 ms936 windows-936 gb18030",
    "big5": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
}
LABELS = {lab: fam for fam, labs in LABEL_FAMILIES.items() for lab in labs.split()}


def codec_name(name):
    n = (name or "").strip().lower()
    try:
        return codecs.lookup(n).name
    except LookupError:
        return n


def canonical_charset(name):
    n = (name or "").strip().lower()
    return LABELS.get(n) or codec_name(n)


def text_of(v):
    return "" if v is None else v


def evaluate(check, run):
    """Set check.ok/got/want from the run (status 'ok')."""
    t, exp = check.target, check.expected
    feed = run.feed
    if t[0] == "bozo":
        check.want, check.got = exp, feed.get("recovered")
        check.ok = check.got is exp
        return
    if t[0] == "version":
        check.want = VERSION_MAP.get(exp, exp)
        check.got = feed.get("format")
        check.ok = check.got == check.want
        return
    if t[0] == "encoding":
        check.want = exp
        check.got = feed.get("charset")
        check.ok = canonical_charset(exp) == canonical_charset(check.got)
        check.via_label = check.ok and codec_name(exp) != codec_name(check.got)
        return
    if t[0] == "feed":
        field, kind = FEED_KEYS[t[1]]
        obj = feed
    else:
        field, kind = ENTRY_KEYS[t[2]]
        if t[1] >= len(run.items):
            check.want = exp
            check.got = "<only %d items>" % len(run.items)
            check.ok = False
            return
        obj = run.items[t[1]]
    got = obj.get(field)
    if kind == "text":
        check.want = yqconf.normalise(exp) if isinstance(exp, str) else exp
        check.got = got
        check.ok = text_of(got) == check.want
        if not check.ok and isinstance(exp, str):
            # a plain-text construct keeps "<blink>" as text, as feedparser does
            check.ok = text_of(got) == yqconf.normalise(exp, html=False)
    elif kind == "exact":
        check.want, check.got = exp, got
        check.ok = got == exp
    elif kind == "raw":
        check.want, check.got = exp, got
        check.ok = isinstance(got, str) and got.strip() == str(exp).strip()
    elif kind == "ttl":
        check.got = got
        try:
            check.want = int(exp) * 60
        except (TypeError, ValueError):
            check.want = exp
        check.ok = got == check.want
    elif kind in ("date", "date_upd"):
        if kind == "date_upd" and got is None:
            got = obj.get("published")
        check.got = got
        check.want = tuple(exp[:6]) if isinstance(exp, tuple) else exp
        try:
            check.ok = yqconf.iso_to_utc6(got) == check.want
        except (ValueError, TypeError) as e:
            check.got = "%r (%s)" % (got, e)
            check.ok = False
    else:  # pragma: no cover
        raise AssertionError(kind)


def applicability(check):
    t = check.target
    if t[0] in ("bozo", "version", "encoding"):
        return None
    if t[0] == "feed":
        return None if t[1] in FEED_KEYS else "feed['%s']" % t[1]
    return None if t[2] in ENTRY_KEYS else "entries[]['%s']" % t[2]


# --- the differences file --------------------------------------------------


def read_differences(path):
    """{(path, key): reason}, [problems]"""
    diffs, problems = collections.OrderedDict(), []
    if not os.path.exists(path):
        return diffs, problems
    with open(path, encoding="utf-8") as fp:
        for n, line in enumerate(fp, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].strip():
                problems.append("%s:%d: not path<TAB>key<TAB>reason" % (path, n))
                continue
            k = (parts[0], parts[1])
            if k in diffs:
                problems.append("%s:%d: %s %s listed twice" % (path, n, *k))
            diffs[k] = parts[2].strip()
    return diffs, problems


HEADER = """\
# Checks of feedparser's corpus where `yuqingctl feed-dump` differs from
# feedparser, and why.  Maintained by tests/conformance/feedparser_check.py
# (see its docstring); `feedparser_check.py DIR --update` keeps the reasons,
# drops stale lines and adds new failures as UNREVIEWED.
#
# path (relative to feedparser/) <TAB> check <TAB> reason, where a reason is
#   deliberate: ...  we differ by design
#   feedparser: ...  a feedparser quirk or a test artefact
#   bug: ...         ours, to be fixed (the line goes when it is)
"""


def write_differences(path, failing, old):
    lines = []
    for c in sorted(failing, key=lambda c: (c.path, c.key)):
        reason = old.get((c.path, c.key))
        if not reason:
            reason = "UNREVIEWED: expected %s, got %s" % (
                _show(c.want),
                _show(c.got),
            )
        lines.append("%s\t%s\t%s\n" % (c.path, c.key, reason))
    header = HEADER
    if os.path.exists(path):  # keep the file's own leading comment
        with open(path, encoding="utf-8") as fp:
            lead = []
            for line in fp:
                if not line.startswith("#"):
                    break
                lead.append(line)
        if lead:
            header = "".join(lead)
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(header)
        fp.writelines(lines)


def _show(v, limit=120):
    s = ascii(v) if isinstance(v, str) else repr(v)
    return s if len(s) <= limit else s[:limit] + "..."


# --- main ------------------------------------------------------------------


def walk(root):
    for folder in FOLDERS:
        top = os.path.join(root, folder)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(".xml"):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root).replace(os.sep, "/")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("conformance_dir")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--zone", default="UTC")
    ap.add_argument("--differences", default=DIFF_FILE)
    ap.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--only", help="only files whose path contains this")
    args = ap.parse_args()

    root = os.path.join(args.conformance_dir, "feedparser")
    if not os.path.isdir(os.path.join(root, "wellformed")):
        print("SKIP: no feedparser corpus at %s" % root)
        return 77
    if args.only and args.update:
        print("--only and --update do not mix")
        return 2

    files = [CorpusFile(root, rel) for rel in walk(root)]
    if args.only:
        files = [f for f in files if args.only in f.rel]

    def run(f):
        f.run = yqconf.run_feed_dump(
            f.abspath, charset=f.charset, base=f.base, zone=args.zone,
            timeout=args.timeout,
        )
        return f

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        list(ex.map(run, files))

    # Tally.
    stats = collections.OrderedDict(
        (f, collections.Counter()) for f in FOLDERS
    )
    na_keys = collections.Counter()
    skip_reasons = collections.Counter()
    crashes, failing, passing = [], [], []
    for f in files:
        st = stats[f.folder]
        st["files"] += 1
        if f.run.status != "ok":
            crashes.append(f)
        if f.skip:
            skip_reasons[f.skip] += 1
            st["skipped"] += len(f.checks)
            continue
        st["not_simple"] += f.not_simple
        st["trivial"] += f.trivial
        st["expect_with_checks"] += bool(f.checks)
        for c in f.checks:
            st["extracted"] += 1
            c.na = applicability(c)
            if c.na:
                na_keys[c.na] += 1
                st["na"] += 1
                continue
            st["applicable"] += 1
            if f.run.status != "ok":
                c.ok, c.want, c.got = False, c.expected, f.run.status
                continue  # reported as a crash, not as a difference
            evaluate(c, f.run)
            if c.ok:
                st["passed"] += 1
                passing.append(c)
            else:
                failing.append(c)

    total = collections.Counter()
    for st in stats.values():
        total.update(st)

    print("feedparser corpus: %s" % root)
    print("binary: %s   zone for zone-less dates: %s" % (yqconf.binary(), args.zone))
    print()
    hdr = "%-18s %5s %6s %5s %7s %6s %6s %7s" % (
        "folder", "files", "checks", "n/a", "skipped", "run", "passed", "rate")
    print(hdr)
    print("-" * len(hdr))
    for name, st in list(stats.items()) + [("TOTAL", total)]:
        rate = 100.0 * st["passed"] / st["applicable"] if st["applicable"] else 0
        print("%-18s %5d %6d %5d %7d %6d %6d %6.1f%%" % (
            name, st["files"], st["extracted"] + st["skipped"], st["na"],
            st["skipped"], st["applicable"], st["passed"], rate))
    print()
    print("Expectations: %d files; %d with simple checks; %d not-simple "
          "conjuncts left unchecked; %d trivial ('Expect: 1')" % (
              total["files"], total["expect_with_checks"],
              total["not_simple"], total["trivial"]))
    via = collections.Counter(
        "%s~%s" % (c.expected.lower(), (c.got or "").upper())
        for f in files for c in f.checks if c.via_label)
    if via:
        print("Encoding checks passed through a label equivalence: %d (%s)" % (
            sum(via.values()),
            ", ".join("%s %d" % kv for kv in sorted(via.items()))))
    print("Skipped files (still run for crashes):")
    for r, n in skip_reasons.most_common():
        print("  %4d  %s" % (n, r))
    print("Not applicable (keys we do not produce): %d" % sum(na_keys.values()))
    print("  " + ", ".join("%s %d" % kv for kv in sorted(na_keys.items())))

    bad = []
    if crashes:
        bad.append("%d file(s) crashed or timed out" % len(crashes))
        print()
        print("CRASHES / TIMEOUTS:")
        for f in crashes:
            print("  %s: %s: %s" % (f.rel, f.run.status, f.run.detail))

    diffs, problems = read_differences(args.differences)
    rate = 100.0 * total["passed"] / total["applicable"] if total["applicable"] else 0
    if rate < MIN_RATE:
        bad.append("pass rate %.1f%% is below %.0f%%" % (rate, MIN_RATE))

    if args.update:
        write_differences(args.differences, failing, diffs)
        print()
        print("rewrote %s (%d lines)" % (args.differences, len(failing)))
        diffs, problems = read_differences(args.differences)

    failing_keys = {(c.path, c.key): c for c in failing}
    passing_keys = {(c.path, c.key): c for c in passing}
    seen_keys = {(c.path, c.key) for f in files for c in f.checks}
    unlisted = [c for k, c in failing_keys.items() if k not in diffs]
    stale = [k for k in diffs if k in passing_keys]
    unknown = [k for k in diffs if k not in seen_keys] if not args.only else []
    unreviewed = [k for k, r in diffs.items()
                  if k in failing_keys and not r.startswith(REASON_PREFIXES)]

    classes = collections.Counter()
    for k in failing_keys:
        r = diffs.get(k, "UNLISTED")
        classes[r.split(":")[0] if ":" in r else r] += 1
    print()
    print("Differences: %d failing checks: %s" % (
        len(failing), ", ".join("%s %d" % kv for kv in classes.most_common())))

    def detail(c):
        return "expected %s, got %s" % (_show(c.want), _show(c.got))

    if args.verbose:
        for c in sorted(failing, key=lambda c: (c.path, c.key)):
            print("  %s\t%s\t%s\n      %s" % (
                c.path, c.key, detail(c), diffs.get((c.path, c.key), "UNLISTED")))
    if problems:
        bad.append("%d malformed line(s) in the differences file" % len(problems))
        for p in problems:
            print("  " + p)
    if unlisted:
        bad.append("%d failing check(s) not in %s" % (
            len(unlisted), os.path.basename(args.differences)))
        print()
        print("FAILING, NOT LISTED (add with a reason, or run --update):")
        for c in sorted(unlisted, key=lambda c: (c.path, c.key)):
            print("  %s\t%s\t%s" % (c.path, c.key, detail(c)))
    if stale:
        bad.append("%d listed difference(s) now pass (stale)" % len(stale))
        print()
        print("STALE (listed, but the check passes now; remove the line):")
        for k in stale:
            print("  %s\t%s\t%s" % (k[0], k[1], diffs[k]))
    if unknown:
        bad.append("%d listed difference(s) name no check" % len(unknown))
        print()
        print("UNKNOWN (listed, but there is no such check):")
        for k in unknown:
            print("  %s\t%s" % k)
    if unreviewed:
        bad.append("%d listed difference(s) have no reviewed reason" % len(unreviewed))
        print()
        print("UNREVIEWED (replace with deliberate:/feedparser:/bug: and why):")
        for k in unreviewed:
            print("  %s\t%s\t%s" % (k[0], k[1], diffs[k]))

    print()
    print("applicable pass rate: %d/%d = %.1f%%" % (
        total["passed"], total["applicable"], rate))
    if bad:
        print("FAIL: " + "; ".join(bad))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
