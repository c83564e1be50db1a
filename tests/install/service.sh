#!/bin/bash
# splice.service as make install installs it: systemd-analyze verify passes
# on it (with splice-apply installed where ExecStart says), it runs
# splice-apply --installed once at boot, before the network, and only with
# an installed update of the running release; and the same verify fails on
# the unit when ExecStart's program is missing, so it is not a pass by
# default.
set -uo pipefail
top=${SPLICE_TOP_BUILDDIR:?run through make check}
fail() { echo "FAIL: $*"; exit 1; }

sa=$(command -v systemd-analyze) ||
	{ echo "ERROR: systemd-analyze not found: install systemd (scripts/splice-setup does)"; exit 99; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/splice-service.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# a make of its own, not make check's (no jobserver, no directory messages)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory "$@"; }
mk -C "$top/scripts" install DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; echo "ERROR: make install DESTDIR=... failed"; exit 99; }
unitdir=$(mk -C "$top/scripts" -f Makefile -f - print-unitdir <<<'print-unitdir: ; @echo $(systemdsystemunitdir)')
bindir=$(mk -C "$top/scripts" -f Makefile -f - print-bindir <<<'print-bindir: ; @echo $(bindir)')
unit=$unitdir/splice.service
[ -f "$tmp/root$unit" ] || fail "make install did not install $unit"
grep -q 'not enabled (DESTDIR set' "$tmp/install.log" || fail "make install with DESTDIR tried to enable the unit"
echo "installed: $unit"
cat "$tmp/root$unit"

# what the unit says
grep -qx "ExecStart=$bindir/splice-apply --installed" "$tmp/root$unit" || fail "ExecStart is not $bindir/splice-apply --installed"
grep -qx 'Type=oneshot' "$tmp/root$unit" || fail "not a oneshot"
grep -qx 'DefaultDependencies=no' "$tmp/root$unit" || fail "DefaultDependencies: it would wait for sysinit/basic"
grep -q '^Before=.*network-pre.target' "$tmp/root$unit" || fail "not ordered before network-pre.target"
grep -qx 'Wants=network-pre.target' "$tmp/root$unit" || fail "does not pull in network-pre.target"
grep -qx 'ConditionPathExists=/var/lib/splice/%v/order' "$tmp/root$unit" || fail "not conditioned on the running release's store"
grep -qx 'WantedBy=multi-user.target' "$tmp/root$unit" || fail "WantedBy"

# systemd's own check, in the DESTDIR as root directory: no output, exit 0
"$sa" verify --root="$tmp/root" "$unit" >"$tmp/verify.out" 2>&1; rc=$?
cat "$tmp/verify.out"
[ $rc = 0 ] || fail "systemd-analyze verify: exit $rc"
[ -s "$tmp/verify.out" ] && fail "systemd-analyze verify complained"

# and the check can fail: without splice-apply, ExecStart is refused
rm -f "$tmp/root$bindir/splice-apply"
"$sa" verify --root="$tmp/root" "$unit" >"$tmp/verify2.out" 2>&1 && fail "verify passed without splice-apply"
grep -q 'splice-apply is not executable' "$tmp/verify2.out" || fail "verify without splice-apply: $(cat "$tmp/verify2.out")"
echo "service: ok"
