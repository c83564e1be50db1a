#!/bin/bash
# The e2e packages splice-create made at check time (e2e/e2e.am) name
# exactly the functions their patches change, for the kinds where the unit
# selection matters: a static inline in a header (every unit including it
# rebuilt, only the units whose code changed get modules), a two-file
# patch (one pre module per unit, one new-code module for both), and a
# function sharing its section with others (__sched).
set -uo pipefail

# SPLICE_TEST_ABI=ABI (e2e/packages.612.sh): the packages made for that
# kernel (e2e/out-ABI/).
top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
abi=${SPLICE_TEST_ABI:-}
out=$top_build/tests/e2e/out${abi:+-$abi}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

manifest() {	# manifest ID: the package's manifest on stdout
	tar -xzOf "$out/packages/splice-$1.tar.gz" manifest
}

expect_lines() {	# expect_lines ID WHAT PATTERN EXPECTED
	local got
	got=$(manifest "$1" | grep -E "$3")
	[ "$got" = "$4" ] || bad "$1: $2: got
$got
expected
$4"
}

for id in header_inline two_files; do
	[ -f "$out/packages/splice-$id.tar.gz" ] || { bad "no package for $id (make check builds them)"; continue; }
	echo "== $id"; manifest "$id" | grep -v '^file '; cat "$out/$id.log"
done
[ $fail = 0 ] || exit 1

# header: fs/proc/fd.h is included by fd.c and base.c; only fd.c's code uses
# proc_fd(), and only fd.o is compiled (docs/header-changes.md)
expect_lines header_inline units '^unit ' 'unit fs/proc/fd.o'
expect_lines header_inline functions '^(changed|new|removed) ' 'changed proc_fd_link
changed seq_show
changed tid_fd_revalidate'
expect_lines header_inline modules '^module ' 'module splice_header_inline_pre pre fs/proc/fd.o
module splice_header_inline_new new fs/proc/fd.o'

# two files: a new global helper in version.c, called from cmdline.c too
expect_lines two_files functions '^(unit|changed|new|removed) ' 'unit fs/proc/cmdline.o
changed cmdline_proc_show
unit fs/proc/version.o
changed version_proc_show
new splice_e2e_two_files'
expect_lines two_files modules '^module ' 'module splice_two_files_pre pre fs/proc/cmdline.o
module splice_two_files_pre1 pre fs/proc/version.o
module splice_two_files_new new fs/proc/cmdline.o,fs/proc/version.o'
for m in splice_two_files_pre splice_two_files_pre1 splice_two_files_new; do
	tar -tzf "$out/packages/splice-two_files.tar.gz" "modules/$m.ko" >/dev/null 2>&1 ||
		bad "two_files: no modules/$m.ko"
done

# __sched: do_nanosleep shares .sched.text with hrtimer_nanosleep_restart
# (which inlines it: changed too) and the schedule_hrtimeout*() functions
# (unchanged: not replaced, ballast of the new code)
[ -f "$out/packages/splice-nanosleep_sched.tar.gz" ] || bad "no package for nanosleep_sched"
expect_lines nanosleep_sched functions '^(unit|changed|new|removed) ' 'unit kernel/time/hrtimer.o
changed do_nanosleep
changed hrtimer_nanosleep_restart'

[ $fail = 0 ] && echo PASS
exit $fail
