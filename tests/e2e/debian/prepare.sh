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

msg() { echo "prepare: $*" >&2; }
die() { echo "prepare: error: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need_pkg() {	# need_pkg PACKAGE: install it if missing (root only)
	installed "$1" && return 0
	[ "$(id -u)" = 0 ] || die "$1 is not installed (run as root, or: apt-get install $1)"
	msg "installing $1"
	# (another test of a parallel make check may be installing too: wait
	# for dpkg's lock rather than fail)
	local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$1" >/dev/null ||
		{ apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null &&
			DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$1" >/dev/null; } ||
		die "cannot install $1"
}

need_pkg "linux-headers-$release"
need_pkg e2fsprogs
deb=$("$vm" --abi "$abi" path source-deb) || die "no linux-source package for $abi"
config=$("$vm" --abi "$abi" path config) || die "no config-$release"
mkdir -p "$out/bin" "$out/packages" || exit 1

# The source tree splice-create builds the updates in: 6.1.192-1 as the
# sysadmin has it, prepared the ordinary way (no KERNELRELEASE, no KCFLAGS).
tree=${SPLICE_DEBIAN_FIX_TREE:-}
if [ -z "$tree" ]; then
	tree=$work/tree/linux-source-6.1
	if [ "$(cat "$work/tree/.ready" 2>/dev/null)" != "$deb" ]; then
		rm -rf "$work/tree" "$work/cache"
		mkdir -p "$work/tree" || exit 1
		msg "extracting $(basename "$deb") and preparing it the ordinary way"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
			xz -dc -T0 | tar -x -C "$work/tree" || die "cannot extract $deb"
		cp "$config" "$tree/.config" &&
			make -s -C "$tree" olddefconfig >"$work/tree/prepare.log" 2>&1 &&
			make -s -C "$tree" -j"$(nproc)" prepare >>"$work/tree/prepare.log" 2>&1 ||
			{ tail -n 20 "$work/tree/prepare.log" >&2; die "make olddefconfig prepare failed"; }
		echo "$deb" >"$work/tree/.ready"
	fi
fi
msg "the tree: $tree (release $(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$tree/include/generated/utsrelease.h" 2>/dev/null))"

msg "splice-core.ko for $release (DKMS)"
SPLICE_VM=$vm SPLICE_TOP_SRCDIR=$top_src SPLICE_TOP_BUILDDIR=$top_build \
	"$top_src/tests/vm/build-abi" "$abi" "$work/abi" >&2 || die "splice-core.ko for $release failed to build"
mkdir -p "$work/core/include/splice" &&
	cp "$top_src/splice-core/splice.h" "$work/abi/Module.symvers" "$work/core/" &&
	cp "$top_src/splice-core/include/splice/patch.h" "$work/core/include/splice/" || exit 1
cp "$here/vm-lib.sh" "$out/" && cp "$top_src"/scripts/splice-apply "$top_src"/scripts/splice-undo "$top_src"/scripts/splice-view \
	"$work/abi/splice-core.ko" "$out/bin/" || exit 1

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
