#!/usr/bin/python3
"""Development aid for the shipped classification rules (config/rules/).

  check_rules.py [--rules DIR] [--cases FILE] [--verbose]

1. Parses every *.rules file with a small libconfig reader (and, when
   libconfig.so.9 is present, with libconfig itself, which must agree on
   the syntax), then checks the schema of config/rules/README.md: known keys,
   unique ids, class, category, scale, weight 1..100, domains present in the
   routing table, routing equal to the appendix of the district plan
   (REGULATIONS.md §5 and the seed plan), literal place lists.
2. Compiles every pattern with PCRE2 (UTF mode, JIT when available) through
   libpcre2-8 via ctypes, and again in one batch with pcre2test; lints the
   patterns for the house style (no unbounded or nested quantifiers, gaps
   <= 20, no backslashes, simplified characters only) and runs each one
   against adversarial subjects under a match limit.
3. Classifies every line of tests/classify/cases.tsv with a Python
   approximation of the engine and compares with the labels.

Approximation of the engine (what the cases encode):
  text      = OpenCC t2s (libopencc via ctypes), then full-width ASCII folded
  namesakes = masked first, in file order, every byte blanked to a space (as
              monitor/rules.c does); then any place -> in jurisdiction; an
              ambiguous term counts when its companion lies within `window`
              characters before or after it
  rules     = every rule whose pattern matches; if any exclusion matches,
              the major rules do not count (ordinary ones still do)
  kind      = major-type if a major rule counts, else ordinary if an
              ordinary rule counts, else none
  category  = category of the strongest counted major rule if any, else of
              the strongest ordinary rule (ties: the first loaded)
  departments = union of the routing of the domains of all counted rules

Traditional-character cases: converted with libopencc when it can be loaded;
the note of such a case carries "t2s=<simplified text>", which is used
instead when OpenCC is missing and is compared with OpenCC's output
otherwise.

Standard library only. Exit status 0 when everything passes.
"""

import ctypes
import ctypes.util
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RULES_DIR = os.path.join(ROOT, "config", "rules")
CASES = os.path.join(HERE, "cases.tsv")
REGULATIONS = "/work/shared/domain/REGULATIONS.md"
SEED_DIR = "/work/shared/seed"

RULE_FILES = ["emergency.rules", "ordinary.rules", "exclusions.rules",
              "jurisdiction.rules", "routing.rules"]

CLASSES = {"major", "ordinary"}
CATEGORIES = {"自然灾害", "事故灾难", "公共卫生事件", "社会安全事件", "other"}
SCALES = {"production", "environment", "geology", "food", "mass",
          "natural_district", "natural_national"}
RULE_KEYS = {"id", "pattern", "class", "category", "domain", "weight", "scale"}
RULE_REQUIRED = RULE_KEYS - {"scale"}
EXCL_KEYS = {"id", "pattern", "reason"}
JUR_KEYS = {"places", "namesakes", "ambiguous"}
AMB_KEYS = {"term", "near", "window"}
ROUTE_KEYS = {"domain", "departments"}
MAX_GAP = 20
MAX_ANCHORED_GAP = 40
MATCH_LIMIT = 1000000

failures = []
warnings = []


def fail(msg):
    failures.append(msg)


def warn(msg):
    warnings.append(msg)


# ---------------------------------------------------------------------------
# A small libconfig reader (enough for the rule files): settings, groups,
# lists, arrays, strings with adjacent-literal concatenation and escapes,
# integers, floats, booleans, #, // and /* */ comments.
# ---------------------------------------------------------------------------

class Node:
    def __init__(self, value, line):
        self.value = value
        self.line = line


TOKEN_RE = re.compile(r'''
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)L{0,2})
  | (?P<bool>(?i:true|false)\b)
  | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
  | (?P<punct>[=:;,{}()\[\]])
''', re.S | re.X)


def tokenize(src, fname):
    pos, line, toks = 0, 1, []
    while pos < len(src):
        m = TOKEN_RE.match(src, pos)
        if not m:
            raise SyntaxError("%s:%d: unexpected %r" % (fname, line, src[pos:pos + 10]))
        kind = m.lastgroup
        text = m.group(kind)
        if kind not in ("ws", "comment"):
            toks.append((kind, text, line))
        line += text.count("\n")
        pos = m.end()
    toks.append(("eof", "", line))
    return toks


def unescape(s):
    out, i = [], 0
    s = s[1:-1]
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n in '\\"':
                out.append(n)
            elif n in "nrtf":
                out.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}[n])
            elif n == "x":
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 2
            else:
                raise SyntaxError("unknown escape \\%s" % n)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Parser:
    def __init__(self, src, fname):
        self.t = tokenize(src, fname)
        self.i = 0
        self.fname = fname

    def peek(self):
        return self.t[self.i]

    def take(self, kind=None, text=None):
        tok = self.t[self.i]
        if (kind and tok[0] != kind) or (text and tok[1] != text):
            raise SyntaxError("%s:%d: expected %s, got %r" %
                              (self.fname, tok[2], text or kind, tok[1]))
        self.i += 1
        return tok

    def settings(self, end):
        out = {}
        while self.peek()[0] != end and self.peek()[1] != end:
            name = self.take("name")
            if self.peek()[1] not in ("=", ":"):
                raise SyntaxError("%s:%d: expected = after %s" % (self.fname, name[2], name[1]))
            self.i += 1
            val = self.value()
            if self.peek()[1] in (";", ","):
                self.i += 1
            if name[1] in out:
                raise SyntaxError("%s:%d: duplicate setting %s" % (self.fname, name[2], name[1]))
            out[name[1]] = val
        return out

    def value(self):
        kind, text, line = self.peek()
        if kind == "string":
            parts = []
            while self.peek()[0] == "string":
                parts.append(unescape(self.take()[1]))
            return Node("".join(parts), line)
        if kind == "number":
            self.i += 1
            t = text.rstrip("L")
            return Node(float(t) if re.search(r"[.eE]", t) and not t.lower().startswith("0x")
                        else int(t, 0), line)
        if kind == "bool":
            self.i += 1
            return Node(text.lower() == "true", line)
        if text == "{":
            self.i += 1
            v = self.settings("}")
            self.take(text="}")
            return Node(v, line)
        if text in ("(", "["):
            close = ")" if text == "(" else "]"
            self.i += 1
            items = []
            while self.peek()[1] != close:
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.i += 1
                elif self.peek()[1] != close:
                    raise SyntaxError("%s:%d: expected , or %s" % (self.fname, self.peek()[2], close))
            self.take(text=close)
            return Node(items, line)
        raise SyntaxError("%s:%d: unexpected %r" % (self.fname, line, text))


def parse_file(path):
    with open(path, encoding="utf-8") as f:
        src = f.read()
    p = Parser(src, os.path.basename(path))
    top = p.settings("eof")
    return top


# ---------------------------------------------------------------------------
# Native libraries through ctypes (all optional).
# ---------------------------------------------------------------------------

def load(names):
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            continue
    return None


class LibconfigCheck:
    """Read a file with the real libconfig, only to confirm the syntax."""

    class ConfigT(ctypes.Structure):
        _fields_ = [("root", ctypes.c_void_p), ("destructor", ctypes.c_void_p),
                    ("options", ctypes.c_int), ("tab_width", ctypes.c_ushort),
                    ("default_format", ctypes.c_short), ("include_dir", ctypes.c_char_p),
                    ("error_text", ctypes.c_char_p), ("error_file", ctypes.c_char_p),
                    ("error_line", ctypes.c_int), ("error_type", ctypes.c_int),
                    ("filenames", ctypes.c_void_p), ("num_filenames", ctypes.c_uint),
                    ("_pad", ctypes.c_char * 256)]

    def __init__(self):
        self.lib = load(["libconfig.so.9", "libconfig.so"])

    def check(self, path):
        if not self.lib:
            return None
        cf = self.ConfigT()
        self.lib.config_init(ctypes.byref(cf))
        ok = self.lib.config_read_file(ctypes.byref(cf), path.encode())
        err = None
        if not ok:
            err = "%s:%d: %s" % (path, cf.error_line,
                                 (cf.error_text or b"?").decode("utf-8", "replace"))
        self.lib.config_destroy(ctypes.byref(cf))
        return err


class Pcre2:
    UTF = 0x00080000
    JIT_COMPLETE = 1
    NOMATCH = -1

    def __init__(self):
        self.lib = load(["libpcre2-8.so.0", "libpcre2-8.so"])
        if not self.lib:
            return
        L = self.lib
        L.pcre2_compile_8.restype = ctypes.c_void_p
        L.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                      ctypes.POINTER(ctypes.c_int),
                                      ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
        L.pcre2_get_error_message_8.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        L.pcre2_jit_compile_8.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        L.pcre2_match_data_create_from_pattern_8.restype = ctypes.c_void_p
        L.pcre2_match_data_create_from_pattern_8.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        L.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                    ctypes.c_size_t, ctypes.c_uint32, ctypes.c_void_p,
                                    ctypes.c_void_p]
        L.pcre2_match_context_create_8.restype = ctypes.c_void_p
        L.pcre2_match_context_create_8.argtypes = [ctypes.c_void_p]
        L.pcre2_set_match_limit_8.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        L.pcre2_set_depth_limit_8.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        self.mctx = L.pcre2_match_context_create_8(None)
        L.pcre2_set_match_limit_8(self.mctx, MATCH_LIMIT)
        L.pcre2_set_depth_limit_8(self.mctx, 10000)

    def compile(self, pattern):
        """Return (code, None) or (None, 'message at offset N')."""
        b = pattern.encode("utf-8")
        err = ctypes.c_int()
        off = ctypes.c_size_t()
        code = self.lib.pcre2_compile_8(b, len(b), self.UTF, ctypes.byref(err),
                                        ctypes.byref(off), None)
        if not code:
            buf = ctypes.create_string_buffer(256)
            self.lib.pcre2_get_error_message_8(err.value, buf, 256)
            return None, "%s at byte offset %d" % (buf.value.decode(), off.value)
        self.lib.pcre2_jit_compile_8(code, self.JIT_COMPLETE)
        md = self.lib.pcre2_match_data_create_from_pattern_8(code, None)
        return (code, md), None

    def match(self, compiled, text):
        """1 match, 0 no match, <0 error (limit hit)."""
        code, md = compiled
        b = text.encode("utf-8")
        rc = self.lib.pcre2_match_8(code, b, len(b), 0, 0, md, self.mctx)
        if rc >= 0:
            return 1
        if rc == self.NOMATCH:
            return 0
        return rc


class OpenCC:
    def __init__(self):
        self.lib = load(["libopencc.so.1.1", "libopencc.so"])
        self.od = None
        if not self.lib:
            return
        self.lib.opencc_open.restype = ctypes.c_void_p
        self.lib.opencc_open.argtypes = [ctypes.c_char_p]
        self.lib.opencc_convert_utf8.restype = ctypes.c_void_p
        self.lib.opencc_convert_utf8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        self.lib.opencc_convert_utf8_free.argtypes = [ctypes.c_void_p]
        for cfg in ("/usr/share/opencc/t2s.json", "t2s.json"):
            od = self.lib.opencc_open(cfg.encode())
            if od and od != ctypes.c_void_p(-1).value:
                self.od = od
                break

    def t2s(self, text):
        if not self.od:
            return None
        b = text.encode("utf-8")
        p = self.lib.opencc_convert_utf8(self.od, b, len(b))
        if not p:
            return None
        out = ctypes.string_at(p).decode("utf-8")
        self.lib.opencc_convert_utf8_free(p)
        return out


def fold_fullwidth(s):
    out = []
    for c in s:
        o = ord(c)
        if 0xFF01 <= o <= 0xFF5E:
            out.append(chr(o - 0xFEE0))
        elif o == 0x3000:
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------------------
# Loading and schema checks.
# ---------------------------------------------------------------------------

def s(node):
    return node.value if isinstance(node, Node) else node


def load_rules(rules_dir):
    lc = LibconfigCheck()
    if not lc.lib:
        warn("libconfig.so.9 not found: syntax checked by the Python reader only")
    data = {"rules": [], "exclusions": [], "jurisdiction": None, "routing": []}
    ids = {}
    for fn in RULE_FILES:
        path = os.path.join(rules_dir, fn)
        if not os.path.exists(path):
            fail("%s: missing" % path)
            continue
        err = lc.check(path)
        if err:
            fail("libconfig: " + err)
        try:
            top = parse_file(path)
        except SyntaxError as e:
            fail("reader: %s" % e)
            continue
        for key, node in top.items():
            where = "%s:%d" % (fn, node.line)
            if key == "rules":
                for r in node.value:
                    data["rules"].append(check_keys(r, RULE_KEYS, RULE_REQUIRED, fn, "rule"))
            elif key == "exclusions":
                for x in node.value:
                    data["exclusions"].append(check_keys(x, EXCL_KEYS, EXCL_KEYS, fn, "exclusion"))
            elif key == "jurisdiction":
                if data["jurisdiction"] is not None:
                    warn("%s: a second jurisdiction group (merged)" % where)
                data["jurisdiction"] = check_jurisdiction(node, fn)
            elif key == "routing":
                for r in node.value:
                    data["routing"].append(check_keys(r, ROUTE_KEYS, ROUTE_KEYS, fn, "routing"))
            else:
                fail("%s: unknown section %s" % (where, key))
    for item in data["rules"] + data["exclusions"]:
        if "id" in item:
            if item["id"] in ids:
                fail("%s: duplicate id %s (first at %s)" % (item["_where"], item["id"], ids[item["id"]]))
            ids[item["id"]] = item["_where"]
    return data


def check_keys(node, allowed, required, fn, what):
    where = "%s:%d" % (fn, node.line)
    if not isinstance(node.value, dict):
        fail("%s: %s is not a group" % (where, what))
        return {"_where": where}
    out = {"_where": where, "_file": fn}
    for k, v in node.value.items():
        if k not in allowed:
            fail("%s: unknown key %s in %s" % (where, k, what))
        out[k] = v.value if not isinstance(v.value, list) else [s(x) for x in v.value]
        out["_line_" + k] = v.line
    for k in required:
        if k not in out:
            fail("%s: %s without %s" % (where, what, k))
    return out


def check_jurisdiction(node, fn):
    where = "%s:%d" % (fn, node.line)
    j = {"places": [], "namesakes": [], "ambiguous": [], "_where": where}
    for k, v in node.value.items():
        if k not in JUR_KEYS:
            fail("%s: unknown key %s in jurisdiction" % (where, k))
        elif k == "ambiguous":
            for a in v.value:
                j["ambiguous"].append(check_keys(a, AMB_KEYS, AMB_KEYS, fn, "ambiguous"))
        else:
            j[k] = [s(x) for x in v.value]
    for k in ("places", "namesakes"):
        seen = set()
        for p in j[k]:
            if p in seen:
                fail("%s: %s listed twice in %s" % (where, p, k))
            seen.add(p)
            if re.search(r"[\\^$.|?*+()\[\]{}]", p):
                fail("%s: %s in %s has regex metacharacters (lists are literal)" % (where, p, k))
    # A namesake must not eat part of a place or of a companion pair: 南洛河
    # inside 淮南洛河 would hide 洛河 from its companion 淮南.
    pairs = []
    for a in j["ambiguous"]:
        t, nr = a.get("term", ""), a.get("near", "")
        pairs += [nr + t, t + nr]
    for n in j["namesakes"]:
        for pair in pairs:
            if n in pair:
                fail("%s: namesake %s occurs inside the companion pair %s" % (where, n, pair))
        for p in j["places"]:
            for ctx in ("淮南" + p, p):
                if n in ctx and n not in p and ctx != n:
                    fail("%s: namesake %s occurs inside %s" % (where, n, ctx))
    for i, n in enumerate(j["namesakes"]):
        for m in j["namesakes"][:i]:
            if m in n:
                warn("%s: namesake %s comes after %s, which already blanks part of it"
                     % (where, n, m))
    for p in j["places"]:
        for n in j["namesakes"]:
            if n in p or (p in n and p != n):
                # a namesake inside a place would destroy the place when masked
                if n in p:
                    fail("%s: namesake %s occurs inside place %s" % (where, n, p))
    return j


def regulations_routing():
    """department -> domain, from the §5 table and from the seed appendix."""
    table, appendix = {}, {}
    try:
        with open(REGULATIONS, encoding="utf-8") as f:
            in5 = False
            for line in f:
                if line.startswith("## 5."):
                    in5 = True
                elif line.startswith("## ") and in5:
                    break
                elif in5 and line.startswith("| ") and not line.startswith("| department") \
                        and not line.startswith("|---"):
                    cells = [c.strip() for c in line.strip().strip("|").split("|")]
                    if len(cells) >= 2:
                        table[cells[0]] = cells[1]
    except OSError:
        warn("REGULATIONS.md not readable: routing not compared with §5")
    try:
        for fn in sorted(os.listdir(SEED_DIR)):
            with open(os.path.join(SEED_DIR, fn), encoding="utf-8") as f:
                txt = f.read()
            i = txt.rfind("区直各公开领域业务主管部门名单")
            if i >= 0:
                for dept, dom in re.findall(r"([^、（）\s]+?)（([^（）]+)）", txt[i:]):
                    appendix[dept] = dom
    except OSError:
        warn("seed plan not readable: routing not compared with the appendix")
    return table, appendix


def check_schema(data):
    routing = {}
    for r in data["routing"]:
        d = r.get("domain")
        if d in routing:
            fail("%s: domain %s routed twice" % (r["_where"], d))
        deps = r.get("departments") or []
        if not deps:
            fail("%s: domain %s without departments" % (r["_where"], d))
        routing[d] = deps
    table, appendix = regulations_routing()
    for src, ref in (("REGULATIONS.md §5", table), ("seed appendix", appendix)):
        if not ref:
            continue
        mine = {dep: dom for dom, deps in routing.items() for dep in deps}
        if mine != ref:
            for dep in sorted(set(mine) | set(ref)):
                if mine.get(dep) != ref.get(dep):
                    fail("routing differs from %s: %s -> %r here, %r there" %
                         (src, dep, mine.get(dep), ref.get(dep)))
    for r in data["rules"]:
        w = r["_where"]
        if r.get("class") not in CLASSES:
            fail("%s: %s: unknown class %r" % (w, r.get("id"), r.get("class")))
        if r.get("category") not in CATEGORIES:
            fail("%s: %s: unknown category %r" % (w, r.get("id"), r.get("category")))
        if r.get("domain") not in routing:
            fail("%s: %s: domain %r not in routing" % (w, r.get("id"), r.get("domain")))
        if not isinstance(r.get("weight"), int) or not 1 <= r["weight"] <= 100:
            fail("%s: %s: weight %r not in 1..100" % (w, r.get("id"), r.get("weight")))
        if "scale" in r and r["scale"] not in SCALES:
            fail("%s: %s: unknown scale %r" % (w, r.get("id"), r.get("scale")))
        if "scale" in r and r.get("class") != "major":
            fail("%s: %s: scale on a non-major rule" % (w, r.get("id")))
    used = {r.get("domain") for r in data["rules"]}
    for d in routing:
        if d not in used:
            warn("routing: domain %s is used by no rule" % d)
    j = data["jurisdiction"]
    if j:
        for a in j["ambiguous"]:
            if not isinstance(a.get("window"), int) or a["window"] < 1:
                fail("%s: bad window %r" % (a["_where"], a.get("window")))
    return routing


# ---------------------------------------------------------------------------
# Pattern checks.
# ---------------------------------------------------------------------------

def lint_pattern(p):
    """House style: only alternation, classes, groups, ?, bounded {m,n} with
    n <= MAX_GAP; lookarounds allowed; no quantified group containing a
    quantifier; no backslashes."""
    problems = []
    if "\\" in p:
        problems.append("backslash")
    i, depth_has_quant, stack = 0, [False], []
    while i < len(p):
        c = p[i]
        if c == "[":
            j = i + 1
            if j < len(p) and p[j] == "^":
                j += 1
            if j < len(p) and p[j] == "]":
                j += 1
            while j < len(p) and p[j] != "]":
                j += 1
            i = j + 1
            continue
        if c == "(":
            stack.append(i)
            depth_has_quant.append(False)
            i += 1
            continue
        if c == ")":
            inner = depth_has_quant.pop()
            stack.pop() if stack else None
            k = i + 1
            if k < len(p) and p[k] in "*+{":
                problems.append("quantified group at %d" % i)
            if k < len(p) and p[k] == "?" and inner:
                # optional group with a bounded gap inside: fine (no repetition)
                pass
            if inner:
                depth_has_quant[-1] = True
            i += 1
            continue
        if c in "*+":
            problems.append("unbounded quantifier %s at %d" % (c, i))
            depth_has_quant[-1] = True
        if c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
            if m:
                # a gap right after ^ (headline anchor) may be longer: it is
                # tried once, not at every position
                limit = MAX_ANCHORED_GAP if p[:i] in ("^.", "^(?:.", "^[^。]") else MAX_GAP
                if m.group(2) and m.group(3) == "":
                    problems.append("open-ended {n,} at %d" % i)
                elif int(m.group(3) or m.group(1)) > limit:
                    problems.append("gap %s > %d at %d" % (m.group(0), MAX_GAP, i))
                depth_has_quant[-1] = True
                i += len(m.group(0))
                continue
        i += 1
    if re.search(r"\.\{0,\d+\}\.\{", p):
        problems.append("adjacent gaps")
    return problems


def pcre2test_compile(patterns):
    """Compile every pattern with pcre2test in one batch. Returns a list of
    (index, message) for failures, or None when pcre2test is missing."""
    exe = "/usr/bin/pcre2test"
    if not os.path.exists(exe):
        return None
    lines = []
    delims = "/!%@~;#"
    for idx, p in enumerate(patterns):
        d = next((c for c in delims if c not in p), None)
        if d is None:
            lines.append("/x/")
        else:
            lines.append("%s%s%s%s" % (d, p, d, "utf,jit"))
        lines.append("")
    with tempfile.NamedTemporaryFile("w", suffix=".in", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
        name = f.name
    try:
        out = subprocess.run([exe, name], capture_output=True, text=True, timeout=120).stdout
    finally:
        os.unlink(name)
    errors = []
    # pcre2test echoes each pattern; a failure is followed by "Failed: ..."
    blocks = out.split("\n\n")
    k = 0
    for blk in blocks:
        if blk.startswith("PCRE2 version"):
            # the banner shares its block with the first pattern
            blk = blk.split("\n", 1)[1] if "\n" in blk else ""
        if not blk.strip():
            continue
        if "Failed:" in blk:
            errors.append((k, blk.strip().splitlines()[-1]))
        k += 1
    return errors


def adversarial_subjects():
    base = "淮南市大通区" * 10
    return [
        "瓦" * 20000,
        "的" * 20000,
        ("煤矿井下工作面" * 3000),
        ("发生发生发生爆" * 3000),
        ("学校学生老师" * 3000),
        ("(" * 5000) + base,
        "a" * 30000,
        ("火灾隐患" * 5000),
        ("投诉举报反映" * 4000),
    ]


# ---------------------------------------------------------------------------
# The approximation of the engine.
# ---------------------------------------------------------------------------

class Engine:
    def __init__(self, data, routing, pcre, opencc):
        self.data = data
        self.routing = routing
        self.pcre = pcre
        self.opencc = opencc
        self.rules = []
        self.excl = []
        for r in data["rules"]:
            c = self.compile(r)
            if c is not None:
                self.rules.append((r, c))
        for x in data["exclusions"]:
            c = self.compile(x)
            if c is not None:
                self.excl.append((x, c))
        j = data["jurisdiction"] or {"places": [], "namesakes": [], "ambiguous": []}
        self.places = j["places"]
        self.namesakes = list(j["namesakes"])
        self.ambiguous = j["ambiguous"]
        self.order = list(routing)

    def compile(self, item):
        p = item.get("pattern", "")
        if self.pcre.lib:
            c, err = self.pcre.compile(p)
            if err:
                fail("%s: %s: PCRE2: %s" % (item["_where"], item.get("id"), err))
                return None
            return c
        try:
            return re.compile(p)
        except re.error as e:
            fail("%s: %s: re: %s" % (item["_where"], item.get("id"), e))
            return None

    def match(self, compiled, text, item):
        if self.pcre.lib:
            rc = self.pcre.match(compiled, text)
            if rc < 0:
                fail("%s: %s hit a match limit (rc %d)" % (item["_where"], item.get("id"), rc))
                return False
            return rc == 1
        return compiled.search(text) is not None

    def jurisdiction(self, t):
        for n in self.namesakes:
            t = t.replace(n, " " * len(n.encode("utf-8")))
        for p in self.places:
            if p in t:
                return 1, "place " + p
        for a in self.ambiguous:
            term, near, w = a["term"], a["near"], a["window"]
            start = t.find(term)
            while start >= 0:
                lo = max(0, start - w)
                hi = start + len(term) + w
                if near in t[lo:hi]:
                    return 1, "%s near %s" % (term, near)
                start = t.find(term, start + 1)
        return 0, ""

    def classify(self, t):
        matched = [r for r, c in self.rules if self.match(c, t, r)]
        vetoes = [x for x, c in self.excl if self.match(c, t, x)]
        counted = [r for r in matched if r["class"] == "ordinary" or not vetoes]
        if any(r["class"] == "major" for r in counted):
            kind = "major-type"
        elif counted:
            kind = "ordinary"
        else:
            kind = "none"
        category = "-"
        pool = [r for r in counted if r["class"] == "major"] or counted
        if pool:
            best = pool[0]
            for r in pool[1:]:
                if r["weight"] > best["weight"]:
                    best = r
            category = best["category"]
        deps = []
        for d in self.order:
            if any(r["domain"] == d for r in counted):
                for dep in self.routing[d]:
                    if dep not in deps:
                        deps.append(dep)
        return kind, category, deps, matched, vetoes


def norm(text, opencc, note):
    """t2s + full-width folding; returns (text, source)."""
    hint = None
    m = re.search(r"t2s=(.*)$", note)
    if m:
        hint = m.group(1).strip()
    conv = opencc.t2s(text) if opencc.od else None
    if conv is not None:
        if hint is not None and fold_fullwidth(conv) != fold_fullwidth(hint):
            warn("t2s note differs from OpenCC: note %r, OpenCC %r" % (hint, conv))
        return fold_fullwidth(conv), "opencc"
    if hint is not None:
        return fold_fullwidth(hint), "note"
    return fold_fullwidth(text), "as-is"


def main():
    args = sys.argv[1:]
    rules_dir, cases, verbose = RULES_DIR, CASES, False
    while args:
        a = args.pop(0)
        if a == "--rules":
            rules_dir = args.pop(0)
        elif a == "--cases":
            cases = args.pop(0)
        elif a in ("-v", "--verbose"):
            verbose = True
        else:
            print(__doc__)
            return 2

    data = load_rules(rules_dir)
    routing = check_schema(data)

    pcre = Pcre2()
    if not pcre.lib:
        warn("libpcre2-8 not loadable: matching with Python re (an approximation)")
    opencc = OpenCC()
    if not opencc.od:
        warn("libopencc not loadable: traditional cases use their t2s= note")

    items = data["rules"] + data["exclusions"]
    for it in items:
        for prob in lint_pattern(it.get("pattern", "")):
            fail("%s: %s: style: %s" % (it["_where"], it.get("id"), prob))
        if opencc.od:
            p = it.get("pattern", "")
            conv = opencc.t2s(p)
            if conv is not None and conv != p:
                diff = [(a, b) for a, b in zip(p, conv) if a != b]
                fail("%s: %s: OpenCC t2s would change the pattern (%s): traditional characters"
                     " never match (items are converted first)"
                     % (it["_where"], it.get("id"), " ".join("%s>%s" % d for d in diff[:5])))

    errs = pcre2test_compile([it.get("pattern", "") for it in items])
    if errs is None:
        warn("pcre2test not found: patterns compiled through libpcre2-8 only")
    else:
        for k, msg in errs:
            it = items[k] if k < len(items) else {"_where": "?", "id": "?"}
            fail("%s: %s: pcre2test: %s" % (it["_where"], it.get("id"), msg))

    eng = Engine(data, routing, pcre, opencc)

    # Adversarial subjects under the match limit; report the slowest.
    slow = []
    for it, c in eng.rules + eng.excl:
        t0 = time.perf_counter()
        for subj in adversarial_subjects():
            eng.match(c, subj, it)
        slow.append((time.perf_counter() - t0, it.get("id")))
    slow.sort(reverse=True)

    # Cases.
    hits = {it.get("id"): 0 for it, _ in eng.rules + eng.excl}
    n = bad = 0
    stats = {"jur": [0, 0], "kind": {}, "trad": 0, "trad_src": {}}
    try:
        f = open(cases, encoding="utf-8")
    except OSError as e:
        fail("cases: %s" % e)
        f = []
    for lineno, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 6:
            fail("cases.tsv:%d: %d columns, want 6" % (lineno, len(cols)))
            continue
        text, jur, kind, cat, deps, note = cols
        n += 1
        t, src = norm(text, opencc, note)
        if "t2s=" in note:
            stats["trad"] += 1
            stats["trad_src"][src] = stats["trad_src"].get(src, 0) + 1
        gj, why = eng.jurisdiction(t)
        gk, gc, gd, matched, vetoes = eng.classify(t)
        for r in matched:
            hits[r["id"]] += 1
        for x in vetoes:
            hits[x["id"]] += 1
        want_d = [] if deps == "-" else deps.split(",")
        problems = []
        if jur not in ("0", "1"):
            problems.append("bad in_jurisdiction %r" % jur)
        elif int(jur) != gj:
            problems.append("jurisdiction %d, want %s" % (gj, jur))
        if gk != kind:
            problems.append("kind %s, want %s" % (gk, kind))
        if gc != cat:
            problems.append("category %s, want %s" % (gc, cat))
        if set(gd) != set(want_d):
            problems.append("departments %s, want %s" % (",".join(gd) or "-", deps))
        stats["jur"][gj] += 1
        stats["kind"][kind] = stats["kind"].get(kind, 0) + 1
        if problems or verbose:
            tag = "FAIL" if problems else "ok"
            print("%s cases.tsv:%d: %s" % (tag, lineno, text[:60]))
            if problems:
                print("     " + "; ".join(problems))
            print("     rules: %s | vetoes: %s | jur: %s" % (
                ",".join(r["id"] for r in matched) or "-",
                ",".join(x["id"] for x in vetoes) or "-", why or "-"))
        if problems:
            bad += 1
            fail("cases.tsv:%d: %s" % (lineno, "; ".join(problems)))

    print()
    print("rules: %d (%d major, %d ordinary), exclusions: %d, places: %d, namesakes: %d, "
          "ambiguous: %d, routing: %d domains" % (
              len(data["rules"]),
              sum(1 for r in data["rules"] if r.get("class") == "major"),
              sum(1 for r in data["rules"] if r.get("class") == "ordinary"),
              len(data["exclusions"]),
              len((data["jurisdiction"] or {}).get("places", [])),
              len((data["jurisdiction"] or {}).get("namesakes", [])),
              len((data["jurisdiction"] or {}).get("ambiguous", [])), len(routing)))
    print("matching: %s; t2s: %s" % ("PCRE2 (libpcre2-8, UTF, JIT)" if pcre.lib else "Python re",
                                     "OpenCC t2s.json" if opencc.od else "notes"))
    print("cases: %d, %d failing; in jurisdiction %d / out %d; kinds %s; traditional %d %s" % (
        n, bad, stats["jur"][1], stats["jur"][0], stats["kind"], stats["trad"], stats["trad_src"]))
    unhit = [k for k, v in hits.items() if v == 0]
    if unhit:
        warn("rules or exclusions matched by no case: %s" % ", ".join(unhit))
    print("slowest patterns on adversarial subjects: %s" % ", ".join(
        "%s %.1f ms" % (i, t * 1000) for t, i in slow[:3]))
    for w in warnings:
        print("warning: " + w)
    if failures:
        print()
        print("%d problem(s):" % len(failures))
        for m in failures:
            print("  " + m)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
