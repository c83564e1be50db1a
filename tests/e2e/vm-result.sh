# vm-result.sh: sourced by the runners of a real fix in the VM
# (e2e/debian-fix.sh, e2e/stable-fix-612.sh).  vm_result NAME RC: what
# splice-vm's exit status RC means for test NAME, said as automake's
# driver reads it; returns the test's exit status (99: the harness failed).
vm_result() {
	case $2 in
	0)   echo "PASS: $1"; return 0 ;;
	124) echo "ERROR: $1: VM timeout; console in tests/$1.console"; return 99 ;;
	125) echo "ERROR: $1: VM crashed; console in tests/$1.console"; return 99 ;;
	*)   echo "FAIL: $1 (exit $2); console in tests/$1.console"; return "$2" ;;
	esac
}
