#!/bin/bash
# build-objs.sh OUTDIR: build the run-pre tests' real kernel objects once.
#
# From Debian's source (the harness's prepared tree, in a scratch copy that
# is removed afterwards; the tree itself is checked untouched), with the
# arguments Debian's build used (splice-vm kbuild-args):
#   meminfo.o sys.o version.o cmdline.o   unmodified: must match the kernel
#   pid.o                                 put_pid(): a jump shortened in vmlinux, mid-function
#   meminfo-altered.o                     one instruction of meminfo_proc_show changed
#   meminfo-O1.o                          meminfo.c at -O1
#   sys-post.o, secure_seq.o, secure_seq-post.o   for splice-mknew (below)
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

build fs/proc/meminfo.o kernel/sys.o fs/proc/version.o fs/proc/cmdline.o kernel/pid.o
for o in fs/proc/meminfo.o kernel/sys.o fs/proc/version.o fs/proc/cmdline.o kernel/pid.o; do
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

# sys-post.o (splice-mknew, vm/newcode.vm): kernel/sys.c with newuname
# reporting the machine "spliced" (its pre code uses the static
# override_release and the unexported uts_sem), plus a new function that
# calls a symbol no kernel has (the refused case), and one whose jump label
# tests a static key no kernel has (refused when its module loads)
farm_own "$farm" kernel/sys.c || die "farm_own"
sed -i '/^SYSCALL_DEFINE1(newuname,/,/^}/ s/^\tup_read(&uts_sem);$/\tup_read(\&uts_sem);\n\tmemcpy(tmp.machine, "spliced", 8);/' \
	"$farm/kernel/sys.c"
cat >>"$farm/kernel/sys.c" <<'EOC'
void splice_no_such_symbol(void);
void splice_newcode_missing(void);
void splice_newcode_missing(void)
{
	splice_no_such_symbol();
}
DECLARE_STATIC_KEY_FALSE(splice_no_such_key);
int splice_newcode_nokey(void);
int splice_newcode_nokey(void)
{
	return static_branch_unlikely(&splice_no_such_key);
}
EOC
grep -q 'memcpy(tmp.machine, "spliced", 8);' "$farm/kernel/sys.c" || die "could not patch sys.c"
build kernel/sys.o
cp "$farm/kernel/sys.o" "$out/sys-post.o" || die "copy"
cp "$src/kernel/sys.c" "$farm/kernel/sys.c.new" &&
	mv "$farm/kernel/sys.c.new" "$farm/kernel/sys.c" || die "restore sys.c"
farm_check || die "the prepared tree was modified"

# secure_seq.o, secure_seq-post.o (splice-mknew, vm/newcode.vm):
# net/core/secure_seq.c, whose secure_ipv4_port_ephemeral tests DO_ONCE's
# ___once_key.0 in a jump label, a static seven units of vmlinux have;
# post: the same function with another shuffle period
build net/core/secure_seq.o
cp "$farm/net/core/secure_seq.o" "$out/secure_seq.o" || die "copy"
farm_own "$farm" net/core/secure_seq.c || die "farm_own"
sed -i '/^u64 secure_ipv4_port_ephemeral(/,/^}/ s|jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD|(jiffies + 1) / EPHEMERAL_PORT_SHUFFLE_PERIOD|' \
	"$farm/net/core/secure_seq.c"
grep -q '(jiffies + 1) / EPHEMERAL_PORT_SHUFFLE_PERIOD' "$farm/net/core/secure_seq.c" ||
	die "could not patch secure_seq.c"
build net/core/secure_seq.o
cp "$farm/net/core/secure_seq.o" "$out/secure_seq-post.o" || die "copy"
cp "$src/net/core/secure_seq.c" "$farm/net/core/secure_seq.c.new" &&
	mv "$farm/net/core/secure_seq.c.new" "$farm/net/core/secure_seq.c" || die "restore secure_seq.c"
farm_check || die "the prepared tree was modified"
