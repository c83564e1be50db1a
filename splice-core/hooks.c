// SPDX-License-Identifier: GPL-2.0
/*
 * The patch's hooks (<splice/patch.h>, splice-patch(7)): functions of the
 * new code that run when the update is applied and reversed.
 *
 * Order.  Apply: pre_apply (may refuse), then inside stop_machine, after
 * the stack check and the check of every site, apply, then the jumps; then
 * post_apply.  Undo mirrors it: pre_reverse (may refuse), reverse inside
 * stop_machine before the original bytes go back, post_reverse.  Within a
 * stage the apply hooks run in declaration order (unit by unit, as
 * splice-create listed the units), the reverse hooks in the opposite order,
 * so that what was set up last is taken down first.
 *
 * Failure.  A refusing pre hook stops the stage there, and the
 * transition is refused with nothing of the update changed.  The post
 * hooks of a refused transition never run -- not its own, and not the
 * other direction's: a pre hook checks, and may run again on the next
 * attempt, so it must leave nothing behind that only a later stage would
 * take down (the state an update sets up belongs in its apply hook, which
 * runs only when the jumps are written).
 */
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "core.h"

static const char *const splice_hook_stages[] = {
	[SPLICE_HOOK_PRE_APPLY] = "pre_apply",
	[SPLICE_HOOK_APPLY] = "apply",
	[SPLICE_HOOK_POST_APPLY] = "post_apply",
	[SPLICE_HOOK_PRE_REVERSE] = "pre_reverse",
	[SPLICE_HOOK_REVERSE] = "reverse",
	[SPLICE_HOOK_POST_REVERSE] = "post_reverse",
};

const char *splice_hook_stage_name(enum splice_hook_stage stage)
{
	return splice_hook_stages[stage];
}

static bool splice_hook_reversed(enum splice_hook_stage stage)
{
	return stage >= SPLICE_HOOK_PRE_REVERSE;
}

/*
 * Check every record of the update's tables (in the update module, magic,
 * stage, a name in the module, a function in its code) and list them in declaration order: table by
 * table (the units in the order splice-create listed them), by line
 * within a table.  Called at
 * registration, before the update can be applied: a bad record refuses the
 * registration (-EINVAL), so the module does not load.
 */
int splice_hooks_init(struct splice_upd *u)
{
	const struct splice_update *pub = u->pub;
	unsigned int t, i, k, n = 0, first = 0;

	if (pub->nr_hooks && !pub->hooks)
		return -EINVAL;
	for (t = 0; t < pub->nr_hooks; t++) {
		if (!pub->hooks[t].hooks && pub->hooks[t].nr)
			return -EINVAL;
		n += pub->hooks[t].nr;
	}
	if (!n)
		return 0;
	u->hooks = kcalloc(n, sizeof(*u->hooks), GFP_KERNEL);
	if (!u->hooks)
		return -ENOMEM;
	for (t = 0; t < pub->nr_hooks; t++) {
		for (i = 0; i < pub->hooks[t].nr; i++) {
			const struct splice_hook *h = &pub->hooks[t].hooks[i];
			unsigned long fn;

			if (!within_module((unsigned long)h, pub->owner)) {
				splice_err("%s: hook table %u is not in module %s\n",
					   pub->id, t, pub->owner->name);
				return -EINVAL;
			}
			fn = (unsigned long)h->fn.run;
			if (h->magic != SPLICE_HOOK_MAGIC ||
			    h->stage < SPLICE_HOOK_PRE_APPLY ||
			    h->stage > SPLICE_HOOK_POST_REVERSE ||
			    !within_module((unsigned long)h->name, pub->owner) ||
			    fn < u->new_start || fn >= u->new_end) {
				splice_err("%s: hook record %u of table %u is not valid (stage %u, function %pS)\n",
					   pub->id, i, t, h->magic == SPLICE_HOOK_MAGIC ? h->stage : 0,
					   (void *)fn);
				return -EINVAL;
			}
			/* in declaration order within the unit: by line */
			for (k = u->nr_hooks++; k > first && u->hooks[k - 1]->line > h->line; k--)
				u->hooks[k] = u->hooks[k - 1];
			u->hooks[k] = h;
		}
		first = u->nr_hooks;
	}
	return 0;
}

void splice_hooks_free(struct splice_upd *u)
{
	kfree(u->hooks);
	u->hooks = NULL;
	u->nr_hooks = 0;
}

/* The @k-th hook of the stage's running order, or NULL. */
static const struct splice_hook *splice_hook_at(const struct splice_upd *u,
						enum splice_hook_stage stage, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < u->nr_hooks; i++) {
		const struct splice_hook *h =
			u->hooks[splice_hook_reversed(stage) ? u->nr_hooks - 1 - i : i];

		if (h->stage == stage && !k--)
			return h;
	}
	return NULL;
}

/*
 * The pre hooks of @stage, in order, until one refuses: that one is named
 * in the log with its errno (kept in hook_errno for the write to stage).
 */
enum splice_cause splice_hooks_check(struct splice_upd *u, enum splice_hook_stage stage)
{
	const struct splice_hook *h;
	unsigned int k;
	int ret;

	for (k = 0; (h = splice_hook_at(u, stage, k)); k++) {
		upd_dbg(u, "%s hook %s\n", splice_hook_stage_name(stage), h->name);
		ret = h->fn.check();
		if (!ret)
			continue;
		if (ret > 0 || ret < -MAX_ERRNO) {
			upd_err(u, "%s hook %s returned %d, not 0 or a negative errno: taken as -EINVAL\n",
				splice_hook_stage_name(stage), h->name, ret);
			ret = -EINVAL;
		}
		upd_err(u, "%s hook %s refused: %pe\n", splice_hook_stage_name(stage),
			h->name, ERR_PTR(ret));
		u->hook_errno = ret;
		return SPLICE_HOOK_REFUSED;
	}
	return SPLICE_OK;
}

/* The hooks of a stage outside stop_machine (post_apply, post_reverse). */
void splice_hooks_run(struct splice_upd *u, enum splice_hook_stage stage)
{
	const struct splice_hook *h;
	unsigned int k;

	for (k = 0; (h = splice_hook_at(u, stage, k)); k++) {
		upd_dbg(u, "%s hook %s\n", splice_hook_stage_name(stage), h->name);
		h->fn.run();
	}
}

/*
 * The apply or reverse hooks, on the writer CPU inside stop_machine:
 * interrupts are off and every other CPU spins, so a hook must not sleep.
 * What can be seen afterwards is noted for splice_hooks_report() (no
 * printing here): a context switch of this stopper thread (it slept),
 * interrupts turned on, or a preemption count it did not leave as found.
 */
void splice_hooks_run_stopped(struct splice_upd *u, enum splice_hook_stage stage)
{
	const struct splice_hook *h;
	unsigned long switches;
	unsigned int k;
	int pc;

	for (k = 0; (h = splice_hook_at(u, stage, k)); k++) {
		switches = current->nvcsw + current->nivcsw;
		pc = preempt_count();
		h->fn.run();
		if (u->hook_fault)
			continue;
		if (current->nvcsw + current->nivcsw != switches)
			u->hook_fault_what = "slept";
		else if (!irqs_disabled())
			u->hook_fault_what = "turned interrupts on";
		else if (preempt_count() != pc)
			u->hook_fault_what = "changed the preemption count";
		else
			continue;
		u->hook_fault = h;
	}
}

/* After stop_machine: what splice_hooks_run_stopped() saw, once. */
void splice_hooks_report(struct splice_upd *u)
{
	if (!u->hook_fault)
		return;
	upd_err(u, "%s hook %s %s inside stop_machine: it must not sleep (splice-patch(7))\n",
		splice_hook_stage_name(u->hook_fault->stage), u->hook_fault->name,
		u->hook_fault_what);
	u->hook_fault = NULL;
}
