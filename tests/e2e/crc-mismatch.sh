#!/bin/bash
# crc-mismatch.sh PACKAGE OUT: OUT is PACKAGE with the CRC its pre module
# holds for splice-core's splice_register_pre changed (its __versions entry,
# as a module linked against another kernel's splice-core has it), the
# manifest's sha256 of that module made right again: what splice-apply
# meets when a package was made with the wrong Module.symvers
# (e2e/e2e-bad-input.vm, case crc_mismatch).  Run on the host when the e2e
# packages are staged (e2e/e2e.am); needs objcopy and perl.
set -euo pipefail
pkg=$1 out=$(realpath -m "$2")
t=$(mktemp -d "${TMPDIR:-/tmp}/crc-mismatch.XXXXXX")
trap 'rm -rf "$t"' EXIT
tar -xzf "$pkg" -C "$t"
ko=$(ls "$t"/modules/*_pre.ko | head -n 1)
objcopy --dump-section __versions="$t/versions" "$ko"
# struct modversion_info: an 8-byte CRC, then the name in 56 bytes
perl -e '
	my ($f) = @ARGV;
	open(my $h, "+<:raw", $f) or die "$f: $!\n";
	local $/; my $v = <$h>; my $done = 0;
	for (my $i = 0; $i + 64 <= length($v); $i += 64) {
		my ($name) = unpack("Z56", substr($v, $i + 8, 56));
		next unless $name eq "splice_register_pre";
		substr($v, $i, 4) = pack("V", unpack("V", substr($v, $i, 4)) ^ 0x5a5a5a5a);
		$done = 1;
	}
	die "no __versions entry for splice_register_pre\n" unless $done;
	seek($h, 0, 0); print $h $v; close($h);
' "$t/versions"
objcopy --update-section __versions="$t/versions" "$ko"
rm -f "$t/versions"
rel=modules/$(basename "$ko")
sed -i "s|^file $rel .*|file $rel $(sha256sum "$ko" | cut -d' ' -f1)|" "$t/manifest"
(cd "$t" && tar -czf "$out.tmp" --owner=0 --group=0 ./*) && mv -f "$out.tmp" "$out"
