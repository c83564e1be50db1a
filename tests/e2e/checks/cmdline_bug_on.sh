#!/bin/sh
# cmdline_bug_on.patch: proc_pid_cmdline_read (fs/proc/base.c), which has a
# BUG_ON, reads an empty command line (a kernel thread's: kthreadd, pid 2)
# as "[spliced]".
[ "$(cat /proc/2/cmdline)" = '[spliced]' ]
