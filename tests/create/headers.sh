#!/bin/bash
# Header changes on Debian's own source (the VM harness's prepared tree):
# splice-create compiles only the units that use a changed definition
# (docs/header-changes.md), and says how many it scanned, compiled and
# changed.
#   header-inline    a static inline of include/linux/kernel_stat.h, read by
#                    thousands of units, used by one function of one
#                    (show_stat): exactly that unit compiled, that function
#   header-macro     a macro of fs/proc/internal.h used by two units: both
#                    compiled, their two functions changed
#   header-false-if  an inline under an #if this configuration makes false:
#                    its users preprocessed, none differs, exit 3
#   header-struct    a member added to struct pde_opener: refused from the
#                    source (layout.c) before anything is preprocessed, naming
#                    the line and the type, and pointing at shadow data
#   header-comment   a comment of kernel_stat.h: exit 3 before preprocessing
# and that the source tree is untouched.  Each run's time is printed.
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

work=$(mktemp -d "${TMPDIR:-/tmp}/create-headers.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/out"

fail=0
bad() { echo "FAIL: $*"; fail=1; }

stamp=$work/stamp
touch "$stamp"
sleep 1
headers="include/linux/kernel_stat.h fs/proc/internal.h"
sums_before=$(cd "$tree" && sha256sum $headers)

run() {	# run EXPECTED_STATUS NAME: splice-create on patches/NAME.patch, output in $work/NAME.out
	local expect=$1 name=$2 rc start end
	echo "== $name (expect $expect)"
	start=$(date +%s.%N)
	"$create" -o "$work/out" --id "${name//-/_}" "$patches/$name.patch" >"$work/$name.out" 2>&1
	rc=$?
	end=$(date +%s.%N)
	grep -Ev '^  (CC|LD|MODPOST|LDS)' "$work/$name.out"
	printf "%s: %.1f s, load %s\n" "$name" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
	[ "$rc" = "$expect" ] || bad "$name: exit status $rc, expected $expect"
	[ -z "$(find "$tree" -newer "$stamp" -print -quit 2>/dev/null)" ] ||
		bad "$name: the source tree was modified"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "$name: scratch left behind: $(ls "$TMPDIR")"
}

has() {	# has NAME PATTERN: the run's output has a line matching PATTERN (grep -E)
	grep -Eq -- "$2" "$work/$1.out" || bad "$1: no line matching: $2"
}

# manifest NAME: the package's manifest
manifest() {
	tar -xzOf "$work/out/splice-${1//-/_}.tar.gz" manifest 2>/dev/null
}

run 0 header-inline
has header-inline 'include/linux/kernel_stat.h: changed kstat_cpu_irqs_sum$'
has header-inline '[0-9]+ units read a changed file; 1 may use a changed definition'
has header-inline 'scanned 1 unit: 1 differs after preprocessing, 1 uses a changed definition'
has header-inline 'header change: [0-9]+ units read a changed file, 1 scanned \(preprocessed\), 1 differs, 1 compiled, 1 function changed'
[ "$(manifest header-inline | grep -E '^(unit|changed|new|removed) ')" = "unit fs/proc/stat.o
changed show_stat" ] || bad "header-inline: manifest: $(manifest header-inline)"
# thousands of units read the header: the count says so
n=$(sed -n 's/.* \([0-9]*\) units read a changed file;.*/\1/p' "$work/header-inline.out")
[ "${n:-0}" -gt 1000 ] || bad "header-inline: only ${n:-0} units read kernel_stat.h?"

run 0 header-macro
has header-macro 'fs/proc/internal.h: changed FIRST_PROCESS_ENTRY$'
has header-macro 'scanned 2 units: 2 differ after preprocessing, 2 use a changed definition'
has header-macro '2 compiled, 2 functions changed'
[ "$(manifest header-macro | grep -E '^(changed|new|removed) ' | LC_ALL=C sort)" = "changed proc_pid_readdir
changed proc_root_readdir" ] || bad "header-macro: manifest: $(manifest header-macro)"

run 3 header-false-if
has header-false-if 'include/linux/kernel_stat.h: changed kcpustat_field$'
has header-false-if 'scanned [1-9][0-9]* units?: 0 differ after preprocessing, 0 use a changed definition'
has header-false-if 'no code change: no unit built with this configuration uses a definition the patch changes'
grep -q 'building .* pre unit' "$work/header-false-if.out" && bad "header-false-if: units were compiled"

run 2 header-struct
# refused from the source, before anything is preprocessed (layout.c)
has header-struct 'not spliceable: fs/proc/internal.h:233: changes the layout of struct pde_opener, which the running kernel has instances of: keep the new state in shadow data instead'
grep -q 'preprocessing' "$work/header-struct.out" && bad "header-struct: units were preprocessed"
grep -q 'building .* pre unit' "$work/header-struct.out" && bad "header-struct: units were compiled"

run 3 header-comment
has header-comment 'include/linux/kernel_stat.h: no definition changed \(comments or spacing only\)'
grep -q 'preprocessing' "$work/header-comment.out" && bad "header-comment: units were preprocessed"

[ -z "$(ls "$work/out" | grep -Ev 'splice-header_(inline|macro)\.tar\.gz')" ] ||
	bad "packages written for runs that must write none: $(ls "$work/out")"
[ "$(cd "$tree" && sha256sum $headers)" = "$sums_before" ] || bad "the tree's headers differ from before"

[ $fail = 0 ] && echo "PASS"
exit $fail
