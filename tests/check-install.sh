#!/bin/sh
# cmake --install (with DESTDIR, as a packager runs it) puts every piece
# where the configured prefix says, the unit points at those paths, and
# the installed configuration passes its own check.
# usage: check-install.sh BUILD_DIR BINDIR SYSCONFDIR DOCDIR UNITDIR
set -eu
build=$1 bindir=$2 sysconfdir=$3 docdir=$4 unitdir=$5
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" >/dev/null
for f in "$bindir/yuqingd" "$bindir/yuqingctl" "$unitdir/yuqingd.service" \
	"$sysconfdir/yuqing/yuqing.conf" "$docdir/README.md"; do
	[ -e "$dest$f" ] || { echo "missing after install: $f" >&2; exit 1; }
done
unit=$dest$unitdir/yuqingd.service
grep -qx "ExecStart=$bindir/yuqingd --foreground --config $sysconfdir/yuqing/yuqing.conf" "$unit" ||
	{ echo "unit does not point at the install paths:" >&2; grep Exec "$unit" >&2; exit 1; }
"$dest$bindir/yuqingd" --check-config "$dest$sysconfdir/yuqing/yuqing.conf"
echo "install layout OK under $dest"
