// SPDX-License-Identifier: GPL-2.0
/*
 * Updates of a module that is not loaded: they wait, and apply when the
 * module loads (docs/core.md, "Modules loaded later").
 *
 * Writing "applied" to an update whose every function lies in
 * loadable modules that are not loaded (say M) does not refuse it
 * (target_not_loaded) any more: the update goes to stage "pending",
 * holding a reference on its own module (the new code) and on its pre
 * modules (splice_pre_hold()): the matching is still to come, at every
 * load of M, and without its pre code the update would be resolved by
 * name.  Nothing is written.
 *
 * When M loads, this notifier sees MODULE_STATE_COMING
 * (kernel/module/main.c, prepare_coming_module()): M's text is final and
 * read-only (complete_formation() is done, ftrace's sites are set), and
 * neither M's parameters, its init nor anybody else has run any of its
 * code yet (a module that is COMING can't be used: strong_try_module_get()
 * refuses it).  The notifier applies each update pending on M exactly as
 * a write of "applied" would (splice_do_apply(): run-pre matching against
 * M's fresh copy, resolution, relocation of the new code against M's
 * addresses, the stack check and the jumps under stop_machine), in the
 * order the updates registered.  Priority 0: after the kernel's own
 * notifiers of priority 1 (jump labels patched to their keys' state,
 * kprobes armed), so the code matched is the code that will run.
 *
 * A refusal (no_match, code_probed, ...) refuses the update, never the
 * module (but below, an update applied in parts): M loads and
 * runs unpatched, the update leaves "pending" for "reversed" with the
 * cause in abort_cause, and the log says so:
 *   splice: module_binfmt: module binfmt_misc loaded: apply refused: code_probed; the module runs unpatched
 *
 * An update applied when its module loaded follows it: it holds no
 * reference on M (an update applied while M was loaded does, and M can't
 * be unloaded before it is undone).  When M unloads, at
 * MODULE_STATE_GOING (after M's exit ran, before its memory is freed, and
 * also when M's load fails after COMING), the update goes back to
 * "pending": M's code and our jumps in it go away together, so no byte is
 * written back; the new code's relocation fields get their canary back
 * (splice_relocs_reset()), to be resolved against the next copy of M.
 * Updates stacked on each other go back newest first.  An update of M
 * that is not applied (undone) but was relocated against the M that goes
 * forgets those addresses too.
 *
 * An update with functions in M and elsewhere (vmlinux, loaded modules)
 * is applied in parts: its functions in M wait (splice_func.waiting), the
 * rest is applied now, and the update is "applied" with M's part waiting.
 * Several modules that are not loaded each have their waiting part; an
 * update all of whose functions wait is pending, and the first of its
 * modules to load applies it (that module's part), the others waiting on.
 * At M's COMING its part is applied (splice_apply_part(): M's pre units
 * matched, M's relocation tables, a switch of M's functions only); at
 * GOING that part waits again and the rest stays.  A refusal of M's part
 * undoes the whole update (M loads unpatched); if that undo is refused
 * too, M's load is refused, so no module runs unpatched under half an
 * update (docs/core.md, "Updates of vmlinux and a module").
 *
 * Locking: splice_mutex, as every transition.  A notifier of a module
 * load runs in the loading task without module_mutex held, so the order
 * splice_mutex -> module_mutex holds here too.
 */
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/string.h>
#include "compat.h"
#include "core.h"

static int splice_any_symbol(void *data, const char *sym, struct module *mod, unsigned long addr)
{
	*(bool *)data = true;
	return 1;	/* one is enough */
}

/*
 * Is module @name loaded?  It has symbols (a COMING module has; an
 * UNFORMED one is not listed, and its COMING notification waits for
 * splice_mutex).
 */
static bool splice_loaded(const char *name)
{
	bool loaded = false;

	splice_module_symbols(name, splice_any_symbol, &loaded);
	return loaded;
}

/*
 * Mark the functions of @u that lie in a module that is not loaded as
 * waiting for it; returns how many wait (u->nr_waiting): 0 when @u can be
 * applied now, all of them when it waits as a whole (pending), else the
 * rest is applied now.  Each module is looked up once (its functions are
 * usually next to each other; an earlier function of the same module
 * gives the answer).  Called with splice_mutex held.
 */
unsigned int splice_pending_modules(struct splice_upd *u)
{
	const char *obj;
	unsigned int i, j;

	lockdep_assert_held(&splice_mutex);
	splice_pending_unapplied(u);
	for (i = 0; i < u->nr_funcs; i++) {
		obj = u->funcs[i].desc->objname;
		if (!obj)
			continue;
		for (j = 0; j < i; j++)
			if (u->funcs[j].desc->objname && !strcmp(u->funcs[j].desc->objname, obj))
				break;
		if (j < i ? u->funcs[j].waiting : !splice_loaded(obj)) {
			u->funcs[i].waiting = true;
			u->nr_waiting++;
		}
	}
	return u->nr_waiting;
}

/*
 * The modules @u waits for, for messages and sysfs: their names separated
 * by blanks in @buf (cut short with "..." when @size is too small), and
 * their number in *@count.  Returns @buf.
 */
const char *splice_waiting_names(const struct splice_upd *u, char *buf, size_t size,
				 unsigned int *count)
{
	const char *obj;
	unsigned int i, j;
	size_t n = 0;

	buf[0] = '\0';
	*count = 0;
	for (i = 0; i < u->nr_funcs; i++) {
		if (!u->funcs[i].waiting)
			continue;
		obj = u->funcs[i].desc->objname;
		for (j = 0; j < i; j++)
			if (u->funcs[j].waiting && !strcmp(u->funcs[j].desc->objname, obj))
				break;
		if (j < i)
			continue;
		(*count)++;
		if (n + strlen(obj) + 5 > size) {
			if (n + 4 < size)
				n += scnprintf(buf + n, size - n, "%s...", n ? " " : "");
			n = size;
			continue;
		}
		n += scnprintf(buf + n, size - n, "%s%s", n ? " " : "", obj);
	}
	return buf;
}

/*
 * Does @u wait for module @objname (NULL: vmlinux, never waited for):
 * some of its functions lie in it and are waiting?
 */
bool splice_waits_for(const struct splice_upd *u, const char *objname)
{
	unsigned int i;

	if (!objname || !u->nr_waiting)
		return false;
	for (i = 0; i < u->nr_funcs; i++)
		if (u->funcs[i].waiting && !strcmp(u->funcs[i].desc->objname, objname))
			return true;
	return false;
}

/* Every function of @u waits for its module (pending as a whole, again). */
static void splice_pending_all(struct splice_upd *u)
{
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++)
		u->funcs[i].waiting = true;
	u->nr_waiting = u->nr_funcs;
}

/* @u no longer follows a module (undone, reversed while pending). */
void splice_pending_unapplied(struct splice_upd *u)
{
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++)
		u->funcs[i].waiting = false;
	u->nr_waiting = 0;
	u->follows = false;
}

/* Drop the references on @mod the functions of @u in it took: they follow it. */
static void splice_follow(struct splice_upd *u, const char *mod)
{
	unsigned int i;

	for (i = 0; i < u->nr_funcs; i++) {
		if (!splice_in_part(&u->funcs[i], mod))
			continue;
		if (u->funcs[i].target)
			module_put(u->funcs[i].target);
		u->funcs[i].target = NULL;
	}
}

/*
 * The part of applied update @u that waited for @mod: applied now, or,
 * refused, the whole update is undone (docs/core.md, "Updates of vmlinux
 * and a module").  Returns false when neither can be had: the module's
 * load is then refused, and @u stays as it was.
 */
static bool splice_pending_part(struct splice_upd *u, struct module *mod)
{
	enum splice_cause cause, undo;
	unsigned int n = u->nr_waiting;

	cause = splice_apply_part(u, mod->name);
	if (cause == SPLICE_OK) {
		splice_follow(u, mod->name);
		u->cause = SPLICE_OK;
		upd_info(u, "module %s loaded: applied its %u functions, pause %llu us\n", mod->name,
			 n, div_u64(u->pause_ns, NSEC_PER_USEC));
		return true;
	}
	upd_err(u, "module %s loaded: its part refused: %s; undoing the rest\n", mod->name,
		splice_cause_name(cause));
	undo = splice_do_undo(u);
	if (undo == SPLICE_OK) {
		u->cause = cause;
		u->stage = SPLICE_REVERSED;
		upd_err(u, "module %s loaded: update reversed (%s); the module runs unpatched\n",
			mod->name, splice_cause_name(cause));
		return true;
	}
	u->cause = undo;
	upd_err(u, "module %s: its part refused (%s) and the rest can't be undone (%s): the module's load is refused\n",
		mod->name, splice_cause_name(cause), splice_cause_name(undo));
	return false;
}

static void splice_pending_going_locked(struct module *mod);

/*
 * @mod is COMING: apply every update waiting for it, and the part waiting
 * for it of every update applied in parts.  0, or -EBUSY to refuse the
 * module's load (splice_pending_part()): then every update applied to @mod
 * here waits again, as at its GOING (which we are not sent), before
 * splice_mutex is let go.
 */
static int splice_pending_coming(struct module *mod)
{
	struct splice_upd *u;
	enum splice_cause cause;
	unsigned int i;
	bool ok = true;

	mutex_lock(&splice_mutex);
	list_for_each_entry(u, &splice_updates, node) {
		if (!splice_waits_for(u, mod->name))
			continue;
		if (u->stage == SPLICE_APPLIED) {
			ok = splice_pending_part(u, mod);
			if (!ok)
				break;
			continue;
		}
		if (u->stage != SPLICE_PENDING)
			continue;
		/* @mod's functions; those of other modules not loaded still wait */
		for (i = 0; i < u->nr_funcs; i++)
			if (u->funcs[i].waiting && !strcmp(u->funcs[i].desc->objname, mod->name)) {
				u->funcs[i].waiting = false;
				u->nr_waiting--;
			}
		cause = splice_do_apply(u);	/* its own reference on the new code */
		u->cause = cause;
		module_put(u->pub->owner);	/* the one pending held */
		if (cause != SPLICE_OK) {
			upd_err(u, "module %s loaded: apply refused: %s; the module runs unpatched\n",
				mod->name, splice_cause_name(cause));
			splice_pre_hold(u, false);
			splice_pending_unapplied(u);
			u->stage = SPLICE_REVERSED;
			continue;
		}
		/* follow the module: no reference on it, it may unload */
		splice_follow(u, mod->name);
		u->stage = SPLICE_APPLIED;
		if (u->nr_waiting) {
			char names[SPLICE_NAMES_LEN];
			unsigned int nmods;

			splice_waiting_names(u, names, sizeof(names), &nmods);
			upd_info(u, "module %s loaded: applied %u functions, pause %llu us; %u pending: %s %s %s not loaded\n",
				 mod->name, u->nr_funcs - u->nr_waiting,
				 div_u64(u->pause_ns, NSEC_PER_USEC), u->nr_waiting,
				 nmods > 1 ? "modules" : "module", names, nmods > 1 ? "are" : "is");
		} else {
			upd_info(u, "module %s loaded: applied %u functions, pause %llu us\n", mod->name,
				 u->nr_funcs, div_u64(u->pause_ns, NSEC_PER_USEC));
		}
	}
	if (!ok)
		splice_pending_going_locked(mod);
	mutex_unlock(&splice_mutex);
	return ok ? 0 : -EBUSY;
}

/* How many functions of @u lie in module @name? */
static unsigned int splice_upd_in_module(const struct splice_upd *u, const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < u->nr_funcs; i++)
		if (u->funcs[i].desc->objname && !strcmp(u->funcs[i].desc->objname, name))
			n++;
	return n;
}

/*
 * @mod is GOING: the updates applied in it wait again, newest first.  And
 * every update of @mod that is not applied but was relocated against it
 * (applied, then undone, before @mod unloads) forgets those addresses, or
 * its next apply would keep them (reloc.c writes the records once).
 */
static void splice_pending_going_locked(struct module *mod)
{
	struct splice_upd *u;
	unsigned int i;

	lockdep_assert_held(&splice_mutex);
	list_for_each_entry_reverse(u, &splice_updates, node) {
		unsigned int in_mod = splice_upd_in_module(u, mod->name);

		if (!in_mod)
			continue;
		if (u->stage == SPLICE_APPLIED && u->follows && !splice_waits_for(u, mod->name) &&
		    in_mod + u->nr_waiting < u->nr_funcs) {
			/* applied in parts: the module's waits again, the rest stays */
			splice_release_part(u, mod->name);
			splice_relocs_reset(u, mod->name);
			for (i = 0; i < u->nr_funcs; i++)
				if (u->funcs[i].desc->objname &&
				    !strcmp(u->funcs[i].desc->objname, mod->name)) {
					u->funcs[i].waiting = true;
					u->nr_waiting++;
				}
			upd_info(u, "module %s unloaded: its %u functions pending again, the rest stays applied\n",
				 mod->name, in_mod);
		} else if (u->stage == SPLICE_APPLIED && u->follows &&
			   !splice_waits_for(u, mod->name)) {
			/* nothing of it stays applied: pending as a whole */
			list_del_init(&u->applied_node);
			splice_release_all(u);
			splice_relocs_reset(u, NULL);
			splice_pending_all(u);
			/* the reference splice_do_apply() took on the new code is pending's now */
			u->stage = SPLICE_PENDING;
			upd_info(u, "module %s unloaded: pending again\n", mod->name);
		} else if (u->stage != SPLICE_APPLIED && u->relocs_written) {
			splice_relocs_reset(u, NULL);
			upd_dbg(u, "module %s unloaded: relocations of the new code to be resolved again\n",
				mod->name);
		}
	}
}

static void splice_pending_going(struct module *mod)
{
	mutex_lock(&splice_mutex);
	splice_pending_going_locked(mod);
	mutex_unlock(&splice_mutex);
}

static int splice_pending_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	if (state == MODULE_STATE_COMING)
		return notifier_from_errno(splice_pending_coming(data));
	if (state == MODULE_STATE_GOING)
		splice_pending_going(data);
	return NOTIFY_DONE;
}

static struct notifier_block splice_pending_nb = {
	.notifier_call = splice_pending_notify,
	.priority = 0,
};

int splice_pending_init(void)
{
	return register_module_notifier(&splice_pending_nb);
}

void splice_pending_exit(void)
{
	unregister_module_notifier(&splice_pending_nb);
}
