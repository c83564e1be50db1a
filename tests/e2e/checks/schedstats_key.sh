#!/bin/sh
# schedstats_key.patch: sysctl_schedstats (kernel/sched/core.c) tests the
# static key sched_schedstats, which vmlinux does not export, with
# static_branch_likely(); patched, a read reports 10 + the key's state.
# The check also flips the key through the sysctl and back: the new code's
# jump label follows only if its __jump_table entry is linked to vmlinux's
# key (the key field splice-core writes when the new-code module loads).
f=/proc/sys/kernel/sched_schedstats
v=$(cat $f) || exit 1
case $v in 10|11) ;; *) exit 1 ;; esac
s=$((v - 10))
echo $((1 - s)) >$f || exit 1
w=$(cat $f)
echo $s >$f || exit 1
[ "$w" = $((11 - s)) ] && [ "$(cat $f)" = "$v" ]
