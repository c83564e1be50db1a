#!/bin/sh
# uname_nodename.patch: newuname(2) reports the node name "spliced-e2e"
# (kernel/sys.c, __do_sys_newuname); the kernel's own hostname is unchanged.
[ "$(uname -n)" = spliced-e2e ] && [ "$(cat /proc/sys/kernel/hostname)" != spliced-e2e ]
