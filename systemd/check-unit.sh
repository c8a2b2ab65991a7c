#!/bin/bash
# check-unit.sh -- lint the yuqingd systemd unit.
#
# Usage: check-unit.sh YUQINGD_BINARY OUTPUT_DIR [TEMPLATE]
#
#   YUQINGD_BINARY  an existing executable; the rendered unit's ExecStart=
#                   etc. point at a symlink to it (systemd-analyze verify
#                   insists that the executables exist).  Any executable
#                   (e.g. /bin/true) will do: the binary is never run.
#   OUTPUT_DIR      scratch directory; everything goes into
#                   OUTPUT_DIR/yuqingd-unit-check/ (recreated on each run).
#   TEMPLATE        defaults to yuqingd.service.in next to this script.
#
# Steps:
#   1. render the template with sed into a temporary root:
#        @CMAKE_INSTALL_FULL_BINDIR@     -> <root>/bin  (yuqingd -> binary)
#        @CMAKE_INSTALL_FULL_SYSCONFDIR@ -> <root>/etc  (yuqing/yuqing.conf)
#        @CMAKE_INSTALL_FULL_DOCDIR@     -> <root>/doc
#   2. systemd-analyze verify: fails on any output line about our unit.
#   3. systemd-analyze security --offline=true --threshold=25: fails if the
#      overall exposure is above 2.5 (--threshold takes the score x10 and
#      fails when the exposure is strictly greater).
#
# Exit status: 0 ok, 1 check failed, 2 usage error,
#              77 skipped (systemd-analyze missing or unusable here; use
#                 SKIP_RETURN_CODE 77 in CTest).
set -eu

MAX_EXPOSURE=2.5
THRESHOLD=25   # MAX_EXPOSURE x 10, as systemd-analyze --threshold wants it

usage() {
    echo "usage: $0 YUQINGD_BINARY OUTPUT_DIR [TEMPLATE]" >&2
    exit 2
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
binary=$1
outdir=$2
template=${3:-$(cd "$(dirname "$0")" && pwd)/yuqingd.service.in}

if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "error: $binary is not an executable file" >&2
    exit 2
fi
if [ ! -r "$template" ]; then
    echo "error: cannot read template $template" >&2
    exit 2
fi

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze not found in PATH"
    exit 77
fi

export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 SYSTEMD_LOG_COLOR=0

mkdir -p "$outdir"
work=$(cd "$outdir" && pwd)/yuqingd-unit-check
# Paths end up unquoted in ExecStart= lines and in sed replacements.
case $work in *[[:space:]]* | *[\|\&\\%]*)
    echo "error: output dir path must not contain whitespace or | & \\ %" >&2
    exit 2;;
esac
rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/etc/yuqing" "$work/unit" "$work/probe"

binary_abs=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

ln -s "$binary_abs" "$work/root/bin/yuqingd"
: >"$work/root/etc/yuqing/yuqing.conf"

# --- 0. can systemd-analyze run here at all? -------------------------------
# Probe with a trivial, known-good unit, so that a failure further down means
# a problem with our unit and not with the environment (some containers
# cannot set up the offline manager).
probe=$work/probe/yuqingd-probe.service
printf '[Unit]\nDescription=probe\n\n[Service]\nExecStart=%s\n' \
    "$work/root/bin/yuqingd" >"$probe"
if ! out=$(systemd-analyze verify --man=no --recursive-errors=no \
               "$probe" 2>&1); then
    echo "SKIP: systemd-analyze verify does not work here:" \
         "$(printf '%s\n' "$out" | head -n 1)"
    exit 77
fi
if ! out=$(systemd-analyze security --offline=true --no-pager \
               "$probe" 2>&1) ||
   ! printf '%s\n' "$out" | grep -q 'Overall exposure level'; then
    echo "SKIP: systemd-analyze security --offline=true does not work here" \
         "(needs systemd >= 250):" "$(printf '%s\n' "$out" | tail -n 1)"
    exit 77
fi

# --- 1. render --------------------------------------------------------------
unit=$work/unit/yuqingd.service
sed -e "s|@CMAKE_INSTALL_FULL_BINDIR@|$work/root/bin|g" \
    -e "s|@CMAKE_INSTALL_FULL_SYSCONFDIR@|$work/root/etc|g" \
    -e "s|@CMAKE_INSTALL_FULL_DOCDIR@|$work/root/doc|g" \
    "$template" >"$unit"

status=0

# configure_file(@ONLY) would blank any other @VAR@; make sure none is left.
if leftover=$(grep -nE '@[A-Za-z_][A-Za-z0-9_]*@' "$unit"); then
    echo "FAIL: unknown @VAR@ placeholders in template:"
    printf '%s\n' "$leftover"
    status=1
fi

echo "rendered unit: $unit"

# --- 2. verify --------------------------------------------------------------
# --man=no: the man page named in Documentation= is not installed in a build
# tree.  --recursive-errors=no: only our unit decides the exit status; we
# also fail on any output line that mentions our unit or binary, so that
# noise about unrelated system units is tolerated but nothing about ours.
verify_log=$work/verify.log
set +e
systemd-analyze verify --man=no --recursive-errors=no "$unit" \
    >"$verify_log" 2>&1
verify_rc=$?
set -e
ours=$(grep -F -e yuqingd.service -e "$work/" "$verify_log" || true)
if [ "$verify_rc" -ne 0 ] || [ -n "$ours" ]; then
    echo "FAIL: systemd-analyze verify (exit $verify_rc):"
    sed 's/^/  /' "$verify_log"
    status=1
else
    echo "verify: OK"
    if [ -s "$verify_log" ]; then
        echo "  (ignored output about other units:)"
        sed 's/^/  /' "$verify_log"
    fi
fi

# --- 3. security ------------------------------------------------------------
security_log=$work/security.log
set +e
systemd-analyze security --offline=true --threshold="$THRESHOLD" \
    --no-pager "$unit" >"$security_log" 2>&1
security_rc=$?
set -e
overall=$(grep 'Overall exposure level' "$security_log" || true)
if [ -z "$overall" ]; then
    echo "FAIL: systemd-analyze security printed no overall exposure" \
         "(exit $security_rc):"
    sed 's/^/  /' "$security_log"
    status=1
else
    # strip the leading arrow ("→" or "->", depending on the locale)
    echo "security: Overall${overall#*Overall}"
    score=$(printf '%s\n' "$overall" |
            sed -n 's/.*yuqingd\.service: *\([0-9][0-9.]*\).*/\1/p')
    over=$(awk -v s="${score:-999}" -v m="$MAX_EXPOSURE" \
               'BEGIN { print (s + 0 > m + 0) ? 1 : 0 }')
    if [ "$security_rc" -ne 0 ] || [ "$over" -ne 0 ]; then
        echo "FAIL: exposure ${score:-?} exceeds $MAX_EXPOSURE" \
             "(systemd-analyze exit $security_rc); exposed settings:"
        grep '✗' "$security_log" | sed 's/^/  /' || true
        status=1
    fi
fi

[ "$status" -eq 0 ] && echo "PASS"
exit "$status"
