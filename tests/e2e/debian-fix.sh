#!/bin/bash
# A real Debian security update, live (make check; issue #11): the diff
# between Debian's source packages 6.1.192-1 and 6.1.192-3 (fs/ext4/mballoc.c
# and fs/nfsd/nfs4state.c, tests/e2e/debian/*.patch) becomes two updates
# with splice-create, and one boot of Debian's 6.1.0-55 kernel (the one
# 6.1.192-3 fixes) with ext4 and nfsd loaded applies both, runs the ext4
# workload that panics the unfixed kernel, and undoes them
# (tests/e2e/debian/debian-fix.vm).
#
# Builds everything once (tests/e2e/debian/prepare.sh, into
# e2e/debian-out/ of the build tree): splice-core.ko for 6.1.0-55, the two
# packages, an ext4 image.  As root it installs what is missing
# (linux-headers-6.1.0-55-amd64, e2fsprogs) and fetches 6.1.0-55 into the
# VM cache.  SPLICE_SKIP_VM_TESTS=1: the packages are still made, the boot
# is skipped (77).  A harness failure is a hard error (99).
set -uo pipefail

src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPLICE_TOP_BUILDDIR:-$src}
vm=${SPLICE_VM:-$src/scripts/splice-vm}
out=$build/tests/e2e/debian-out
name=debian-fix

SPLICE_TOP_SRCDIR=$src SPLICE_TOP_BUILDDIR=$build "$src/tests/e2e/debian/prepare.sh" "$out" ||
	{ echo "ERROR: $name: preparing the updates failed"; exit 99; }
for id in ext4fix nfsdfix; do
	[ -f "$out/packages/splice-$id.tar.gz" ] || { echo "FAIL: $name: no package $id"; exit 1; }
done

# a package of the e2e suite, made for the current ABI: refused on 6.1.0-55
other=$build/tests/e2e/out/packages/splice-proc_version.tar.gz
rm -f "$out/other-release.tar.gz"
if [ -f "$other" ]; then
	cp "$other" "$out/other-release.tar.gz" || exit 99
elif [ "${CI:-}" = true ]; then
	echo "FAIL: $name: $other not built (make check builds it first)"
	exit 1
else
	echo "note: $other not built: the other-release refusal is not checked"
fi

if [ "${SPLICE_SKIP_VM_TESTS:-}" = 1 ]; then
	echo "SKIP: $name: SPLICE_SKIP_VM_TESTS=1 is set (packages made)"
	exit 77
fi

SPLICE_ABI=6.1.0-55 "$vm" run --timeout "${SPLICE_VM_TIMEOUT:-300}" \
	--module ext4 --module nfsd --module loop --module nfsv4 --file "$out:/splice/debian" \
	--log "$build/tests/$name.console" "$src/tests/e2e/debian/debian-fix.vm"
rc=$?
. "$src/tests/e2e/vm-result.sh"
vm_result "$name" $rc
