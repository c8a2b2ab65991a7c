#!/bin/sh
# Install the Debian 12 packages yuqing-monitor needs to build, test and run
# its demo.  Only what is missing is installed; nothing outside Debian.
set -eu

PKGS="gcc make cmake pkg-config libc6-dev
 libevent-dev libcurl4-openssl-dev libxml2-dev libhiredis-dev libpcre2-dev
 libconfig-dev libjansson-dev libsystemd-dev libcmocka-dev libssl-dev
 redis-server python3 python3-aiosmtpd valgrind tzdata curl procps clang-format git libopencc-dev opencc
 chromium fonts-wqy-microhei openssl"
# The dashboard's browser test: playwright-core (npm, tests/browser) on node
# >= 20 drives Debian's chromium; a CJK font makes its screenshots legible.
# node and npm from Debian only if none is there (NodeSource's nodejs
# brings its own npm, and Debian's npm would conflict with it).
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing:$missing -- run as root (or install them)" >&2
		exit 1
	fi
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
