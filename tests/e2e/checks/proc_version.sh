#!/bin/sh
# proc_version.patch: /proc/version gains a line (fs/proc/version.c, version_proc_show)
grep -qx 'spliced: e2e proc_version' /proc/version
