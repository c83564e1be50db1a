#!/bin/bash
# build-objs.sh OUTDIR: build the run-pre tests' real kernel objects once.
#
# From Debian's source (the harness's prepared tree, in a scratch copy that
# is removed afterwards; the tree itself is checked untouched), with the
# arguments Debian's build used (splice-vm kbuild-args):
#   meminfo.o sys.o version.o cmdline.o   unmodified: must match the kernel
#   meminfo-altered.o                     one instruction of meminfo_proc_show changed
#   meminfo-O1.o                          meminfo.c at -O1
set -uo pipefail

out=${1:?usage: build-objs.sh OUTDIR}
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
vm=$top_src/scripts/splice-vm

die() { echo "build-objs: $*" >&2; exit 1; }

src=$("$vm" path source) || die "no prepared source tree"
mapfile -t kargs < <("$vm" kbuild-args) || die "no kbuild arguments"
mkdir -p "$out" || die "cannot create $out"
work=$(mktemp -d "${TMPDIR:-/tmp}/build-objs.XXXXXX") || die "mktemp"
trap 'rm -rf "$work" "$work/farm.stamp"' EXIT
# shellcheck source=../kernel/kbuild-farm.sh
. "$top_src/tests/kernel/kbuild-farm.sh"
farm=$work/farm
farm_create "$src" "$farm" || die "cannot make a scratch copy of $src"

build() {
	make -s -C "$farm" -j"$(nproc)" "${kargs[@]}" "$@" >"$work/build.log" 2>&1 ||
		{ cat "$work/build.log" >&2; die "kbuild failed: $*"; }
}

build fs/proc/meminfo.o kernel/sys.o fs/proc/version.o fs/proc/cmdline.o
for o in fs/proc/meminfo.o kernel/sys.o fs/proc/version.o fs/proc/cmdline.o; do
	cp "$farm/$o" "$out/$(basename "$o")" || die "copy $o"
done

farm_own "$farm" fs/proc/meminfo.c || die "farm_own"
sed -i 's/show_val_kb(m, "MemTotal:       ", i.totalram);/show_val_kb(m, "MemTotal:       ", i.totalram + 1);/' \
	"$farm/fs/proc/meminfo.c"
grep -q 'i.totalram + 1' "$farm/fs/proc/meminfo.c" || die "could not alter meminfo.c"
build fs/proc/meminfo.o
cp "$farm/fs/proc/meminfo.o" "$out/meminfo-altered.o" || die "copy"

cp "$src/fs/proc/meminfo.c" "$farm/fs/proc/meminfo.c.new" &&
	mv "$farm/fs/proc/meminfo.c.new" "$farm/fs/proc/meminfo.c" || die "restore meminfo.c"
build fs/proc/meminfo.o "KCFLAGS=-ffunction-sections -fdata-sections -O1"
cp "$farm/fs/proc/meminfo.o" "$out/meminfo-O1.o" || die "copy"

farm_check || die "the prepared tree was modified"
