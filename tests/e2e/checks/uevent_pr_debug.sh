#!/bin/sh
# uevent_pr_debug.patch: the first pr_debug() of kobject_uevent_env
# (lib/kobject_uevent.c) ends in ": spliced".  The check turns the call
# site on through dynamic debug (a "func" query reaches the running
# kernel's descriptor and the new-code module's own one), sends a uevent
# and looks for the new line in the kernel log; then turns it off and
# checks that the new code stops printing (its descriptor's static key).
c=/sys/kernel/debug/dynamic_debug/control
u=/sys/devices/virtual/mem/null/uevent
[ -w $c ] && [ -w $u ] || exit 1
n() { dmesg | grep -c "kobject: 'null' (.*): kobject_uevent_env: spliced\$"; }
echo 'func kobject_uevent_env +p' >$c || exit 1
a=$(n)
echo change >$u
b=$(n)
echo 'func kobject_uevent_env -p' >$c || exit 1
echo change >$u
d=$(n)
[ "$b" -gt "$a" ] && [ "$d" = "$b" ]
