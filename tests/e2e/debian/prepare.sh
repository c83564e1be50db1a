#!/bin/bash
# prepare.sh: everything on the host for applying Debian's security update
# 6.1.192-1 -> 6.1.192-3 to the kernel it fixes, Debian's 6.1.0-55
# (tests/e2e/debian-fix.sh, scripts/splice-demo-security):
#
#   tests/e2e/debian/prepare.sh OUTDIR
#
# 1. as root: installs what is missing (linux-headers-6.1.0-55-amd64,
#    e2fsprogs for mkfs.ext4); downloads 6.1.0-55's image and its source
#    package linux-source-6.1=6.1.192-1 (cached in /var/cache/splice);
# 2. the tree, as a sysadmin has it: that source extracted and prepared
#    the ordinary way (Debian's config-6.1.0-55-amd64 as .config, `make
#    olddefconfig prepare`: its release is "6.1.192", not 6.1.0-55-amd64),
#    in WORK/tree (made once: WORK/tree/.ready names the .deb);
#    splice-create prepares it for 6.1.0-55 apart, kept in WORK/cache;
# 3. splice-core.ko for 6.1.0-55, built by DKMS (tests/vm/build-abi, into
#    WORK/abi/; WORK/core/ holds its splice.h, Module.symvers and
#    include/splice/patch.h, which are splice-create's --core);
# 4. the two updates made with splice-create from the two patches of this
#    directory (make-patches.sh regenerates them from Debian's packages):
#    OUTDIR/packages/splice-ext4fix.tar.gz, splice-nfsdfix.tar.gz (logs
#    beside them);
# 5. OUTDIR/bin/: splice-apply, splice-undo, splice-view, splice-core.ko,
#    and OUTDIR/ext4.img, an empty ext4 file system (4 KiB blocks, 4 block
#    groups) for the workload.  OUTDIR goes into the VM as one directory.
#
# Environment: SPLICE_TOP_SRCDIR, SPLICE_TOP_BUILDDIR (default: this
# repository, built in place), SPLICE_DEBIAN_FIX_WORK (WORK, what stays on
# the host: default OUTDIR.work), SPLICE_DEBIAN_FIX_TREE (another source
# tree of 6.1.192-1 to build in, any kind splice-create takes).
set -uo pipefail

abi=6.1.0-55
release=$abi-amd64
here=$(cd "$(dirname "$0")" && pwd)
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$here/../../.." && pwd)}
top_build=${SPLICE_TOP_BUILDDIR:-$top_src}
vm=$top_src/scripts/splice-vm
out=${1:?usage: prepare.sh OUTDIR}
work=${SPLICE_DEBIAN_FIX_WORK:-$out.work}
kbuild=/usr/src/linux-headers-$release

. "$here/prepare-lib.sh"

need_pkg "linux-headers-$release"
need_pkg e2fsprogs
mkdir -p "$out/bin" "$out/packages" || exit 1

# The source tree splice-create builds the updates in: 6.1.192-1 as the
# sysadmin has it, prepared the ordinary way (no KERNELRELEASE, no KCFLAGS).
tree=${SPLICE_DEBIAN_FIX_TREE:-}
[ -n "$tree" ] || ordinary_tree "$abi"
msg "the tree: $tree (release $(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$tree/include/generated/utsrelease.h" 2>/dev/null))"

core_for_abi "$abi"
cp "$here/vm-lib.sh" "$out/" || exit 1

# both updates at once: each is one unit, compiled twice, one after the other
pids=()
for u in ext4fix:ext4-mballoc nfsdfix:nfsd-nfs4state; do
	id=${u%%:*} patch=$here/${u#*:}-6.1.192-3.patch
	rm -f "$out/packages/splice-$id.tar.gz"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$top_build/splice-create/splice-create" -j1 \
		-s "$tree" --kernel-build "$kbuild" --core "$work/core" --cache "$work/cache" \
		--id "$id" -o "$out/packages" "$patch" >"$out/packages/$id.log" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
for id in ext4fix nfsdfix; do
	echo "== splice-create --id $id" >&2
	cat "$out/packages/$id.log" >&2
done
[ $rc = 0 ] || die "splice-create failed"

rm -f "$out/ext4.img"
truncate -s 16M "$out/ext4.img" && /sbin/mkfs.ext4 -q -F -b 4096 -g 1024 -L splice "$out/ext4.img" ||
	die "mkfs.ext4 failed"
msg "ready: $out"
