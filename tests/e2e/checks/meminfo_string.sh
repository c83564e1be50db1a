#!/bin/sh
# meminfo_string.patch: /proc/meminfo's first label (fs/proc/meminfo.c, meminfo_proc_show)
grep -q '^MemTotal(s): ' /proc/meminfo
