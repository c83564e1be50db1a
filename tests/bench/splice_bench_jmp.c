// SPDX-License-Identifier: GPL-2.0
/*
 * scripts/bench-callcost's bare jump: the floor of what any jump-based
 * replacement costs.  At load, "e9 <rel32>" (jmp copy_jiffies_to_msecs) is
 * written at jiffies_to_msecs+5, right after its ftrace NOP, the same place
 * and the same instruction splice writes; the copy is this module's
 * compilation of the same body (checked: the same bytes up to the return).
 * Unloading writes the saved 5 bytes back.
 *
 * Nothing else is done (no stack check, no matching): it is a benchmark, not
 * an engine.  The write happens under stop_machine() with text_mutex held, the
 * other CPUs serializing (sync_core()) after the writer is done.
 * text_poke, text_mutex and kallsyms_lookup_name are unexported in 6.1:
 * found as splice-core's ksym.c finds them (a kprobe on kallsyms_lookup_name).
 */
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/stop_machine.h>
#include <asm/sync_core.h>

#define JMP_SIZE 5
#define SITE_OFF 5	/* after the ftrace NOP */

static const u8 ftrace_nop[JMP_SIZE] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

static noinline unsigned int copy_jiffies_to_msecs(const unsigned long j)
{
	return (MSEC_PER_SEC / HZ) * j;
}

static void *(*p_text_poke)(void *addr, const void *opcode, size_t len);
static struct mutex *p_text_mutex;
static u8 *site;
static u8 saved[JMP_SIZE], jmp[JMP_SIZE];

struct poke {
	const u8 *bytes;
	atomic_t first;		/* the first CPU in writes */
	atomic_t done;
};

static int poke_cb(void *data)
{
	struct poke *p = data;

	if (atomic_inc_return(&p->first) == 1) {
		p_text_poke(site, p->bytes, JMP_SIZE);
		atomic_set(&p->done, 1);
	} else {
		while (!atomic_read(&p->done))
			cpu_relax();
	}
	sync_core();
	return 0;
}

static int poke(const u8 *bytes)
{
	struct poke p = { .bytes = bytes };
	int ret;

	mutex_lock(p_text_mutex);
	ret = stop_machine(poke_cb, &p, cpu_online_mask);
	mutex_unlock(p_text_mutex);
	return ret;
}

static unsigned long lookup(const char *name)
{
	static unsigned long (*lookup_name)(const char *);
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

	if (!lookup_name) {
		if (register_kprobe(&kp))
			return 0;
		lookup_name = (void *)kp.addr;
		unregister_kprobe(&kp);
	}
	return lookup_name(name);
}

static int __init bench_jmp_init(void)
{
	u8 *old = (u8 *)jiffies_to_msecs, *copy = (u8 *)copy_jiffies_to_msecs;
	long rel;

	p_text_poke = (void *)lookup("text_poke");
	p_text_mutex = (void *)lookup("text_mutex");
	if (!p_text_poke || !p_text_mutex)
		return -ENOENT;
	/* both: ftrace NOP, "lea 0(,%rdi,4),%eax" (7 bytes) */
	if (memcmp(old, ftrace_nop, JMP_SIZE) || memcmp(old, copy, 12)) {
		pr_err("splice_bench_jmp: jiffies_to_msecs %*ph, copy %*ph: not the same code\n",
		       16, old, 16, copy);
		return -EINVAL;
	}
	site = old + SITE_OFF;
	memcpy(saved, site, JMP_SIZE);
	rel = (long)copy - (long)(site + JMP_SIZE);
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &(s32){ rel }, 4);
	pr_info("splice_bench_jmp: jiffies_to_msecs %*ph, copy %*ph\n",
		16, old, 16, copy);
	return poke(jmp);
}

static void __exit bench_jmp_exit(void)
{
	poke(saved);
}

module_init(bench_jmp_init);
module_exit(bench_jmp_exit);
MODULE_LICENSE("GPL");
