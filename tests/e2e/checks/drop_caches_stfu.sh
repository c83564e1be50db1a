#!/bin/sh
# drop_caches_stfu.patch: drop_caches_sysctl_handler (fs/drop_caches.c)
# prints its static local stfu (issue #13 item 2: an existing static local
# used in a new way; the objects reach it through .bss.stfu.0).  Writing 4
# sets stfu and, once it is set, the new code prints it: stfu=4 on the first
# write after the apply shows the new code uses the running kernel's
# variable, which this check's run before the apply set (a copy of its own
# would be 0 and print nothing new).
n() { dmesg | grep -c 'drop_caches: stfu=4 (spliced)'; }
a=$(n)
echo 4 >/proc/sys/vm/drop_caches || exit 1
b=$(n)
[ "$b" -gt "$a" ]
