#!/usr/bin/python3
"""The real classifier (yuqingctl classify, the daemon's code) against the
labelled corpus cases.tsv with the shipped rules in config/rules/: the
jurisdiction, the kind (an emergency type yields class major or ordinary
depending on figures; "ordinary" must be ordinary; "none" none), the
category and the departments must all be as labelled.  Prints every
disagreement and the agreement rate; fails on any disagreement."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
RULES = ["emergency", "ordinary", "exclusions", "jurisdiction", "routing"]


def main():
    ctl = os.environ.get("YQ_YUQINGCTL", os.path.join(SRC, "build", "yuqingctl"))
    cases = []
    with open(os.path.join(HERE, "cases.tsv"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            cases.append((n, cols))
    args = [ctl, "classify"]
    for r in RULES:
        args += ["--rules", os.path.join(SRC, "config", "rules", r + ".rules")]
    out = subprocess.run(args, input="".join(c[1][0] + "\n" for c in cases),
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit("yuqingctl classify failed: %s" % out.stderr)
    rows = out.stdout.splitlines()
    if len(rows) != len(cases):
        sys.exit("%d answers for %d cases" % (len(rows), len(cases)))
    bad = 0
    for (n, (text, inj, kind, cat, depts, note)), row in zip(cases, rows):
        got_in, cls, grade, got_cat, got_depts, rules = row.split("\t")
        problems = []
        if got_in != inj:
            problems.append("jurisdiction %s, want %s" % (got_in, inj))
        want_cls = {"major-type": ("major", "ordinary"), "ordinary": ("ordinary",),
                    "none": ("none",)}[kind]
        if cls not in want_cls:
            problems.append("class %s, want %s" % (cls, "/".join(want_cls)))
        if kind != "none" and got_cat != cat:
            problems.append("category %s, want %s" % (got_cat, cat))
        want_d = set() if depts == "-" else set(depts.split(","))
        got_d = set() if got_depts == "-" else set(got_depts.split(","))
        if kind != "none" and got_d != want_d:
            problems.append("departments %s, want %s" % (got_depts, depts))
        if problems:
            bad += 1
            print("cases.tsv:%d: %s\n    %s (rules %s)" % (n, text, "; ".join(problems), rules))
    print("agreement: %d/%d" % (len(cases) - bad, len(cases)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
