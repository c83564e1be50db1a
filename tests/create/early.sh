#!/bin/bash
# splice-create's checks of its inputs, all made before the first compile:
# a wrong combination of tree, configuration, headers, patch and output is
# refused with exit 1 and a message that names the problem and what to
# install or pass -- and nothing is prepared, built or written (no progress
# line, TMPDIR and the cache stay empty, the tree untouched).  The headers
# are the harness's real ones, or fake build directories where the case
# needs one that doesn't exist ($SPLICE_HEADERS_DIRS replaces /usr/src).
#
# Skipped (77) when SPLICE_SKIP_REAL_TESTS=1 or the harness has no tree.
set -uo pipefail

top_build=${SPLICE_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
top_src=${SPLICE_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=${SPLICE_TEST_SRCDIR:-$top_src/tests}
vm=${SPLICE_VM:-$top_src/scripts/splice-vm}
create=$top_build/splice-create/splice-create
patch=$top_src/scripts/demo-version.patch

[ -n "${SPLICE_SKIP_REAL_TESTS:-}" ] && { echo "SKIP: SPLICE_SKIP_REAL_TESTS"; exit 77; }
if ! htree=$(SPLICE_VM_QUIET=1 "$vm" path source 2>/dev/null) ||
	[ ! -f "$htree/include/generated/utsrelease.h" ]; then
	echo "SKIP: no prepared tree (run scripts/splice-setup)"
	exit 77
fi
release=$("$vm" release) || exit 1
kb=$(SPLICE_VM_QUIET=1 "$vm" path headers) || exit 1
config=$(SPLICE_VM_QUIET=1 "$vm" path config) || exit 1
version=$(sed -n 's/^SUBLEVEL = //p' "$htree/Makefile")

work=$(mktemp -d "${TMPDIR:-/tmp}/create-early.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/cache" "$work/none"

fail=0
bad() { echo "FAIL: $*"; fail=1; }

# refused NAME TREE 'WORDS' ARGS...: splice-create exits 1 saying WORDS
# (an extended regular expression), having done nothing
refused() {
	local name=$1 tree=$2 words=$3 rc
	shift 3
	echo "== $name"
	touch "$work/stamp"
	sleep 1
	"$create" -s "$tree" --cache "$work/cache" "$@" >"$work/$name.out" 2>&1
	rc=$?
	cat "$work/$name.out"
	[ "$rc" = 1 ] || bad "$name: exit status $rc, expected 1"
	grep -Eq -- "$words" "$work/$name.out" || bad "$name: the message does not say '$words'"
	! grep -Eq '^\[ *[0-9.]+s\] (preparing|building)' "$work/$name.out" ||
		bad "$name: it prepared or built before refusing"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "$name: scratch left in TMPDIR: $(ls "$TMPDIR")"
	[ -z "$(ls -A "$work/cache")" ] || bad "$name: something was put in the cache"
	[ -z "$(find "$tree" -newer "$work/stamp" -print -quit)" ] || bad "$name: the tree was written"
}

# fake_build DIR RELEASE SUBLEVEL CONFIG: a kernel build directory's bones
fake_build() {
	mkdir -p "$1/include/generated/uapi/linux" &&
		echo all: >"$1/Makefile" &&
		echo "#define UTS_RELEASE \"$2\"" >"$1/include/generated/utsrelease.h" &&
		printf '#define LINUX_VERSION_MAJOR 6\n#define LINUX_VERSION_PATCHLEVEL 1\n#define LINUX_VERSION_SUBLEVEL %s\n' \
			"$3" >"$1/include/generated/uapi/linux/version.h" &&
		cp "$4" "$1/.config" || exit 1
}

# a tree that isn't one
refused not-a-tree "$work/none" 'not a kernel source tree' "$patch"

# a fresh tree (no .config), nothing said, no headers anywhere: which kernel?
mkdir -p "$work/fresh"
cp "$htree/Makefile" "$work/fresh/"
SPLICE_HEADERS_DIRS=$work/none refused no-target "$work/fresh" \
	'which kernel is the update for\?.*install linux-headers-.*--kernel-build' "$patch"

# -c /boot/config-R of a kernel whose headers are not installed
cp "$config" "$work/config-6.1.0-99-amd64"
echo 'CONFIG_SPLICE_TEST_OTHER=y' >>"$work/config-6.1.0-99-amd64"
refused no-headers "$htree" 'install linux-headers-6.1.0-99-amd64' \
	-c "$work/config-6.1.0-99-amd64" "$patch"

# --kernel-build that is no build directory
refused bad-kernel-build "$htree" 'not a kernel build directory' --kernel-build "$work/none" "$patch"

# the headers of another kernel version than the tree's
fake_build "$work/hdr/linux-headers-6.1.0-50-amd64" 6.1.0-50-amd64 176 "$config"
refused other-version "$htree" "source of Linux 6\.1\.$version, but the target kernel 6\.1\.0-50-amd64 is Linux 6\.1\.176" \
	--kernel-build "$work/hdr/linux-headers-6.1.0-50-amd64" "$patch"

# -c that is not the configuration the target was built with
sed 's/^CONFIG_EXT4_FS=.*/CONFIG_EXT4_FS=y/' "$config" >"$work/other.config"
cmp -s "$config" "$work/other.config" && bad "other.config: no CONFIG_EXT4_FS to change"
refused config-mismatch "$htree" "is not the configuration of $release.*CONFIG_EXT4_FS" \
	--kernel-build "$kb" -c "$work/other.config" "$patch"

# one configuration, two installed kernels, nothing to tell them apart
fake_build "$work/two/linux-headers-6.1.0-70-amd64" 6.1.0-70-amd64 "$version" "$config"
fake_build "$work/two/linux-headers-6.1.0-71-amd64" 6.1.0-71-amd64 "$version" "$config"
cp "$config" "$work/fresh/.config"
SPLICE_HEADERS_DIRS=$work/two refused ambiguous "$work/fresh" \
	'configuration of several installed kernels: 6\.1\.0-70-amd64 .*6\.1\.0-71-amd64 .*--kernel-build' "$patch"
rm -f "$work/fresh/.config"

# a patch that does not apply: patch's words, before anything is built
refused does-not-apply "$htree" 'FAILED|does not apply' --kernel-build "$kb" \
	"$srcdir/create/patches/does-not-apply.patch"

# -o that is a file
touch "$work/file"
refused output-file "$htree" "-o $work/file: not a directory" --kernel-build "$kb" -o "$work/file" "$patch"

# splice-core's files missing
refused no-core "$htree" "splice.h and Module.symvers not found in $work/none" \
	--kernel-build "$kb" --core "$work/none" "$patch"

# splice-core's Module.symvers built for another kernel (the build tree's,
# configure's $release) and DKMS has built none for the target (only for
# another): the modules would not load (their CRCs), so refused
fake_build "$work/other/linux-headers-6.1.0-98-amd64" 6.1.0-98-amd64 "$version" "$config"
mkdir -p "$work/dkms/splice-core/0.1.0/6.1.0-97-amd64/x86_64" &&
	touch "$work/dkms/splice-core/0.1.0/6.1.0-97-amd64/x86_64/Module.symvers" || exit 1
SPLICE_DKMS_TREE=$work/dkms refused core-other-kernel "$htree" \
	"no splice-core built for 6.1.0-98-amd64: .*/Module.symvers is for $release, and DKMS has built none for it \($work/dkms/splice-core/[0-9.]+/6.1.0-98-amd64/\).*dkms install splice-core/[0-9.]+ -k 6.1.0-98-amd64" \
	--kernel-build "$work/other/linux-headers-6.1.0-98-amd64" "$patch"

[ $fail = 0 ] && echo "PASS"
exit $fail
