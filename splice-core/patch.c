// SPDX-License-Identifier: GPL-2.0
/*
 * Writing and removing the jumps, x86-64: where a jump goes, the stack check
 * of every thread, and the stop_machine callback that does both at once.
 *
 * Patch site.  Every traceable function starts with ftrace's 5-byte site
 * (a NOP, or a call while it is traced).  ftrace checks those bytes before
 * it rewrites them, so splice never touches them: the jump goes right after,
 *
 *	foo:	0f 1f 44 00 00		nopl 0x0(%rax,%rax,1)	(ftrace's)
 *	foo+5:	e9 <rel32>		jmp new_foo		(splice's)
 *
 * and foo stays traceable (the tracer runs, returns to foo+5, jumps).  A
 * function without an ftrace site (notrace, e.g. out-of-line copies of
 * inline functions) gets the jump at foo+0.  A function shorter than the
 * jump's end is refused (too_short).
 *
 * Cross-modifying code.  The callback runs on every online CPU; one CPU
 * checks and writes, the others spin until it is done and then execute
 * sync_core() before they return to other code, as text_poke_sync() would
 * make them do with an IPI (impossible here: interrupts are off).
 */
#include <linux/ftrace.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <asm/timex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <asm/sync_core.h>
#include "core.h"
#include "ksym.h"

#define SPLICE_STACK_DEPTH	128
#define SPLICE_JMP_OPCODE	0xe9
#define SPLICE_INT3_OPCODE	0xcc

/* The on-screen names of enum splice_range_kind, for conflicts. */
static const char *const splice_range_prefix[] = {
	[SPLICE_RANGE_OLD] = "",
	[SPLICE_RANGE_COLD] = "cold:",
	[SPLICE_RANGE_BELOW] = "below:",
};

void splice_site_bytes(const struct splice_func *f, u8 *buf)
{
	memcpy(buf, (const void *)f->site, SPLICE_JMP_SIZE);
}

/* The applied function whose jump sits at @site now (the newest), or NULL. */
static struct splice_func *splice_top_at(struct list_head *applied,
					 unsigned long site)
{
	struct splice_upd *v;
	struct splice_func *top = NULL;
	unsigned int i;

	list_for_each_entry(v, applied, applied_node)
		for (i = 0; i < v->nr_funcs; i++)
			if (v->funcs[i].site == site)
				top = &v->funcs[i];
	return top;
}

enum splice_cause splice_prepare_site(struct splice_upd *u,
				      struct splice_func *f,
				      struct list_head *applied)
{
	const char *name = f->desc->name;
	unsigned long fentry, site_off;
	struct splice_func *below;
	long rel;

	fentry = splice_ksym.ftrace_location(f->old_addr);
	if (fentry && fentry != f->old_addr) {
		upd_err(u, "%s: ftrace site at %pS, not at the entry\n", name,
			(void *)fentry);
		return SPLICE_UNEXPECTED;
	}
	site_off = fentry ? MCOUNT_INSN_SIZE : 0;
	if (f->old_size < site_off + SPLICE_JMP_SIZE) {
		upd_err(u, "%s: %lu bytes, too short for a jump at +%lu\n",
			name, f->old_size, site_off);
		return SPLICE_TOO_SHORT;
	}
	f->site = f->old_addr + site_off;

	rel = (long)f->desc->new_func - (long)(f->site + SPLICE_JMP_SIZE);
	if (rel != (s32)rel) {
		upd_err(u, "%s: new code out of jump range\n", name);
		return SPLICE_UNEXPECTED;
	}
	f->jmp[0] = SPLICE_JMP_OPCODE;
	memcpy(&f->jmp[1], &(s32){ rel }, sizeof(s32));

	below = splice_top_at(applied, f->site);
	f->below = below;
	if (below) {
		/* Stacking: we replace the earlier update's jump, and threads
		 * inside its new code count as inside the old code. */
		memcpy(f->saved, below->jmp, SPLICE_JMP_SIZE);
		if (f->nr_ranges == SPLICE_MAX_RANGES)
			return SPLICE_UNEXPECTED;
		f->ranges[f->nr_ranges++] = (struct splice_range){
			.start = below->upd->new_start,
			.end = below->upd->new_end,
			.kind = SPLICE_RANGE_BELOW,
		};
	} else {
		splice_site_bytes(f, f->saved);
		/* int3 at the site: a kprobe, or a text_poke_bp() in flight */
		if (f->saved[0] == SPLICE_INT3_OPCODE) {
			upd_err(u, "%s: int3 at %pS (a kprobe?)\n", name,
				(void *)f->site);
			return SPLICE_SITE_CHANGED;
		}
	}
	upd_dbg(u, "%s: jump at %pS: %5phN -> %5phN%s%s\n", name,
		(void *)f->site, f->saved, f->jmp, below ? ", stacked on " : "",
		below ? below->upd->pub->id : "");
	return SPLICE_OK;
}

/* Everything the stop_machine callback needs, allocated before it runs. */
struct splice_sm {
	struct splice_upd *u;
	bool undo;
	atomic_t cpus;
	int done;
	u64 t0, t_done;			/* ktime_get_ns(): called, writer done */
	enum splice_cause cause;
	size_t conflicts_len;
	struct splice_pause_detail detail;
	unsigned long entries[SPLICE_STACK_DEPTH];
};

static void splice_conflict(struct splice_sm *sm, const char *fmt, ...)
{
	char *buf = sm->u->conflicts;
	va_list args;

	va_start(args, fmt);
	sm->conflicts_len += vscnprintf(buf + sm->conflicts_len,
					PAGE_SIZE - sm->conflicts_len, fmt,
					args);
	va_end(args);
}

static bool splice_in(const struct splice_range *r, unsigned long addr)
{
	return addr >= r->start && addr < r->end;
}

/* Does any of @n stack entries lie in @f's code?  Notes each range hit. */
static bool splice_check_func(struct splice_sm *sm, struct splice_func *f,
			      unsigned int n)
{
	bool busy = false;
	unsigned int r, i;

	for (r = 0; r < f->nr_ranges; r++)
		for (i = 0; i < n; i++)
			if (splice_in(&f->ranges[r], sm->entries[i])) {
				splice_conflict(sm, " %s%s",
					splice_range_prefix[f->ranges[r].kind],
					f->desc->name);
				busy = true;
				break;
			}
	return busy;
}

/* Is @t inside code this transition changes?  Appends a conflicts line. */
static bool splice_check_task(struct splice_sm *sm, struct task_struct *t)
{
	struct splice_upd *u = sm->u;
	size_t line = sm->conflicts_len;
	bool busy = false;
	unsigned int i;
	u64 t0, t1;
	int n;

	splice_conflict(sm, "%d %s", task_pid_nr(t), t->comm);
	t0 = get_cycles();
	n = splice_ksym.stack_trace_save_tsk_reliable(t, sm->entries,
						      SPLICE_STACK_DEPTH);
	t1 = get_cycles();
	sm->detail.walk_ns += t1 - t0;
	sm->detail.threads++;
	if (n < 0) {
		splice_conflict(sm, " unreliable_stack\n");
		return true;
	}
	for (i = 0; i < u->nr_funcs; i++)
		busy |= splice_check_func(sm, &u->funcs[i], n);
	if (sm->undo)
		for (i = 0; i < (unsigned int)n; i++)
			if (sm->entries[i] >= u->new_start &&
			    sm->entries[i] < u->new_end) {
				splice_conflict(sm, " new:%s", u->pub->id);
				busy = true;
				break;
			}
	if (busy)
		splice_conflict(sm, "\n");
	else
		sm->conflicts_len = line;	/* drop the line */
	u->conflicts[sm->conflicts_len] = '\0';
	sm->detail.compare_ns += get_cycles() - t1;
	return busy;
}

/*
 * Every thread except those running now: under stop_machine they are the
 * stopper threads, this one included, which run only stop_machine's code.
 * The idle tasks are not in the thread list: each CPU's is checked too
 * (switched out for the stopper, like every other task; a replaced
 * function in the idle loop, such as do_idle(), is one they never leave).
 */
static bool splice_check_stacks(struct splice_sm *sm)
{
	struct task_struct *g, *t;
	bool busy = false;
	int cpu;

	sm->conflicts_len = 0;
	sm->u->conflicts[0] = '\0';
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (t == current || READ_ONCE(t->on_cpu))
			continue;
		busy |= splice_check_task(sm, t);
	}
	rcu_read_unlock();
	for_each_online_cpu(cpu) {
		t = splice_ksym.idle_task(cpu);
		if (!t || t == current || READ_ONCE(t->on_cpu))
			continue;
		busy |= splice_check_task(sm, t);
	}
	return busy;
}

/* The writer's part: verify every site, then write every site, or none. */
static enum splice_cause splice_write_all(struct splice_sm *sm)
{
	struct splice_upd *u = sm->u;
	const u8 *want, *put;
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++) {
		struct splice_func *f = &u->funcs[i];

		want = sm->undo ? f->jmp : f->saved;
		if (memcmp((void *)f->site, want, SPLICE_JMP_SIZE))
			return SPLICE_SITE_CHANGED;
	}
	for (i = 0; i < u->nr_funcs; i++) {
		struct splice_func *f = &u->funcs[i];

		put = sm->undo ? f->saved : f->jmp;
		splice_ksym.text_poke((void *)f->site, put, SPLICE_JMP_SIZE);
	}
	return SPLICE_OK;
}

static int splice_sm_fn(void *data)
{
	struct splice_sm *sm = data;
	u64 t0, t1;
	int me = atomic_inc_return(&sm->cpus);

	if (me == num_online_cpus())
		sm->detail.enter_ns = ktime_get_ns() - sm->t0;
	if (me == 1) {
		t0 = get_cycles();
		if (splice_check_stacks(sm)) {
			sm->cause = SPLICE_CODE_BUSY;
		} else {
			t1 = get_cycles();
			sm->cause = splice_write_all(sm);
			sm->detail.write_ns = get_cycles() - t1;
		}
		smp_store_release(&sm->done, 1);
		t1 = get_cycles();
		sync_core();
		sm->detail.sync_ns = get_cycles() - t1;
		sm->detail.callback_ns = get_cycles() - t0;
		sm->t_done = ktime_get_ns();
		return 0;
	}
	while (!smp_load_acquire(&sm->done))
		cpu_relax();
	/* No CPU runs modified code before it has serialized. */
	sync_core();
	return 0;
}

/*
 * The phases are timed in TSC cycles, each on the CPU that ran it: in the
 * reference VM (QEMU TCG) the TSCs of different CPUs disagree and the kernel
 * marks the TSC unstable, so local_clock() is clamped to a tick past the
 * last one and stops while interrupts are off; a CPU's own TSC still counts
 * at tsc_khz.  The calls to ktime_get_ns() compare two CPUs' times.
 */
static void splice_detail_to_ns(struct splice_pause_detail *d)
{
	u64 *c[] = { &d->walk_ns, &d->compare_ns, &d->write_ns, &d->sync_ns,
		     &d->callback_ns };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		*c[i] = tsc_khz ? mul_u64_u32_div(*c[i], USEC_PER_SEC, tsc_khz) : 0;
}

/*
 * One attempt at applying (or undoing) @u: stop every CPU, check stacks,
 * write.  Caller holds splice_mutex; this takes cpus_read_lock, then
 * text_mutex (the order kprobes use), then stops the machine.
 */
enum splice_cause splice_switch(struct splice_upd *u, bool undo)
{
	struct splice_sm *sm;
	enum splice_cause cause;
	u64 t0;
	int ret;

	sm = kzalloc(sizeof(*sm), GFP_KERNEL);
	if (!sm)
		return SPLICE_OUT_OF_MEMORY;
	sm->u = u;
	sm->undo = undo;
	sm->cause = SPLICE_UNEXPECTED;

	cpus_read_lock();
	mutex_lock(splice_ksym.text_mutex);
	t0 = ktime_get_ns();
	sm->t0 = t0;
	ret = splice_ksym.stop_machine_cpuslocked(splice_sm_fn, sm,
						  cpu_online_mask);
	u->pause_ns = ktime_get_ns() - t0;
	sm->detail.leave_ns = ktime_get_ns() - sm->t_done;
	splice_detail_to_ns(&sm->detail);
	u->pause_detail = sm->detail;
	mutex_unlock(splice_ksym.text_mutex);
	cpus_read_unlock();

	cause = ret ? SPLICE_UNEXPECTED : sm->cause;
	if (ret)
		upd_err(u, "stop_machine: %d\n", ret);
	kfree(sm);
	return cause;
}
