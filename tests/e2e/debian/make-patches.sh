#!/bin/bash
# make-patches.sh: regenerate the two patches of Debian's security update
# 6.1.192-1 -> 6.1.192-3 (kernel ABI 6.1.0-55 -> 6.1.0-57) from Debian's own
# source packages, and prove that they are the whole difference.
#
#   tests/e2e/debian/make-patches.sh [OLD_VERSION NEW_VERSION]
#
# Downloads linux-source-6.1=OLD and =NEW with apt-get (reused from
# /var/cache/splice/<abi>/debs/ when splice-vm fetched them), unpacks both
# pristine tarballs into a scratch directory (~3 GB, ~1 min), compares the
# whole trees (diff -rq) and writes one patch per changed file next to this
# script, named after the file and NEW (fs/ext4/mballoc.c ->
# ext4-mballoc-NEW.patch), with paths a/fs/... b/fs/... for `patch -p1`.
# Exits 1 if the trees differ in anything but the expected two files, so a
# different pair of versions is never taken for this update silently.
set -euo pipefail

old=${1:-6.1.192-1}
new=${2:-6.1.192-3}
expected="fs/ext4/mballoc.c fs/nfsd/nfs4state.c"
here=$(cd "$(dirname "$0")" && pwd)
cache=${SPLICE_CACHE:-/var/cache/splice}

work=$(mktemp -d "${TMPDIR:-/tmp}/make-patches.XXXXXX")
trap 'rm -rf "$work"' EXIT

# the .deb of linux-source-6.1=VERSION: splice-vm's cache, else apt-get download
deb_of() {
	local v=$1 f
	for f in "$cache"/*/debs/linux-source-6.1_"$v"_all.deb; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	(cd "$work" && apt-get download -q "linux-source-6.1=$v" >&2)
	echo "$work/linux-source-6.1_${v}_all.deb"
}

for v in "$old" "$new"; do
	deb=$(deb_of "$v")
	echo "make-patches: unpacking $deb" >&2
	mkdir -p "$work/$v"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$work/$v"
done

# diff exits 1 when the trees differ: expected, and not an error
(cd "$work" && diff -rq "$old/linux-source-6.1" "$new/linux-source-6.1") >"$work/diff-rq" || [ $? = 1 ]
changed=$(sed -n "s|^Files $old/linux-source-6.1/\(.*\) and .* differ\$|\1|p" "$work/diff-rq" | sort | xargs)
others=$(grep -v '^Files ' "$work/diff-rq" || true)
if [ "$changed" != "$expected" ] || [ -n "$others" ]; then
	echo "make-patches: $old -> $new changes: $changed $others" >&2
	echo "make-patches: expected exactly: $expected" >&2
	exit 1
fi

for f in $changed; do
	out=$here/$(echo "$f" | cut -d/ -f2-3 | sed 's|/|-|; s|\.c$||')-$new.patch
	diff -u --label "a/$f" --label "b/$f" "$work/$old/linux-source-6.1/$f" \
		"$work/$new/linux-source-6.1/$f" >"$out" || [ $? = 1 ]
	echo "make-patches: $out" >&2
done
