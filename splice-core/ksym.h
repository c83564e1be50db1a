/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel functions splice-core needs that 6.1 does not export to modules,
 * found at load time through kallsyms (ksym.c).
 */
#ifndef SPLICE_KSYM_H
#define SPLICE_KSYM_H

#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/stop_machine.h>
#include "compat.h"

/*
 * Declared only: <linux/kprobes.h> stays out of the files that export
 * symbols, whose CRCs (modversions) would change with the types it defines,
 * and every module built against an earlier splice-core would be refused.
 */
struct kprobe;

struct splice_ksyms {
	unsigned long (*kallsyms_lookup_name)(const char *name);
	int (*kallsyms_on_each_match_symbol)(int (*fn)(void *, unsigned long),
					     const char *name, void *data);
	splice_kernel_modsyms_t module_kallsyms_on_each_symbol; /* compat.c */
	int (*kallsyms_lookup_size_offset)(unsigned long addr,
					   unsigned long *symbolsize,
					   unsigned long *offset);
	unsigned long (*ftrace_location)(unsigned long ip);
	struct kprobe *(*get_kprobe)(void *addr);	/* under rcu_read_lock() */
	struct mutex *kprobe_mutex;	/* kernel/kprobes.c's: see splice_kprobe_at() */
	void *(*text_poke)(void *addr, const void *opcode, size_t len);
	struct mutex *text_mutex;
	int (*stack_trace_save_tsk_reliable)(struct task_struct *tsk,
					     unsigned long *store,
					     unsigned int size);
	int (*stop_machine_cpuslocked)(cpu_stop_fn_t fn, void *data,
				       const struct cpumask *cpus);
	struct task_struct *(*idle_task)(int cpu);
	SPLICE_COMPAT_KSYM_FIELDS
};

/*
 * Filled once by splice_ksym_init() before anything else runs, read-only
 * afterwards.
 */
extern struct splice_ksyms splice_ksym;

int splice_ksym_init(void);
bool splice_kprobe_armed(unsigned long addr, bool *optimized);
unsigned long splice_kprobe_at(unsigned long start, unsigned long end,
			       const char **state);

#endif /* SPLICE_KSYM_H */
