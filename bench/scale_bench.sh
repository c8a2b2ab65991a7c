#!/bin/sh
# Build a Release yuqingd in its own directory and run the scale benchmark.
#
#   sh bench/scale_bench.sh [scale_bench.py options]
#   BUILD=/tmp/hsc sh bench/scale_bench.sh --only replay
#
# BUILD (default /tmp/yq-scale-build) is never build/, build-bench/ or
# build-asan/.  The JSON result goes to stdout (and to --out FILE), the
# progress lines to stderr.  See bench/scale_README.md.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-/tmp/yq-scale-build}
command -v redis-server >/dev/null || { echo "redis-server is needed" >&2; exit 1; }
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF >/dev/null
make -C "$BUILD" -j2 yuqingd >/dev/null
exec /usr/bin/python3 "$SRC/bench/scale_bench.py" --yuqingd "$BUILD/yuqingd" "$@"
