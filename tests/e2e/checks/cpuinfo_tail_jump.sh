#!/bin/sh
# cpuinfo_tail_jump.patch: c_next() of arch/x86/kernel/cpu/proc.c steps two
# CPUs at a time, so /proc/cpuinfo of the 2-CPU VM lists one.  Debian's
# c_next() ends in "jmp c_start", which the kernel's assembler shortened to
# 2 bytes (eb): run-pre matching must accept it for the 5-byte form of the
# pre code.
[ "$(grep -c '^processor' /proc/cpuinfo)" = 1 ]
