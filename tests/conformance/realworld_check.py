#!/usr/bin/python3
"""Real feeds captured from Chinese sites, through `yuqingctl feed-dump`.

Usage: realworld_check.py CONFORMANCE_DIR [-v]

CONFORMANCE_DIR holds realworld/ (see its SOURCES.md); exit 77 (skip) if it
is absent.  The binary is $YQ_YUQINGCTL (default /work/main/build/yuqingctl).
Every feed is run with the tool's defaults (no --charset, no --base, the
default zone Asia/Shanghai), as the monitor would see a file it fetched
without a charset in the Content-Type.

For every feed file (everything in realworld/ but *.md):
  - feed-dump exits 0 within 10 s, no crash, no sanitizer report;
  - the feed is usable and not recovered (these are well-formed documents),
    with no charset errors and nothing dropped;
  - if Python can read it itself (declared encoding, gb2312 read as gb18030
    as every browser does; RSS 0.9x/2.0, RSS 1.0 or Atom), the number of
    items, each item's title and text (normalised as in yqconf.normalise;
    text is the RSS description, else content:encoded, or the Atom
    summary, else content; null counts as empty) and link match what
    Python's own XML parser finds, in document order.

And per file, the facts SOURCES.md states (EXTRA below); for
qq-news-china-gb2312.xml: charset GB18030 from the XML declaration (which
says gb2312), format rss20, 20 items, no guid (so the keys, which fall back
to the link, are distinct), and each zone-less pubDate such as
"2018-09-18 14:38:10" reported as published "2018-09-18T14:38:10+08:00".
"""

import argparse
import codecs
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yqconf  # noqa: E402

ATOM = "{http://www.w3.org/2005/Atom}"


def declared_encoding(data):
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return enc
    m = re.match(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)", data)
    enc = m.group(1).decode("ascii").lower() if m else "utf-8"
    return "gb18030" if enc in ("gb2312", "gbk", "x-gbk") else enc


def python_items(data):
    """[(title, link, pubDate-or-None, text)] as Python reads the feed, or
    None; text is the RSS description (else content:encoded) or the Atom
    summary (else content)."""
    try:
        text = data.decode(declared_encoding(data))
    except (LookupError, UnicodeDecodeError):
        return None
    text = text.lstrip("\ufeff")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None

    def local(tag):
        return tag.rsplit("}", 1)[-1]

    def text_of(el, *names):
        for name in names:
            for c in el:
                if local(c.tag) == name:
                    return "".join(c.itertext())
        return None

    items = []
    for el in root.iter():
        if local(el.tag) == "item":
            items.append((
                text_of(el, "title"), text_of(el, "link"),
                text_of(el, "pubDate"), text_of(el, "description", "encoded"),
            ))
        elif el.tag == ATOM + "entry":
            link = None
            for c in el.findall(ATOM + "link"):
                if c.get("rel", "alternate") == "alternate":
                    link = c.get("href")
                    break
            items.append((text_of(el, "title"), link, None,
                          text_of(el, "summary", "content")))
    return items


def check_qq(run, expected, fail):
    feed = run.feed
    if feed.get("charset") != "GB18030":
        fail("charset %r, want GB18030 (declared gb2312)" % feed.get("charset"))
    if feed.get("charset_from") != "xml":
        fail("charset_from %r, want xml" % feed.get("charset_from"))
    if feed.get("format") != "rss20":
        fail("format %r, want rss20" % feed.get("format"))
    if len(run.items) != 20 or feed.get("items") != 20:
        fail("%d item lines, feed.items %r, want 20" % (
            len(run.items), feed.get("items")))
    if feed.get("title") != "新闻国内":
        fail("feed title %r, want '新闻国内'" % feed.get("title"))
    keys = [it.get("key") for it in run.items]
    if len(set(keys)) != len(keys) or None in keys or "" in keys:
        fail("item keys are not distinct and non-empty: %r" % keys)
    for i, (it, (_, _, pub, _)) in enumerate(zip(run.items, expected or [])):
        if it.get("guid") is not None:
            fail("item %d: guid %r, the file has none" % (i, it.get("guid")))
        pub = (pub or "").strip()
        m = re.fullmatch(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)", pub)
        if not m:
            fail("item %d: test expects a zone-less pubDate, found %r" % (i, pub))
            continue
        want = "%sT%s+08:00" % m.groups()
        if it.get("published") != want:
            fail("item %d: published %r, want %r (pubDate %r in Asia/Shanghai)"
                 % (i, it.get("published"), want, pub))
        if (it.get("published_raw") or "").strip() != pub:
            fail("item %d: published_raw %r, want %r" % (
                i, it.get("published_raw"), pub))


EXTRA = {"qq-news-china-gb2312.xml": check_qq}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("conformance_dir")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    root = os.path.join(args.conformance_dir, "realworld")
    if not os.path.isdir(root):
        print("SKIP: no real-world corpus at %s" % root)
        return 77
    names = sorted(
        n for n in os.listdir(root)
        if not n.endswith(".md") and os.path.isfile(os.path.join(root, n))
    )
    if not names:
        print("SKIP: no feeds in %s" % root)
        return 77
    failures = 0
    for name in names:
        path = os.path.join(root, name)
        problems = []
        fail = problems.append
        run = yqconf.run_feed_dump(path, timeout=10.0)
        if run.status != "ok":
            fail("%s: %s" % (run.status, run.detail))
        else:
            feed = run.feed
            if run.rc != 0 or not feed.get("usable"):
                fail("not usable (exit %d): %s" % (run.rc, feed.get("reason")
                                                   or run.stderr.strip()))
            if feed.get("recovered"):
                fail("recovered: %s" % feed.get("reason"))
            if feed.get("charset_errors"):
                fail("%d charset errors" % feed.get("charset_errors"))
            if feed.get("dropped"):
                fail("%d items dropped" % feed.get("dropped"))
            with open(path, "rb") as fp:
                expected = python_items(fp.read())
            if expected is None:
                print("  note: %s: Python cannot read it; titles not compared"
                      % name)
            else:
                if len(run.items) != len(expected):
                    fail("%d items, Python finds %d" % (
                        len(run.items), len(expected)))
                for i, (it, (title, link, _, text)) in enumerate(
                        zip(run.items, expected)):
                    want = yqconf.normalise(title)
                    if it.get("title") != want:
                        fail("item %d: title %r, want %r" % (
                            i, it.get("title"), want))
                    want = (link or "").strip() or None
                    if it.get("link") != want:
                        fail("item %d: link %r, want %r" % (
                            i, it.get("link"), want))
                    want = yqconf.normalise(text)
                    if (it.get("text") or "") != want:
                        fail("item %d: text %r, want %r" % (
                            i, it.get("text"), want))
                    if args.verbose:
                        print("  %2d %s  %s  %s" % (
                            i, it.get("published"), it.get("title"),
                            it.get("link")))
            if name in EXTRA:
                EXTRA[name](run, expected, fail)
        print("%s %s (%d items)" % (
            "FAIL" if problems else "ok  ", name, len(run.items)))
        for p in problems:
            print("    " + p)
        failures += bool(problems)
    print("%d/%d real-world feeds pass" % (len(names) - failures, len(names)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
