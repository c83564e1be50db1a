#!/bin/bash
# splice-create on the three kinds of tree a user has: a tree freshly
# extracted from Debian's linux-source package (no .config), the same tree
# prepared the ordinary way (`cp config .config && make olddefconfig
# prepare`, whose release is then the Makefile's "6.1.192"), and the VM
# harness's tree (prepared for the target by splice-vm).  For each: a package
# for the target kernel R (the harness's ABI) -- manifest release R, modules'
# vermagic R, the pre object's code identical to the harness tree's -- the
# tree never written, and the prepared state made once (kept in --cache)
# and reused by the next run, which then prepares nothing.  -o DIR is
# created when missing.
#
# Every package's modules must carry the CRCs of the splice-core that will
# be loaded on the target (CONFIG_MODVERSIONS), or the kernel refuses them.
#
# SPLICE_TEST_ABI=ABI (create/trees.612.sh: 6.12.118+deb12): the same for
# that kernel, as a user of it gets there: no --core, so splice-create takes
# splice-core's Module.symvers from DKMS's build for the target
# (vm/build-abi's private DKMS tree, as SPLICE_DKMS_TREE), not the build
# tree's core (built for configure's kernel); the harness's tree and the
# tree prepared the ordinary way (release "6.12.118"), not the fresh tree
# nor the second run and the link farm, whose logic is the series' same.
#
# Skipped (77) when SPLICE_SKIP_REAL_TESTS=1 or the harness has no tree.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
vm=${SPLICE_VM:-$top_src/scripts/splice-vm}
create=$top_build/splice-create/splice-create
patch=$top_src/scripts/demo-version.patch

[ -n "${SPLICE_SKIP_REAL_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_REAL_TESTS"; exit 77; }
abi=${SPLICE_TEST_ABI:-}
symvers=$top_build/splice-core/Module.symvers
if [ -n "$abi" ]; then
	export SPLICE_ABI=$abi
	# splice-core for ABI by DKMS, as make install has it built (private trees)
	out=$top_build/tests/vm/abi-$abi
	SPLICE_VM=$vm SPLICE_TOP_SRCDIR=$top_src SPLICE_TOP_BUILDDIR=$top_build \
		"$top_src/tests/vm/build-abi" "$abi" "$out" >"$top_build/tests/create/trees-build-abi.log" 2>&1 ||
		{ tail -n 20 "$top_build/tests/create/trees-build-abi.log"; echo "FAIL: vm/build-abi $abi"; exit 1; }
	export SPLICE_DKMS_TREE=$out/dkms
	symvers=$(ls -1 "$SPLICE_DKMS_TREE"/splice-core/*/"$abi"-amd64/*/Module.symvers | head -n 1)
	[ -f "$symvers" ] || { echo "FAIL: build-abi left no DKMS Module.symvers in $SPLICE_DKMS_TREE"; exit 1; }
else
	unset SPLICE_DKMS_TREE
fi
unset SPLICE_CORE_DIR
htree=$(SPLICE_VM_QUIET=1 "$vm" path source 2>/dev/null) &&
	[ -f "$htree/include/generated/utsrelease.h" ] ||
	{ echo "SKIP: no prepared tree (run scripts/splice-setup)"; exit 77; }
release=$("$vm" release) || exit 1
kb=$(SPLICE_VM_QUIET=1 "$vm" path headers) || exit 1
config=$(SPLICE_VM_QUIET=1 "$vm" path config) || exit 1
deb=$(ls -1 "$("$vm" path cache)"/debs/linux-source-*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "FAIL: no linux-source .deb in the harness's cache"; exit 1; }

# the scratch trees must be on the trees' file system; everything private
work=$(mktemp -d "${TMPDIR:-/tmp}/create-trees.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

fail=0
bad() { echo "FAIL: $*"; fail=1; }

# run LABEL TREE ARGS...: splice-create --id LABEL of the demo patch, into
# $work/out/LABEL (made by splice-create), with its output in $work/LABEL.out;
# the tree must be unchanged afterwards
run() {
	local label=$1 tree=$2 t0 rc
	shift 2
	echo "== $label: $tree $*"
	touch "$work/stamp"
	sleep 1
	t0=$(date +%s.%N)
	"$create" -s "$tree" -o "$work/out/$label" --id "$label" "$@" "$patch" >"$work/$label.out" 2>&1
	rc=$?
	echo "(exit $rc, $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s)"
	cat "$work/$label.out"
	[ "$rc" = 0 ] || bad "$label: exit status $rc"
	[ -z "$(find "$tree" -newer "$work/stamp" -print -quit)" ] ||
		bad "$label: the tree was written: $(find "$tree" -newer "$work/stamp" | head -n 3)"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "$label: scratch left in TMPDIR: $(ls "$TMPDIR")"
}

# The code of every function section of an object, as objdump shows it
# (the debug info's paths differ from tree to tree; the code must not).
code() {
	objdump -dr "$1" 2>/dev/null | tail -n +4
}

# check LABEL: the package is the demo fix, for $release
check() {
	local label=$1 dir=$work/pkg-$1 ko
	tar -xzf "$work/out/$label/splice-$label.tar.gz" -C "$(mkdir -p "$dir" && echo "$dir")" ||
		{ bad "$label: no package"; return; }
	grep -qx "kernel-release $release" "$dir/manifest" || bad "$label: manifest: not for $release"
	[ "$(grep -E '^(changed|new|removed) ' "$dir/manifest")" = "changed version_proc_show" ] ||
		bad "$label: manifest does not name exactly version_proc_show"
	for ko in "$dir"/modules/*.ko; do
		[ "$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ] ||
			bad "$label: $(basename "$ko"): vermagic is not $release"
		crcs "$ko" || bad "$label: $(basename "$ko"): splice-core's CRCs are not those of $symvers"
	done
	if [ "$label" != harness ]; then
		[ "$(code "$dir/pre/fs/proc/version.o")" = "$(code "$work/pkg-harness/pre/fs/proc/version.o")" ] ||
			bad "$label: the pre object's code differs from the harness tree's"
		[ "$(code "$dir/post/fs/proc/version.o")" = "$(code "$work/pkg-harness/post/fs/proc/version.o")" ] ||
			bad "$label: the post object's code differs from the harness tree's"
	fi
}

# crcs KO: each splice-core symbol the module uses has the CRC of $symvers
# (the splice-core the target loads); at least one is used
crcs() {
	local n=0 crc sym
	while read -r crc sym; do
		case $sym in splice_*) ;; *) continue ;; esac
		grep -q "^$(printf '0x%08x' "$crc")	$sym	" "$symvers" || return 1
		n=$((n + 1))
	done < <(/sbin/modprobe --dump-modversions "$1" 2>/dev/null)
	[ $n -gt 0 ]
}

# the cache's entries (KEY/, 16 hex digits)
entries() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '????????????????' 2>/dev/null | wc -l; }

# 1. the harness's tree: prepared for the target already, built in as it is
run harness "$htree" -v --cache "$work/cache-h" --kernel-build "$kb"
grep -q "is prepared for $release: built in as it is" "$work/harness.out" ||
	bad "harness: the tree was not used as it is"
[ "$(entries "$work/cache-h")" = 0 ] || bad "harness: a prepared state was made for a ready tree"
check harness

# 2. a tree freshly extracted from Debian's source package
echo "== extracting $(basename "$deb")"
mkdir -p "$work/src"
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
	xz -dc -T0 | tar -x -C "$work/src" || { echo "FAIL: cannot extract $deb"; exit 1; }
tree=$(echo "$work"/src/linux-source-*)
[ ! -e "$tree/.config" ] || bad "the extracted tree has a .config already"
if [ -z "$abi" ]; then
	# -c names the target (config-R); -o's directory does not exist yet
	run fresh "$tree" --cache "$work/cache" -c "$config"
	grep -q "preparing $tree for $release (once" "$work/fresh.out" || bad "fresh: not prepared for $release"
	[ "$(entries "$work/cache")" = 1 ] || bad "fresh: $(entries "$work/cache") prepared states kept, expected 1"
	check fresh
	# its next run takes the prepared state
	run fresh2 "$tree" --cache "$work/cache" -c "$config"
	! grep -q "preparing $tree" "$work/fresh2.out" || bad "fresh2: prepared again"
	check fresh2
fi

# 3. the same tree prepared the ordinary way: release "6.1.192" ("6.12.118"), not R
echo "== make olddefconfig prepare (as a user does)"
cp "$config" "$tree/.config" &&
	make -s -C "$tree" olddefconfig >"$work/user-prepare.log" 2>&1 &&
	make -s -C "$tree" -j"$(nproc)" prepare >>"$work/user-prepare.log" 2>&1 ||
	{ tail -n 20 "$work/user-prepare.log"; echo "FAIL: make prepare"; exit 1; }
grep -q "UTS_RELEASE \"$release\"" "$tree/include/generated/utsrelease.h" &&
	bad "the ordinary tree's release is $release already: nothing tested"
# a cache of its own, so that this tree is prepared for R once more
run ordinary "$tree" -v --cache "$work/cache-o" --kernel-build "$kb"
grep -q "preparing $tree for $release (once" "$work/ordinary.out" ||
	bad "ordinary: not prepared for $release"
grep -q "splice-core: .*, Module.symvers $symvers\$" "$work/ordinary.out" ||
	bad "ordinary: splice-core's Module.symvers is not $symvers"
check ordinary
# the rest as on the default kernel: the same logic
if [ -z "$abi" ]; then
	run ordinary2 "$tree" --cache "$work/cache-o" --kernel-build "$kb"
	! grep -q "preparing $tree" "$work/ordinary2.out" || bad "ordinary2: prepared again"
	check ordinary2
	# and in a link farm (no overlay: what a user without root gets)
	SPLICE_CREATE_FARM=links run links "$tree" -v --cache "$work/cache-o" --kernel-build "$kb"
	grep -q 'scratch tree: link farm' "$work/links.out" || bad "links: no link farm"
	grep -q 'files of the prepared state .* copied in' "$work/links.out" ||
		bad "links: the prepared state was not laid over the link farm"
	check links
fi

[ $fail = 0 ] && echo "PASS"
exit $fail
