#!/usr/bin/python3
"""classify_py.py: the Python side of the classifier benchmark, and two
helpers.

  classify_py.py each PATTERNS.json CORPUS [--limit N]
      Python's re: every pattern compiled once; per line, search every
      pattern (the work shape of classify_text(): every rule and every
      exclusion for every text). Prints one JSON object; the time is the
      loop only (interpreter start-up, reading the corpus and compiling
      are outside it).
  classify_py.py combined PATTERNS.json CORPUS [--limit N]
      One alternation (?:p1)|(?:p2)|... searched once per line (the
      question rg -f answers: does any pattern match).
  classify_py.py simplify CORPUS OUT
      The text as classify_text() matches it: full-width ASCII folded,
      whitespace collapsed, OpenCC t2s (libopencc through ctypes). For
      classify_pcre.c and the check below.
  classify_py.py check PATTERNS.json SIMPLIFIED OURS.tsv
      Agreement of the extracted patterns with the product: per line,
      the rules Python's re finds on the simplified text (major ones
      dropped when an exclusion matches) against the rule_ids column of
      `yuqingctl classify`. Prints one JSON object.
  classify_py.py t2sskip TSCharacters.txt TSPhrases.txt CORPUS
      For the "skip OpenCC" proposal: the characters t2s can change (from
      OpenCC's own dictionaries, dumped with opencc_dict), how many texts
      hold none of them, and a check that t2s leaves each of those as it
      is. Prints one JSON object.

Python's re works on the raw corpus in `each` and `combined` (no t2s, no
jurisdiction, no figures): it answers an easier question than ours.
"""
import ctypes
import ctypes.util
import json
import re
import sys
import time


def load(pjson):
    return json.load(open(pjson, encoding='utf-8'))


def corpus(path, limit):
    lines = open(path, encoding='utf-8').read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return lines[:limit] if limit else lines


def arg_limit(argv):
    if '--limit' in argv:
        i = argv.index('--limit')
        n = int(argv[i + 1])
        del argv[i:i + 2]
        return n
    return 0


def cmd_each(argv):
    limit = arg_limit(argv)
    pats = load(argv[0])
    lines = corpus(argv[1], limit)
    t = time.perf_counter()
    comp = [re.compile(p['pattern']) for p in pats]
    tc = time.perf_counter() - t
    hits = 0
    anyl = 0
    c0 = time.process_time()
    t = time.perf_counter()
    for line in lines:
        n = 0
        for c in comp:
            if c.search(line) is not None:
                n += 1
        hits += n
        anyl += n > 0
    dt = time.perf_counter() - t
    cpu = time.process_time() - c0
    print(json.dumps({'side': 'python-each', 'texts': len(lines),
                      'seconds': dt, 'cpu_seconds': cpu,
                      'texts_per_s': len(lines) / dt,
                      'compile_s': tc, 'pattern_hits': hits,
                      'lines_matching_any': anyl}))


def cmd_combined(argv):
    limit = arg_limit(argv)
    pats = load(argv[0])
    lines = corpus(argv[1], limit)
    t = time.perf_counter()
    comb = re.compile('|'.join('(?:%s)' % p['pattern'] for p in pats))
    tc = time.perf_counter() - t
    anyl = 0
    c0 = time.process_time()
    t = time.perf_counter()
    for line in lines:
        if comb.search(line) is not None:
            anyl += 1
    dt = time.perf_counter() - t
    cpu = time.process_time() - c0
    print(json.dumps({'side': 'python-combined', 'texts': len(lines),
                      'seconds': dt, 'cpu_seconds': cpu,
                      'texts_per_s': len(lines) / dt,
                      'compile_s': tc, 'lines_matching_any': anyl}))


class T2S:
    def __init__(self):
        name = ctypes.util.find_library('opencc') or 'libopencc.so.1.1'
        lib = ctypes.CDLL(name)
        lib.opencc_open.restype = ctypes.c_void_p
        lib.opencc_open.argtypes = [ctypes.c_char_p]
        lib.opencc_convert_utf8.restype = ctypes.c_void_p
        lib.opencc_convert_utf8.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                            ctypes.c_size_t]
        lib.opencc_convert_utf8_free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.h = lib.opencc_open(b't2s.json')

    def __call__(self, s):
        b = s.encode('utf-8')
        p = self.lib.opencc_convert_utf8(self.h, b, len(b))
        out = ctypes.string_at(p).decode('utf-8')
        self.lib.opencc_convert_utf8_free(p)
        return out


FOLD = {c: c - 0xfee0 for c in range(0xff01, 0xff5f)}
SPACE = re.compile('[ \t\n\r\u00a0\u3000\u2028\u2029\x0b\x0c]+')


def normalise(s):
    return SPACE.sub(' ', s.translate(FOLD)).strip()


def cmd_simplify(argv):
    t2s = T2S()
    with open(argv[1], 'w', encoding='utf-8') as out:
        for line in corpus(argv[0], 0):
            out.write(t2s(normalise(line)) + '\n')


def cmd_check(argv):
    pats = load(argv[0])
    lines = corpus(argv[1], 0)
    ours = [ln.rstrip('\n').split('\t') for ln in
            open(argv[2], encoding='utf-8')]
    rules = [(p['id'], p['class'] == 'major', re.compile(p['pattern']))
             for p in pats if p['kind'] == 'rule']
    excl = [re.compile(p['pattern']) for p in pats
            if p['kind'] == 'exclusion']
    same = 0
    diff = []
    for i, line in enumerate(lines):
        vetoed = any(e.search(line) for e in excl)
        got = {rid for rid, major, c in rules
               if c.search(line) and not (major and vetoed)}
        want = set() if ours[i][5] == '-' else set(ours[i][5].split(','))
        if got == want:
            same += 1
        elif len(diff) < 5:
            diff.append({'line': i + 1, 'python': sorted(got),
                         'ours': sorted(want)})
    print(json.dumps({'texts': len(lines), 'same_rule_sets': same,
                      'differ': len(lines) - same, 'examples': diff},
                     ensure_ascii=False))


def t2s_changes(chars_file, phrases_file):
    """What t2s can change: the characters TSCharacters maps to something
    else (first value), and the TSPhrases keys that change and hold none
    of those characters (the others are caught by their character). A
    text with none of the characters and none of those phrases is left as
    it is: every dictionary entry that can match in it maps to itself."""
    def entries(path):
        for ln in open(path, encoding='utf-8'):
            parts = ln.rstrip('\n').split('\t')
            if len(parts) >= 2:
                yield parts[0], parts[1].split(' ')[0]
    chars = {k for k, v in entries(chars_file) if k != v}
    phrases = [k for k, v in entries(phrases_file)
               if k != v and not any(c in chars for c in k)]
    return chars, phrases


def cmd_t2sskip(argv):
    chars, phrases = t2s_changes(argv[0], argv[1])
    t2s = T2S()
    lines = [normalise(x) for x in corpus(argv[2], 0)]
    need = [any(ch in chars for ch in x) or any(p in x for p in phrases)
            for x in lines]
    bad = sum(1 for x, n in zip(lines, need) if not n and t2s(x) != x)
    t = time.perf_counter()
    for x in lines:
        t2s(x)
    t_all = time.perf_counter() - t
    t = time.perf_counter()
    for x, n in zip(lines, need):
        if n:
            t2s(x)
    t_need = time.perf_counter() - t
    print(json.dumps({'changing_chars': len(chars),
                      'changing_phrases_without_such_char': len(phrases),
                      'texts': len(lines), 'need_t2s': sum(need),
                      'skip_share': 1 - sum(need) / len(lines),
                      'skipped_but_changed': bad,
                      't2s_all_s': t_all, 't2s_needed_only_s': t_need}))


def main():
    cmds = {'each': cmd_each, 'combined': cmd_combined,
            'simplify': cmd_simplify, 'check': cmd_check,
            't2sskip': cmd_t2sskip}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()
