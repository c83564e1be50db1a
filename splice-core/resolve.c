// SPDX-License-Identifier: GPL-2.0
/*
 * Resolving a replaced function's old code: which address, how long, where
 * its .cold part lies, and which module holds it.
 *
 * An update that came with pre code (splice_register_pre, pre.c) replaces
 * what run-pre matching found: the address where the pre code of "foo"
 * matched the running kernel, and of "foo.cold" if the unit has one.  The
 * name alone never decides for such an update.
 *
 * An update without pre code (hand-written test updates) falls back to the
 * name, and only when it is unambiguous; for a function "foo":
 *   objname NULL:   vmlinux only; exactly one symbol "foo", else
 *                   failed_to_find (none) or ambiguous (several static foos);
 *   objname "mod":  module "mod" must be loaded (else target_not_loaded)
 *                   and hold exactly one "foo".
 * Every "foo.cold" of the same object is added to the ranges: one more than
 * needed makes a stack check stricter, never wrong.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include "core.h"
#include "ksym.h"

#define SPLICE_MAX_CANDIDATES	4

struct splice_lookup {
	const char *name;
	const char *objname;		/* NULL: vmlinux */
	size_t name_len;
	unsigned int count, cold_count;
	unsigned long addr[SPLICE_MAX_CANDIDATES];
	unsigned long cold[SPLICE_MAX_CANDIDATES];
	struct module *mod;		/* module seen, reference taken */
	bool mod_seen;
};

/* "foo.cold" or gcc's older "foo.cold.7" */
static bool splice_is_cold_of(const char *sym, const char *name, size_t len)
{
	return !strncmp(sym, name, len) &&
	       (!strcmp(sym + len, ".cold") ||
		!strncmp(sym + len, ".cold.", 6));
}

static void splice_note(unsigned long *arr, unsigned int *count,
			unsigned long addr)
{
	if (*count < SPLICE_MAX_CANDIDATES)
		arr[*count] = addr;
	(*count)++;
}

static int splice_vmlinux_hit(void *data, unsigned long addr)
{
	struct splice_lookup *l = data;

	splice_note(l->addr, &l->count, addr);
	return 0;
}

static int splice_vmlinux_cold_hit(void *data, unsigned long addr)
{
	struct splice_lookup *l = data;

	splice_note(l->cold, &l->cold_count, addr);
	return 0;
}

/* Called with module_mutex held: @mod can't go away during the call. */
static int splice_module_sym(void *data, const char *sym, struct module *mod,
			     unsigned long addr)
{
	struct splice_lookup *l = data;

	if (strcmp(mod->name, l->objname))
		return 0;
	if (!l->mod_seen) {
		l->mod_seen = true;
		/* fails once the module is going away */
		if (try_module_get(mod))
			l->mod = mod;
	}
	if (!strcmp(sym, l->name))
		splice_note(l->addr, &l->count, addr);
	else if (splice_is_cold_of(sym, l->name, l->name_len))
		splice_note(l->cold, &l->cold_count, addr);
	return 0;
}

static bool splice_add_range(struct splice_upd *u, struct splice_func *f,
			     unsigned long addr, enum splice_range_kind kind,
			     unsigned long *size)
{
	unsigned long off;

	if (!splice_ksym.kallsyms_lookup_size_offset(addr, size, &off) ||
	    off || !*size) {
		upd_err(u, "%s: no size for the symbol at %px\n",
			f->desc->name, (void *)addr);
		return false;
	}
	if (f->nr_ranges == SPLICE_MAX_RANGES) {
		upd_err(u, "%s: too many code ranges\n", f->desc->name);
		return false;
	}
	f->ranges[f->nr_ranges++] = (struct splice_range){
		.start = addr, .end = addr + *size, .kind = kind,
	};
	return true;
}

/* The function's module (for a reference), whatever its symbols say. */
static enum splice_cause splice_get_target(struct splice_upd *u,
					   struct splice_func *f)
{
	struct splice_lookup l = {
		.name = f->desc->name, .objname = f->desc->objname,
		.name_len = strlen(f->desc->name),
	};

	if (!f->desc->objname)
		return SPLICE_OK;
	splice_module_symbols(l.objname, splice_module_sym, &l);
	f->target = l.mod;
	if (!l.mod) {
		upd_err(u, "%s: module %s is not loaded\n", f->desc->name,
			f->desc->objname);
		return SPLICE_TARGET_NOT_LOADED;
	}
	return SPLICE_OK;
}

static enum splice_cause splice_resolve_matched(struct splice_upd *u,
						struct splice_func *f)
{
	const struct splice_function *d = f->desc;
	enum splice_cause cause;
	unsigned long size, addr;
	char *cold;
	int ret;

	cause = splice_get_target(u, f);
	if (cause != SPLICE_OK)
		return cause;
	if (splice_pre_lookup(u, d->objname, d->unit, d->name, &f->old_addr)) {
		upd_err(u, "%s: no pre code of it matched the running kernel\n",
			d->name);
		return SPLICE_NO_MATCH;
	}
	if (!splice_add_range(u, f, f->old_addr, SPLICE_RANGE_OLD,
			      &f->old_size))
		return SPLICE_UNEXPECTED;
	cold = kasprintf(GFP_KERNEL, "%s.cold", d->name);
	if (!cold)
		return SPLICE_OUT_OF_MEMORY;
	ret = splice_pre_lookup(u, d->objname, d->unit, cold, &addr);
	kfree(cold);
	if (!ret && !splice_add_range(u, f, addr, SPLICE_RANGE_COLD, &size))
		return SPLICE_UNEXPECTED;
	upd_dbg(u, "%s: matched at %px, %lu bytes%s\n", d->name,
		(void *)f->old_addr, f->old_size, ret ? "" : ", with .cold part");
	return SPLICE_OK;
}

enum splice_cause splice_resolve_func(struct splice_upd *u,
				      struct splice_func *f)
{
	const struct splice_function *d = f->desc;
	const char *obj = d->objname ? d->objname : "vmlinux";
	struct splice_lookup l = {
		.name = d->name, .objname = d->objname,
		.name_len = strlen(d->name),
	};
	unsigned long size;
	unsigned int i;
	char *cold;

	if (splice_pre_present(u))
		return splice_resolve_matched(u, f);
	if (d->objname) {
		splice_module_symbols(d->objname, splice_module_sym, &l);
		f->target = l.mod;
		if (!l.mod) {
			upd_err(u, "%s: module %s is not loaded\n", d->name,
				obj);
			return SPLICE_TARGET_NOT_LOADED;
		}
	} else {
		cold = kasprintf(GFP_KERNEL, "%s.cold", d->name);
		if (!cold)
			return SPLICE_OUT_OF_MEMORY;
		splice_ksym.kallsyms_on_each_match_symbol(splice_vmlinux_hit,
							  d->name, &l);
		splice_ksym.kallsyms_on_each_match_symbol(
			splice_vmlinux_cold_hit, cold, &l);
		kfree(cold);
	}

	if (l.count == 0) {
		upd_err(u, "%s: not found in %s\n", d->name, obj);
		return SPLICE_FAILED_TO_FIND;
	}
	if (l.count > 1) {
		upd_err(u, "%s: %u candidates in %s, expected one\n", d->name,
			l.count, obj);
		return SPLICE_AMBIGUOUS;
	}
	if (l.cold_count > SPLICE_MAX_CANDIDATES) {
		upd_err(u, "%s: %u .cold parts in %s\n", d->name,
			l.cold_count, obj);
		return SPLICE_AMBIGUOUS;
	}

	f->old_addr = l.addr[0];
	if (!splice_add_range(u, f, f->old_addr, SPLICE_RANGE_OLD,
			      &f->old_size))
		return SPLICE_UNEXPECTED;
	for (i = 0; i < l.cold_count; i++)
		if (!splice_add_range(u, f, l.cold[i], SPLICE_RANGE_COLD,
				      &size))
			return SPLICE_UNEXPECTED;

	upd_dbg(u, "%s: %s at %px, %lu bytes, %u .cold part(s)\n", d->name,
		obj, (void *)f->old_addr, f->old_size, l.cold_count);
	return SPLICE_OK;
}

void splice_release_func(struct splice_func *f)
{
	if (f->target)
		module_put(f->target);
	f->target = NULL;
	f->old_addr = 0;
	f->old_size = 0;
	f->nr_ranges = 0;
	f->site = 0;
	f->below = NULL;
}
