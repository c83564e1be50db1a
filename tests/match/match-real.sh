#!/bin/bash
# Run-pre matching against Debian's real kernel image: pre objects built from
# Debian's source (the harness's prepared tree, in a scratch copy) must match
# the vmlinux extracted from Debian's vmlinuz, at the addresses /proc/kallsyms
# gives in the VM booted with nokaslr; every address learned from the
# running bytes must be the kernel's own.  Altered source and another -O
# level must be refused with the function and offset named.
#
# Needs: scripts/splice-vm (downloads/prepares once), objmatch/splice-match.
set -uo pipefail

top_src=${SPLICE_TOP_SRCDIR:?run through make check}
top_build=${SPLICE_TOP_BUILDDIR:?run through make check}
vm=$top_src/scripts/splice-vm
match=$top_build/objmatch/splice-match
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "ERROR: $*"; exit 99; }	# the harness could not run the test

[ -x "$match" ] || die "$match not built"
vmlinux=$("$vm" path vmlinux) || die "no vmlinux"
ksyms=$("$vm" path kallsyms) || die "no kallsyms"

objs=${SPLICE_TEST_BUILDDIR:?run through make check}/match/objs
[ -f "$objs/meminfo.o" ] || die "$objs not built (tests/match/build-objs.sh)"
work=$(mktemp -d "${TMPDIR:-/tmp}/match-real.XXXXXX") || die "mktemp"
trap 'rm -rf "$work"' EXIT

# run_match NAME EXPECTED_STATUS OBJ [splice-match options]
run_match() {
	local name=$1 want=$2 obj=$3
	shift 3
	"$match" --image "$vmlinux" --symbols "$ksyms" --learned "$@" "$obj" \
		>"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: splice-match exited $rc, expected $want"
		sed 's/^/    /' "$work/$name.err" | head -n 20
		return 1
	fi
	return 0
}

# Every learned address of a name kallsyms has exactly once must equal it.
check_learned() {
	local name=$1 n=0 bad=0 sym addr k
	while read -r _ sym addr; do
		# per-CPU symbols print with leading zeros in kallsyms
		k=$(awk -v s="$sym" '$3 == s { a = $1; sub(/^0+/, "", a); print "0x" a }' "$ksyms")
		[ "$(echo "$k" | wc -w)" = 1 ] || continue
		n=$((n + 1))
		if [ "$k" != "$addr" ]; then
			fail "$name: learned $sym = $addr, kallsyms says $k"
			bad=1
		fi
	done < <(grep '^learned ' "$work/$name.out")
	[ "$n" -gt 0 ] || fail "$name: nothing learned to check"
	echo "$name: $(grep -c '^match ' "$work/$name.out") matched, $n learned addresses equal kallsyms"
	return $bad
}

# 1. meminfo_proc_show: 2.6 KB, ~200 relocations, ~80 strings
run_match meminfo 0 "$objs/meminfo.o" -f meminfo_proc_show &&
	check_learned meminfo
# 2. kernel/sys.c: a syscall with a large switch, an IPA clone, uname
run_match sys 0 "$objs/sys.o" -f __do_sys_prctl -f do_sysinfo.isra.0 \
	-f __do_sys_newuname -f override_release &&
	check_learned sys
# 3. whole units
run_match version 0 "$objs/version.o" && check_learned version
run_match cmdline 0 "$objs/cmdline.o" && check_learned cmdline

# 4. a jump to another function shortened in the middle of a function: in
#    vmlinux (one .text) put_pid's "jmp put_pid.part.0" is eb rel8 and its
#    last instruction 3 bytes earlier than in pid.o (a section per function)
if run_match pid 0 "$objs/pid.o" -f put_pid -f delayed_put_pid --debug && check_learned pid; then
	for f in put_pid delayed_put_pid; do
		grep -q "$f+0x[0-9a-f]*: jump to .text.put_pid.part.0 shortened by the assembler" "$work/pid.err" &&
			grep -q "$f: matched instruction by instruction, 1 shortened jump, running code 3 bytes shorter" \
				"$work/pid.err" ||
			fail "pid: $f not matched across its shortened jump: $(grep "$f" "$work/pid.err" | head -n 5)"
	done
fi

# 5. altered source: one changed instruction in meminfo_proc_show
if run_match altered 2 "$objs/meminfo-altered.o" -f meminfo_proc_show; then
	grep -q 'meminfo-altered.o\[.text.meminfo_proc_show\]: no match (1 candidate): meminfo_proc_show+0x[0-9a-f]*: expected' \
		"$work/altered.err" || fail "altered: diagnosis does not name function+offset: $(cat "$work/altered.err")"
	grep -q '^refuse .text.meminfo_proc_show' "$work/altered.out" || fail "altered: no refuse line"
	echo "altered: refused: $(head -n 1 "$work/altered.err")"
fi

# 6. the same source at another optimisation level
if run_match O1 2 "$objs/meminfo-O1.o" -f meminfo_proc_show; then
	grep -q 'meminfo_proc_show+0x[0-9a-f]*: expected' "$work/O1.err" ||
		fail "O1: diagnosis does not name function+offset: $(cat "$work/O1.err")"
	echo "O1: refused: $(head -n 1 "$work/O1.err")"
fi

[ $fails = 0 ] && echo "match-real: ok" && exit 0
echo "match-real: $fails failure(s)"
exit 1
