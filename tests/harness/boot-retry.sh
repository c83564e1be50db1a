#!/bin/bash
# Test of scripts/splice-vm's one retry of a boot that crashed before the
# script started (the emulator's boot-time race on 6.12, see cmd_run):
#  - a kernel that panics while booting (rdinit names no program: no init,
#    no root file system) is booted twice, said once on stderr ("crashed
#    while booting ... booting again"), then refused with 125; --log keeps
#    both boots' consoles;
#  - a kernel that crashes after the script started (sysrq c) is not booted
#    again: 125 at once, the script's output up to the crash printed.
# (That an ordinary boot runs the script once, every VM test shows.)
# Boots the newest 6.1 ABI (three short boots).  Exit 77 when
# SPLICE_SKIP_VM_TESTS is set.
set -uo pipefail
vm=${SPLICE_VM:?SPLICE_VM not set (run through make check)}
[ -n "${SPLICE_SKIP_VM_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_VM_TESTS"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/splice-boot-retry.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

echo 'echo script-ran' >"$tmp/ok.sh"
printf '%s\n' 'echo before-crash' 'echo 1 >/proc/sys/kernel/sysrq' 'echo c >/proc/sysrq-trigger' \
	'sleep 5' 'echo after-crash' >"$tmp/crash.sh"

# 1. no init: the kernel panics while booting, twice
"$vm" run -t 120 -a "rdinit=/splice-no-such-init" -l "$tmp/noinit.console" "$tmp/ok.sh" \
	>"$tmp/noinit.out" 2>"$tmp/noinit.err"
rc=$?
echo "== no init: exit $rc"
cat "$tmp/noinit.err"
[ $rc = 125 ] || fail "no init: exit $rc, expected 125"
n=$(grep -c 'crashed while booting, before the script started (Kernel panic.*); booting again' "$tmp/noinit.err")
[ "$n" = 1 ] || fail "no init: said $n times that it boots again, expected once"
grep -q 'the VM never started the script' "$tmp/noinit.err" || fail "no init: the final error not said"
grep -q 'script-ran' "$tmp/noinit.out" && fail "no init: the script ran"
grep -q '^--- splice-vm: boot 1 crashed before the script started' "$tmp/noinit.console" ||
	fail "no init: --log lacks the first boot's console"
[ "$(grep -c 'Kernel panic' "$tmp/noinit.console")" -ge 2 ] || fail "no init: --log does not hold both boots' panics"

# 2. a crash after the script started: one boot only
"$vm" run -t 120 -l "$tmp/crash.console" "$tmp/crash.sh" >"$tmp/crash.out" 2>"$tmp/crash.err"
rc=$?
echo "== crash in the script: exit $rc"
cat "$tmp/crash.out" "$tmp/crash.err"
[ $rc = 125 ] || fail "crash: exit $rc, expected 125"
grep -q 'booting again' "$tmp/crash.err" && fail "crash: a crash after the script started was retried"
grep -qx 'before-crash' "$tmp/crash.out" || fail "crash: the script's output before the crash not printed"
grep -q 'after-crash' "$tmp/crash.out" && fail "crash: the script went on after sysrq c"
grep -q 'ended without reporting' "$tmp/crash.err" || fail "crash: the final error not said"
grep -q '^--- splice-vm: boot' "$tmp/crash.console" && fail "crash: --log names a second boot"

[ $failed = 0 ] && echo PASS
exit $failed
