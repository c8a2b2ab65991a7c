#!/usr/bin/python3
"""classify_patterns.py: every `pattern = "..."` of the rule files, as the
daemon reads them, for the peers of the classifier benchmark.

    classify_patterns.py OUTDIR RULEFILE...

Reads the rule files with a small libconfig lexer (strings with their
escapes undone, adjacent strings concatenated as libconfig does, `#`,
`//` and `/* */` comments skipped) and writes to OUTDIR:

  patterns.json      [{"id", "kind" ("rule"|"exclusion"), "class",
                      "file", "pattern"}] in load order (rules of each
                      file, then its exclusions, as rules.c does)
  patterns.txt       one pattern per line, exactly as PCRE2 gets it
                     (for `rg -P -f`)
  patterns-rust.txt  the same with every lookaround removed: ripgrep's
                     default engine (Rust regex) has no lookaround, so
                     `rg -f` (no -P) can only run these; each is a
                     superset of its original (a removed negative
                     lookahead only vetoes matches)

  prefilter.tsv      per pattern (same order): its index, then the
                     literal strings one of which every match of it must
                     contain, tab-separated (none: the pattern has no
                     such set and always runs). For the prefilter
                     experiment of classify_pcre.c, not for the product.

The literal sets come from Python's own regex parser (re._parser): a
sequence needs what its most selective element needs, an alternation
the union of its branches (nothing if one branch needs nothing), a
repeat with a minimum of 0 nothing, adjacent fixed strings are joined
(`(的)?爆炸` needs 爆炸, `(安全)?(生产)?事故` needs 事故); lookarounds
consume nothing. classify_pcre.c checks on the corpus that the
prefiltered matches equal the full ones.

Nothing here compiles a pattern for the product; the benchmark checks
that Python and ripgrep accept every one.
"""
import json
import os
import re
import sys


def lex_strings(src, pos):
    """Parse one or more adjacent libconfig string literals at src[pos:]
    (whitespace and comments between them allowed). Returns (value, end)."""
    out = []
    i = pos
    n = len(src)
    while True:
        # skip whitespace and comments
        while i < n:
            if src[i] in ' \t\r\n':
                i += 1
            elif src[i] == '#' or src.startswith('//', i):
                j = src.find('\n', i)
                i = n if j < 0 else j + 1
            elif src.startswith('/*', i):
                j = src.find('*/', i + 2)
                i = n if j < 0 else j + 2
            else:
                break
        if i >= n or src[i] != '"':
            break
        i += 1
        buf = bytearray()
        while True:
            if i >= n:
                raise ValueError('unterminated string')
            c = src[i]
            if c == '"':
                i += 1
                break
            if c == '\\':
                e = src[i + 1]
                if e == 'x':
                    buf.append(int(src[i + 2:i + 4], 16))
                    i += 4
                    continue
                buf += {'n': '\n', 'r': '\r', 't': '\t', 'f': '\f',
                        '\\': '\\', '"': '"'}.get(e, '\\' + e).encode()
                i += 2
                continue
            buf += c.encode('utf-8')
            i += 1
        out.append(buf.decode('utf-8', 'replace'))
    if not out:
        raise ValueError('expected a string at offset %d' % pos)
    return ''.join(out), i


def strip_comments_outside_strings(src):
    """Indices of the source that are code (not in a comment or string),
    used to find `key = ` tokens that are not inside comments."""
    code = [True] * len(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            for k in range(i, min(j + 1, n)):
                code[k] = False
            i = j + 1
        elif c == '#' or src.startswith('//', i):
            j = src.find('\n', i)
            j = n if j < 0 else j
            for k in range(i, j):
                code[k] = False
            i = j
        elif src.startswith('/*', i):
            j = src.find('*/', i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                code[k] = False
            i = j
        else:
            i += 1
    return code


KEY = re.compile(r'\b(id|pattern|class)\s*[=:]\s*')
SECTION = re.compile(r'\b(rules|exclusions|jurisdiction|routing)\s*[=:]\s*')


def read_rules(path):
    src = open(path, encoding='utf-8').read()
    code = strip_comments_outside_strings(src)
    # where each section starts (only in code)
    sections = [(m.start(), m.group(1)) for m in SECTION.finditer(src)
                if code[m.start()]]
    rules, excl = [], []
    cur = None
    for m in KEY.finditer(src):
        if not code[m.start()]:
            continue
        sect = None
        for off, name in sections:
            if off <= m.start():
                sect = name
        if sect not in ('rules', 'exclusions'):
            continue
        val, _ = lex_strings(src, m.end())
        key = m.group(1)
        if key == 'id':
            cur = {'id': val, 'kind': 'rule' if sect == 'rules'
                   else 'exclusion', 'class': '-',
                   'file': os.path.basename(path)}
            (rules if sect == 'rules' else excl).append(cur)
        elif key == 'pattern':
            cur['pattern'] = val
        elif key == 'class':
            cur['class'] = val
    for r in rules + excl:
        if 'pattern' not in r:
            raise ValueError('%s: %s has no pattern' % (path, r['id']))
    return rules, excl


def strip_lookaround(p):
    """Remove every (?=..), (?!..), (?<=..), (?<!..) group (balanced
    parentheses, escapes and classes respected)."""
    out = []
    i, n = 0, len(p)
    while i < n:
        if p.startswith(('(?=', '(?!', '(?<=', '(?<!'), i):
            depth, j, cls = 0, i, False
            while j < n:
                c = p[j]
                if c == '\\':
                    j += 2
                    continue
                if cls:
                    cls = c != ']'
                elif c == '[':
                    cls = True
                elif c == '(':
                    depth += 1
                elif c == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        out.append(p[i])
        i += 1
    return ''.join(out)


# ---------------------------------------------------------------------------
# required literals (for the prefilter experiment)
try:
    from re import _parser as sre_parse  # 3.11+
    from re import _constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants as sre_c

EXACT_MAX = 64  # most strings a fixed set may hold


def _score(lits):
    """Higher is more selective: the shortest literal (bytes), then fewer."""
    return (min(len(x.encode()) for x in lits), -len(lits))


def _minimise(lits):
    """Drop literals that contain another one of the set."""
    lits = sorted(set(lits), key=len)
    out = []
    for x in lits:
        if not any(y in x for y in out):
            out.append(x)
    return out


def _exact(items):
    """The finite set of strings a sequence matches, or None."""
    acc = {''}
    for op, av in items:
        e = _exact_node(op, av)
        if e is None:
            return None
        acc = {a + b for a in acc for b in e}
        if len(acc) > EXACT_MAX:
            return None
    return acc


def _exact_node(op, av):
    if op == sre_c.LITERAL:
        return {chr(av)}
    if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
        return {''}
    if op == sre_c.SUBPATTERN:
        return _exact(list(av[-1]))
    if op == sre_c.BRANCH:
        out = set()
        for b in av[1]:
            e = _exact(list(b))
            if e is None:
                return None
            out |= e
            if len(out) > EXACT_MAX:
                return None
        return out
    if op == sre_c.IN:
        out = set()
        for iop, iav in av:
            if iop == sre_c.LITERAL:
                out.add(chr(iav))
            elif iop == sre_c.RANGE and iav[1] - iav[0] < 16:
                out |= {chr(c) for c in range(iav[0], iav[1] + 1)}
            else:
                return None
        return out if len(out) <= 16 else None
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, hi, sub = av
        if hi == 1:
            e = _exact(list(sub))
            if e is None:
                return None
            return e | {''} if lo == 0 else e
        return None
    return None


def _req(items):
    """Literal set one of which every match of the sequence contains."""
    cands = []
    run = []

    def flush():
        # join adjacent fixed parts while the set stays small; where it
        # would not, start a new part
        acc = {''}
        for op, av in run:
            e = _exact_node(op, av)
            nxt = {a + b for a in acc for b in e}
            if len(nxt) > EXACT_MAX:
                if '' not in acc:
                    cands.append(acc)
                nxt = e
            acc = nxt
        if '' not in acc:
            cands.append(acc)
        run.clear()

    for op, av in items:
        if _exact_node(op, av) is not None:
            run.append((op, av))
            continue
        flush()
        r = _req_node(op, av)
        if r is not None:
            cands.append(r)
    flush()
    cands = [_minimise(c) for c in cands if c and '' not in c]
    if not cands:
        return None
    return max(cands, key=_score)


def _req_node(op, av):
    if op == sre_c.SUBPATTERN:
        return _req(list(av[-1]))
    if op == sre_c.BRANCH:
        out = []
        for b in av[1]:
            r = _req(list(b))
            if r is None:
                return None
            out += r
        return _minimise(out)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, hi, sub = av
        return _req(list(sub)) if lo >= 1 else None
    e = _exact_node(op, av)
    if e is not None and '' not in e:
        return sorted(e)
    return None


def required_literals(pattern):
    r = _req(list(sre_parse.parse(pattern)))
    if r is None:
        return []
    # a set of one-byte literals filters nothing
    if _score(r)[0] < 2:
        return []
    return r


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    allp = []
    for f in sys.argv[2:]:
        rules, excl = read_rules(f)
        allp += rules + excl
    for p in allp:
        if '\n' in p['pattern']:
            sys.exit('pattern %s has a newline' % p['id'])
    with open(os.path.join(outdir, 'patterns.json'), 'w',
              encoding='utf-8') as fh:
        json.dump(allp, fh, ensure_ascii=False, indent=1)
    with open(os.path.join(outdir, 'patterns.txt'), 'w',
              encoding='utf-8') as fh:
        for p in allp:
            fh.write(p['pattern'] + '\n')
    nlook = 0
    with open(os.path.join(outdir, 'patterns-rust.txt'), 'w',
              encoding='utf-8') as fh:
        for p in allp:
            s = strip_lookaround(p['pattern'])
            nlook += s != p['pattern']
            fh.write(s + '\n')
    nopre = 0
    with open(os.path.join(outdir, 'prefilter.tsv'), 'w',
              encoding='utf-8') as fh:
        for i, p in enumerate(allp):
            lits = required_literals(p['pattern'])
            nopre += not lits
            fh.write('\t'.join([str(i)] + lits) + '\n')
    nr = sum(p['kind'] == 'rule' for p in allp)
    print('classify_patterns: %d patterns (%d rules, %d exclusions), '
          '%d with lookaround, %d without a required literal set'
          % (len(allp), nr, len(allp) - nr, nlook, nopre),
          file=sys.stderr)


if __name__ == '__main__':
    main()
