#!/bin/bash
# splice-create's rows of the bad-input table (docs/error-codes.md, "Bad
# input, tool by tool"), walked by e2e/bad-input-lib.sh: each case below
# is one row; it runs splice-create on the harness's tree for its kernel
# and prints what it said.  Nothing may be written: the output directory
# stays empty (bad_input_state).  full_disk mounts a 16 kB tmpfs as -o
# (root).  Skipped (77) when SPLICE_SKIP_REAL_TESTS=1, without the
# harness's tree, or not as root.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${SPLICE_TEST_SRCDIR:-$top_src/tests}
vm=${SPLICE_VM:-$top_src/scripts/splice-vm}
create=$top_build/splice-create/splice-create
script=$srcdir/create/bad-input.sh

[ -n "${SPLICE_SKIP_REAL_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_REAL_TESTS"; exit 77; }
tree=$(SPLICE_VM_QUIET=1 "$vm" path source 2>/dev/null) && [ -f "$tree/include/generated/utsrelease.h" ] ||
	{ echo "SKIP: no prepared tree (run scripts/splice-setup)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: full_disk mounts a tmpfs: run as root"; exit 77; }
kb=$(SPLICE_VM_QUIET=1 "$vm" path headers) || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/create-bad-input.XXXXXX") || exit 1
trap 'mountpoint -q "$work/full" && umount "$work/full"; rm -rf "$work"' EXIT
mkdir -p "$work/out" "$work/full"
. "$srcdir/e2e/bad-input-lib.sh"

run_create() {	# PATCH [ARGS...]: splice-create of PATCH into $work/out
	local p=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL SPLICE_VM="$vm" "$create" -q -j2 \
		--kernel-build "$kb" --core "$top_build/splice-core" -s "$tree" \
		-o "$work/out" --id bad "$@" "$p"
}

# what no case may change: the output directory stays empty
bad_input_state() { find "$work/out" -mindepth 1; }

case_splice_create_no_such_patch() { run_create "$work/no-such.patch"; }

case_splice_create_invalid_id() {
	# the last --id wins
	run_create "$srcdir/e2e/patches/proc_version.patch" --id Bad-Id
}

case_splice_create_empty_patch() {
	: >"$work/empty.patch"
	run_create "$work/empty.patch"
}

case_splice_create_truncated_patch() {
	head -c 150 "$srcdir/e2e/patches/proc_version.patch" >"$work/truncated.patch"
	run_create "$work/truncated.patch"
}

case_splice_create_patch_not_applying() {
	cat >"$work/noapply.patch" <<'EOP'
--- a/fs/proc/version.c
+++ b/fs/proc/version.c
@@ -1,3 +1,3 @@
-// this line is not in the file
+// neither is this one
 #include <linux/fs.h>
 #include <linux/init.h>
EOP
	run_create "$work/noapply.patch"
}

case_splice_create_binary_patch() {
	printf '%s\n' 'diff --git a/fs/proc/version.c b/fs/proc/version.c' \
		'index 1111111..2222222 100644' 'GIT binary patch' 'literal 10' 'RcmZ?wbaHlg_' '' \
		'literal 0' 'HcmV?d00001' '' >"$work/binary.patch"
	run_create "$work/binary.patch"
}

case_splice_create_unbuilt_file() {
	# apm_32.c is built for 32-bit x86 only: no unit of this configuration reads it
	cat >"$work/unbuilt.patch" <<'EOP'
--- a/arch/x86/kernel/apm_32.c
+++ b/arch/x86/kernel/apm_32.c
@@ -1,3 +1,4 @@
+/* splice: not built for x86-64 */
 // SPDX-License-Identifier: GPL-2.0-or-later
 /* -*- linux-c -*-
  * APM BIOS driver for Linux
EOP
	run_create "$work/unbuilt.patch"
}

case_splice_create_full_disk() {
	local rc
	mount -t tmpfs -o size=16k splice-full "$work/full" || return 99
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL SPLICE_VM="$vm" "$create" -q -j2 \
		--kernel-build "$kb" --core "$top_build/splice-core" -s "$tree" \
		-o "$work/full" --id bad "$srcdir/e2e/patches/proc_version.patch"
	rc=$?
	# nothing left on the full disk (no partial package)
	[ -z "$(find "$work/full" -mindepth 1)" ] || { echo "left on the full disk: $(ls -A "$work/full")"; rc=98; }
	umount "$work/full"
	return $rc
}

if bad_input_walk "$top_src/docs/error-codes.md" "$script" splice-create; then
	echo PASS
	exit 0
fi
exit 1
