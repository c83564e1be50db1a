#!/bin/bash
# prepare.sh: everything on the host for applying Debian's security update
# 6.1.192-1 -> 6.1.192-3 to the kernel it fixes, Debian's 6.1.0-55
# (tests/e2e/debian-fix.sh, scripts/splice-demo-security):
#
#   tests/e2e/debian/prepare.sh OUTDIR
#
# 1. as root: installs what is missing (linux-headers-6.1.0-55-amd64,
#    e2fsprogs for mkfs.ext4); downloads and prepares 6.1.0-55's image and
#    source (splice-vm fetch, cached in /var/cache/splice);
# 2. builds splice-core.ko for 6.1.0-55 (OUTDIR/core/, kbuild against the
#    headers; its splice.h and Module.symvers are splice-create's --core);
# 3. makes the two updates with splice-create from the two patches of this
#    directory (make-patches.sh regenerates them from Debian's packages):
#    OUTDIR/packages/splice-ext4fix.tar.gz, splice-nfsdfix.tar.gz (logs
#    beside them);
# 4. OUTDIR/bin/: splice-apply, splice-undo, splice-view, splice-core.ko,
#    and OUTDIR/ext4.img, an empty ext4 file system (4 KiB blocks, 4 block
#    groups) for the workload.  OUTDIR goes into the VM as one directory.
#
# Environment: SPLICE_TOP_SRCDIR, SPLICE_TOP_BUILDDIR (default: this
# repository, built in place), SPLICE_DEBIAN_FIX_TREE (the source tree
# splice-create builds in; default: the VM harness's prepared tree of
# 6.1.0-55), SPLICE_DEBIAN_FIX_CONFIG (its configuration; default: the
# tree's .config).
set -uo pipefail

abi=6.1.0-55
release=$abi-amd64
here=$(cd "$(dirname "$0")" && pwd)
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$here/../../.." && pwd)}
top_build=${SPLICE_TOP_BUILDDIR:-$top_src}
vm=$top_src/scripts/splice-vm
out=${1:?usage: prepare.sh OUTDIR}
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

# splice-core.ko for the target kernel, the way splice-core/Makefile.am
# builds it: the module's sources and the matcher's (objmatch/) copied into
# one kbuild directory.  (To be replaced by DKMS once splice-core has it.)
build_core() {	# build_core DIR
	local d=$1 version f
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_build/Makefile")
	[ -n "$version" ] || die "$top_build/Makefile: no PACKAGE_VERSION (configure first)"
	rm -rf "$d" && mkdir -p "$d/objmatch" || return 1
	cp "$top_src"/splice-core/*.c "$top_src"/splice-core/*.h "$top_src/splice-core/Kbuild" "$d/" || return 1
	for f in match.c match.h match-x86_64.c match-arch.h match-compat.h blob-read.c blob.h; do
		cp "$top_src/objmatch/$f" "$d/objmatch/" || return 1
	done
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$kbuild" M="$d" \
		SPLICE_VERSION="$version" modules >"$d/kbuild.log" 2>&1 ||
		{ cat "$d/kbuild.log" >&2; return 1; }
	[ "$(/sbin/modinfo -F vermagic "$d/splice-core.ko" | cut -d' ' -f1)" = "$release" ] ||
		die "$d/splice-core.ko: not built for $release"
}

need_pkg "linux-headers-$release"
need_pkg e2fsprogs
SPLICE_ABI=$abi "$vm" fetch >&2 || die "splice-vm fetch ($abi) failed"

# The one source tree splice-create builds the updates in.  It must be the
# source of 6.1.192-1 configured with 6.1.0-55's config.
tree=${SPLICE_DEBIAN_FIX_TREE:-$(SPLICE_ABI=$abi "$vm" path source)} || die "no source tree"
# Its configuration, given explicitly: splice-create's default is
# /boot/config-$(uname -r), the build machine's own kernel, not 6.1.0-55.
# The tree's .config is 6.1.0-55's config after olddefconfig; Debian's file
# ($(SPLICE_ABI=6.1.0-55 splice-vm path config)) lacks the symbols
# olddefconfig adds (CONFIG_BUILD_SALT, ...), and splice-create takes that
# for another configuration and prepares a copy (17 s more per update).  A
# tree that is not configured yet needs Debian's file here.
config=${SPLICE_DEBIAN_FIX_CONFIG:-$tree/.config}

mkdir -p "$out/bin" "$out/packages" || exit 1
msg "building splice-core.ko for $release"
build_core "$out/core" || die "splice-core.ko for $release failed to build"
cp "$here/vm-lib.sh" "$out/" && cp "$top_src"/scripts/splice-apply "$top_src"/scripts/splice-undo "$top_src"/scripts/splice-view \
	"$out/core/splice-core.ko" "$out/bin/" || exit 1

# both updates at once: each is one unit, compiled twice, one after the other
pids=()
for u in ext4fix:ext4-mballoc nfsdfix:nfsd-nfs4state; do
	id=${u%%:*} patch=$here/${u#*:}-6.1.192-3.patch
	rm -f "$out/packages/splice-$id.tar.gz"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$top_build/splice-create/splice-create" -j1 \
		-s "$tree" -c "$config" --kernel-build "$kbuild" --core "$out/core" \
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
