#!/bin/bash
# Test of scripts/splice-vm's ABI handling (no VM, nothing downloaded):
#  - a malformed ABI (--abi, SPLICE_ABI, after the command) is refused,
#    exit 1, naming it;
#  - an ABI the archive does not have (6.1 and 6.12 naming) is refused,
#    exit 1, naming it and listing the archive's ABIs, before anything is
#    downloaded or created (a private, empty SPLICE_CACHE stays empty);
#  - --abi 6.1.0-55 release prints 6.1.0-55-amd64 (and SPLICE_ABI does),
#    6.12.118+deb12 gives 6.12.118+deb12-amd64.
# Needs Debian's package lists (apt-get update); without them: skipped.
set -uo pipefail
vm=${SPLICE_VM:?SPLICE_VM not set (run through make check)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/splice-abi-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
cache=$tmp/cache script=$tmp/t.sh
mkdir "$cache" && echo 'uname -r' >"$script" || exit 99
export SPLICE_CACHE=$cache SPLICE_VM_QUIET=1
unset SPLICE_ABI
failed=0
fail() { echo "FAIL: $*"; failed=1; }
# what is in the cache but splice-vm's memo of the newest ABI (.abi)
cached() { find "$cache" -mindepth 1 -maxdepth 1 ! -name .abi -printf '%f '; }

# refused ARGS... -- PATTERN...: splice-vm ARGS exits 1, its stderr matches
# every PATTERN (grep -F), and the cache stays empty
refused() {
	local args=() out rc p
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	out=$("$vm" "${args[@]}" 2>&1 >/dev/null)
	rc=$?
	echo "splice-vm ${args[*]}: exit $rc: $out"
	[ $rc = 1 ] || fail "splice-vm ${args[*]}: exit $rc, expected 1"
	for p in "$@"; do
		grep -qF -- "$p" <<<"$out" || fail "splice-vm ${args[*]}: message lacks '$p'"
	done
	[ -z "$(cached)" ] || fail "splice-vm ${args[*]}: the cache is not empty: $(cached)"
}

avail=$("$vm" abis)
[ -n "$avail" ] || { echo "SKIP: no linux-image-<abi>-amd64 in the package lists (run apt-get update)"; exit 77; }
newest=$("$vm" abi) || { echo "FAIL: splice-vm abi"; exit 1; }
grep -qx -- "$newest" <<<"$avail" || fail "splice-vm abis does not list the newest ABI $newest"

# malformed
for bad in 6.1 6.1.0 6.1.0-55-amd64 foo '../6.1.0-55' '6.1.0-55;ls' 6.12.118 6.12.118+deb; do
	refused --abi "$bad" fetch -- "ABI '$bad'" "not a Debian kernel ABI"
done
refused release --abi 6.1.0-55 -- "usage: splice-vm release"	# no options after release
refused --abi -- "--abi needs an argument"
refused path --abi 'x y' cache -- "ABI 'x y'" "not a Debian kernel ABI"
SPLICE_ABI=6.1.0 refused run "$script" -- "ABI '6.1.0'" "not a Debian kernel ABI"

# well-formed, not in the archive: named, the available ones listed
for missing in 6.1.0-999 6.12.999+deb12; do
	refused --abi "$missing" fetch -- "ABI $missing" "no linux-image-$missing-amd64" \
		"available ABIs:" "$newest"
	refused path --abi "$missing" vmlinuz -- "ABI $missing" "available ABIs:"
	refused run --abi "$missing" "$script" -- "ABI $missing" "available ABIs:"
	SPLICE_ABI=$missing refused headers -- "ABI $missing" "available ABIs:"
done

# release of a given ABI
r=$("$vm" --abi 6.1.0-55 release) || fail "splice-vm --abi 6.1.0-55 release failed"
[ "$r" = 6.1.0-55-amd64 ] || fail "splice-vm --abi 6.1.0-55 release printed '$r'"
r=$(SPLICE_ABI=6.1.0-55 "$vm" release)
[ "$r" = 6.1.0-55-amd64 ] || fail "SPLICE_ABI=6.1.0-55 splice-vm release printed '$r'"
r=$(SPLICE_ABI=6.1.0-54 "$vm" --abi=6.1.0-55 abi)
[ "$r" = 6.1.0-55 ] || fail "--abi does not win over SPLICE_ABI: '$r'"
r=$("$vm" --abi 6.12.118+deb12 release)
[ "$r" = 6.12.118+deb12-amd64 ] || fail "splice-vm --abi 6.12.118+deb12 release printed '$r'"
r=$("$vm" release)
[ "$r" = "$newest-amd64" ] || fail "splice-vm release printed '$r', not the newest $newest-amd64"
[ -z "$(cached)" ] || fail "the cache is not empty: $(cached)"

[ $failed = 0 ] && echo "PASS: harness ABI handling"
exit $failed
