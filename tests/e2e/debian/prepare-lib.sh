# prepare-lib.sh: what the preparations of a real Debian fix share (sourced
# by tests/e2e/debian/prepare.sh, the 6.1 security update, and
# tests/e2e/stable612/prepare.sh, a 6.12 stable fix).  Bash.
#
# The caller sets: top_src, top_build (this repository's source and build
# trees), vm (scripts/splice-vm), work (what stays on the host) and out
# (what goes into the VM), and calls:
#   need_pkg PACKAGE            install it if missing (root only)
#   ordinary_tree ABI           the ABI's source package extracted and
#                               prepared the ordinary way into $work/tree
#                               (Debian's config of ABI as .config, `make
#                               olddefconfig prepare`, no KERNELRELEASE):
#                               sets tree; made once ($work/tree/.ready
#                               names the .deb)
#   core_for_abi ABI            splice-core.ko for ABI by DKMS
#                               (tests/vm/build-abi into $work/abi), $work/core
#                               as splice-create's --core, and $out/bin:
#                               splice-apply, splice-undo, splice-view,
#                               splice-core.ko

msg() { echo "prepare: $*" >&2; }
die() { echo "prepare: error: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need_pkg() {
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

ordinary_tree() {
	local abi=$1 deb config dir
	deb=$("$vm" --abi "$abi" path source-deb) || die "no linux-source package for $abi"
	config=$("$vm" --abi "$abi" path config) || die "no config of $abi"
	dir=$(dpkg-deb --fsys-tarfile "$deb" | tar -t --wildcards './usr/src/linux-source-*.tar.xz' |
		sed -n 's|^\./usr/src/\(linux-source-[0-9.]*\)\.tar\.xz$|\1|p')
	[ -n "$dir" ] || die "$deb holds no linux-source tarball"
	tree=$work/tree/$dir
	[ "$(cat "$work/tree/.ready" 2>/dev/null)" = "$deb" ] && return 0
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
}

core_for_abi() {
	local abi=$1
	msg "splice-core.ko for $abi-amd64 (DKMS)"
	SPLICE_VM=$vm SPLICE_TOP_SRCDIR=$top_src SPLICE_TOP_BUILDDIR=$top_build \
		"$top_src/tests/vm/build-abi" "$abi" "$work/abi" >&2 ||
		die "splice-core.ko for $abi-amd64 failed to build"
	mkdir -p "$work/core/include/splice" "$out/bin" &&
		cp "$top_src/splice-core/splice.h" "$work/abi/Module.symvers" "$work/core/" &&
		cp "$top_src/splice-core/include/splice/patch.h" "$work/core/include/splice/" &&
		cp "$top_src"/scripts/splice-apply "$top_src"/scripts/splice-undo \
			"$top_src"/scripts/splice-view "$work/abi/splice-core.ko" "$out/bin/" ||
		die "cannot copy splice-core's files"
}
