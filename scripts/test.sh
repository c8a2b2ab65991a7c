#!/bin/sh
# The whole test suite, twice: a plain build (with the valgrind check of the
# daemon's start/stop path) and an ASan+UBSan build.  Every test starts the
# servers it needs (private redis-server, HTTP and SMTP peers on loopback)
# and stops them by pid.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for variant in plain asan; do
	dir=build
	flags="-DYQ_SANITIZE=OFF"
	if [ "$variant" = asan ]; then
		dir=build-asan
		flags="-DYQ_SANITIZE=ON"
	fi
	echo "=== $variant build ($dir) ==="
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $flags >/dev/null
	cmake --build "$dir" -j "$jobs"
	echo "=== $variant tests ==="
	if ! (cd "$dir" && ctest --output-on-failure -j "$jobs"); then
		status=1
	fi
done
exit $status
