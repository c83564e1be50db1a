#!/bin/bash
# make-patches.sh OLD_TREE NEW_TREE: the sample's patches (fixes.list) from
# two extracted Debian source trees, 6.1.176-1 and 6.1.187-1:
#
#   deb=$(scripts/splice-vm --abi 6.1.0-50 path source-deb)   # 6.1.176-1
#   apt-get download linux-source-6.1=6.1.187-1
#   (extract each: dpkg-deb --fsys-tarfile X.deb | tar -xO
#    ./usr/src/linux-source-6.1.tar.xz | tar -xJ -C DIR)
#   tests/coverage/make-patches.sh OLD/linux-source-6.1 NEW/linux-source-6.1
#
# Writes tests/coverage/patches/ID.patch (paths a/... b/..., patch -p1).
# A third argument names another list: make-patches.sh OLD NEW
# fixes-6.12.list writes patches-6.12/ (the 6.12 sample, from 6.12.117-1
# and 6.12.118-1's linux-source-6.12).
# A file of the list that did not change is an error: the list is checked
# against the trees, not trusted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: make-patches.sh OLD_TREE NEW_TREE [LIST]"
old=${1:?$usage} new=${2:?$usage} list=${3:-fixes.list}
list=$here/${list##*/}
[ -f "$list" ] || { echo "make-patches: no $list" >&2; exit 1; }
series=${list##*/fixes}; series=${series%.list}   # "" or -6.12
mkdir -p "$here/patches$series"
grep -v '^#' "$list" | while read -r id _sub files; do
	[ -n "$id" ] || continue
	out=$here/patches$series/$id.patch
	: >"$out"
	for f in $files; do
		if diff -u --label "a/$f" --label "b/$f" "$old/$f" "$new/$f" >>"$out"; then
			echo "make-patches: $id: $f did not change" >&2
			exit 1
		fi
	done
	echo "make-patches: $out"
done
