#!/bin/sh
# dcache_lookup.patch: __d_lookup_rcu (fs/dcache.c), the dcache lookup of
# every path walk's components, logs a lookup of the name
# "splice-e2e-dcache".  On 6.12 it reads the hash table's address and shift
# as runtime constants (dentry_hashtable, d_hash_shift), and tail-calls a
# static the update does not carry (__d_lookup_rcu_op_compare).
m='splice-e2e: dcache lookup of splice-e2e-dcache'
n0=$(dmesg | grep -c "$m")
f=/tmp/splice-e2e-dcache
: >$f && cat $f && ls $f >/dev/null || exit 2
[ "$(dmesg | grep -c "$m")" -gt "$n0" ]
