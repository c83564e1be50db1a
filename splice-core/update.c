// SPDX-License-Identifier: GPL-2.0
/*
 * Updates: registration by update modules, and the transitions
 * preparing/reversed -> applied -> reversed with their references,
 * retries and abort causes.
 */
#include <linux/ctype.h>
#include <linux/delay.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "core.h"
#include "ksym.h"

/*
 * splice_mutex: one transition at a time.  It protects splice_updates,
 * splice_applied, and every splice_upd's stage, cause, conflicts, pause_ns
 * and funcs[] state.  Taken by register, unregister and every sysfs
 * read or write of an update's state.  Lock order:
 *   splice_mutex -> module_mutex (resolve)
 *   splice_mutex -> kprobe_mutex -> cpus_read_lock -> text_mutex (splice_switch)
 * Never held while removing an update's sysfs directory: kernfs waits for
 * readers and writers that are waiting for this mutex.
 */
DEFINE_MUTEX(splice_mutex);
LIST_HEAD(splice_updates);		/* every registered update */
static LIST_HEAD(splice_applied);	/* applied updates, oldest first */

static unsigned int tries = 5;
module_param(tries, uint, 0644);
MODULE_PARM_DESC(tries, "stack checks before code_busy (default 5)");
static unsigned int retry_ms = 1000;
module_param(retry_ms, uint, 0644);
MODULE_PARM_DESC(retry_ms, "pause between stack checks, ms (default 1000)");

static const char *const splice_causes[SPLICE_NR_CAUSES] = {
	[SPLICE_OK] = "ok",
	[SPLICE_NO_MATCH] = "no_match",
	[SPLICE_AMBIGUOUS] = "ambiguous",
	[SPLICE_FAILED_TO_FIND] = "failed_to_find",
	[SPLICE_TARGET_NOT_LOADED] = "target_not_loaded",
	[SPLICE_TOO_SHORT] = "too_short",
	[SPLICE_CODE_BUSY] = "code_busy",
	[SPLICE_MODULE_BUSY] = "module_busy",
	[SPLICE_SITE_CHANGED] = "site_changed",
	[SPLICE_CODE_PROBED] = "code_probed",
	[SPLICE_NOT_LAST] = "not_last",
	[SPLICE_OUT_OF_MEMORY] = "out_of_memory",
	[SPLICE_UNEXPECTED] = "unexpected",
	[SPLICE_HOOK_REFUSED] = "hook_refused",
};

/* What a failed write to stage returns, by cause. */
static const int splice_cause_errno[SPLICE_NR_CAUSES] = {
	[SPLICE_OK] = 0,
	[SPLICE_NO_MATCH] = -ENOEXEC,
	[SPLICE_AMBIGUOUS] = -ENOTUNIQ,
	[SPLICE_FAILED_TO_FIND] = -ENOENT,
	[SPLICE_TARGET_NOT_LOADED] = -ENOENT,
	[SPLICE_TOO_SHORT] = -EINVAL,
	[SPLICE_CODE_BUSY] = -EBUSY,
	[SPLICE_MODULE_BUSY] = -EBUSY,
	[SPLICE_SITE_CHANGED] = -EAGAIN,
	[SPLICE_CODE_PROBED] = -EBUSY,
	[SPLICE_NOT_LAST] = -EBUSY,
	[SPLICE_OUT_OF_MEMORY] = -ENOMEM,
	[SPLICE_UNEXPECTED] = -EIO,
	[SPLICE_HOOK_REFUSED] = -EPERM,	/* the write returns the hook's own */
};

static const char *const splice_stages[] = {
	[SPLICE_PREPARING] = "preparing",
	[SPLICE_APPLIED] = "applied",
	[SPLICE_REVERSED] = "reversed",
	[SPLICE_PENDING] = "pending",
};

const char *splice_cause_name(enum splice_cause cause)
{
	return splice_causes[cause];
}

const char *splice_stage_name(enum splice_stage stage)
{
	return splice_stages[stage];
}

/*
 * Put the original bytes of every applied site inside [addr, addr + len)
 * back into @buf, a copy of that memory: run-pre matching of a stacked
 * update compares its pre code with the function as the kernel had it, not
 * with the jump an earlier update wrote.  Caller holds splice_mutex.
 */
void splice_original_bytes(unsigned long addr, u8 *buf, size_t len)
{
	struct splice_upd *v;
	unsigned int i, k;

	lockdep_assert_held(&splice_mutex);
	list_for_each_entry(v, &splice_applied, applied_node)
		for (i = 0; i < v->nr_funcs; i++) {
			const struct splice_func *f = &v->funcs[i];

			if (f->below || !f->site)
				continue;	/* saved our jump, not the original; or no jump */
			for (k = 0; k < SPLICE_JMP_SIZE; k++)
				if (f->site + k >= addr && f->site + k < addr + len)
					buf[f->site + k - addr] = f->saved[k];
		}
}

/* /sys/kernel/splice/applied: the applied updates' ids, oldest first. */
ssize_t splice_applied_ids(char *buf)
{
	struct splice_upd *v;
	ssize_t n = 0;

	mutex_lock(&splice_mutex);
	list_for_each_entry(v, &splice_applied, applied_node)
		n += sysfs_emit_at(buf, n, "%s\n", v->pub->id);
	mutex_unlock(&splice_mutex);
	return n;
}

void splice_release_all(struct splice_upd *u)
{
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++)
		splice_release_func(&u->funcs[i]);
}

/* Release the functions of @u in @part (splice_in_part()). */
void splice_release_part(struct splice_upd *u, const char *part)
{
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++)
		if (splice_in_part(&u->funcs[i], part))
			splice_release_func(&u->funcs[i]);
}

/* Print the conflicts buffer to the log, one line per blocking task. */
static void splice_log_conflicts(struct splice_upd *u)
{
	const char *p = u->conflicts, *nl;

	while (*p && (nl = strchr(p, '\n'))) {
		upd_err(u, "busy: task %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

/* Stop machines until the stacks are clear or the tries run out. */
static enum splice_cause splice_switch_retry(struct splice_upd *u, bool undo, const char *part)
{
	unsigned int n = max(tries, 1U), i;
	enum splice_cause cause = SPLICE_UNEXPECTED;

	for (i = 1; i <= n; i++) {
		cause = splice_switch(u, undo, part);
		if (cause != SPLICE_CODE_BUSY)
			break;
		splice_log_conflicts(u);
		if (i < n) {
			upd_info(u, "try %u/%u: busy, retrying in %u ms\n",
				 i, n, retry_ms);
			msleep(retry_ms);
		}
	}
	return cause;
}

/*
 * Run-pre matching (when the update has pre code), then where each
 * replaced function runs; of the functions in @part (splice_in_part()).
 * On failure none of them stays resolved.
 */
static enum splice_cause splice_resolve_all(struct splice_upd *u, const char *part)
{
	enum splice_cause cause = SPLICE_OK;
	unsigned int i;

	if (splice_pre_present(u))
		cause = splice_pre_match(u, part);
	for (i = 0; i < u->nr_funcs && cause == SPLICE_OK; i++)
		if (splice_in_part(&u->funcs[i], part))
			cause = splice_resolve_func(u, &u->funcs[i]);
	if (cause != SPLICE_OK)
		splice_release_part(u, part);
	return cause;
}

/* A write to check: match and resolve only, then let go. */
int splice_request_check(struct splice_upd *u)
{
	enum splice_cause cause;
	int ret = 0;

	mutex_lock(&splice_mutex);
	if (u->gone) {
		ret = -ENODEV;
		goto out;
	}
	if (u->stage == SPLICE_APPLIED) {
		upd_info(u, "check: already applied\n");
		goto out;
	}
	if (u->nr_waiting) {
		/* pending: its functions wait for their module, nothing to match */
		char names[SPLICE_NAMES_LEN];
		unsigned int nmods;

		splice_waiting_names(u, names, sizeof(names), &nmods);
		upd_err(u, "check: %s %s %s not loaded\n", nmods > 1 ? "modules" : "module",
			names, nmods > 1 ? "are" : "is");
		cause = SPLICE_TARGET_NOT_LOADED;
		u->cause = cause;
		upd_err(u, "check refused: %s\n", splice_cause_name(cause));
		ret = splice_cause_errno[cause];
		goto out;
	}
	cause = splice_resolve_all(u, NULL);
	if (cause == SPLICE_OK) {
		cause = splice_relocs_apply(u, false);
		splice_release_all(u);
	}
	u->cause = cause;
	if (cause != SPLICE_OK) {
		upd_err(u, "check refused: %s\n", splice_cause_name(cause));
		ret = splice_cause_errno[cause];
	} else {
		upd_info(u, "check: ok, %u functions would be replaced\n", u->nr_funcs);
	}
out:
	mutex_unlock(&splice_mutex);
	return ret;
}

/*
 * Match, resolve, relocate and switch the functions of @u in @part
 * (splice_in_part()); on failure none of them stays resolved.
 */
static enum splice_cause splice_apply_funcs(struct splice_upd *u, const char *part)
{
	enum splice_cause cause;
	unsigned int i, j;

	cause = splice_resolve_all(u, part);
	/* the new code's relocations, from what matching learned: all or none */
	if (cause == SPLICE_OK)
		cause = splice_relocs_apply(u, true);
	for (i = 0; i < u->nr_funcs && cause == SPLICE_OK; i++)
		if (splice_in_part(&u->funcs[i], part))
			cause = splice_prepare_site(u, &u->funcs[i], &splice_applied);
	for (i = 0; i < u->nr_funcs && cause == SPLICE_OK; i++)
		for (j = 0; j < i; j++)
			if (u->funcs[i].site && u->funcs[i].site == u->funcs[j].site) {
				upd_err(u, "%s and %s are the same function\n",
					u->funcs[i].desc->name,
					u->funcs[j].desc->name);
				cause = SPLICE_AMBIGUOUS;
			}
	/*
	 * the patch's own checks, once everything splice checks has passed:
	 * at the apply of the update, not of a part applied when its module
	 * loads (hooks.c runs each stage once per apply and undo)
	 */
	if (cause == SPLICE_OK && !part)
		cause = splice_hooks_check(u, SPLICE_HOOK_PRE_APPLY);
	if (cause == SPLICE_OK)
		cause = splice_switch_retry(u, false, part);
	if (cause != SPLICE_OK)
		splice_release_part(u, part);
	return cause;
}

/* Apply @u: every function of it but those waiting for their module. */
enum splice_cause splice_do_apply(struct splice_upd *u)
{
	enum splice_cause cause;

	if (!try_module_get(u->pub->owner)) {
		upd_err(u, "module %s is going away\n", u->pub->owner->name);
		return SPLICE_MODULE_BUSY;
	}
	cause = splice_apply_funcs(u, NULL);
	if (cause != SPLICE_OK) {
		module_put(u->pub->owner);
		return cause;
	}
	list_add_tail(&u->applied_node, &splice_applied);
	splice_hooks_run(u, SPLICE_HOOK_POST_APPLY);
	return SPLICE_OK;
}

/*
 * Apply the part of applied update @u that waited for module @part, which
 * is COMING (pending.c).  On failure the part waits again, and none of
 * the new code's fields relocated against this copy of @part stays.
 */
enum splice_cause splice_apply_part(struct splice_upd *u, const char *part)
{
	enum splice_cause cause;
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++)
		if (u->funcs[i].waiting && !strcmp(u->funcs[i].desc->objname, part)) {
			u->funcs[i].waiting = false;
			u->nr_waiting--;
		}
	cause = splice_apply_funcs(u, part);
	if (cause == SPLICE_OK)
		return SPLICE_OK;
	splice_relocs_reset(u, part);
	for (i = 0; i < u->nr_funcs; i++)
		if (splice_in_part(&u->funcs[i], part)) {
			u->funcs[i].waiting = true;
			u->nr_waiting++;
		}
	return cause;
}

/* Last in, first out: refuse if a later update stacked on one of ours. */
static enum splice_cause splice_check_lifo(struct splice_upd *u)
{
	struct splice_upd *v;
	unsigned int i, j;

	list_for_each_entry(v, &splice_applied, applied_node)
		for (i = 0; i < v->nr_funcs; i++)
			for (j = 0; j < u->nr_funcs; j++)
				if (v->funcs[i].below == &u->funcs[j]) {
					upd_err(u, "%s: replaced again by %s: undo %s first\n",
						u->funcs[j].desc->name,
						v->pub->id, v->pub->id);
					return SPLICE_NOT_LAST;
				}
	return SPLICE_OK;
}

/*
 * Undo @u: every function of it that is applied; a part waiting for its
 * module is dropped with it.
 */
enum splice_cause splice_do_undo(struct splice_upd *u)
{
	enum splice_cause cause;

	cause = splice_check_lifo(u);
	if (cause == SPLICE_OK)
		cause = splice_hooks_check(u, SPLICE_HOOK_PRE_REVERSE);
	if (cause != SPLICE_OK)
		return cause;
	cause = splice_switch_retry(u, true, NULL);
	if (cause != SPLICE_OK)
		return cause;	/* still applied; no post hook runs */
	list_del_init(&u->applied_node);
	splice_release_all(u);
	if (u->follows)			/* it followed its modules: pending.c */
		splice_pre_hold(u, false);
	splice_pending_unapplied(u);
	module_put(u->pub->owner);
	splice_hooks_run(u, SPLICE_HOOK_POST_REVERSE);
	return SPLICE_OK;
}

/* A write to stage.  Returns 0 or the failed transition's errno. */
int splice_request_stage(struct splice_upd *u, enum splice_stage stage)
{
	char names[SPLICE_NAMES_LEN];
	unsigned int waiting, nmods = 0;
	enum splice_cause cause;
	int ret = 0;

	mutex_lock(&splice_mutex);
	if (u->gone) {
		ret = -ENODEV;
		goto out;
	}
	if (stage == u->stage)
		goto out;
	if (stage == SPLICE_APPLIED && u->stage == SPLICE_PENDING)
		goto out;	/* it will be, when its module loads */
	waiting = stage == SPLICE_APPLIED ? splice_pending_modules(u) : 0;
	if (waiting)
		splice_waiting_names(u, names, sizeof(names), &nmods);
	if (waiting && waiting < u->nr_funcs) {
		/* modules not loaded: the rest applies now, their part waits */
		if (!splice_pre_hold(u, true)) {
			splice_pending_unapplied(u);
			upd_err(u, "a pre module is going away\n");
			cause = SPLICE_MODULE_BUSY;
		} else {
			u->follows = true;
			cause = splice_do_apply(u);
			if (cause != SPLICE_OK) {
				splice_pre_hold(u, false);
				splice_pending_unapplied(u);
			}
		}
		u->cause = cause;
		if (cause != SPLICE_OK) {
			upd_err(u, "apply refused: %s\n", splice_cause_name(cause));
			ret = splice_cause_errno[cause];
			goto out;
		}
		u->stage = SPLICE_APPLIED;
		upd_info(u, "applied %u functions, pause %llu us; %u pending: %s %s %s not loaded, they apply when %s\n",
			 u->nr_funcs - u->nr_waiting, div_u64(u->pause_ns, NSEC_PER_USEC),
			 u->nr_waiting, nmods > 1 ? "modules" : "module", names,
			 nmods > 1 ? "are" : "is", nmods > 1 ? "each loads" : "it loads");
		goto out;
	} else if (waiting) {
		/* its modules are not loaded: it waits (pending.c) */
		if (!try_module_get(u->pub->owner)) {
			splice_pending_unapplied(u);
			cause = SPLICE_MODULE_BUSY;
		} else if (!splice_pre_hold(u, true)) {
			module_put(u->pub->owner);
			splice_pending_unapplied(u);
			upd_err(u, "a pre module is going away\n");
			cause = SPLICE_MODULE_BUSY;
		} else {
			u->follows = true;
			u->cause = SPLICE_OK;
			u->stage = SPLICE_PENDING;
			if (nmods > 1)
				upd_info(u, "pending: modules %s are not loaded; each one's part applies when it loads\n",
					 names);
			else
				upd_info(u, "pending: module %s is not loaded; the update applies when it loads\n",
					 names);
			goto out;
		}
	} else if (stage == SPLICE_REVERSED && u->stage == SPLICE_PENDING) {
		splice_pre_hold(u, false);
		splice_pending_unapplied(u);
		module_put(u->pub->owner);
		u->cause = SPLICE_OK;
		u->stage = SPLICE_REVERSED;
		upd_info(u, "reversed while pending\n");
		goto out;
	} else if (stage == SPLICE_APPLIED) {
		cause = splice_do_apply(u);
	} else if (stage == SPLICE_REVERSED && u->stage == SPLICE_APPLIED) {
		cause = splice_do_undo(u);
	} else {
		ret = -EINVAL;
		goto out;
	}
	u->cause = cause;
	if (cause != SPLICE_OK) {
		upd_err(u, "%s refused: %s\n",
			stage == SPLICE_APPLIED ? "apply" : "undo",
			splice_cause_name(cause));
		ret = cause == SPLICE_HOOK_REFUSED ? u->hook_errno :
		      splice_cause_errno[cause];
		goto out;
	}
	u->stage = stage;
	upd_info(u, "%s %u functions, pause %llu us\n",
		 stage == SPLICE_APPLIED ? "applied" : "reversed",
		 u->nr_funcs, div_u64(u->pause_ns, NSEC_PER_USEC));
out:
	mutex_unlock(&splice_mutex);
	return ret;
}

static bool splice_id_ok(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!isalnum(id[n]) && !strchr("_.-", id[n]))
			return false;
	return n > 0 && n <= 55 && strcmp(id, ".") && strcmp(id, "..");
}

static struct splice_upd *splice_find(const char *id)
{
	struct splice_upd *u;

	list_for_each_entry(u, &splice_updates, node)
		if (!strcmp(u->pub->id, id))
			return u;
	return NULL;
}

int splice_register_update(struct splice_update *update)
{
	struct splice_upd *u;
	unsigned int i;
	int ret;

	/* an update replaces functions, or has hooks (a fix of data alone) */
	if (!update || !update->id || !splice_id_ok(update->id) ||
	    !update->owner || (update->nr_funcs && !update->funcs) ||
	    (!update->nr_funcs && !update->nr_hooks) || update->priv)
		return -EINVAL;
	for (i = 0; i < update->nr_funcs; i++)
		if (!update->funcs[i].name || !update->funcs[i].new_func)
			return -EINVAL;

	/* Everything freeable by kobject_put() before anything can fail. */
	u = kzalloc(struct_size(u, funcs, update->nr_funcs), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->pub = update;
	u->nr_funcs = update->nr_funcs;
	INIT_LIST_HEAD(&u->node);
	INIT_LIST_HEAD(&u->applied_node);
	kobject_init(&u->kobj, &splice_upd_ktype);
	u->conflicts = (char *)get_zeroed_page(GFP_KERNEL);
	if (!u->conflicts) {
		kobject_put(&u->kobj);
		return -ENOMEM;
	}
	splice_module_text(update->owner, &u->new_start, &u->new_end);
	ret = splice_hooks_init(u);
	if (ret) {
		kobject_put(&u->kobj);
		return ret;
	}
	for (i = 0; i < u->nr_funcs; i++) {
		u->funcs[i].desc = &update->funcs[i];
		u->funcs[i].upd = u;
	}

	mutex_lock(&splice_mutex);
	if (splice_find(update->id)) {
		mutex_unlock(&splice_mutex);
		splice_err("%s: an update with this id is registered\n",
			   update->id);
		kobject_put(&u->kobj);
		return -EEXIST;
	}
	ret = splice_sysfs_add(u);
	if (ret) {
		mutex_unlock(&splice_mutex);
		splice_err("%s: sysfs: %d\n", update->id, ret);
		kobject_put(&u->kobj);
		return ret;
	}
	list_add_tail(&u->node, &splice_updates);
	update->priv = u;
	mutex_unlock(&splice_mutex);
	upd_info(u, "registered, %u functions, %u hooks\n", u->nr_funcs, u->nr_hooks);
	return 0;
}
EXPORT_SYMBOL_GPL(splice_register_update);

/*
 * Called from the update module's exit.  It can't be applied then: an
 * applied update holds a reference to its module, which blocks rmmod.
 */
void splice_unregister_update(struct splice_update *update)
{
	struct splice_upd *u = update->priv;

	if (!u)
		return;
	mutex_lock(&splice_mutex);
	WARN_ON(u->stage == SPLICE_APPLIED);
	u->gone = true;
	list_del_init(&u->node);
	splice_relocs_free(u);
	mutex_unlock(&splice_mutex);
	upd_info(u, "unregistered\n");
	update->priv = NULL;
	kobject_put(&u->kobj);	/* removes the directory, frees u */
}
EXPORT_SYMBOL_GPL(splice_unregister_update);
