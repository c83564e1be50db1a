#!/bin/bash
# prepare.sh: everything on the host for applying a fix of Debian's stable
# update 6.12.117-1 -> 6.12.118-1 to the kernel it fixes, Debian's
# 6.12.117+deb12 (tests/e2e/stable-fix-612.sh):
#
#   tests/e2e/stable612/prepare.sh OUTDIR
#
# The fix: "posix-timers: Report zero remaining time for disarmed SIGEV_NONE
# timers" (Debian's changelog of 6.12.118-1), the whole difference of
# kernel/time/posix-timers.c between the two source packages
# (posix-timers-6.12.118.patch: `diff -u` of the file in
# linux-source-6.12=6.12.117-1~deb12u1 and =6.12.118-1~deb12u1).
#
# 1. as root: installs what is missing (linux-headers-6.12.117+deb12-amd64,
#    libc6-dev for the static test program); downloads 6.12.117's image and
#    its source package linux-source-6.12=6.12.117-1~deb12u1 (cached in
#    /var/cache/splice);
# 2. that source extracted and prepared the ordinary way (Debian's config
#    as .config, `make olddefconfig prepare`: release "6.12.117", not
#    6.12.117+deb12-amd64) in WORK/tree; splice-create prepares it for the
#    running kernel apart (WORK/cache);
# 3. splice-core.ko for 6.12.117+deb12 by DKMS (WORK/abi, WORK/core);
# 4. the update, made by splice-create: OUTDIR/packages/splice-timers.tar.gz
#    (its log beside it);
# 5. OUTDIR/bin/: splice-apply, splice-undo, splice-view, splice-core.ko and
#    sigev-none (sigev-none.c, static).  OUTDIR goes into the VM.
#
# Environment: SPLICE_TOP_SRCDIR, SPLICE_TOP_BUILDDIR (default: this
# repository, built in place), SPLICE_STABLE_FIX_WORK (WORK, default
# OUTDIR.work).
set -uo pipefail

abi=6.12.117+deb12
here=$(cd "$(dirname "$0")" && pwd)
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$here/../../.." && pwd)}
top_build=${SPLICE_TOP_BUILDDIR:-$top_src}
vm=$top_src/scripts/splice-vm
out=${1:?usage: prepare.sh OUTDIR}
work=${SPLICE_STABLE_FIX_WORK:-$out.work}

. "$here/../debian/prepare-lib.sh"

need_pkg "linux-headers-$abi-amd64"
need_pkg libc6-dev
mkdir -p "$out/bin" "$out/packages" || exit 1
ordinary_tree "$abi"
msg "the tree: $tree (release $(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$tree/include/generated/utsrelease.h" 2>/dev/null))"
core_for_abi "$abi"
${CC:-gcc} -O2 -Wall -static -o "$out/bin/sigev-none" "$here/sigev-none.c" ||
	die "cannot build sigev-none"

rm -f "$out/packages/splice-timers.tar.gz"
msg "splice-create --id timers"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$top_build/splice-create/splice-create" -j"$(nproc)" \
	-s "$tree" --kernel-build "/usr/src/linux-headers-$abi-amd64" --core "$work/core" \
	--cache "$work/cache" --id timers -o "$out/packages" "$here/posix-timers-6.12.118.patch" \
	>"$out/packages/timers.log" 2>&1
rc=$?
cat "$out/packages/timers.log" >&2
[ $rc = 0 ] || die "splice-create failed (exit $rc)"
msg "ready: $out"
