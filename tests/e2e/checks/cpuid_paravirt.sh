#!/bin/sh
# cpuid_paravirt.patch: cpuid_smp_cpuid() of Debian's cpuid module
# (arch/x86/kernel/cpuid.c, loaded in the VM) reports ecx 0x5e1ced00 for
# every leaf.  Its cpuid is a paravirt call (pv_ops.cpu.cpuid), which the
# loader made a direct call in the kernel's and the pre module's copies:
# run-pre matching compares what the two calls reach.
dd if=/dev/cpu/0/cpuid bs=16 count=1 2>/dev/null | od -An -tx4 | grep -q 5e1ced00
