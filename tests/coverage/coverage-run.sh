#!/bin/bash
# coverage-run.sh OUTDIR [ID...]: the sample of real fixes (fixes.list,
# patches/ made by make-patches.sh) made into updates for Debian's 6.1.0-50
# (6.1.176-1) and applied and undone in one boot of that kernel.
#
#   tests/coverage/coverage-run.sh /tmp/coverage            # every fix
#   tests/coverage/coverage-run.sh /tmp/coverage n_sock k_time
#
# 1. the harness's source tree of 6.1.0-50 (splice-vm --abi 6.1.0-50
#    fetch: 6.1.176-1, prepared for that ABI) and its headers;
# 2. splice-core.ko for 6.1.0-50 (tests/vm/build-abi, DKMS);
# 3. splice-create for each fix: its exit status and log
#    (OUTDIR/packages/ID.log);
# 4. one VM boot of 6.1.0-50 with every target module: for each package,
#    the target modules loaded, splice-apply, splice-view, splice-undo;
#    the kernel log kept (OUTDIR/vm.log);
# 5. OUTDIR/results.md: one table row per fix, as in docs/coverage.md.
#
# Not in make check (about 20 minutes on 2 cores).  Needs root (headers,
# DKMS) and a build of this repository (SPLICE_TOP_BUILDDIR, default the
# source tree).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
top_build=${SPLICE_TOP_BUILDDIR:-$top_src}
vm=$top_src/scripts/splice-vm
abi=${SPLICE_COVERAGE_ABI:-6.1.0-50}
table_only=
[ "${1:-}" = --table ] && { table_only=1; shift; }
out=${1:?usage: coverage-run.sh [--table] OUTDIR [ID...]}
shift
die() { echo "coverage: error: $*" >&2; exit 1; }
msg() { echo "coverage: $*" >&2; }

mkdir -p "$out/packages" "$out/vm/bin" "$out/vm/packages" || exit 1
out=$(cd "$out" && pwd)
ids=("$@")
[ ${#ids[@]} -gt 0 ] || mapfile -t ids < <(grep -v '^#' "$here/fixes.list" | awk 'NF { print $1 }')

table() {
	echo "| fix | subsystem | files | splice-create | in the VM ($abi) |"
	echo "| --- | --- | --- | --- | --- |"
	for id in "${ids[@]}"; do
		line=$(grep "^$id " "$here/fixes.list")
		sub=$(echo "$line" | awk '{ print $2 }')
		files=$(echo "$line" | awk '{ $1 = $2 = ""; print }' | xargs)
		crc=$(awk -v id="$id" '$1 == id { print $2 }' "$out/create.txt")
		why=$(grep -E '^splice-create: (not spliceable|no code change)|: error: ' \
			"$out/packages/$id.log" | head -n 1 | sed 's|/tmp/[^ ]*/tree/||' | cut -c1-160)
		res=$(grep "^RESULT $id " "$out/vm.log" 2>/dev/null | cut -d' ' -f3- | xargs)
		case $crc in
		0) cr="package (exit 0)" ;;
		*) cr="exit $crc: ${why:-see log}" ;;
		esac
		echo "| $id | $sub | $files | $cr | ${res:--} |"
	done
}
if [ -n "$table_only" ]; then
	table >"$out/results.md"
	cat "$out/results.md"
	exit 0
fi
"$vm" --abi "$abi" fetch >&2 || die "cannot fetch $abi"
tree=$("$vm" --abi "$abi" path source) || die "no source tree for $abi"
kbuild=$("$vm" --abi "$abi" headers) || die "no headers for $abi"
SPLICE_VM=$vm SPLICE_TOP_SRCDIR=$top_src SPLICE_TOP_BUILDDIR=$top_build \
	"$top_src/tests/vm/build-abi" "$abi" "$out/abi" >&2 || die "splice-core for $abi"
mkdir -p "$out/core" && cp "$top_src/splice-core/splice.h" "$out/abi/Module.symvers" "$out/core/" &&
	cp "$top_src"/scripts/splice-apply "$top_src"/scripts/splice-undo "$top_src"/scripts/splice-view \
		"$out/abi/splice-core.ko" "$out/vm/bin/" || exit 1

# --- splice-create ------------------------------------------------------------
rm -f "$out/vm/packages/"* "$out/create.txt"
modules=()
for id in "${ids[@]}"; do
	patch=$here/patches/$id.patch
	[ -f "$patch" ] || die "no $patch (make-patches.sh)"
	msg "splice-create $id"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$top_build/splice-create/splice-create" -j2 \
		-s "$tree" --kernel-build "$kbuild" --core "$out/core" --id "$id" \
		-o "$out/packages" "$patch" >"$out/packages/$id.log" 2>&1
	rc=$?
	echo "$id $rc" >>"$out/create.txt"
	if [ $rc = 0 ]; then
		cp "$out/packages/splice-$id.tar.gz" "$out/vm/packages/" || exit 1
		targets=$(tar -xzOf "$out/packages/splice-$id.tar.gz" manifest | awk '$1 == "target" { print $2 }' | sort -u | xargs)
		echo "$id $targets" >>"$out/vm/packages/targets"
		for t in $targets; do modules+=(--module "$t"); done
	fi
done

# --- apply and undo in the VM -------------------------------------------------
cat >"$out/vm/run.sh" <<'EOS'
. /splice/lib.sh
C=/splice/cov
export PATH="$C/bin:$PATH" SPLICE_CORE_KO=$C/bin/splice-core.ko
echo "kernel $(uname -r)"
for p in $C/packages/splice-*.tar.gz; do
	[ -f "$p" ] || continue
	id=${p##*/splice-}; id=${id%.tar.gz}
	for m in $(awk -v id="$id" '$1 == id { $1 = ""; print }' $C/packages/targets); do
		modprobe "$m" || echo "RESULT $id modprobe-$m-failed"
	done
	splice-apply "$p" >/tmp/apply.out 2>&1; arc=$?
	sed "s/^/  [$id] /" /tmp/apply.out
	stage=$(cat /sys/kernel/splice/$id/stage 2>/dev/null)
	urc=-
	if [ $arc = 0 ]; then
		splice-view "$id" >/dev/null 2>&1 || stage="$stage,view-failed"
		splice-undo "$id" >/tmp/undo.out 2>&1; urc=$?
		sed "s/^/  [$id] /" /tmp/undo.out
		[ -d /sys/kernel/splice/$id ] && stage="$stage,still-registered"
	fi
	cause=$(grep -o 'refused: [a-z_]*\|cause [a-z_]*' /tmp/apply.out | head -n 1)
	echo "RESULT $id apply=$arc stage=${stage:-none} undo=$urc ${cause:+($cause)}"
done
dmesg | grep -E 'splice|BUG|WARNING|RIP' | tail -n 200 | sed 's/^/  dmesg: /'
echo "coverage-vm-done"
EOS
msg "VM: $abi with ${#modules[@]} module options"
SPLICE_ABI=$abi "$vm" run --timeout "${SPLICE_VM_TIMEOUT:-900}" ${modules[@]+"${modules[@]}"} \
	--file "$out/vm:/splice/cov" --log "$out/vm.console" "$out/vm/run.sh" >"$out/vm.log" 2>&1
vmrc=$?
grep -q coverage-vm-done "$out/vm.log" || msg "the VM did not finish (exit $vmrc): $out/vm.log, $out/vm.console"

# --- the table ----------------------------------------------------------------
table >"$out/results.md"
cat "$out/results.md"
