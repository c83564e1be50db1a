// SPDX-License-Identifier: GPL-2.0
/*
 * Finding unexported kernel functions.
 *
 * 6.1 exports neither kallsyms_lookup_name() nor the functions it would
 * find (text_poke, text_mutex, stack_trace_save_tsk_reliable, ...).  A kprobe
 * can be registered on any symbol by name, and registering it resolves the
 * name: kp.addr is kallsyms_lookup_name's address.  The probe is removed at
 * once; from then on kallsyms_lookup_name() finds the rest.
 *
 * With CONFIG_X86_KERNEL_IBT (6.12) the kprobe sits after the endbr64 at
 * the function's entry (arch_adjust_kprobe_addr()): kp.addr is
 * kallsyms_lookup_name+4 there, and an indirect call to +4 would fault
 * where IBT is enforced.  The endbr64 before it is taken back, and the
 * result checked against kallsyms once it works.
 *
 * Every symbol looked up here is unique in vmlinux (checked on
 * 6.1.0-57-amd64 and 6.12.118+deb12-amd64), so kallsyms_lookup_name()'s
 * "first match" is the match.
 */
#include <linux/kprobes.h>
#include <asm/ibt.h>
#include "core.h"
#include "ksym.h"

struct splice_ksyms splice_ksym;

static unsigned long splice_find_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		splice_err("kprobe on kallsyms_lookup_name: %d\n", ret);
		return 0;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	if (splice_entry_pad(addr - ENDBR_INSN_SIZE))
		addr -= ENDBR_INSN_SIZE;
	return addr;
}

/*
 * Is an armed kprobe at @addr that rewrote the code there (its int3, or an
 * optimized probe's 5-byte jump; *@optimized tells which)?  Probes on the
 * ftrace site go through ftrace and leave the bytes alone; disabled (or
 * gone) ones are disarmed.
 */
bool splice_kprobe_armed(unsigned long addr, bool *optimized)
{
	struct kprobe *p;
	bool armed;

	rcu_read_lock();
	p = splice_ksym.get_kprobe((void *)addr);
	armed = p && !kprobe_disabled(p) && !kprobe_ftrace(p);
	*optimized = p && kprobe_optimized(p);
	rcu_read_unlock();
	return armed;
}

/*
 * The first kprobe registered in [@start, @end) that writes code there
 * when it is armed, armed or not (*@state: "armed", "optimized" or
 * "disabled"); 0 if there is none.  Not one on an ftrace site (ftrace
 * calls it, the bytes stay ftrace's), nor one gone with its module.
 *
 * Registered is enough: x86's kprobe copies the instruction under it when
 * it is registered (arch_copy_kprobe(): p->opcode, p->ainsn), and when it
 * is armed later it writes int3 over whatever is there then, runs the
 * copy when hit, and writes p->opcode back when disarmed.  Over splice's
 * jump (applied after the probe was registered) that runs the replaced
 * instruction and later breaks the jump's first byte; under an undo (the
 * probe registered on the jump) it runs a copy of the jump to new code
 * that is gone.  A kprobe registered on a module before it loads is
 * registered at the module's COMING by trace_kprobe's notifier, before
 * splice-core's (pending.c), and armed there only if its event is
 * enabled.
 *
 * Caller holds kprobe_mutex: no kprobe is registered, armed, optimized or
 * disarmed until it lets go (register_kprobe(), the optimizer and
 * enable/disable_kprobe() all take it, before cpus_read_lock and
 * text_mutex: splice_switch() takes them in that order too).
 */
unsigned long splice_kprobe_at(unsigned long start, unsigned long end,
			       const char **state)
{
	struct kprobe *p;
	unsigned long a;

	lockdep_assert_held(splice_ksym.kprobe_mutex);
	for (a = start; a < end; a++) {
		p = splice_ksym.get_kprobe((void *)a);
		if (!p || kprobe_ftrace(p) || kprobe_gone(p))
			continue;
		*state = kprobe_disabled(p) ? "disabled" :
			 kprobe_optimized(p) ? "optimized" : "armed";
		return a;
	}
	return 0;
}

#define SPLICE_KSYM(field) { #field, (void **)&splice_ksym.field }

int splice_ksym_init(void)
{
	static const struct {
		const char *name;
		void **slot;
	} wanted[] = {
		SPLICE_KSYM(kallsyms_on_each_match_symbol),
		SPLICE_KSYM(module_kallsyms_on_each_symbol),
		SPLICE_KSYM(kallsyms_lookup_size_offset),
		SPLICE_KSYM(ftrace_location),
		SPLICE_KSYM(get_kprobe),
		SPLICE_KSYM(kprobe_mutex),
		SPLICE_KSYM(text_poke),
		SPLICE_KSYM(text_mutex),
		SPLICE_KSYM(stack_trace_save_tsk_reliable),
		SPLICE_KSYM(stop_machine_cpuslocked),
		SPLICE_KSYM(idle_task),
		SPLICE_COMPAT_KSYMS
	};
	unsigned long addr, off;
	size_t i;

	addr = splice_find_lookup_name();
	if (!addr)
		return -ENOENT;
	splice_ksym.kallsyms_lookup_name = (void *)addr;

	for (i = 0; i < ARRAY_SIZE(wanted); i++) {
		addr = splice_ksym.kallsyms_lookup_name(wanted[i].name);
		if (!addr) {
			splice_err("kernel symbol %s not found\n",
				   wanted[i].name);
			return -ENOENT;
		}
		*wanted[i].slot = (void *)addr;
	}

	/* the entry, not +4 (above) */
	if (!splice_ksym.kallsyms_lookup_size_offset(
		    (unsigned long)splice_ksym.kallsyms_lookup_name, NULL,
		    &off) || off) {
		splice_err("kallsyms_lookup_name found at %pS, not its entry\n",
			   splice_ksym.kallsyms_lookup_name);
		return -ENOENT;
	}
	return 0;
}
