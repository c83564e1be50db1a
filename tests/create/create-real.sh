#!/bin/bash
# splice-create against Debian's own source (the VM harness's prepared tree):
# exit statuses, the manifest's function list, and that the source tree is
# byte-identical afterwards -- also after a run interrupted with SIGINT.
#
# Skipped (77) when SPLICE_SKIP_REAL_TESTS=1 or the harness has no tree.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${SPLICE_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
vm=${SPLICE_VM:-$top_build/scripts/splice-vm}
create=$top_build/splice-create/splice-create
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

tree_untouched() {	# $1: what ran
	local changed
	changed=$(find "$tree" -newer "$stamp" -print 2>/dev/null | head -n 5)
	[ -z "$changed" ] || bad "$1: the source tree was modified: $changed"
	[ "$(cd "$tree" && sha256sum fs/proc/meminfo.c mm/util.c)" = "$sums_before" ] ||
		bad "$1: patched files differ from before"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "$1: scratch left behind: $(ls "$TMPDIR")"
}

run() {	# run EXPECTED_STATUS NAME [ARGS...]: splice-create on patches/NAME.patch
	local expect=$1 name=$2 rc
	shift 2
	echo "== $name (expect $expect)"
	"$create" -o "$work/out" "$@" "$patches/$name.patch" >"$work/$name.out" 2>&1
	rc=$?
	cat "$work/$name.out"
	[ "$rc" = "$expect" ] || bad "$name: exit status $rc, expected $expect"
	tree_untouched "$name"
}

# a one-function fix: a package naming exactly that function
run 0 meminfo-string --id meminfo_fix
pkg=$work/out/splice-meminfo_fix.tar.gz
if [ -f "$pkg" ]; then
	mkdir -p "$work/pkg" && tar -xzf "$pkg" -C "$work/pkg" || bad "cannot unpack $pkg"
	cat "$work/pkg/manifest"
	[ "$(grep -E '^(changed|new|removed) ' "$work/pkg/manifest")" = "changed meminfo_proc_show" ] ||
		bad "manifest does not name exactly meminfo_proc_show"
	grep -qx 'unit fs/proc/meminfo.o' "$work/pkg/manifest" || bad "manifest: no unit line"
	grep -qx 'id meminfo_fix' "$work/pkg/manifest" || bad "manifest: wrong id"
	grep -qx "kernel-release $(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		"$tree/include/generated/utsrelease.h")" "$work/pkg/manifest" || bad "manifest: release"
	for f in patch pre/fs/proc/meminfo.o post/fs/proc/meminfo.o; do
		sum=$(sha256sum "$work/pkg/$f" | cut -d' ' -f1)
		grep -qx "file $f $sum" "$work/pkg/manifest" || bad "manifest: sha256 of $f"
	done
	# the update's kernel modules: pre code and new code, built for the release
	release=$(sed -n 's/^kernel-release //p' "$work/pkg/manifest")
	[ "$(grep '^module ' "$work/pkg/manifest")" = "module splice_meminfo_fix_pre pre fs/proc/meminfo.o
module splice_meminfo_fix_new new fs/proc/meminfo.o" ] || bad "manifest: module lines"
	for mod in splice_meminfo_fix_pre splice_meminfo_fix_new; do
		ko=$work/pkg/modules/$mod.ko
		[ -f "$ko" ] || { bad "package: no modules/$mod.ko"; continue; }
		sum=$(sha256sum "$ko" | cut -d' ' -f1)
		grep -qx "file modules/$mod.ko $sum" "$work/pkg/manifest" || bad "manifest: sha256 of $mod.ko"
		[ "$(/sbin/modinfo -F name "$ko")" = "$mod" ] || bad "$mod.ko: module name"
		[ "$(/sbin/modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$release" ] ||
			bad "$mod.ko: vermagic is not $release"
		/sbin/modinfo -F depends "$ko" | grep -Eq 'splice[-_]core' || bad "$mod.ko: does not depend on splice_core"
	done
	grep -q 'building modules' "$work/meminfo-string.out" || bad "no 'building modules' progress line"
	cmp -s "$work/pkg/patch" "$patches/meminfo-string.patch" || bad "package: patch differs"
	grep -q 'changed: meminfo_proc_show' "$work/meminfo-string.out" || bad "no 'changed:' line"
else
	bad "no package $pkg"
fi

run 3 comment-only		# a C comment: the units are rebuilt, nothing differs
run 3 doc-only			# Documentation only: nothing to build
run 2 global-init		# a global's initial value: refused with the reason
grep -q 'sysctl_overcommit_ratio' "$work/global-init.out" || bad "global-init: reason not named"
run 1 does-not-apply		# patch's own words
grep -q 'FAILED' "$work/does-not-apply.out" || bad "does-not-apply: patch's message missing"
[ -z "$(ls "$work/out" | grep -v meminfo_fix)" ] || bad "packages written for failed runs: $(ls "$work/out")"

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
[ ! -e "$work/out/splice-interrupted.tar.gz" ] || bad "SIGINT: a package was written"
tree_untouched "SIGINT"

[ $fail = 0 ] && echo "PASS"
exit $fail
