# site-lib.sh: where a function's own code begins after its ftrace site
# (sourced by e2e/e2e-install.vm and e2e/e2e-modload.vm, under busybox sh in
# the VM).  POSIX sh.
#
# site_end FUNC [MODULE]: the offset of the first instruction after FUNC's
# ftrace call site (5 bytes), in decimal: a kprobe there changes the code
# run-pre matching compares, and ftrace's own site is left alone.  On 6.1
# the site is the function's first instruction (5); on 6.12 it follows
# endbr64 or its seal where the function has one (9;
# docs/kernel-series.md).  The kernel says where the site is:
# available_filter_functions_addrs (6.5 and later) gives its address,
# /proc/kallsyms the function's.  Before 6.5 (the 6.1 series, built
# without IBT) the site is at the entry.  FUNC is vmlinux's, or MODULE's
# when given: both files name a module's functions with " [MODULE]" after
# them, and the same name can be in several modules (an update's pre and
# new-code modules have a bm_status_read of their own, next to
# binfmt_misc's): the site and the address must be the same module's.
# FUNC must be loaded.  Status 1, with a message, if the kernel does not
# name FUNC in both.
site_end() {
	addrs=/sys/kernel/tracing/available_filter_functions_addrs
	if [ ! -e $addrs ]; then
		echo 5
		return 0
	fi
	mod=${2:+[$2]}
	site=$(awk -v n="$1" -v m="$mod" '$2 == n && $3 == m { print $1; exit }' $addrs)
	sym=$(awk -v n="$1" -v m="$mod" '$3 == n && $4 == m && ($2 == "t" || $2 == "T") { print $1; exit }' /proc/kallsyms)
	if [ -z "$site" ] || [ -z "$sym" ]; then
		echo "site_end: $1${2:+ of $2}: ftrace site '$site', address '$sym' (not traced, or not loaded?)" >&2
		return 1
	fi
	# the low 32 bits (of 16 hex digits): busybox's arithmetic is signed 64-bit
	off=$(( 0x${site#????????} - 0x${sym#????????} ))
	[ $off -lt 0 ] && off=$((off + 0x100000000))
	# an ftrace site lies within the function's first bytes
	if [ $off -gt 64 ]; then
		echo "site_end: $1${2:+ of $2}: ftrace site $site is $off bytes from the function at $sym" >&2
		return 1
	fi
	echo $((off + 5))
}
