#!/usr/bin/python3
"""classify_run.py: the timed part of the classifier benchmark, the
profile, and the summary table. classify_bench.sh calls it; see
classify_README.md.

  classify_run.py run DIR YUQINGCTL ROUNDS PYCOMB_TEXTS RULEFILE...
      Interleaved rounds (the order rotates each round) of every side,
      on DIR/corpus.txt with DIR/patterns*.txt, appending one JSON object
      per run to DIR/runs.jsonl:
        ours            yuqingctl classify --rules ... < corpus > /dev/null
        rg              rg -c -f patterns-rust.txt corpus    (one automaton;
                        lookarounds removed: Rust regex has none)
        rg-P            rg -c -P -f patterns.txt corpus      (exact patterns,
                        one PCRE2 alternation)
        rg-each         rg -c --auto-hybrid-regex -e P corpus, once per
                        pattern (Rust regex, PCRE2 for the 11 lookaround
                        patterns); times summed
        rg-P-each       the same with -P for every pattern
        python-each     classify_py.py each   (every pattern per line)
        python-combined classify_py.py combined on the first PYCOMB_TEXTS
                        lines only (one alternation is that slow)
      Processes' start-up is taken out: ours and rg are also run on an
      empty input in the same round (same arguments) and that wall and CPU
      time is subtracted; Python times its loop itself.
  classify_run.py profile DIR YUQINGCTL CG_TEXTS PERF_TEXTS RULEFILE...
      callgrind (instructions, inclusive, collecting only inside
      ctl_classify_line: no start-up) on the first CG_TEXTS lines and
      perf (cycles, flat by library/symbol, start-up included) on the
      first PERF_TEXTS lines: the shares of OpenCC, PCRE2, figures,
      jurisdiction, normalising and the rest. Writes DIR/profile.json.
  classify_run.py summary DIR
      Medians, ratios, targets, the profile and the prefilter / t2s-skip
      projection, as a table on stdout and DIR/summary.json.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = '/usr/bin/python3'


def timed(cmd, stdin_path=None, capture=False):
    """Run cmd; (wall s, cpu s of the child, stdout text)."""
    fin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=fin, stdout=out)
    data = p.stdout.read() if capture else b''
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if fin is not subprocess.DEVNULL:
        fin.close()
    if p.returncode not in (0, 1):  # rg: 1 = no match
        raise RuntimeError('%s: exit %d' % (cmd[0], p.returncode))
    return wall, ru.ru_utime + ru.ru_stime, data.decode()


def med3(f):
    """Median (wall, cpu) of three runs of f()."""
    v = [f() for _ in range(3)]
    return (statistics.median(x[0] for x in v),
            statistics.median(x[1] for x in v))


def count_lines(path):
    with open(path, 'rb') as fh:
        return sum(1 for _ in fh)


def cmd_run(argv):
    d, yq, rounds, pycomb = argv[0], argv[1], int(argv[2]), int(argv[3])
    rules = argv[4:]
    corpus = os.path.join(d, 'corpus.txt')
    empty = os.path.join(d, 'empty.txt')
    open(empty, 'w').close()
    texts = count_lines(corpus)
    pats = open(os.path.join(d, 'patterns.txt'),
                encoding='utf-8').read().split('\n')[:-1]
    pats_rust = open(os.path.join(d, 'patterns-rust.txt'),
                     encoding='utf-8').read().split('\n')[:-1]
    rarg = []
    for f in rules:
        rarg += ['--rules', f]
    log = open(os.path.join(d, 'runs.jsonl'), 'a')

    def ours():
        cmd = [yq, 'classify'] + rarg
        s = med3(lambda: timed(cmd, empty)[:2])
        w, c, _ = timed(cmd, corpus)
        return dict(wall=w, cpu=c, startup_wall=s[0], startup_cpu=s[1],
                    texts=texts)

    def rg_one(args):
        s = med3(lambda: timed(['rg'] + args + [empty], capture=True)[:2])
        w, c, out = timed(['rg'] + args + [corpus], capture=True)
        return dict(wall=w, cpu=c, startup_wall=s[0], startup_cpu=s[1],
                    texts=texts, lines_matching_any=int(out.strip() or 0))

    def rg_each(engine):
        tw = tc = sw = sc = 0.0
        for p in pats:
            args = ['-c'] + engine + ['-e', p]
            w, c, _ = timed(['rg'] + args + [corpus], capture=True)
            ew, ec, _ = timed(['rg'] + args + [empty], capture=True)
            tw += w
            tc += c
            sw += ew
            sc += ec
        return dict(wall=tw, cpu=tc, startup_wall=sw, startup_cpu=sc,
                    texts=texts, processes=len(pats))

    def python(kind, limit):
        cmd = [PY, os.path.join(HERE, 'classify_py.py'), kind,
               os.path.join(d, 'patterns.json'), corpus]
        if limit:
            cmd += ['--limit', str(limit)]
        _, _, out = timed(cmd, capture=True)
        j = json.loads(out)
        return dict(wall=j['seconds'], cpu=j['cpu_seconds'],
                    startup_wall=0.0, startup_cpu=0.0, texts=j['texts'],
                    lines_matching_any=j['lines_matching_any'])

    sides = [
        ('ours', ours),
        ('rg', lambda: rg_one(['-c', '-f',
                               os.path.join(d, 'patterns-rust.txt')])),
        ('rg-P', lambda: rg_one(['-c', '-P', '-f',
                                 os.path.join(d, 'patterns.txt')])),
        ('rg-each', lambda: rg_each(['--auto-hybrid-regex'])),
        ('rg-P-each', lambda: rg_each(['-P'])),
        ('python-each', lambda: python('each', 0)),
        ('python-combined', lambda: python('combined', pycomb)),
    ]
    skip = set(filter(None, os.environ.get('SKIP', '').split(',')))
    sides = [s for s in sides if s[0] not in skip]
    assert len(pats) == len(pats_rust)
    for r in range(rounds):
        k = r % len(sides)
        for name, f in sides[k:] + sides[:k]:
            load = os.getloadavg()[0]
            res = f()
            res.update(side=name, round=r + 1, load1_before=load,
                       load1_after=os.getloadavg()[0])
            net_w = res['wall'] - res['startup_wall']
            net_c = res['cpu'] - res['startup_cpu']
            res['texts_per_s_wall'] = res['texts'] / net_w
            res['texts_per_s_cpu'] = res['texts'] / net_c
            log.write(json.dumps(res) + '\n')
            log.flush()
            print('classify_run: round %d %-16s %8.0f texts/s (wall) '
                  '%8.0f (cpu)  load %.2f' %
                  (r + 1, name, res['texts_per_s_wall'],
                   res['texts_per_s_cpu'], load), file=sys.stderr)


# ---------------------------------------------------------------------------
# profile
GROUPS = [
    ('OpenCC t2s', ['opencc_convert_utf8', 'opencc_convert_utf8_free']),
    ('PCRE2 (rules, exclusions, labels)', ['pcre2_match_8']),
    ('figures', ['figures_read', 'figures_grade']),
    ('jurisdiction', ['rules_jurisdiction']),
    ('normalising', ['text_normalise']),
]


def head_file(src, n, dst):
    with open(src, 'rb') as fi, open(dst, 'wb') as fo:
        for i, ln in enumerate(fi):
            if i >= n:
                break
            fo.write(ln)


def cmd_profile(argv):
    d, yq, cgn, pfn = argv[0], argv[1], int(argv[2]), int(argv[3])
    rarg = []
    for f in argv[4:]:
        rarg += ['--rules', f]
    corpus = os.path.join(d, 'corpus.txt')
    prof = {}
    if shutil.which('valgrind') and cgn > 0:
        small = os.path.join(d, 'profile-cg.txt')
        head_file(corpus, cgn, small)
        cg = os.path.join(d, 'callgrind.out')
        with open(small, 'rb') as fi:
            subprocess.run(['valgrind', '--tool=callgrind',
                            '--callgrind-out-file=' + cg,
                            '--toggle-collect=ctl_classify_line', yq,
                            'classify'] + rarg, stdin=fi,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        ann = subprocess.run(['callgrind_annotate', '--inclusive=yes',
                              '--threshold=100', cg], capture_output=True,
                             text=True).stdout
        incl = {}
        total = None
        for ln in ann.splitlines():
            m = re.match(r'\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$', ln)
            if not m:
                continue
            n = int(m.group(1).replace(',', ''))
            what = m.group(2)
            if 'PROGRAM TOTALS' in what:
                total = n
                continue
            fm = re.search(r':([A-Za-z_][A-Za-z0-9_]*)(\'\d+)? \[', what)
            if fm and fm.group(2) is None:
                incl[fm.group(1)] = max(incl.get(fm.group(1), 0), n)
        shares = []
        rest = total
        for name, fns in GROUPS:
            n = sum(incl.get(f, 0) for f in fns)
            rest -= n
            shares.append([name, n / total])
        shares.append(['the rest (allocation, hits, routing, output)',
                       rest / total])
        prof['callgrind'] = {'texts': cgn, 'instructions': total,
                             'instructions_per_text': total / cgn,
                             'shares': shares}
    if shutil.which('perf') and pfn > 0:
        small = os.path.join(d, 'profile-perf.txt')
        head_file(corpus, pfn, small)
        pd = os.path.join(d, 'perf.data')
        with open(small, 'rb') as fi:
            r = subprocess.run(['perf', 'record', '-q', '-o', pd, yq,
                                'classify'] + rarg, stdin=fi,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            rep = subprocess.run(['perf', 'report', '-i', pd, '--stdio',
                                  '--no-children', '--sort', 'dso,sym'],
                                 capture_output=True, text=True).stdout
            g = {}
            for ln in rep.splitlines():
                m = re.match(r'\s*([\d.]+)%\s+(\S+(?: tid \d+)?)\s+\[.\]\s+'
                             r'(.*)$', ln)
                if not m:
                    continue
                pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
                if dso.startswith('[JIT]') or 'pcre2' in dso:
                    k = 'PCRE2 (JIT code and library)'
                elif ('marisa' in dso or 'opencc' in dso or
                      'stdc++' in dso):
                    k = 'OpenCC (opencc, marisa, libstdc++)'
                elif dso == 'yuqingctl' and (sym.startswith('fig')):
                    k = 'figures'
                elif dso == 'yuqingctl' and 'jurisdiction' in sym:
                    k = 'jurisdiction'
                elif dso == 'yuqingctl' and 'text_' in sym:
                    k = 'normalising'
                elif dso == 'libc.so.6':
                    k = 'libc (malloc/free, strstr, stdio ...)'
                else:
                    k = 'the rest (' + dso + ')' if dso in (
                        'yuqingctl',) else 'the rest (kernel, loader, other)'
                g[k] = g.get(k, 0.0) + pct
            prof['perf'] = {'texts': pfn, 'shares': sorted(
                ([k, v / 100] for k, v in g.items()),
                key=lambda x: -x[1])}
    json.dump(prof, open(os.path.join(d, 'profile.json'), 'w'), indent=1)
    print(json.dumps(prof, indent=1))


# ---------------------------------------------------------------------------
# summary
LABEL = {
    'ours': 'ours: yuqingctl classify (t2s, 90 patterns, jurisdiction, '
            'figures, routing)',
    'rg': 'rg -c -f (one Rust-regex automaton, lookarounds removed)',
    'rg-P': 'rg -c -P -f (one PCRE2 alternation, exact patterns)',
    'rg-each': 'rg -c once per pattern (--auto-hybrid-regex), summed',
    'rg-P-each': 'rg -c -P once per pattern, summed',
    'python-each': 'Python re, every pattern per line',
    'python-combined': 'Python re, one alternation per line',
}


def cmd_summary(argv):
    d = argv[0]
    runs = [json.loads(x) for x in open(os.path.join(d, 'runs.jsonl'))]
    by = {}
    for r in runs:
        by.setdefault(r['side'], []).append(r)
    med = {}
    for side, v in by.items():
        med[side] = {
            'runs': len(v),
            'texts': v[0]['texts'],
            'wall': statistics.median(x['texts_per_s_wall'] for x in v),
            'cpu': statistics.median(x['texts_per_s_cpu'] for x in v),
            'min_wall': min(x['texts_per_s_wall'] for x in v),
            'max_wall': max(x['texts_per_s_wall'] for x in v),
            'lines_matching_any': v[0].get('lines_matching_any'),
            'startup_wall_s': statistics.median(x['startup_wall']
                                                for x in v),
        }
    loads = [r['load1_before'] for r in runs] + [r['load1_after']
                                                 for r in runs]
    out = {'medians': med, 'load1_min': min(loads),
           'load1_max': max(loads),
           'load1_median': statistics.median(loads)}
    o = med.get('ours')
    print()
    print('Classifier throughput, texts/s (median of %d interleaved runs; '
          'start-up excluded)' % (o['runs'] if o else 0))
    print('%-72s %9s %9s %14s' % ('side', 'wall', 'cpu', 'ours/side'))
    for side in LABEL:
        if side not in med:
            continue
        m = med[side]
        ratio = ''
        if o and side != 'ours':
            ratio = '%.2fx / %.2fx' % (o['wall'] / m['wall'],
                                       o['cpu'] / m['cpu'])
        extra = '' if m['texts'] == (o or m)['texts'] else \
            ' [first %d texts]' % m['texts']
        print('%-72s %9.0f %9.0f %14s' % (LABEL[side] + extra, m['wall'],
                                          m['cpu'], ratio))
    print('(ours/side: wall-clock ratio / CPU-time ratio)')
    print('load average (1 min) during the runs: %.2f .. %.2f, median %.2f '
          'on %d CPUs' % (out['load1_min'], out['load1_max'],
                          out['load1_median'], os.cpu_count()))
    if o:
        targets = []
        if 'python-each' in med:
            x = o['wall'] / med['python-each']['wall']
            y = o['cpu'] / med['python-each']['cpu']
            targets.append(['>= 5x Python re (every pattern per line)',
                            x, y, min(x, y) >= 5])
        for side in ('rg', 'rg-P', 'rg-each', 'rg-P-each'):
            if side in med:
                x = o['wall'] / med[side]['wall']
                y = o['cpu'] / med[side]['cpu']
                targets.append(['within 3x of %s (ours/%s >= 0.33)' %
                                (side, side), x, y, min(x, y) >= 1 / 3])
        print()
        for t in targets:
            print('target %-44s %6.2fx wall %6.2fx cpu  %s' %
                  (t[0], t[1], t[2], 'MET' if t[3] else 'MISSED'))
        out['targets'] = targets
        if o.get('lines_matching_any') is None:
            pass
        ra = [med[s]['lines_matching_any'] for s in ('rg-P', 'python-each')
              if s in med]
        if ra:
            print('lines matching any pattern (raw text, no t2s): rg -P %s,'
                  ' Python %s, rg (lookarounds removed) %s' % (
                      med.get('rg-P', {}).get('lines_matching_any'),
                      med.get('python-each', {}).get('lines_matching_any'),
                      med.get('rg', {}).get('lines_matching_any')))
    # profile
    pj = os.path.join(d, 'profile.json')
    prof = json.load(open(pj)) if os.path.exists(pj) else {}
    if 'callgrind' in prof:
        c = prof['callgrind']
        print()
        print('Profile of ours, callgrind, %d texts, %.0f instructions per '
              'text (start-up not collected):' %
              (c['texts'], c['instructions_per_text']))
        for name, share in c['shares']:
            print('  %-52s %5.1f %%' % (name, share * 100))
    if 'perf' in prof:
        c = prof['perf']
        print('Profile of ours, perf (time samples), %d texts, start-up '
              'included:' % c['texts'])
        for name, share in c['shares']:
            if share >= 0.001:
                print('  %-52s %5.1f %%' % (name, share * 100))
    out['profile'] = prof
    # experiments and projection
    pre = os.path.join(d, 'pcre-prefilter.json')
    skip = os.path.join(d, 't2s-skip.json')
    if os.path.exists(pre):
        p = json.load(open(pre))
        out['pcre'] = p
        print()
        print('PCRE2 alone (classify_pcre, simplified texts, median of %d):'
              ' every pattern %.1f us/text; with the literal prefilter '
              '%.1f us/text (scan %.1f us, %.1f of %d patterns matched per '
              'text, same matches: %s)' % (
                  p['rounds'], p['full_us_per_text'],
                  p['prefilter_us_per_text'], p['scan_us_per_text'],
                  p['candidates_per_text'], p['patterns'],
                  p['same_matches']))
        if 'noinvalid_full_us_per_text' in p:
            print('  without PCRE2_MATCH_INVALID_UTF: %.1f us/text' %
                  p['noinvalid_full_us_per_text'])
    if os.path.exists(skip):
        s = json.load(open(skip))
        out['t2s_skip'] = s
        print('OpenCC skip: %d of %d texts hold a character or phrase t2s '
              'changes (%.1f %% could skip it; %d skipped texts would '
              'have changed)' % (s['need_t2s'], s['texts'],
                                 s['skip_share'] * 100,
                                 s['skipped_but_changed']))
    if o and os.path.exists(pre) and os.path.exists(skip):
        f = p['prefilter_us_per_text'] / p['full_us_per_text']
        q = 1 - s['skip_share']
        shares = []
        if 'perf' in prof:
            sh = dict(prof['perf']['shares'])
            shares.append(('perf (time)',
                           sh.get('PCRE2 (JIT code and library)', 0),
                           sh.get('OpenCC (opencc, marisa, libstdc++)', 0)))
        if 'callgrind' in prof:
            sh = dict(prof['callgrind']['shares'])
            shares.append(('callgrind (instructions)',
                           sh['PCRE2 (rules, exclusions, labels)'],
                           sh['OpenCC t2s']))
        out['projection'] = []
        if shares:
            print()
            print('Projection from ours\' CPU median (%.0f texts/s): PCRE2 '
                  'time kept %.1f %% (prefilter), t2s kept for %.1f %% of '
                  'texts (skip):' % (o['cpu'], f * 100, q * 100))
        for name, pc, oc in shares:
            keep1 = 1 - pc + pc * f
            keep2 = keep1 - oc + oc * q
            pr = {'shares_from': name, 'pcre2_share': pc,
                  'opencc_share': oc, 'prefilter': o['cpu'] / keep1,
                  'prefilter_and_t2s_skip': o['cpu'] / keep2}
            out['projection'].append(pr)
            vs = ', '.join('%s %.2fx' % (side, pr['prefilter_and_t2s_skip'] /
                                         med[side]['cpu'])
                           for side in ('python-each', 'rg', 'rg-each')
                           if side in med)
            print('  shares from %-25s PCRE2 %4.1f %%, OpenCC %4.1f %%: '
                  'prefilter %6.0f texts/s (%.1fx), + t2s skip %6.0f '
                  '(%.1fx); then ours/%s' % (
                      name + ':', pc * 100, oc * 100, pr['prefilter'],
                      1 / keep1, pr['prefilter_and_t2s_skip'], 1 / keep2,
                      vs))
    json.dump(out, open(os.path.join(d, 'summary.json'), 'w'), indent=1)


def main():
    cmds = {'run': cmd_run, 'profile': cmd_profile, 'summary': cmd_summary}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()
