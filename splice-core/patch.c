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
 * With CONFIG_X86_KERNEL_IBT (6.12) a function begins with endbr64, where
 * indirect calls land, and ftrace's site follows it; both stay:
 *
 *	foo:	f3 0f 1e fa		endbr64			(IBT's)
 *	foo+4:	0f 1f 44 00 00		nopl 0x0(%rax,%rax,1)	(ftrace's)
 *	foo+9:	e9 <rel32>		jmp new_foo		(splice's)
 *
 * (a notrace foo: the jump at foo+4).  The site is found, not assumed:
 * ftrace_location() gives ftrace's, splice_entry_pad() the endbr64.
 *
 * Cross-modifying code.  The callback runs on every online CPU; all of
 * them share the stack walks, then one CPU writes while the others wait, and
 * every CPU executes sync_core() after the writes and before it returns to
 * other code, as text_poke_sync() would make them do with an IPI
 * (impossible here: interrupts are off).
 *
 * The pause.  Everything the callback reads is prepared before the machine
 * stops (the replaced code's ranges sorted by address, the sites in address
 * order, a work area per CPU); inside it, each thread's stack is walked once
 * and each return address looked up by binary search, and the sites of one
 * page are written by one text_poke().  The time goes to pause_detail.
 */
#include <linux/ftrace.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <asm/timex.h>
#include <linux/sched/signal.h>
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stacktrace.h>
#include <linux/uaccess.h>
#include <asm/ibt.h>
#include <asm/sync_core.h>
#include "core.h"
#include "ksym.h"

#define SPLICE_STACK_DEPTH	128
#define SPLICE_JMP_OPCODE	0xe9
#define SPLICE_INT3_OPCODE	0xcc
#define SPLICE_POKE_GAP		64	/* bytes between two sites of one text_poke() */

/* The on-screen names of enum splice_range_kind, for conflicts. */
static const char *const splice_range_prefix[] = {
	[SPLICE_RANGE_OLD] = "",
	[SPLICE_RANGE_COLD] = "cold:",
	[SPLICE_RANGE_BELOW] = "below:",
};

/*
 * Bytes before the first instruction of the function at @addr that calls
 * must land on: 4 when it begins with endbr64, or with the NOP the kernel
 * seals an unused one with (66 0f 1f 00, is_endbr() knows both); else 0,
 * and always 0 when the kernel is built without IBT (is_endbr() is false).
 */
unsigned int splice_entry_pad(unsigned long addr)
{
	u32 insn;

	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return 0;
	return is_endbr(insn) ? ENDBR_INSN_SIZE : 0;
}

void splice_site_bytes(const struct splice_func *f, u8 *buf)
{
	memcpy(buf, (const void *)f->site, SPLICE_JMP_SIZE);
}

/*
 * The applied function whose jump sits at @site now (the newest), or NULL;
 * never one of @u's own (an update applied in parts, pending.c, is on the
 * list while its next part is prepared).
 */
static struct splice_func *splice_top_at(struct list_head *applied,
					 struct splice_upd *u, unsigned long site)
{
	struct splice_upd *v;
	struct splice_func *top = NULL;
	unsigned int i;

	list_for_each_entry(v, applied, applied_node)
		for (i = 0; i < v->nr_funcs && v != u; i++)
			if (v->funcs[i].site == site)
				top = &v->funcs[i];
	return top;
}

enum splice_cause splice_prepare_site(struct splice_upd *u,
				      struct splice_func *f,
				      struct list_head *applied)
{
	const char *name = f->desc->name;
	unsigned long fentry, pad, site_off;
	struct splice_func *below;
	long rel;

	/* 6.12: ftrace_location(foo) is foo+4 after an endbr64 */
	pad = splice_entry_pad(f->old_addr);
	fentry = splice_ksym.ftrace_location(f->old_addr);
	if (fentry && fentry != f->old_addr + pad) {
		upd_err(u, "%s: ftrace site at %pS, not at the entry (+%lu)\n",
			name, (void *)fentry, pad);
		return SPLICE_UNEXPECTED;
	}
	site_off = pad + (fentry ? MCOUNT_INSN_SIZE : 0);
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

	below = splice_top_at(applied, u, f->site);
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

/*
 * The code no thread may be inside, as one array sorted by start, built
 * before the machine stops: every range of every replaced function and, for
 * an undo, the update's own new code (func NULL).  @order is the range's
 * place in the order conflicts names them (function by function, range by
 * range, new code last), so a thread's line reads the same whatever order
 * its return addresses are found in.
 */
struct splice_hit_range {
	unsigned long start, end;
	unsigned long max_end;		/* max end of this and every range before */
	const struct splice_func *func;
	enum splice_range_kind kind;
	unsigned int order;
};

/* What one CPU needs for its share of the stack walks. */
struct splice_sm_cpu {
	unsigned long entries[SPLICE_STACK_DEPTH];
	unsigned long *hits;		/* bitmap by range order */
	u64 walk, compare;		/* TSC cycles */
	unsigned int threads;
};

/* Everything the stop_machine callback needs, allocated before it runs. */
struct splice_sm {
	struct splice_upd *u;
	bool undo;
	bool whole;			/* the update's switch, not a module's part */
	unsigned int nr_cpus;		/* online CPUs: each runs the callback */
	atomic_t cpus;			/* arrived in the callback */
	atomic_t next;			/* next task index to claim */
	atomic_t finished;		/* task indices done */
	int done;			/* the writer is done */
	bool busy;
	raw_spinlock_t lock;		/* conflicts, busy */
	u64 t0, t_done;			/* ktime_get_ns(): called, writer done */
	enum splice_cause cause;
	size_t conflicts_len;
	struct splice_pause_detail detail;

	unsigned int nr_ranges;
	struct splice_hit_range *ranges;	/* sorted by start */
	const struct splice_hit_range **by_order;
	struct splice_sm_cpu *cpu;		/* [nr_cpus] */

	/* the part's sites in address order, written page by page */
	unsigned int nr_sites;
	struct splice_func **sites;
	u8 *page_buf;				/* PAGE_SIZE + SPLICE_JMP_SIZE */
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

/*
 * Mark every range that holds @addr.  Binary search for the last range
 * starting at or below @addr, then back while an earlier range may still
 * reach it (max_end): one step for disjoint ranges, more only where ranges
 * overlap (two functions stacked on the same earlier update share its range).
 */
static bool splice_mark(struct splice_sm *sm, unsigned long *hits,
			unsigned long addr)
{
	const struct splice_hit_range *r = sm->ranges;
	unsigned int lo = 0, hi = sm->nr_ranges, mid;
	bool hit = false;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && r[lo].max_end > addr)
		if (addr < r[lo].end) {
			__set_bit(r[lo].order, hits);
			hit = true;
		}
	return hit;
}

/* The conflicts line of a busy task, in range order; clears @hits. */
static void splice_report(struct splice_sm *sm, struct task_struct *t,
			  unsigned long *hits, bool unreliable)
{
	const struct splice_hit_range *r;
	unsigned int i;

	raw_spin_lock(&sm->lock);
	sm->busy = true;
	splice_conflict(sm, "%d %s", task_pid_nr(t), t->comm);
	if (unreliable)
		splice_conflict(sm, " unreliable_stack");
	for_each_set_bit(i, hits, sm->nr_ranges) {
		r = sm->by_order[i];
		if (r->func)
			splice_conflict(sm, " %s%s", splice_range_prefix[r->kind],
					r->func->desc->name);
		else
			splice_conflict(sm, " new:%s", sm->u->pub->id);
	}
	splice_conflict(sm, "\n");
	sm->u->conflicts[sm->conflicts_len] = '\0';
	raw_spin_unlock(&sm->lock);
	bitmap_zero(hits, sm->nr_ranges);
}

/*
 * Is @t inside code this transition changes?  One reliable walk of its
 * stack, each return address looked up in the sorted ranges.  A stack the
 * unwinder can't vouch for is busy.
 */
static void splice_check_task(struct splice_sm *sm, struct splice_sm_cpu *c,
			      struct task_struct *t)
{
	bool busy = false;
	u64 t0, t1;
	int n, i;

	t0 = get_cycles();
	n = splice_ksym.stack_trace_save_tsk_reliable(t, c->entries,
						      SPLICE_STACK_DEPTH);
	t1 = get_cycles();
	c->walk += t1 - t0;
	c->threads++;
	if (n < 0) {
		splice_report(sm, t, c->hits, true);
		return;
	}
	for (i = 0; i < n; i++)
		busy |= splice_mark(sm, c->hits, c->entries[i]);
	if (busy)
		splice_report(sm, t, c->hits, false);
	c->compare += get_cycles() - t1;
}

/* Claim the next task index nobody has claimed. */
static int splice_claim(struct splice_sm *sm)
{
	return atomic_inc_return(&sm->next) - 1;
}

/* One claimed index done (walked or skipped): after its conflicts line. */
static void splice_finished(struct splice_sm *sm)
{
	smp_mb__before_atomic();
	atomic_inc(&sm->finished);
}

/*
 * This CPU's share of the stack check.  Every CPU is in the callback, so
 * they share the walks: each goes through the same thread list (nothing can
 * change it now) and walks the tasks whose index it claimed from sm->next,
 * so every task is walked by exactly one CPU and a CPU the host is slow to
 * run takes fewer.  Returns the number of task indices, the same on every
 * CPU.
 *
 * Every thread except those running now: under stop_machine they are the
 * stopper threads, this one included, which run only stop_machine's code.
 * The idle tasks are not in the thread list: each CPU's is checked too
 * (switched out for the stopper, like every other task; a replaced
 * function in the idle loop, such as do_idle(), is one they never leave).
 */
static int splice_check_share(struct splice_sm *sm, struct splice_sm_cpu *c)
{
	struct task_struct *g, *t;
	int mine = splice_claim(sm);
	int idx = 0, cpu;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (idx++ != mine)
			continue;
		if (t != current && !READ_ONCE(t->on_cpu))
			splice_check_task(sm, c, t);
		splice_finished(sm);
		mine = splice_claim(sm);
	}
	rcu_read_unlock();
	for_each_online_cpu(cpu) {
		if (idx++ != mine)
			continue;
		t = splice_ksym.idle_task(cpu);
		if (t && t != current && !READ_ONCE(t->on_cpu))
			splice_check_task(sm, c, t);
		splice_finished(sm);
		mine = splice_claim(sm);
	}
	return idx;
}

/*
 * The writer's part: verify every site, then run the patch's apply (or
 * reverse) hooks and write every site, or do none of it.
 * Sites close together in one page are written by one text_poke() of the
 * span from the first to the last, copied from the text as it is with the
 * jumps put in: each text_poke() maps the page and switches to the poking
 * mm and back, whatever its length, and the bytes between the sites are
 * written back unchanged (text_mutex is held and every other CPU is here:
 * nobody else changes text now).  Only close ones (SPLICE_POKE_GAP): under
 * QEMU TCG every byte stored into a page holding code costs about a
 * microsecond, as much as a few dozen bytes of gap are worth.
 */
static enum splice_cause splice_write_all(struct splice_sm *sm)
{
	unsigned int i, j, k;
	unsigned long first, end;
	const u8 *want, *put;

	for (i = 0; i < sm->nr_sites; i++) {
		struct splice_func *f = sm->sites[i];

		want = sm->undo ? f->jmp : f->saved;
		if (memcmp((void *)f->site, want, SPLICE_JMP_SIZE))
			return SPLICE_SITE_CHANGED;
	}
	/* nothing can fail from here: the patch's hooks, then the jumps */
	if (sm->whole)
		splice_hooks_run_stopped(sm->u, sm->undo ? SPLICE_HOOK_REVERSE : SPLICE_HOOK_APPLY);
	for (i = 0; i < sm->nr_sites; i = j) {
		first = sm->sites[i]->site;
		for (j = i + 1; j < sm->nr_sites; j++)
			if ((sm->sites[j]->site & PAGE_MASK) != (first & PAGE_MASK) ||
			    sm->sites[j]->site - sm->sites[j - 1]->site >
			    SPLICE_JMP_SIZE + SPLICE_POKE_GAP)
				break;
		end = sm->sites[j - 1]->site + SPLICE_JMP_SIZE;
		memcpy(sm->page_buf, (void *)first, end - first);
		for (k = i; k < j; k++) {
			put = sm->undo ? sm->sites[k]->saved : sm->sites[k]->jmp;
			memcpy(sm->page_buf + (sm->sites[k]->site - first), put,
			       SPLICE_JMP_SIZE);
		}
		splice_ksym.text_poke((void *)first, sm->page_buf, end - first);
	}
	return SPLICE_OK;
}

/*
 * On every online CPU.  All walk their share of the stacks; the first to
 * arrive is the writer: once every task is checked (it does not wait for
 * the other CPUs to arrive: they are stopped with interrupts off already,
 * stop_machine ran the callback on none before all were), it writes (or
 * not, when a task is busy) while the others wait, and no CPU leaves before
 * sync_core(), so none runs modified code before it has serialized.
 */
static int splice_sm_fn(void *data)
{
	struct splice_sm *sm = data;
	int me = atomic_inc_return(&sm->cpus);
	u64 t0 = get_cycles(), t1;
	int nr_tasks = 0;

	if (me == sm->nr_cpus)
		sm->detail.enter_ns = ktime_get_ns() - sm->t0;
	/* a CPU that arrives after the writer is done has nothing left */
	if (me == 1 || !smp_load_acquire(&sm->done))
		nr_tasks = splice_check_share(sm, &sm->cpu[me - 1]);
	if (me != 1) {
		while (!smp_load_acquire(&sm->done))
			cpu_relax();
		sync_core();
		return 0;
	}
	while (atomic_read(&sm->finished) != nr_tasks)
		cpu_relax();
	smp_rmb();	/* every CPU's busy and conflicts */
	if (sm->busy) {
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

/*
 * The phases are timed in TSC cycles, each on the CPU that ran it: in the
 * reference VM (QEMU TCG) the TSCs of different CPUs disagree and the kernel
 * marks the TSC unstable, so local_clock() is clamped to a tick past the
 * last one and stops while interrupts are off; a CPU's own TSC still counts
 * at tsc_khz.  The calls to ktime_get_ns() compare two CPUs' times.
 */
static void splice_detail_to_ns(struct splice_sm *sm)
{
	struct splice_pause_detail *d = &sm->detail;
	u64 *c[] = { &d->walk_ns, &d->compare_ns, &d->write_ns, &d->sync_ns,
		     &d->callback_ns };
	unsigned int i;

	for (i = 0; i < sm->nr_cpus; i++) {
		d->walk_ns += sm->cpu[i].walk;
		d->compare_ns += sm->cpu[i].compare;
		d->threads += sm->cpu[i].threads;
	}
	for (i = 0; i < ARRAY_SIZE(c); i++)
		*c[i] = tsc_khz ? mul_u64_u32_div(*c[i], USEC_PER_SEC, tsc_khz) : 0;
}

static int splice_cmp_range(const void *a, const void *b)
{
	const struct splice_hit_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int splice_cmp_site(const void *a, const void *b)
{
	const struct splice_func *x = *(const struct splice_func **)a;
	const struct splice_func *y = *(const struct splice_func **)b;

	return x->site < y->site ? -1 : x->site > y->site;
}

static void splice_sm_free(struct splice_sm *sm)
{
	unsigned int i;

	if (sm->cpu)
		for (i = 0; i < sm->nr_cpus; i++)
			bitmap_free(sm->cpu[i].hits);
	kfree(sm->cpu);
	kfree(sm->ranges);
	kfree(sm->by_order);
	kfree(sm->sites);
	kfree(sm->page_buf);
	kfree(sm);
}

/*
 * Everything the callback reads, made before the machine stops: the sorted
 * ranges, the sites in address order, each CPU's work area; of the
 * functions of @u in @part (splice_in_part()).  @nr_cpus is stable: the
 * caller holds cpus_read_lock.
 */
static struct splice_sm *splice_sm_alloc(struct splice_upd *u, bool undo,
					 const char *part, unsigned int nr_cpus)
{
	struct splice_sm *sm;
	struct splice_hit_range *r;
	unsigned int i, j, k, n = undo ? 1 : 0;
	unsigned long max_end = 0;

	sm = kzalloc(sizeof(*sm), GFP_KERNEL);
	if (!sm)
		return NULL;
	sm->u = u;
	sm->undo = undo;
	sm->whole = !part;
	sm->nr_cpus = nr_cpus;
	sm->cause = SPLICE_UNEXPECTED;
	raw_spin_lock_init(&sm->lock);
	for (i = 0; i < u->nr_funcs; i++)
		if (splice_in_part(&u->funcs[i], part)) {
			n += u->funcs[i].nr_ranges;
			sm->nr_sites++;
		}
	sm->ranges = kcalloc(n ? n : 1, sizeof(*sm->ranges), GFP_KERNEL);
	sm->by_order = kcalloc(n ? n : 1, sizeof(*sm->by_order), GFP_KERNEL);
	sm->sites = kcalloc(u->nr_funcs, sizeof(*sm->sites), GFP_KERNEL);
	sm->page_buf = kmalloc(PAGE_SIZE + SPLICE_JMP_SIZE, GFP_KERNEL);
	sm->cpu = kcalloc(nr_cpus, sizeof(*sm->cpu), GFP_KERNEL);
	if (!sm->ranges || !sm->by_order || !sm->sites || !sm->page_buf ||
	    !sm->cpu)
		goto fail;
	for (i = 0; i < nr_cpus; i++) {
		sm->cpu[i].hits = bitmap_zalloc(n ? n : 1, GFP_KERNEL);
		if (!sm->cpu[i].hits)
			goto fail;
	}

	r = sm->ranges;
	for (i = 0, j = 0; i < u->nr_funcs; i++) {
		const struct splice_func *f = &u->funcs[i];

		if (!splice_in_part(f, part))
			continue;
		sm->sites[j++] = &u->funcs[i];
		for (k = 0; k < f->nr_ranges; k++, r++)
			*r = (struct splice_hit_range){
				.start = f->ranges[k].start,
				.end = f->ranges[k].end,
				.func = f,
				.kind = f->ranges[k].kind,
				.order = r - sm->ranges,
			};
	}
	if (undo)
		*r = (struct splice_hit_range){
			.start = u->new_start, .end = u->new_end,
			.order = r - sm->ranges,
		};
	sm->nr_ranges = n;
	sort(sm->ranges, n, sizeof(*sm->ranges), splice_cmp_range, NULL);
	for (i = 0; i < n; i++) {
		max_end = max(max_end, sm->ranges[i].end);
		sm->ranges[i].max_end = max_end;
		sm->by_order[sm->ranges[i].order] = &sm->ranges[i];
	}
	sort(sm->sites, sm->nr_sites, sizeof(*sm->sites), splice_cmp_site, NULL);
	return sm;
fail:
	splice_sm_free(sm);
	return NULL;
}

/*
 * No kprobe may be registered where the switch of the functions of @u in
 * @part writes or makes code stop running (splice_kprobe_at() says why
 * registered, not only armed, matters): for an apply, in the whole
 * replaced function and its .cold part (the site, where a probe registered
 * now would be armed later over a jump it did not see, and code that stops
 * running); for an undo, in the 5 bytes of the jump it takes away.
 * code_probed otherwise, naming each probe:
 *   splice: module_binfmt: bm_status_read: kprobe at bm_status_read+0x9/0xb0 [binfmt_misc] (disabled) in the replaced code; remove it and apply again
 * Armed ones are usually found earlier (run-pre matching, the site's
 * bytes), disabled ones only here.  Caller holds kprobe_mutex.
 */
static enum splice_cause splice_check_kprobes(struct splice_upd *u, bool undo,
					      const char *part)
{
	enum splice_cause cause = SPLICE_OK;
	const char *state;
	unsigned long a;
	unsigned int i, k;

	for (i = 0; i < u->nr_funcs; i++) {
		const struct splice_func *f = &u->funcs[i];

		if (!splice_in_part(f, part) || !f->site)
			continue;
		if (undo) {
			a = splice_kprobe_at(f->site, f->site + SPLICE_JMP_SIZE, &state);
			if (a)
				upd_err(u, "%s: kprobe at %pS (%s) on the jump the undo would take away; remove it and undo again\n",
					f->desc->name, (void *)a, state);
			cause = a ? SPLICE_CODE_PROBED : cause;
			continue;
		}
		/* the function and its .cold part; not the code we stack on */
		for (k = 0; k < f->nr_ranges; k++) {
			if (f->ranges[k].kind == SPLICE_RANGE_BELOW)
				continue;
			a = splice_kprobe_at(f->ranges[k].start, f->ranges[k].end, &state);
			if (!a)
				continue;
			upd_err(u, "%s: kprobe at %pS (%s) in the replaced code; remove it and apply again\n",
				f->desc->name, (void *)a, state);
			cause = SPLICE_CODE_PROBED;
		}
	}
	return cause;
}

/*
 * One attempt at applying (or undoing) the functions of @u in @part (NULL:
 * every one not waiting for its module; a module's name: only that
 * module's, the part of an update applied when the module loads): check
 * for kprobes, stop every CPU, check stacks, write.  Caller holds
 * splice_mutex; this takes kprobe_mutex, cpus_read_lock, then text_mutex
 * (the order kprobes use), then stops the machine.
 */
enum splice_cause splice_switch(struct splice_upd *u, bool undo, const char *part)
{
	struct splice_sm *sm;
	enum splice_cause cause;
	u64 t0;
	int ret;

	mutex_lock(splice_ksym.kprobe_mutex);
	cause = splice_check_kprobes(u, undo, part);
	if (cause != SPLICE_OK) {
		mutex_unlock(splice_ksym.kprobe_mutex);
		return cause;
	}
	cpus_read_lock();
	sm = splice_sm_alloc(u, undo, part, num_online_cpus());
	if (!sm) {
		cpus_read_unlock();
		mutex_unlock(splice_ksym.kprobe_mutex);
		return SPLICE_OUT_OF_MEMORY;
	}
	u->conflicts[0] = '\0';
	mutex_lock(splice_ksym.text_mutex);
	t0 = ktime_get_ns();
	sm->t0 = t0;
	ret = splice_ksym.stop_machine_cpuslocked(splice_sm_fn, sm,
						  cpu_online_mask);
	u->pause_ns = ktime_get_ns() - t0;
	sm->detail.leave_ns = ktime_get_ns() - sm->t_done;
	mutex_unlock(splice_ksym.text_mutex);
	cpus_read_unlock();
	mutex_unlock(splice_ksym.kprobe_mutex);

	splice_detail_to_ns(sm);
	u->pause_detail = sm->detail;
	cause = ret ? SPLICE_UNEXPECTED : sm->cause;
	if (ret)
		upd_err(u, "stop_machine: %d\n", ret);
	splice_hooks_report(u);
	splice_sm_free(sm);
	return cause;
}
