// SPDX-License-Identifier: GPL-2.0
/*
 * Records of the new code that can't wait for the apply: the keys of its
 * jump labels (docs/new-code.md, "Static keys").
 *
 * A kept __jump_table entry whose static key neither the new-code module
 * nor an export defines (DEFINE_STATIC_KEY_FALSE(sched_schedstats) in
 * vmlinux) holds the canary in its key field and has a record flagged
 * SPLICE_RELOC_EARLY, whose site is the jump label's code.  The kernel's
 * jump-label module notifier (kernel/jump_label.c, priority 1) reads every
 * entry's key at MODULE_STATE_COMING: it sorts the entries by key, links
 * them to their keys and patches their code to the keys' state.  So the
 * key must be right by then, long before splice-core applies anything,
 * and before the update's struct splice_update exists (the module's init
 * registers it, later).
 *
 * This notifier runs first (priority INT_MAX: if it refuses the module, no
 * other notifier has seen it coming).  At MODULE_STATE_COMING of any module
 * it looks for record tables among the module's own symbols
 * (splice_new_relocs, splice_new_relocs_1, ...), finds each EARLY record's
 * entry by its code, resolves the key by a unique kallsyms name, in
 * vmlinux or in the table's target module, and only when all resolved
 * writes them.  Example:
 *
 *   record {site sysctl_schedstats+0x15, PC64, +2, "sched_schedstats"}:
 *   the key field of the entry whose code is sysctl_schedstats+0x15, "77 77
 *   77 77 77 77 77 77", becomes sched_schedstats + 2 - &entry->key (the 2 is
 *   the entry's flag bit as the compiler wrote it; the kernel's jump-label
 *   code then sets or clears it, jump_entry_set_init())
 *
 * A record it can't resolve fails the load, naming key and call site
 * (load_module fails when a COMING notifier does, prepare_coming_module):
 *
 *   splice: splice_x_new: jump label at f+0x1c/0x90 [splice_x_new]: key foo not found in vmlinux
 *
 * The update's pre units can't tell which key is meant: their description
 * of the pre code lists jump-label sites without their keys, and run-pre
 * matching runs at apply, after the key was needed.  The running kernel
 * can: a name vmlinux has several times (DO_ONCE()'s "___once_key.1" is
 * a static of four units) is the candidate that the running function of
 * the same name uses in a jump label of its own, per vmlinux's
 * __jump_table (__inet_hash_connect's jump labels test the ___once_key.1
 * of net/ipv4/inet_hashtables.c).  None or several: the load is refused.
 */
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include "core.h"
#include "ksym.h"

#define SPLICE_CANARY	0x77

/* The reference that keeps a splice-core without this file from loading EARLY records. */
const int splice_early_relocs = 1;
EXPORT_SYMBOL_GPL(splice_early_relocs);

#define SPLICE_RELOCS_SYM	"splice_new_relocs"

/* "splice_new_relocs", "splice_new_relocs_1", ...: a table of splice-mknew's */
static bool splice_is_table_name(const char *name)
{
	size_t n = strlen(SPLICE_RELOCS_SYM);

	if (strncmp(name, SPLICE_RELOCS_SYM, n))
		return false;
	if (!name[n])
		return true;
	if (name[n] != '_' || !name[n + 1])
		return false;
	for (n++; name[n]; n++)
		if (name[n] < '0' || name[n] > '9')
			return false;
	return true;
}

/*
 * The record tables among @mod's symbols, into @tabs (at most @max); how
 * many there are.  The module is COMING: its symbol table is complete and
 * it can't go away under its own notifier.
 */
static unsigned int splice_early_tables(struct module *mod, const struct splice_relocs **tabs,
					unsigned int max)
{
	struct mod_kallsyms *ks;
	unsigned int i, n = 0;

	preempt_disable();
	ks = rcu_dereference_sched(mod->kallsyms);
	for (i = 0; ks && i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];

		if (sym->st_shndx == SHN_UNDEF || !splice_is_table_name(ks->strtab + sym->st_name))
			continue;
		if (n < max)
			tabs[n] = (const struct splice_relocs *)sym->st_value;
		n++;
	}
	preempt_enable();
	return n;
}

/* @mod's jump entry for the jump label at @code, or NULL (not sorted yet: a linear search). */
static struct jump_entry *splice_code_entry(struct module *mod, unsigned long code)
{
	unsigned int i;

	for (i = 0; i < mod->num_jump_entries; i++)
		if (jump_entry_code(&mod->jump_entries[i]) == code)
			return &mod->jump_entries[i];
	return NULL;
}

#define SPLICE_MAX_CANDS	16

struct splice_addrs {
	unsigned long addr[SPLICE_MAX_CANDS];
	unsigned int n;
};

static int splice_add_addr(void *data, unsigned long addr)
{
	struct splice_addrs *a = data;

	if (a->n < SPLICE_MAX_CANDS)
		a->addr[a->n] = addr;
	a->n++;
	return 0;
}

/* The name of @mod's function around @addr, or NULL. */
static const char *splice_mod_func(struct module *mod, unsigned long addr)
{
	struct mod_kallsyms *ks;
	const char *name = NULL;
	unsigned int i;

	preempt_disable();
	ks = rcu_dereference_sched(mod->kallsyms);
	for (i = 0; ks && i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];

		if (sym->st_shndx != SHN_UNDEF && ELF_ST_TYPE(sym->st_info) == STT_FUNC &&
		    addr >= sym->st_value && addr < sym->st_value + sym->st_size) {
			name = ks->strtab + sym->st_name;
			break;
		}
	}
	preempt_enable();
	return name;	/* the module is COMING: its strings stay */
}

/*
 * Of the several vmlinux symbols named @name, the one whose key (at
 * +@keyoff) a jump label of the running function(s) named @func tests.
 * 1 and its address in @addr, or how many qualify (0, or several).
 */
static unsigned int splice_key_of_func(const char *name, unsigned long keyoff, const char *func,
				       unsigned long *addr)
{
	struct splice_addrs keys = { .n = 0 }, funcs = { .n = 0 };
	unsigned long size[SPLICE_MAX_CANDS], off;
	bool used[SPLICE_MAX_CANDS] = { false };
	struct jump_entry *e, *start, *stop;
	unsigned int i, n = 0;

	start = (void *)splice_ksym.kallsyms_lookup_name("__start___jump_table");
	stop = (void *)splice_ksym.kallsyms_lookup_name("__stop___jump_table");
	splice_ksym.kallsyms_on_each_match_symbol(splice_add_addr, name, &keys);
	splice_ksym.kallsyms_on_each_match_symbol(splice_add_addr, func, &funcs);
	if (!start || !stop || keys.n > SPLICE_MAX_CANDS || !funcs.n ||
	    funcs.n > SPLICE_MAX_CANDS)
		return 0;
	for (i = 0; i < funcs.n; i++)
		if (!splice_ksym.kallsyms_lookup_size_offset(funcs.addr[i], &size[i], &off) || off)
			size[i] = 0;
	for (e = start; e < stop; e++) {
		unsigned long code = jump_entry_code(e), key = (unsigned long)jump_entry_key(e);

		for (i = 0; i < funcs.n; i++)
			if (code >= funcs.addr[i] && code < funcs.addr[i] + size[i])
				break;
		if (i == funcs.n)
			continue;
		for (i = 0; i < keys.n; i++)
			used[i] |= key == keys.addr[i] + keyoff;
	}
	for (i = 0; i < keys.n; i++)
		if (used[i]) {
			*addr = keys.addr[i];
			n++;
		}
	return n;
}

/*
 * Resolve the EARLY records of table @t of @mod into @vals, and the key
 * fields to write into @fields (NULL: not an EARLY record); how many.
 * An EARLY record's site is the jump label's code, whose __jump_table
 * entry's key is the field.  Every failure is logged; the first one's
 * errno in @err.
 */
static unsigned int splice_early_resolve(struct module *mod, const struct splice_relocs *t,
					 u64 *vals, long **fields, int *err)
{
	const char *strs = (const char *)t + t->strings;
	const char *objname = t->objname == SPLICE_RELOC_NONE ? NULL : strs + t->objname;
	unsigned int n = 0;
	u32 i;

	for (i = 0; i < t->nrelocs; i++) {
		const struct splice_reloc *r = &t->relocs[i];
		const char *name = strs + r->name;
		struct jump_entry *entry;
		const char *func;
		unsigned long addr;
		unsigned int cands, used;
		u8 field[8];
		int k, e = 0;

		vals[i] = 0;
		fields[i] = NULL;
		if (!(r->flags & SPLICE_RELOC_EARLY))
			continue;
		entry = splice_code_entry(mod, r->site);
		if (!entry || r->type != R_X86_64_PC64) {
			pr_err("splice: %s: early relocation of %s: no jump label at %pS\n",
			       mod->name, name, (void *)r->site);
			e = -EINVAL;
			goto next;
		}
		memcpy(field, &entry->key, sizeof(field));
		for (k = 0; k < sizeof(field) && field[k] == SPLICE_CANARY; k++)
			;
		if (k < sizeof(field)) {
			pr_err("splice: %s: jump label at %pS: key %s: the field lost its canary\n",
			       mod->name, (void *)r->site, name);
			e = -EINVAL;
			goto next;
		}
		cands = splice_ksym_count(name, objname, &addr);
		func = splice_mod_func(mod, r->site);
		used = 0;
		if (cands > 1 && !objname && func)
			used = splice_key_of_func(name, r->addend & ~3L, func, &addr);
		if (cands == 1) {
			pr_info("splice: %s: jump label at %pS: key %s from kallsyms\n", mod->name,
				(void *)r->site, name);
		} else if (used == 1) {
			pr_info("splice: %s: jump label at %pS: key %s: %u candidates in vmlinux, the one %s uses\n",
				mod->name, (void *)r->site, name, cands, func);
		} else if (cands && objname) {
			pr_err("splice: %s: jump label at %pS: key %s: %u candidates in %s, expected one\n",
			       mod->name, (void *)r->site, name, cands, objname);
			e = -ENOTUNIQ;
			goto next;
		} else if (cands) {
			pr_err("splice: %s: jump label at %pS: key %s: %u candidates in vmlinux, and the running %s tests %u of them\n",
			       mod->name, (void *)r->site, name, cands, func ? func : "function", used);
			e = -ENOTUNIQ;
			goto next;
		} else {
			pr_err("splice: %s: jump label at %pS: key %s not found in %s\n",
			       mod->name, (void *)r->site, name, objname ? objname : "vmlinux");
			e = -ENOENT;
			goto next;
		}
		/* PC64: S + A - P, P the key field; always fits */
		vals[i] = addr + r->addend - (unsigned long)&entry->key;
		fields[i] = &entry->key;
		n++;
next:
		if (e && !*err)
			*err = e;
	}
	return n;
}

/* Write every EARLY record of @mod's tables, or none; 0 or a negative errno. */
static int splice_early_apply(struct module *mod)
{
	const struct splice_relocs **tabs;
	unsigned int ntabs, i, total = 0;
	long ***fields;
	u64 **vals;
	int err = 0;
	u32 j;

	ntabs = splice_early_tables(mod, NULL, 0);
	if (!ntabs)
		return 0;
	tabs = kcalloc(ntabs, sizeof(*tabs), GFP_KERNEL);
	vals = kcalloc(ntabs, sizeof(*vals), GFP_KERNEL);
	fields = kcalloc(ntabs, sizeof(*fields), GFP_KERNEL);
	if (!tabs || !vals || !fields) {
		err = -ENOMEM;
		goto out;
	}
	if (splice_early_tables(mod, tabs, ntabs) != ntabs) {
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < ntabs; i++) {
		if (!splice_relocs_valid(mod, tabs[i])) {
			pr_err("splice: %s: malformed relocation table\n", mod->name);
			err = -EINVAL;
			goto out;
		}
		vals[i] = kvcalloc(tabs[i]->nrelocs ? tabs[i]->nrelocs : 1, sizeof(**vals),
				   GFP_KERNEL);
		fields[i] = kvcalloc(tabs[i]->nrelocs ? tabs[i]->nrelocs : 1, sizeof(**fields),
				     GFP_KERNEL);
		if (!vals[i] || !fields[i]) {
			err = -ENOMEM;
			goto out;
		}
	}
	/* resolve all, report every failure, then refuse once */
	for (i = 0; i < ntabs; i++)
		total += splice_early_resolve(mod, tabs[i], vals[i], fields[i], &err);
	if (err) {
		pr_err("splice: %s: jump-label keys of the new code unresolved, load refused\n",
		       mod->name);
		goto out;
	}
	/*
	 * __jump_table is ro_after_init, still writable while the module is
	 * COMING; text_poke() (as reloc.c writes) does not depend on it.
	 */
	mutex_lock(splice_ksym.text_mutex);
	for (i = 0; i < ntabs; i++)
		for (j = 0; j < tabs[i]->nrelocs; j++)
			if (fields[i][j])
				splice_ksym.text_poke(fields[i][j], &vals[i][j], sizeof(vals[i][j]));
	mutex_unlock(splice_ksym.text_mutex);
	if (total)
		pr_info("splice: %s: %u jump-label keys of the new code written at load\n",
			mod->name, total);
out:
	for (i = 0; vals && fields && i < ntabs; i++) {
		kvfree(vals[i]);
		kvfree(fields[i]);
	}
	kfree(fields);
	kfree(vals);
	kfree(tabs);
	return err;
}

static int splice_early_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	if (state != MODULE_STATE_COMING)
		return NOTIFY_DONE;
	return notifier_from_errno(splice_early_apply(data));
}

/* Before kernel/jump_label.c's notifier (priority 1), and before any other. */
static struct notifier_block splice_early_nb = {
	.notifier_call = splice_early_notify,
	.priority = INT_MAX,
};

int splice_early_init(void)
{
	return register_module_notifier(&splice_early_nb);
}

void splice_early_exit(void)
{
	unregister_module_notifier(&splice_early_nb);
}
