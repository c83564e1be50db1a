#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# splice-objdiff on real kernel objects: pre/post pairs of kernel/sys.c,
# fs/proc/meminfo.c, fs/proc/version.c and kernel/async.c of Debian's
# linux-source-6.1, built
# by kbuild (objtool included) in a copy of the VM harness's prepared tree.
#
# Fails (never skips) when the tree can't be prepared: these objects are the
# reference the differ is held to.
set -uo pipefail

: "${SPLICE_VM:?run through make check}" "${SPLICE_TOP_BUILDDIR:?}" "${SPLICE_TEST_SRCDIR:?}"
OBJDIFF=$SPLICE_TOP_BUILDDIR/objmatch/splice-objdiff
. "$SPLICE_TEST_SRCDIR/kernel/kbuild-farm.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ -n "${SPLICE_SKIP_KERNEL_TESTS:-}" ]; then
	echo "SPLICE_SKIP_KERNEL_TESTS is set: skipped"
	exit 77
fi

tree=$(SPLICE_VM_QUIET=1 "$SPLICE_VM" path source) || fail "splice-vm could not prepare the kernel tree"
[ -f "$tree/Makefile" ] || fail "no prepared tree at '$tree'"
mapfile -t kargs < <("$SPLICE_VM" kbuild-args) || fail "splice-vm kbuild-args failed"
[ ${#kargs[@]} -gt 0 ] || fail "splice-vm kbuild-args printed nothing"
cache=$(SPLICE_VM_QUIET=1 "$SPLICE_VM" path cache) || fail "splice-vm path cache failed"

work=$(mktemp -d "${TMPDIR:-/tmp}/splice-kobj.XXXXXX") || fail "mktemp"
trap '[ -n "${SPLICE_TEST_KEEP:-}" ] || rm -rf "$work"' EXIT
farm=$work/tree

# the harness re-prepares under this lock; copy a consistent tree
exec 9>"$cache/.lock" && flock 9 || fail "cannot lock $cache/.lock"
farm_create "$tree" "$farm" || fail "cannot make a build copy of $tree"
flock -u 9
exec 9>&-

units="kernel/sys.o fs/proc/meminfo.o fs/proc/version.o kernel/async.o"
build() {	# build STEP OBJ...: make the objects, keep them in $work/STEP
	local step=$1 o
	shift
	echo "== building $step: $*"
	make -s -C "$farm" "${kargs[@]}" "$@" >"$work/$step.log" 2>&1 ||
		{ tail -n 30 "$work/$step.log"; fail "kbuild failed ($step)"; }
	for o in "$@"; do
		mkdir -p "$work/$step/$(dirname "$o")" &&
		cp "$farm/$o" "$work/$step/$o" || fail "no $o after $step"
	done
}
edit() {	# edit FILE SED-SCRIPT: change a source file (own inode) or fail
	local f=$1
	farm_own "$farm" "$f" || fail "cannot copy $f"
	cp "$farm/$f" "$work/edit.orig"
	sed -i "$2" "$farm/$f" || fail "sed on $f"
	! cmp -s "$farm/$f" "$work/edit.orig" || fail "edit of $f did nothing: the source changed?"
}
restore() { cp "$work/pre-src/$1" "$farm/$1"; }

errors=0
check() {	# check NAME PRE POST STATUS EXPECTED-OUTPUT
	local name=$1 pre=$2 post=$3 want_status=$4 want=$5 out status
	out=$("$OBJDIFF" "$pre" "$post" 2>"$work/stderr")
	status=$?
	if [ "$status" != "$want_status" ] || [ "$out" != "$want" ]; then
		echo "not ok - $name: exit $status (want $want_status)"
		echo "--- output:"; echo "$out"
		echo "--- wanted:"; echo "$want"
		echo "--- stderr:"; cat "$work/stderr"
		errors=$((errors + 1))
	else
		echo "ok - $name (exit $status)"
	fi
}

# ------------------------------------------------------------- pre
build pre $units
mkdir -p "$work/pre-src/kernel" "$work/pre-src/fs/proc"
for f in kernel/sys.c fs/proc/meminfo.c fs/proc/version.c kernel/async.c; do
	cp "$farm/$f" "$work/pre-src/$f"
done
for o in $units; do
	check "self $o" "$work/pre/$o" "$work/pre/$o" 3 ""
done

# ------------------------------------------------------------- post 1
# sys.c: a comment shifts every line (incl. the BUG() in getrusage, whose
#        line is in __bug_table): no code change.
# meminfo.c: show_val_kb(), inlined everywhere, pads to 9: its caller changes.
# version.c: a new string and call.
# async.c: a comment shifts the lines of its pr_debug() descriptors
#          (__dyndbg): no code change.
edit kernel/sys.c '1i /* splice test: a comment that shifts every line */'
edit kernel/async.c '1i /* splice test: a comment that shifts every line */'
edit fs/proc/meminfo.c 's/num << (PAGE_SHIFT - 10), 8);/num << (PAGE_SHIFT - 10), 9);/'
edit fs/proc/version.c 's/^\tseq_printf(m, linux_proc_banner,/\tseq_puts(m, "spliced ");\n&/'
build post1 $units
check "sys.c comment only" "$work/pre/kernel/sys.o" "$work/post1/kernel/sys.o" 3 ""
check "async.c comment only (pr_debug lines)" "$work/pre/kernel/async.o" "$work/post1/kernel/async.o" 3 ""
check "meminfo.c inlined callee" "$work/pre/fs/proc/meminfo.o" "$work/post1/fs/proc/meminfo.o" 0 \
	"changed meminfo_proc_show"
check "version.c new call" "$work/pre/fs/proc/version.o" "$work/post1/fs/proc/version.o" 0 \
	"changed version_proc_show"

# ------------------------------------------------------------- post 2
restore kernel/sys.c
edit kernel/sys.c 's/v = LINUX_VERSION_PATCHLEVEL + 60;/v = LINUX_VERSION_PATCHLEVEL + 61;/'
build post2 kernel/sys.o
check "sys.c override_release" "$work/pre/kernel/sys.o" "$work/post2/kernel/sys.o" 0 \
	"$(cat "$SPLICE_TEST_SRCDIR/kernel/sys-override-release.expected")"

# ------------------------------------------------------------- post 3
restore kernel/sys.c
edit kernel/sys.c 's/^int overflowuid = DEFAULT_OVERFLOWUID;/int overflowuid = DEFAULT_OVERFLOWUID + 1;/'
build post3 kernel/sys.o
check "sys.c changed initialised data" "$work/pre/kernel/sys.o" "$work/post3/kernel/sys.o" 2 \
	"refuse overflowuid: changed initialised data (the running kernel's copy can't be replaced): add a splice_apply() hook that sets it (splice-patch(7))"

farm_check || fail "the prepared tree was written to"
[ "$errors" -eq 0 ] || fail "$errors check(s) failed"
echo "all kernel object checks passed"
