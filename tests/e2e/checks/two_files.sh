#!/bin/sh
# two_files.patch: a new global helper in fs/proc/version.c, called from
# version_proc_show and from cmdline_proc_show in fs/proc/cmdline.c (one
# update, two units, one new-code module)
grep -qx 'spliced: e2e two_files version' /proc/version &&
	grep -qx 'spliced: e2e two_files cmdline' /proc/cmdline
