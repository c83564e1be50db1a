#!/bin/sh
# readdir_extable.patch: filldir64 (fs/readdir.c), getdents64's callback whose
# unsafe_put_user()s have exception-table fixups, skips entries named
# "splice-e2e-hidden": ls no longer lists it, though it exists.
d=/tmp/readdir_extable
mkdir -p $d && : >$d/splice-e2e-hidden && : >$d/shown || exit 1
[ -e $d/splice-e2e-hidden ] && ls $d | grep -qx shown && ! ls $d | grep -qx splice-e2e-hidden
