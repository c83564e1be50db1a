#!/bin/sh
# comm_write_user.patch: comm_write (fs/proc/base.c), the /proc/PID/comm
# write handler (copy_from_user, plus a get_user added by the patch), turns a
# leading '@' into '#'.  echo is the shell's builtin: the writer is this
# shell, as comm_write requires.
echo -n @e2e >/proc/$$/comm || exit 1
[ "$(cat /proc/$$/comm)" = '#e2e' ]
