#!/bin/sh
# bench/run.sh: build (Release, in build-bench/), generate the corpora, run
# the parse benchmark (ours and feedparser, interleaved) and the poll
# benchmark (yuqingd and newsboat, interleaved), then print the summary.
#
#   sh bench/run.sh [parse|poll|all]      (default all)
#
# Environment: REPEAT (3), FEEDS (1000), ROUNDS (5, rounds per bench_parse
# run), SRC (the source tree to build, default this repository; e.g. an
# export of one commit with bench/ in it), BUILD (SRC/build-bench).
# Results go to bench/out/ (git-ignored).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
what=${1:-all}
REPEAT=${REPEAT:-3}
FEEDS=${FEEDS:-1000}
ROUNDS=${ROUNDS:-5}
SRC=${SRC:-$repo}
BUILD=${BUILD:-$SRC/build-bench}
PY=/usr/bin/python3 # Debian's, with python3-feedparser; not a pyenv one
out=$here/out
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

need=""
command -v cmake >/dev/null 2>&1 || need="$need cmake"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
[ -x "$PY" ] || need="$need python3"
"$PY" -c 'import feedparser' 2>/dev/null || need="$need python3-feedparser"
if [ -n "$need" ]; then
	echo "run.sh: installing$need" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need ||
		{ apt-get update -qq &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need; }
fi

echo "run.sh: building $SRC (Release) in $BUILD" >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
	>/dev/null
cmake --build "$BUILD" -j2 --target yuqingd bench_parse >/dev/null

corpus=$out/corpus
if [ ! -f "$corpus/manifest.json" ]; then
	"$PY" "$here/gen_corpus.py" --feeds "$FEEDS" "$corpus"
fi

parse_log=$out/parse-$stamp.jsonl
poll_json=$out/poll-$stamp.json

# What was measured: the commit and any uncommitted product files.
{
	echo "source: $SRC"
	echo "commit: ${SRC_COMMIT:-$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)}"
	echo "uncommitted:"
	git -C "$SRC" status --short 2>/dev/null | grep -v ' bench/' || true
	echo "host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/meta-$stamp.txt"

# One benchmark run, appended to the log as {"pair", "set", "side", ...}.
record() {
	pair=$1 subset=$2 side=$3
	shift 3
	res=$("$@") || { echo "run.sh: failed: $*" >&2; exit 1; }
	printf '{"pair": %s, "set": "%s", "side": "%s", "result": %s}\n' \
		"$pair" "$subset" "$side" "$res" >>"$parse_log"
	echo "run.sh: parse pair $pair $subset $side: $(echo "$res" |
		"$PY" -c 'import json,sys; r=json.load(sys.stdin);
print("%.0f items/s %.2f MB/s" % (r["items_per_s"], r["mb_per_s"]))')" >&2
}

if [ "$what" = all ] || [ "$what" = parse ]; then
	: >"$parse_log"
	i=0
	while [ "$i" -lt "$REPEAT" ]; do
		ours="$BUILD/bench/bench_parse -w 1 -r $ROUNDS"
		theirs="$PY $here/parse_feedparser.py -w 0 -r 1"
		# the order flips every pair, so drift hits both sides alike
		if [ $((i % 2)) -eq 0 ]; then
			record "$i" xml ours $ours -s .xml "$corpus"
			record "$i" xml feedparser $theirs -s .xml "$corpus"
		else
			record "$i" xml feedparser $theirs -s .xml "$corpus"
			record "$i" xml ours $ours -s .xml "$corpus"
		fi
		record "$i" all ours $ours "$corpus"
		i=$((i + 1))
	done
fi

if [ "$what" = all ] || [ "$what" = poll ]; then
	"$PY" "$here/poll_bench.py" --feeds "$FEEDS" --repeat "$REPEAT" \
		--yuqingd "$BUILD/yuqingd" --out "$poll_json" >/dev/null
fi

echo
if [ -s "$parse_log" ] 2>/dev/null && [ -f "$poll_json" ]; then
	"$PY" "$here/summary.py" "$parse_log" "$poll_json"
elif [ -f "$poll_json" ]; then
	"$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import summary
summary.poll_summary(sys.argv[2])' "$here" "$poll_json"
else
	"$PY" "$here/summary.py" "$parse_log"
fi
echo
echo "raw results: $out/*-$stamp.*" >&2
