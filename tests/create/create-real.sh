#!/bin/bash
# splice-create against Debian's own source (the VM harness's prepared tree):
# exit statuses, the manifest's function list, and that the source tree is
# byte-identical afterwards -- also after a run interrupted with SIGINT, and
# after a run in a link farm (SPLICE_CREATE_FARM=links), the scratch tree
# splice-create falls back to when it may not mount an overlay.
#
# Skipped (77) when SPLICE_SKIP_REAL_TESTS=1 or the harness has no tree.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${SPLICE_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
vm=${SPLICE_VM:-$top_build/scripts/splice-vm}
create=$top_build/splice-create/splice-create
objdiff=$top_build/objmatch/splice-objdiff
patches=$srcdir/create/patches

[ -n "${SPLICE_SKIP_REAL_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_REAL_TESTS"; exit 77; }
tree=$(SPLICE_VM_QUIET=1 "$vm" path source 2>/dev/null) && [ -f "$tree/include/generated/utsrelease.h" ] ||
	{ echo "SKIP: no prepared tree (run scripts/splice-setup)"; exit 77; }

# the scratch tree must be on the tree's file system; keep it private
work=$(mktemp -d "${TMPDIR:-/tmp}/create-real.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/out"

fail=0
bad() { echo "FAIL: $*"; fail=1; }

stamp=$work/stamp
touch "$stamp"
sleep 1
sums_before=$(cd "$tree" && sha256sum fs/proc/meminfo.c mm/util.c)
# every entry of the tree (name, size, mtime, inode: a write through a hard
# link of a link farm changes the mtime), and the bytes of what building
# fs/proc/meminfo.o reads or kbuild would rewrite; about 2 s each time
tree_state() {
	(cd "$tree" && find . -printf '%P %s %T@ %i\n' | LC_ALL=C sort &&
		find fs/proc include/generated include/config -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum)
}
tree_state >"$work/tree.before"

tree_identical() {	# $1: what ran
	tree_state >"$work/tree.after"
	cmp -s "$work/tree.before" "$work/tree.after" ||
		bad "$1: the source tree differs: $(diff "$work/tree.before" "$work/tree.after" | head -n 5)"
}

tree_untouched() {	# $1: what ran
	local changed
	changed=$(find "$tree" -newer "$stamp" -print 2>/dev/null | head -n 5)
	[ -z "$changed" ] || bad "$1: the source tree was modified: $changed"
	[ "$(cd "$tree" && sha256sum fs/proc/meminfo.c mm/util.c)" = "$sums_before" ] ||
		bad "$1: patched files differ from before"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "$1: scratch left behind: $(ls "$TMPDIR")"
}

run() {	# run EXPECTED_STATUS NAME [ARGS...]: splice-create on patches/NAME.patch
	local expect=$1 name=$2 rc out
	shift 2
	out=$work/${RUN_LABEL:-$name}.out	# RUN_LABEL: a second run of one patch
	echo "== ${RUN_LABEL:-$name} (expect $expect)"
	"$create" -o "$work/out" "$@" "$patches/$name.patch" >"$out" 2>&1
	rc=$?
	cat "$out"
	[ "$rc" = "$expect" ] || bad "$name: exit status $rc, expected $expect"
	tree_untouched "$name"
}

# check_package ID OUTPUT: splice-ID.tar.gz is the one-function fix of
# meminfo-string.patch, unpacked into $work/pkg-ID; OUTPUT what the run said
check_package() {
	local id=$1 out=$2 pkg=$work/out/splice-$1.tar.gz dir=$work/pkg-$1 f sum mod ko release
	[ -f "$pkg" ] || { bad "no package $pkg"; return; }
	mkdir -p "$dir" && tar -xzf "$pkg" -C "$dir" || bad "cannot unpack $pkg"
	cat "$dir/manifest"
	[ "$(grep -E '^(changed|new|removed) ' "$dir/manifest")" = "changed meminfo_proc_show" ] ||
		bad "$id: manifest does not name exactly meminfo_proc_show"
	grep -qx 'unit fs/proc/meminfo.o' "$dir/manifest" || bad "$id: manifest: no unit line"
	grep -qx "id $id" "$dir/manifest" || bad "$id: manifest: wrong id"
	grep -qx "kernel-release $(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		"$tree/include/generated/utsrelease.h")" "$dir/manifest" || bad "$id: manifest: release"
	for f in patch pre/fs/proc/meminfo.o post/fs/proc/meminfo.o; do
		sum=$(sha256sum "$dir/$f" | cut -d' ' -f1)
		grep -qx "file $f $sum" "$dir/manifest" || bad "$id: manifest: sha256 of $f"
	done
	# the update's kernel modules: pre code and new code, built for the release
	release=$(sed -n 's/^kernel-release //p' "$dir/manifest")
	[ "$(grep '^module ' "$dir/manifest")" = "module splice_${id}_pre pre fs/proc/meminfo.o
module splice_${id}_new new fs/proc/meminfo.o" ] || bad "$id: manifest: module lines"
	for mod in "splice_${id}_pre" "splice_${id}_new"; do
		ko=$dir/modules/$mod.ko
		[ -f "$ko" ] || { bad "$id: package: no modules/$mod.ko"; continue; }
		sum=$(sha256sum "$ko" | cut -d' ' -f1)
		grep -qx "file modules/$mod.ko $sum" "$dir/manifest" || bad "$id: manifest: sha256 of $mod.ko"
		[ "$(/sbin/modinfo -F name "$ko")" = "$mod" ] || bad "$mod.ko: module name"
		[ "$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ] ||
			bad "$mod.ko: vermagic is not $release"
		/sbin/modinfo -F depends "$ko" | grep -Eq 'splice[-_]core' || bad "$mod.ko: does not depend on splice_core"
	done
	[ "$(cd "$dir" && find . -type f | LC_ALL=C sort)" = "./manifest
./modules/splice_${id}_new.ko
./modules/splice_${id}_pre.ko
./patch
./post/fs/proc/meminfo.o
./pre/fs/proc/meminfo.o" ] || bad "$id: package files: $(cd "$dir" && find . -type f)"
	grep -q 'building modules' "$out" || bad "$id: no 'building modules' progress line"
	cmp -s "$dir/patch" "$patches/meminfo-string.patch" || bad "$id: package: patch differs"
	grep -q 'changed: meminfo_proc_show' "$out" || bad "$id: no 'changed:' line"
}

# a one-function fix: a package naming exactly that function (the scratch
# tree is an overlay when we run as root)
run 0 meminfo-string --id meminfo_fix
check_package meminfo_fix "$work/meminfo-string.out"

# the same in a link farm: the same package, the tree untouched byte for byte
RUN_LABEL=links SPLICE_CREATE_FARM=links run 0 meminfo-string --id links -v
grep -q 'scratch tree: link farm' "$work/links.out" || bad "links: no link farm (-v says)"
check_package links "$work/links.out"
# the objects differ in their debug info's paths, not in code or data
for side in pre post; do
	"$objdiff" "$work/pkg-meminfo_fix/$side/fs/proc/meminfo.o" \
		"$work/pkg-links/$side/fs/proc/meminfo.o" >"$work/links.objdiff" 2>&1
	rc=$?
	[ "$rc" = 3 ] || bad "links: $side object differs from the overlay run's (splice-objdiff exit $rc):
$(cat "$work/links.objdiff")"
done
tree_identical links

run 3 comment-only		# a C comment: the units are rebuilt, nothing differs
run 3 doc-only			# Documentation only: nothing to build
run 2 global-init		# a global's initial value: refused with the reason
grep -q 'sysctl_overcommit_ratio' "$work/global-init.out" || bad "global-init: reason not named"
run 1 does-not-apply		# patch's own words
grep -q 'FAILED' "$work/does-not-apply.out" || bad "does-not-apply: patch's message missing"
[ -z "$(ls "$work/out" | grep -Ev 'meminfo_fix|links')" ] || bad "packages written for failed runs: $(ls "$work/out")"

# interrupted in the middle of the pre build: no trace in the tree or TMPDIR
echo "== SIGINT while building"
"$create" -o "$work/out" --id interrupted "$patches/meminfo-string.patch" >"$work/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	grep -q 'building 1 pre unit' "$work/int.out" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
cat "$work/int.out"
[ "$rc" = 130 ] || bad "SIGINT: exit status $rc, expected 130 (killed by SIGINT)"
# nothing of the build outlives it (the compilers make ran: their temporary
# files were left in TMPDIR when they were killed before deleting them)
left=$(pgrep -af "$TMPDIR/" | head -n 3)
[ -z "$left" ] || bad "SIGINT: processes of the build still running: $left"
[ ! -e "$work/out/splice-interrupted.tar.gz" ] || bad "SIGINT: a package was written"
tree_untouched "SIGINT"
tree_identical "all runs"

[ $fail = 0 ] && echo "PASS"
exit $fail
