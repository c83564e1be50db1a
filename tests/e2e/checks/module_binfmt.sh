#!/bin/sh
# module_binfmt.patch: bm_status_read() of Debian's binfmt_misc module
# (fs/binfmt_misc.c, loaded in the VM) reports a changed string
[ -e /proc/sys/fs/binfmt_misc/status ] ||
	mount -t binfmt_misc none /proc/sys/fs/binfmt_misc 2>/dev/null
grep -qx 'enabled (spliced: e2e module_binfmt)' /proc/sys/fs/binfmt_misc/status
