#!/bin/bash
# splice-create's expected refusals on Debian's source, each with its exit
# status and no package: comment_only (3: no code change), global_init (2:
# a changed initial value of a global variable, mm/util.c's
# sysctl_overcommit_ratio, with no hook that sets it: the message names the
# hook that would), unused_function (3: only a new function that
# nothing calls: an update would change nothing that runs), task_field (2: a
# new field of task_struct in include/linux/sched.h, refused from the source
# before anything is built, pointing at shadow data), unique_counter
# (3: a min() in a BUILD_BUG_ON() shifts __COUNTER__, and with it the
# __UNIQUE_ID___addressable_init_module<N> of binfmt_misc's module_init in
# .init.data), kvm_blank_line (3: a blank line at the top of
# arch/x86/kvm/x86.c moves the __LINE__ in a FORTIFY memcpy() WARN's text).
# Skipped (77) when SPLICE_SKIP_REAL_TESTS=1 or the harness has no tree.
# SPLICE_TEST_ABI=ABI (e2e/create-refusals.612.sh, made by e2e/e2e.am): the
# same refusals against that kernel's source, headers and splice-core, as
# e2e/e2e.am prepared them for its packages (e2e/out-ABI/target/), with
# e2e/patches-SERIES/NAME.patch where there is one.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${SPLICE_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
vm=${SPLICE_VM:-$top_build/scripts/splice-vm}
create=$top_build/splice-create/splice-create
abi=${SPLICE_TEST_ABI:-}
series=$(echo "$abi" | cut -d. -f1,2)	# 6.12.118+deb12 -> 6.12

[ -n "${SPLICE_SKIP_REAL_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_REAL_TESTS"; exit 77; }
target=()
if [ -n "$abi" ]; then
	t=$top_build/tests/e2e/out-$abi/target
	[ -f "$t/.built" ] || { echo "ERROR: $t not made (make check makes it: tests/e2e/e2e.am)"; exit 99; }
	tree=$(cat "$t/source")
	target=(--source "$tree" --kernel-build "$(cat "$t/headers")" --core "$(cat "$t/core")")
else
	tree=$(SPLICE_VM_QUIET=1 "$vm" path source 2>/dev/null) && [ -f "$tree/include/generated/utsrelease.h" ] ||
		{ echo "SKIP: no prepared tree (run scripts/splice-setup)"; exit 77; }
fi
# where the patch's new field lands in include/linux/sched.h
case $series in
6.12) task_field_line=1623 ;;
*)    task_field_line=1550 ;;
esac

out=$(mktemp -d "${TMPDIR:-/tmp}/e2e-refusals.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
fail=0

refuse() {	# refuse NAME EXPECTED_STATUS WORDS
	local name=$1 expect=$2 words=$3 rc
	local patch=$srcdir/e2e/patches/$name.patch
	[ -n "$series" ] && [ -f "$srcdir/e2e/patches-$series/$name.patch" ] &&
		patch=$srcdir/e2e/patches-$series/$name.patch
	echo "== $name (expect exit $expect) ${abi:+on $abi }${patch#$srcdir/}"
	"$create" ${target[@]+"${target[@]}"} -o "$out" --id "$name" "$patch" >"$out/$name.log" 2>&1
	rc=$?
	cat "$out/$name.log"
	[ "$rc" = "$expect" ] || { echo "FAIL: $name: exit $rc, expected $expect"; fail=1; }
	grep -q "$words" "$out/$name.log" || { echo "FAIL: $name: no '$words'"; fail=1; }
	[ ! -e "$out/splice-$name.tar.gz" ] || { echo "FAIL: $name: a package was written"; fail=1; }
}

refuse comment_only 3 'no code change'
refuse global_init 2 "sysctl_overcommit_ratio: changed initialised data (the running kernel's copy can't be replaced): add a splice_apply() hook that sets it (splice-patch(7))"
refuse task_field 2 "include/linux/sched.h:$task_field_line: changes the layout of struct task_struct, which the running kernel has instances of: keep the new state in shadow data instead"
refuse unused_function 3 'no code change that runs: the patch only adds or removes functions nothing calls'
refuse unique_counter 3 'no code change'
refuse kvm_blank_line 3 'no code change'
[ $fail = 0 ] && echo PASS
exit $fail
