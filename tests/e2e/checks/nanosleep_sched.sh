#!/bin/sh
# nanosleep_sched.patch: do_nanosleep (kernel/time/hrtimer.c) is __sched: it
# shares .sched.text with hrtimer_nanosleep_restart and the
# schedule_hrtimeout*() functions (issue #13 item 3).  The new code logs a
# relative sleep of exactly 15625000 ns (busybox's "sleep 0.015625").
n() { dmesg | grep -c 'splice e2e: do_nanosleep of 15625000 ns'; }
a=$(n)
sleep 0.015625 || exit 1
b=$(n)
[ "$b" -gt "$a" ]
