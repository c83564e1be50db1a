#!/bin/sh
# smaps_static.patch: __show_smap (fs/proc/task_mmu.c), a static function with
# two callers (show_smap, show_smaps_rollup), prints one more line; checked
# through one caller, /proc/PID/smaps_rollup.
grep -qx 'Spliced:        e2e smaps_static' /proc/self/smaps_rollup
