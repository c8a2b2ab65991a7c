#!/bin/sh
# bench/classify_bench.sh: classifier throughput, end to end (see
# bench/classify_README.md): install what is missing, build yuqingctl
# (Release), generate the corpus, extract the patterns, check that the
# extracted patterns give the product's own rule matches, run ours,
# ripgrep and Python's re interleaved, run the PCRE2 prefilter and the
# t2s-skip experiments, profile ours, print the table.
#
#   sh bench/classify_bench.sh
#
# Environment (defaults in brackets):
#   TEXTS [20000]        corpus size          SEED [20261127]
#   ROUNDS [3]           interleaved rounds of every side
#   PYCOMB_TEXTS [1000]  texts for Python's one-alternation run (slow)
#   CG_TEXTS [1000]      texts under callgrind (0: skip)
#   PERF_TEXTS [5000]    texts under perf (0: skip)
#   SKIP                 comma-separated sides not to run (ours, rg, rg-P,
#                        rg-each, rg-P-each, python-each, python-combined)
#   SRC [this repo]      tree to build        BUILD [/tmp/yq-classify-build]
#   OUT [bench/out/classify-STAMP]   results (bench/out/ is git-ignored)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
TEXTS=${TEXTS:-20000}
SEED=${SEED:-20261127}
ROUNDS=${ROUNDS:-3}
PYCOMB_TEXTS=${PYCOMB_TEXTS:-1000}
CG_TEXTS=${CG_TEXTS:-1000}
PERF_TEXTS=${PERF_TEXTS:-5000}
SRC=${SRC:-$repo}
BUILD=${BUILD:-/tmp/yq-classify-build}
PY=/usr/bin/python3 # Debian's; not a pyenv one
stamp=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$here/out/classify-$stamp}
export SKIP="${SKIP:-}"

# --- what is missing -------------------------------------------------------
need=""
for c in cmake:cmake gcc:gcc make:make pkg-config:pkg-config rg:ripgrep \
	valgrind:valgrind opencc_dict:opencc; do
	command -v "${c%%:*}" >/dev/null 2>&1 || need="$need ${c#*:}"
done
[ -x "$PY" ] || need="$need python3"
for p in libpcre2-dev libopencc-dev libconfig-dev libevent-dev \
	libcurl4-openssl-dev libxml2-dev libhiredis-dev libjansson-dev \
	libsystemd-dev; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if ! command -v perf >/dev/null 2>&1; then
	need="$need linux-perf"
fi
if [ -n "$need" ]; then
	echo "classify_bench: installing$need" >&2
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null ||
		{ apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				$need >/dev/null; }
fi

# --- build ------------------------------------------------------------------
echo "classify_bench: building $SRC (Release) in $BUILD" >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
	>/dev/null
make -C "$BUILD" -j2 yuqingctl >/dev/null
YQ=$BUILD/yuqingctl
[ -x "$YQ" ] || YQ=$(find "$BUILD" -name yuqingctl -type f -perm -u+x | head -1)
mkdir -p "$OUT"
# shellcheck disable=SC2046 # flags are words
gcc -O2 -Wall -Wextra -o "$OUT/classify_pcre" "$here/classify_pcre.c" \
	$(pkg-config --cflags --libs libpcre2-8)

rules=""
for f in emergency exclusions ordinary jurisdiction routing; do
	rules="$rules $SRC/config/rules/$f.rules"
done

# --- corpus and patterns ------------------------------------------------------
"$PY" "$here/classify_gen.py" --texts "$TEXTS" --seed "$SEED" \
	"$OUT/corpus.txt" 2>&1 | tee "$OUT/corpus.log" >&2
# shellcheck disable=SC2086
"$PY" "$here/classify_patterns.py" "$OUT" $rules
"$PY" "$here/classify_py.py" simplify "$OUT/corpus.txt" "$OUT/simplified.txt"

# --- the product's answers, and the patterns checked against them -----------
rarg=""
for f in $rules; do rarg="$rarg --rules $f"; done
# shellcheck disable=SC2086
"$YQ" classify $rarg <"$OUT/corpus.txt" >"$OUT/ours.tsv"
"$PY" "$here/classify_py.py" check "$OUT/patterns.json" \
	"$OUT/simplified.txt" "$OUT/ours.tsv" >"$OUT/check.json"
echo "classify_bench: patterns against the product: $(cat "$OUT/check.json")" >&2
paste -d '\t' "$OUT/corpus.txt.kinds" "$OUT/ours.tsv" |
	awk -F '\t' '{k = $1; sub(/\+trad/, "", k); n[k "\t" $3]++}
	     END {for (x in n) print n[x] "\t" x}' | sort -k2 >"$OUT/mix.tsv"

# --- the timed runs, interleaved ----------------------------------------------
{
	echo "commit: $(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo '?')"
	echo "changed: $(git -C "$SRC" --no-optional-locks status --porcelain -- CMakeLists.txt config monitor \
		feeds alerts 2>/dev/null | tr '\n' ' ')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) x $(nproc)"
	echo "rg: $(rg --version | head -1); pcre2 (product): $(pkg-config --modversion libpcre2-8)"
	echo "python: $("$PY" --version)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/meta.txt"
# shellcheck disable=SC2086
"$PY" "$here/classify_run.py" run "$OUT" "$YQ" "$ROUNDS" "$PYCOMB_TEXTS" \
	$rules
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"

# --- experiments: prefilter and t2s skip (not product code) ----------------
"$OUT/classify_pcre" -r 3 -p "$OUT/prefilter.tsv" "$OUT/patterns.txt" \
	"$OUT/simplified.txt" >"$OUT/pcre-prefilter.json"
noinv=$("$OUT/classify_pcre" -r 3 -n "$OUT/patterns.txt" "$OUT/simplified.txt" |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["full_us_per_text"])')
"$PY" - "$OUT/pcre-prefilter.json" "$noinv" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p['noinvalid_full_us_per_text'] = float(sys.argv[2])
json.dump(p, open(sys.argv[1], 'w'))
EOF
for d in TSCharacters TSPhrases; do
	opencc_dict -i "/usr/share/opencc/$d.ocd2" -o "$OUT/$d.txt" \
		-f ocd2 -t text
done
"$PY" "$here/classify_py.py" t2sskip "$OUT/TSCharacters.txt" \
	"$OUT/TSPhrases.txt" "$OUT/corpus.txt" >"$OUT/t2s-skip.json"

# --- profile ------------------------------------------------------------------
# shellcheck disable=SC2086
"$PY" "$here/classify_run.py" profile "$OUT" "$YQ" "$CG_TEXTS" \
	"$PERF_TEXTS" $rules >/dev/null

# --- summary ------------------------------------------------------------------
{
	echo "corpus: $(tail -2 "$OUT/corpus.log" | tr '\n' ' ')"
	echo "what ours makes of it (generated kind, class):"
	sed 's/^/  /' "$OUT/mix.tsv"
	"$PY" "$here/classify_run.py" summary "$OUT"
	echo
	cat "$OUT/meta.txt"
} | tee "$OUT/summary.txt"
echo "classify_bench: results in $OUT" >&2
