# site-lib.sh: where a function's own code begins after its ftrace site
# (sourced by e2e/e2e-install.vm and e2e/e2e-modload.vm, under busybox sh in
# the VM).  POSIX sh.
#
# site_end FUNC: the offset of the first instruction after FUNC's ftrace
# call site (5 bytes), in decimal: a kprobe there changes the code run-pre
# matching compares, and ftrace's own site is left alone.  On 6.1 the site
# is the function's first instruction (5); on 6.12 it follows endbr64 or
# its seal where the function has one (9; docs/kernel-series.md).  The
# kernel says where the site is: available_filter_functions_addrs (6.5 and
# later) gives its address, /proc/kallsyms the function's.  Before 6.5
# (the 6.1 series, built without IBT) the site is at the entry.  FUNC must
# be loaded (a module's function while the module is).  Status 1, with a
# message, if the kernel does not name FUNC in both.
site_end() {
	addrs=/sys/kernel/tracing/available_filter_functions_addrs
	if [ ! -e $addrs ]; then
		echo 5
		return 0
	fi
	site=$(awk -v n="$1" '$2 == n { print $1; exit }' $addrs)
	sym=$(awk -v n="$1" '$3 == n && ($2 == "t" || $2 == "T") { print $1; exit }' /proc/kallsyms)
	if [ -z "$site" ] || [ -z "$sym" ]; then
		echo "site_end: $1: ftrace site '$site', address '$sym' (not traced, or not loaded?)" >&2
		return 1
	fi
	# the low 32 bits (of 16 hex digits): busybox's arithmetic is signed 64-bit
	off=$(( 0x${site#????????} - 0x${sym#????????} ))
	[ $off -lt 0 ] && off=$((off + 0x100000000))
	echo $((off + 5))
}
