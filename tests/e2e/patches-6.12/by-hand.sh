# By hand (issue #12; not in make check): packages splice-create made for
# 6.12.118+deb12, applied, checked and undone with splice-apply, -view and
# -undo in Debian's 6.12 kernel; every replaced function's entry (endbr64
# kept, the jump after it and ftrace's site) and its new code's (endbr64
# where the kernel's function has one); proc_version traced with the
# function tracer while applied, reached from seq_read_iter through
# seq_file's ->show pointer (an indirect call).  Run as docs/kernel-series.md
# says ("splice-create, the differ and the modules on 6.12"):
#   scripts/splice-vm --abi 6.12.118+deb12 run -f E2E:/splice/e2e \
#     -f CORE/splice-core.ko:/splice/splice-core.ko \
#     -f CORE/modules/splice_test_target.ko:/splice/splice_test_target.ko \
#     tests/e2e/patches-6.12/by-hand.sh
# E2E holds packages/splice-ID.tar.gz, checks/ (tests/e2e/checks) and bin/
# (splice-apply, splice-undo, splice-view); CORE is tests/vm/build-abi's.
. /splice/lib.sh
E=/splice/e2e
export PATH="$E/bin:$PATH" SPLICE_CORE_KO=/splice/splice-core.ko
S=/sys/kernel/splice
T=/sys/kernel/tracing
P=/proc/splice_test/peek
ENDBR=f30f1efa
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
pkg() { echo "$E/packages/splice-$1.tar.gz"; }
check() { sh "$E/checks/$1.sh"; }
peek() { echo "$1" >$P && cat $P; }
field() { grep "^$2 " $S/$1/functions | cut -d' ' -f"$3"; }
ksym() { grep " $1\$" /proc/kallsyms | cut -d' ' -f1; }

echo "uname -r: $(uname -r)"
insmod /splice/splice_test_target.ko || bad "insmod splice_test_target"
ids=$(ls $E/packages | sed -n 's/^splice-\(.*\)\.tar\.gz$/\1/p')
for id in $ids; do
	echo "=== $id"
	check $id && bad "$id: the check passes before the apply"
	splice-apply "$(pkg $id)" >/tmp/apply.out 2>&1; rc=$?
	cat /tmp/apply.out
	[ $rc = 0 ] || { bad "$id: splice-apply exit $rc"; dmesg | grep splice | tail -n 15; continue; }
	check $id || bad "$id: the check fails after the apply"
	cat $S/$id/functions
	# every replaced function: its entry keeps endbr64 (or its seal) at +0
	# and ftrace's site, the jump after them; the new code begins with
	# endbr64 where the kernel's function had it (an indirect call may
	# land there)
	grep -v pending $S/$id/functions | while read -r f obj old arrow new site off rest; do
		e=$(peek ${old#0x}); e=${e#* }
		n=$(peek ${new#0x}); n=${n#* }
		echo "  $f: kernel $e"
		echo "  $f: new    $n"
		case $e in
		$ENDBR*) [ "$off" = +9 ] || [ "$off" = +4 ] || echo "FAIL: $f: jump at $off after endbr64"
			case $n in $ENDBR*) ;; *) echo "FAIL: $f: new code without endbr64: $n" ;; esac ;;
		660f1f00*) [ "$off" = +9 ] || [ "$off" = +4 ] || echo "FAIL: $f: jump at $off after the seal" ;;
		esac
	done | tee /tmp/entries.out
	grep -q FAIL /tmp/entries.out && bad "$id: entries"
	if [ $id = proc_version ]; then
		# the function tracer sees the patched function while its new code
		# runs; seq_read_iter calls it through seq_file's ->show pointer
		echo version_proc_show > $T/set_ftrace_filter || bad "set_ftrace_filter"
		echo function > $T/current_tracer || bad "function tracer"
		echo > $T/trace
		check $id || bad "$id: the check fails while traced"
		grep 'version_proc_show <-' $T/trace | head -n 2
		grep -q 'version_proc_show <-seq_read' $T/trace || bad "$id: no trace of version_proc_show"
		e=$(peek $(ksym version_proc_show)); echo "  traced: ${e#* }"
		case ${e#* } in ${ENDBR}e8????????e9*) ;; *) bad "$id: entry while traced: ${e#* }" ;; esac
		echo nop > $T/current_tracer; echo > $T/set_ftrace_filter
	fi
	splice-view | grep "^$id " || bad "$id: not in splice-view"
	splice-undo $id || bad "$id: splice-undo exit $?"
	check $id && bad "$id: the check passes after the undo"
	ls -d /sys/module/splice_${id}_* 2>/dev/null && bad "$id: modules left loaded"
done
[ "$(splice-view --json)" = "[]" ] || bad "splice-view --json at the end: $(splice-view --json)"
dmesg | grep -i 'splice\|objtool\|WARNING\|BUG' | grep -v 'loading out-of-tree\|taint' | tail -n 80
dmesg_check || bad "kernel log not clean"
echo "fails: $fails"
[ $fails = 0 ]
