// SPDX-License-Identifier: GPL-2.0
/*
 * The new code's relocation records (docs/new-code.md).
 *
 * splice-mknew leaves every relocation the module loader can't resolve (a
 * static of the unit, an unexported function, old data) as the canary
 * 0x77 in the field and a record {site, type, addend, symbol}.  After
 * run-pre matching and before the switch, every record's symbol is
 * resolved:
 *   1. from what matching the update's pre units learned (the exact
 *      static the pre code uses, even when several share its name);
 *   2. else through kallsyms, if the name is unique in vmlinux (or in the
 *      update's target module);
 *   3. else the apply is refused: failed_to_find (no such symbol) or
 *      ambiguous (several), naming the symbol and the site.
 * The value is computed per type (PC32/PLT32/PC64: S+A-P; 32, 32S: S+A,
 * range-checked; 64: S+A), the field must still hold the canary, and only
 * when every record is ready are they written, with text_poke() under
 * text_mutex (the module's text and rodata are read-only by then; module
 * memory is vmalloc'ed, which text_poke() maps).  All or none.
 *
 * Example: "e8 77 77 77 77" at override_release's call site in the copy of
 * __do_sys_newuname, record {PLT32, -4, "override_release"}: matching
 * learned override_release = S, the field becomes S - 4 - P.
 *
 * A field that lost its canary was rewritten by the loader (an
 * alternative): skipped, as Ksplice did.  Records are written once per
 * table: if the apply is refused later (code_busy, site_changed), the
 * written fields stay; the new code never ran, and a later apply finds
 * them written.  The tables of a module the update waits for (its part
 * applied when the module loads, pending.c) are left for that load.
 * Called with splice_mutex held.
 *
 * A record flagged SPLICE_RELOC_VALUE (a runtime constant's immediate,
 * 6.11+) gets the value stored at its symbol, not the address: 8 bytes
 * for runtime_const_ptr(), 1 for a shift.  Example: filldir64's
 * access_ok() on 6.12, "movabs $<77 x 8>, %rdi" and {VALUE, 64,
 * "USER_PTR_MAX"}: the field becomes USER_PTR_MAX's value,
 * 0x00007ffffffff000 with 4-level paging.
 *
 * Records flagged SPLICE_RELOC_EARLY (the keys of jump labels) were
 * written when the module loaded (early.c) and are not touched here: the
 * kernel's jump-label code has since sorted the module's __jump_table, so
 * their sites may now hold another entry's key.
 */
#include <linux/kallsyms.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "core.h"
#include "ksym.h"
#include "reloc-table.h"

#define SPLICE_CANARY	0x77

struct splice_symcount {
	const char *name;
	const char *objname;
	unsigned long addr;
	unsigned int n;
};

static int splice_count_vmlinux(void *data, unsigned long addr)
{
	struct splice_symcount *c = data;

	if (!c->n++)
		c->addr = addr;
	return 0;
}

static int splice_count_module(void *data, const char *sym, struct module *mod,
			       unsigned long addr)
{
	struct splice_symcount *c = data;

	if (strcmp(mod->name, c->objname) || strcmp(sym, c->name))
		return 0;
	return splice_count_vmlinux(data, addr);
}

/*
 * How many symbols @name vmlinux has (@objname NULL) or module @objname
 * has; the first one's address in @addr.
 */
unsigned int splice_ksym_count(const char *name, const char *objname, unsigned long *addr)
{
	struct splice_symcount c = { .name = name, .objname = objname };

	if (objname)
		splice_module_symbols(objname, splice_count_module, &c);
	else
		splice_ksym.kallsyms_on_each_match_symbol(splice_count_vmlinux, name, &c);
	*addr = c.addr;
	return c.n;
}

static bool splice_in_core(const void *owner, unsigned long addr)
{
	return within_module_core(addr, (struct module *)owner);
}

/*
 * The table is the loader's copy of what splice-mknew wrote into module
 * @owner: check it (every site in @owner's core memory).  The caller logs.
 */
bool splice_relocs_valid(struct module *owner, const struct splice_relocs *t)
{
	return splice_relocs_check(t, splice_in_core, owner);
}

/* S + A of one record, or the cause it can't be had. */
static enum splice_cause splice_reloc_target(struct splice_upd *u, const struct splice_reloc *r,
					     const char *name, const char *objname,
					     const char *unit, u64 *sa)
{
	unsigned long a;
	unsigned int n;
	int ret;

	ret = splice_pre_symbol(u, unit, name, r->flags & SPLICE_RELOC_LOCAL, r->addend, &a);
	if (!ret) {
		upd_dbg(u, "relocation at %pS: %s from run-pre matching\n", (void *)r->site, name);
		*sa = a;
		return SPLICE_OK;
	}
	if (ret == -EEXIST) {
		upd_err(u, "relocation at %pS: pre units disagree on %s\n", (void *)r->site, name);
		return SPLICE_AMBIGUOUS;
	}
	n = splice_ksym_count(name, objname, &a);
	if (!n) {
		upd_err(u, "relocation at %pS: symbol %s not found in %s\n", (void *)r->site, name,
			objname ? objname : "vmlinux");
		return SPLICE_FAILED_TO_FIND;
	}
	if (n > 1) {
		upd_err(u, "relocation at %pS: symbol %s: %u candidates in %s, expected one\n",
			(void *)r->site, name, n, objname ? objname : "vmlinux");
		return SPLICE_AMBIGUOUS;
	}
	upd_dbg(u, "relocation at %pS: %s from kallsyms\n", (void *)r->site, name);
	*sa = a + r->addend;
	return SPLICE_OK;
}

/* The field's value, or false if it does not fit. */
bool splice_reloc_value(const struct splice_reloc *r, u64 sa, u64 *val)
{
	s64 pc = (s64)(sa - r->site);

	switch (r->type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		*val = (u32)pc;
		return pc == (s32)pc;
	case R_X86_64_32:
		*val = sa;
		return sa == (u32)sa;
	case R_X86_64_32S:
		*val = (u32)sa;
		return (s64)sa == (s32)sa;
	case R_X86_64_PC64:
		*val = pc;
		return true;
	default:	/* R_X86_64_64 */
		*val = sa;
		return true;
	}
}

/*
 * A VALUE record's field: the @w bytes stored at @sa (little-endian: for
 * a shift, the low byte, as the kernel's __runtime_fixup_shift() wrote
 * it).  The variables of runtime constants are __ro_after_init: what the
 * kernel wrote into its own code at boot is what they hold now.
 */
static enum splice_cause splice_reloc_read_value(struct splice_upd *u, const struct splice_reloc *r,
						 const char *name, u64 sa, int w, u64 *val)
{
	*val = 0;
	if (copy_from_kernel_nofault(val, (void *)sa, w)) {
		upd_err(u, "relocation at %pS: cannot read the value of %s at %px\n",
			(void *)r->site, name, (void *)sa);
		return SPLICE_UNEXPECTED;
	}
	upd_info(u, "relocation at %pS: runtime constant %s = 0x%llx (%d bytes)\n", (void *)r->site, name,
		 (unsigned long long)*val, w);
	return SPLICE_OK;
}

/* Resolve the records of one table into @vals/@skip; the first failure. */
static enum splice_cause splice_relocs_resolve(struct splice_upd *u, const struct splice_relocs *t,
					       u64 *vals, u8 *skip, u32 *nskip, u32 *nearly)
{
	const char *strs = (const char *)t + t->strings;
	const char *objname = t->objname == SPLICE_RELOC_NONE ? NULL : strs + t->objname;
	const char *unit = t->unit == SPLICE_RELOC_NONE ? NULL : strs + t->unit;
	enum splice_cause cause = SPLICE_OK, c;
	u32 i;

	/* resolve all, report every failure, then refuse once */
	for (i = 0; i < t->nrelocs; i++) {
		const struct splice_reloc *r = &t->relocs[i];
		int w = splice_reloc_width(r->type);
		u8 field[8];
		u64 sa = 0;
		int k;

		if (r->flags & SPLICE_RELOC_EARLY) {
			skip[i] = 1;	/* written at load (early.c) */
			(*nearly)++;
			continue;
		}
		if (copy_from_kernel_nofault(field, (void *)r->site, w)) {
			c = SPLICE_UNEXPECTED;
		} else {
			for (k = 0; k < w && field[k] == SPLICE_CANARY; k++)
				;
			if (k < w) {
				/* rewritten by the loader: Ksplice skipped these too */
				upd_info(u, "relocation at %pS (%s): no canary, rewritten by the loader; skipped\n",
					 (void *)r->site, strs + r->name);
				skip[i] = 1;
				(*nskip)++;
				continue;
			}
			c = splice_reloc_target(u, r, strs + r->name, objname, unit, &sa);
			if (c == SPLICE_OK && (r->flags & SPLICE_RELOC_VALUE)) {
				c = splice_reloc_read_value(u, r, strs + r->name, sa, w, &vals[i]);
			} else if (c == SPLICE_OK && !splice_reloc_value(r, sa, &vals[i])) {
				upd_err(u, "relocation at %pS: %s = %px out of range for type %u\n",
					(void *)r->site, strs + r->name, (void *)sa, r->type);
				c = SPLICE_UNEXPECTED;
			}
		}
		if (c != SPLICE_OK && cause == SPLICE_OK)
			cause = c;
	}
	return cause;
}

/* Table @t's object (its unit's module), NULL: vmlinux. */
static const char *splice_relocs_obj(const struct splice_relocs *t)
{
	return t->objname == SPLICE_RELOC_NONE ? NULL : (const char *)t + t->strings + t->objname;
}

/* Is table @i to be resolved now: not written, not of a module @u waits for? */
static bool splice_relocs_due(struct splice_upd *u, u32 i)
{
	return !(u->relocs_skipped && u->relocs_skipped[i]) &&
	       !splice_waits_for(u, splice_relocs_obj(u->pub->relocs[i]));
}

/*
 * Resolve every record of the update's new code (its tables not written
 * yet, but those of a module it waits for); with @write, write them all
 * (or none).  @write false is the dry run of a check.
 */
enum splice_cause splice_relocs_apply(struct splice_upd *u, bool write)
{
	const struct splice_update *pub = u->pub;
	enum splice_cause cause = SPLICE_OK, c;
	u64 **vals = NULL;
	u8 **skip = NULL;
	u32 i, j, nskip = 0, nearly = 0, total = 0;

	lockdep_assert_held(&splice_mutex);
	if (!pub->nr_relocs)
		return SPLICE_OK;
	if (!pub->relocs)
		return SPLICE_UNEXPECTED;
	for (i = 0; i < pub->nr_relocs; i++)
		if (!pub->relocs[i] || !splice_relocs_valid(pub->owner, pub->relocs[i])) {
			upd_err(u, "malformed relocation table in module %s\n", pub->owner->name);
			return SPLICE_UNEXPECTED;
		}
	vals = kcalloc(pub->nr_relocs, sizeof(*vals), GFP_KERNEL);
	skip = kcalloc(pub->nr_relocs, sizeof(*skip), GFP_KERNEL);
	if (!vals || !skip) {
		cause = SPLICE_OUT_OF_MEMORY;
		goto out;
	}
	for (i = 0; i < pub->nr_relocs; i++) {
		u32 n = pub->relocs[i]->nrelocs ? pub->relocs[i]->nrelocs : 1;

		vals[i] = kvcalloc(n, sizeof(**vals), GFP_KERNEL);
		skip[i] = kvcalloc(n, sizeof(**skip), GFP_KERNEL);
		if (!vals[i] || !skip[i]) {
			cause = SPLICE_OUT_OF_MEMORY;
			goto out;
		}
	}
	for (i = 0; i < pub->nr_relocs; i++) {
		if (!splice_relocs_due(u, i))
			continue;
		total += pub->relocs[i]->nrelocs;
		c = splice_relocs_resolve(u, pub->relocs[i], vals[i], skip[i], &nskip, &nearly);
		if (c != SPLICE_OK && cause == SPLICE_OK)
			cause = c;
	}
	if (cause != SPLICE_OK || !write || !total)
		goto out;
	if (!u->relocs_skipped) {
		u->relocs_skipped = kcalloc(pub->nr_relocs, sizeof(*u->relocs_skipped), GFP_KERNEL);
		if (!u->relocs_skipped) {
			cause = SPLICE_OUT_OF_MEMORY;
			goto out;
		}
	}

	mutex_lock(splice_ksym.text_mutex);
	for (i = 0; i < pub->nr_relocs; i++) {
		const struct splice_relocs *t = pub->relocs[i];

		if (!splice_relocs_due(u, i))
			continue;
		for (j = 0; j < t->nrelocs; j++)
			if (!skip[i][j])
				splice_ksym.text_poke((void *)t->relocs[j].site, &vals[i][j],
						      splice_reloc_width(t->relocs[j].type));
		/* which fields were written: splice_relocs_reset() puts their canary back */
		u->relocs_skipped[i] = skip[i];
		skip[i] = NULL;
		u->relocs_written = true;
	}
	mutex_unlock(splice_ksym.text_mutex);
	if (nearly)
		upd_info(u, "%u relocations of the new code written, %u skipped, %u written at load\n",
			 total - nskip - nearly, nskip, nearly);
	else
		upd_info(u, "%u relocations of the new code written, %u skipped\n",
			 total - nskip, nskip);
out:
	for (i = 0; vals && i < pub->nr_relocs; i++) {
		kvfree(vals[i]);
		if (skip)
			kvfree(skip[i]);
	}
	kfree(vals);
	kfree(skip);
	return cause;
}

/*
 * The new code's fields this update wrote get their canary back, and the
 * records are resolved again at the next apply: an update that follows a
 * module (pending.c) was relocated against the module's addresses, and the
 * module that loads next lies elsewhere.  Of the tables of module
 * @objname only (the part of an update that follows it while its other
 * parts stay applied), or of every table (@objname NULL).  The fields the
 * loader had rewritten, and the EARLY ones, stay.  Nothing runs those
 * fields' new code now: it is not applied.  Called with splice_mutex held.
 */
void splice_relocs_reset(struct splice_upd *u, const char *objname)
{
	const struct splice_update *pub = u->pub;
	const char *obj;
	u8 canary[8];
	u32 i, j;

	lockdep_assert_held(&splice_mutex);
	if (!u->relocs_written || !u->relocs_skipped)
		return;
	memset(canary, SPLICE_CANARY, sizeof(canary));
	mutex_lock(splice_ksym.text_mutex);
	u->relocs_written = false;
	for (i = 0; i < pub->nr_relocs; i++) {
		const struct splice_relocs *t = pub->relocs[i];

		if (!u->relocs_skipped[i])
			continue;
		obj = splice_relocs_obj(t);
		if (objname && (!obj || strcmp(obj, objname))) {
			u->relocs_written = true;	/* stays */
			continue;
		}
		for (j = 0; j < t->nrelocs; j++)
			if (!u->relocs_skipped[i][j])
				splice_ksym.text_poke((void *)t->relocs[j].site, canary,
						      splice_reloc_width(t->relocs[j].type));
		kvfree(u->relocs_skipped[i]);
		u->relocs_skipped[i] = NULL;
	}
	mutex_unlock(splice_ksym.text_mutex);
	if (!u->relocs_written)
		splice_relocs_free(u);
}

void splice_relocs_free(struct splice_upd *u)
{
	u32 i;

	for (i = 0; u->relocs_skipped && i < u->pub->nr_relocs; i++)
		kvfree(u->relocs_skipped[i]);
	kfree(u->relocs_skipped);
	u->relocs_skipped = NULL;
}
