#!/bin/bash
# A real fix of Debian's 6.12 series, live (by hand: `make -C tests
# check-stable-612`; docs/kernel-series.md): of the stable update
# 6.12.117-1 -> 6.12.118-1, "posix-timers: Report zero remaining time for
# disarmed SIGEV_NONE timers" (tests/e2e/stable612/), made with
# splice-create from 6.12.117's source as a sysadmin prepares it, and applied
# to, traced in and undone from Debian's 6.12.117+deb12 kernel booted in
# the VM: the kernel a machine booted weeks before the fix.
#
# Builds everything once (tests/e2e/stable612/prepare.sh, into
# e2e/stable612-out/ of the build tree; as root it installs what is
# missing).  SPLICE_SKIP_VM_TESTS=1: the package is still made, the boot is
# skipped (77).  A harness failure is a hard error (99).
set -uo pipefail

src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPLICE_TOP_BUILDDIR:-$src}
vm=${SPLICE_VM:-$src/scripts/splice-vm}
out=$build/tests/e2e/stable612-out
name=stable-fix-612

SPLICE_TOP_SRCDIR=$src SPLICE_TOP_BUILDDIR=$build "$src/tests/e2e/stable612/prepare.sh" "$out" ||
	{ echo "ERROR: $name: preparing the update failed"; exit 99; }
[ -f "$out/packages/splice-timers.tar.gz" ] || { echo "FAIL: $name: no package"; exit 1; }
if [ "${SPLICE_SKIP_VM_TESTS:-}" = 1 ]; then
	echo "SKIP: $name: SPLICE_SKIP_VM_TESTS=1 is set (package made)"
	exit 77
fi

SPLICE_ABI=6.12.117+deb12 "$vm" run --timeout "${SPLICE_VM_TIMEOUT:-300}" \
	--file "$out:/splice/stable" --log "$build/tests/$name.console" \
	"$src/tests/e2e/stable612/stable612.vm"
rc=$?
. "$src/tests/e2e/vm-result.sh"
vm_result "$name" $rc
