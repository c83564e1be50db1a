// SPDX-License-Identifier: GPL-2.0
/*
 * The pre/post differ, as a pipeline of named phases (kpatch's
 * create-diff-object has the same shape):
 *
 *   collect     every function and data object of each side becomes an item
 *   attribute   special-section entries and code fragments find their owner
 *   reference   which items each item's relocations point into
 *   correlate   pair pre and post items
 *   compare     mark each pair UNCHANGED or CHANGED; the rest NEW / REMOVED
 *   propagate   users of changed read-only data change; .cold parts take
 *               their parent along
 *   refuse      collect every change that can't be spliced
 *   report      findings, sorted
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/diff.h"

/* ------------------------------------------------------------ findings */

static int add_finding(struct differ *d, enum om_finding_kind kind,
		       const char *name, char *reason, char *where)
{
	struct om_finding *f = calloc(1, sizeof(*f));
	int err;

	if (!f) {
		free(reason);
		free(where);
		return -ENOMEM;
	}
	f->kind = kind;
	f->name = strdup(name);
	f->reason = reason;
	f->where = where;
	if (!f->name) {
		free(reason);
		free(where);
		free(f);
		return -ENOMEM;
	}
	err = om_vec_push(&d->findings, f);
	if (err) {
		free(f->name);
		free(reason);
		free(where);
		free(f);
	}
	return err;
}

int add_refusal(struct differ *d, const struct om_object *obj,
		const struct om_section *sec, const struct om_symbol *sym,
		const char *name, const char *fmt, ...)
{
	char *reason = NULL, *where;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	va_end(ap);
	where = om_where(obj, sec, sym);
	if (!reason || !where) {
		free(reason);
		free(where);
		return -ENOMEM;
	}
	om_log(d->opts, OM_LOG_WARN, "%s: %s", where, reason);
	d->nrefusals++;
	return add_finding(d, OM_F_REFUSE, name, reason, where);
}

const char *om_finding_kind_name(enum om_finding_kind kind)
{
	switch (kind) {
	case OM_F_CHANGED:	return "changed";
	case OM_F_NEW:		return "new";
	case OM_F_REMOVED:	return "removed";
	case OM_F_DATA_CHANGED:	return "data-changed";
	case OM_F_NEW_DATA:	return "new-data";
	case OM_F_NEW_EXPORT:	return "new-export";
	case OM_F_REFUSE:	return "refuse";
	}
	return "?";
}

/* ------------------------------------------------------------ collect */

/* Where a section's contents fit in the model. */
enum sec_role {
	ROLE_IGNORED,
	ROLE_SPECIAL,
	ROLE_FRAGMENT,
	ROLE_STRINGS,
	ROLE_ITEMS,	/* code or data holding functions/objects */
	ROLE_OTHER,	/* anything else: compared whole */
};

static enum sec_role section_role(const struct om_section *sec)
{
	if (arch_is_ignored_section(sec->name) || (sec->flags & OM_SEC_DEBUG))
		return ROLE_IGNORED;
	if (arch_special(sec->name))
		return ROLE_SPECIAL;
	if (arch_is_fragment_section(sec->name))
		return ROLE_FRAGMENT;
	if (section_is_string(sec))
		return ROLE_STRINGS;
	return ROLE_OTHER;	/* ROLE_ITEMS once an item is found in it */
}

/*
 * Writable data the new code brings its own copy of (docs/new-code.md): a
 * pr_debug() descriptor (struct _ddebug in __dyndbg) belongs to its call
 * site, and splice-mknew keeps the descriptors of the new code in the new
 * module, which the module loader registers with dynamic debug.  A changed
 * one (pr_debug("old") -> pr_debug("new")) is no refusal: like read-only
 * data, it changes the functions that use it.  Nor is one a function no
 * longer uses: its only state is whether the call site prints.
 */
static bool is_carried_section(const struct om_section *sec)
{
	return !strcmp(sec->name, "__dyndbg");
}

static int collect(struct side *s)
{
	const struct om_object *obj = s->obj;
	size_t i;

	s->items = calloc(obj->nsyms + 1, sizeof(*s->items));
	s->by_sym = calloc(obj->nsyms + 1, sizeof(*s->by_sym));
	s->entries = calloc(obj->nsecs + 1, sizeof(*s->entries));
	s->nentries = calloc(obj->nsecs + 1, sizeof(*s->nentries));
	s->frags = calloc(obj->nsecs + 1, sizeof(*s->frags));
	s->nfrags = calloc(obj->nsecs + 1, sizeof(*s->nfrags));
	if (!s->items || !s->by_sym || !s->entries || !s->nentries ||
	    !s->frags || !s->nfrags)
		return -ENOMEM;
	for (i = 0; i < obj->nsyms; i++) {
		const struct om_symbol *sym = &obj->syms[i];
		struct item *it;

		if (!sym->sec || (sym->type != OM_SYM_FUNC && sym->type != OM_SYM_OBJECT))
			continue;
		if (section_role(sym->sec) != ROLE_OTHER || !(sym->sec->flags & OM_SEC_ALLOC))
			continue;
		it = &s->items[s->nitems++];
		it->sym = sym;
		it->side = s;
		it->is_func = sym->type == OM_SYM_FUNC;
		it->writable = !!(sym->sec->flags & OM_SEC_WRITE);
		it->init = arch_is_init_section(sym->sec->name);
		it->static_local = !it->is_func && sym->bind == OM_BIND_LOCAL &&
				   is_static_local_name(sym->name);
		it->carried = !it->is_func && is_carried_section(sym->sec);
		s->by_sym[i] = it;
	}
	return 0;
}

static bool section_has_items(const struct side *s, const struct om_section *sec)
{
	size_t i;

	for (i = 0; i < sec->nsyms; i++)
		if (s->by_sym[sec->syms[i]->index])
			return true;
	return false;
}

/* ------------------------------------------------------------ reference */

static int reference(struct side *s)
{
	size_t i, k;
	int err;

	for (i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];
		const struct om_section *sec = it->sym->sec;
		uint64_t end = it->sym->value + it->sym->size;

		for (k = om_reloc_lower_bound(sec, it->sym->value);
		     k < sec->nrelocs && sec->relocs[k].offset < end; k++) {
			struct target t;

			if (resolve_target(s, sec, &sec->relocs[k], &t) < 0 ||
			    t.kind != T_ITEM || t.item == it)
				continue;
			err = om_vec_push(&it->refs, t.item);
			if (!err)
				err = om_vec_push(&t.item->users, it);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ compare */

static int compare(struct differ *d)
{
	size_t i;
	int ret;

	for (i = 0; i < d->pre.nitems; i++) {
		struct item *a = &d->pre.items[i];
		char *why = NULL;

		if (!a->twin) {
			a->state = OM_REMOVED;
			continue;
		}
		ret = compare_items(d, a, a->twin, &why);
		/* not understood: changed, and refuse_items() says why */
		if (ret == -ENOTSUP) {
			a->twin->not_understood = true;
			ret = 0;
		}
		if (ret < 0) {
			free(why);
			return ret;
		}
		a->state = a->twin->state = ret ? OM_UNCHANGED : OM_CHANGED;
		a->twin->why = why;
		if (!ret)
			om_diag(d->opts, OM_LOG_INFO, d->post.obj, a->twin->sym->sec,
				a->twin->sym, 0, "changed: %s", why ? why : "?");
		else
			free(why);
	}
	for (i = 0; i < d->post.nitems; i++)
		if (!d->post.items[i].twin)
			d->post.items[i].state = OM_NEW;
	return 0;
}

/* ------------------------------------------------------------ propagate */

static void mark_changed(struct item *it, char *why)
{
	if (it->state != OM_UNCHANGED) {
		free(why);
		return;
	}
	it->state = OM_CHANGED;
	if (it->twin)
		it->twin->state = OM_CHANGED;
	free(it->why);
	it->why = why;
}

static const char *cold_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".cold") ? name + n - 5 : NULL;
}

static int propagate(struct differ *d)
{
	bool again = true;
	size_t i, u;

	/*
	 * A function that uses changed read-only data must run the new
	 * copy, which comes with the new function; so must anything that
	 * reaches it through other read-only data.
	 */
	while (again) {
		again = false;
		for (i = 0; i < d->post.nitems; i++) {
			struct item *it = &d->post.items[i];

			if (it->is_func || (it->writable && !it->carried) ||
			    it->state != OM_CHANGED)
				continue;
			for (u = 0; u < it->users.n; u++) {
				struct item *user = it->users.v[u];

				if (user->state != OM_UNCHANGED)
					continue;
				if (!user->is_func && user->writable)
					continue;
				mark_changed(user, om_strdup_printf(
					"uses changed %s %s", it->carried ? "call-site data" :
					"read-only data", it->sym->name));
				again = true;
			}
		}
	}
	/*
	 * f.cold is entered by jumps from f into its middle; only a new f
	 * can reach a new f.cold.
	 */
	for (i = 0; i < d->post.nitems; i++) {
		struct item *it = &d->post.items[i];
		const char *suf = cold_suffix(it->sym->name);
		struct om_symbol *parent;
		char *pname;

		if (!it->is_func || !suf || it->state == OM_UNCHANGED)
			continue;
		pname = strndup(it->sym->name, (size_t)(suf - it->sym->name));
		if (!pname)
			return -ENOMEM;
		for (parent = om_symbol_by_name(d->post.obj, pname); parent;
		     parent = om_symbol_next_same(d->post.obj, parent)) {
			struct item *p = d->post.by_sym[parent->index];

			if (p && p->is_func)
				mark_changed(p, om_strdup_printf("its part %s changed",
								 it->sym->name));
		}
		free(pname);
	}
	return 0;
}

/* ------------------------------------------------------------ refuse */

/* Does a __mcount_loc entry of @it point at its start + @off? */
static bool has_mcount_entry(const struct item *it, uint64_t off)
{
	size_t i;

	for (i = 0; i < it->entries.n; i++) {
		const struct entry *e = it->entries.v[i];
		const struct om_section *sec = e->sec;
		size_t k;

		if (strcmp(sec->name, "__mcount_loc"))
			continue;
		k = om_reloc_lower_bound(sec, e->offset);
		if (k < sec->nrelocs && sec->relocs[k].offset == e->offset &&
		    sec->relocs[k].sym &&
		    wrap_add((int64_t)sec->relocs[k].sym->value, sec->relocs[k].addend) ==
		    (int64_t)(it->sym->value + off))
			return true;
	}
	return false;
}

static bool refers_to(const struct item *user, const struct item *target)
{
	size_t i;

	for (i = 0; i < user->refs.n; i++)
		if (user->refs.v[i] == target)
			return true;
	return false;
}

/* A relocation in @it's range of a type the arch code doesn't know. */
static const struct om_reloc *unknown_reloc(const struct item *it)
{
	const struct om_section *sec = it->sym->sec;
	uint64_t end = it->sym->value + it->sym->size;
	size_t k;

	for (k = om_reloc_lower_bound(sec, it->sym->value);
	     k < sec->nrelocs && sec->relocs[k].offset < end; k++)
		if (!arch_reloc(sec->relocs[k].type))
			return &sec->relocs[k];
	return NULL;
}

/*
 * Hooks (<splice/patch.h>, splice-patch(7)): the records of .splice.hooks,
 * {u32 magic, u32 stage, u32 line, u32 0, fn, name}.  A changed initial
 * value of a global is no refusal when a hook of the apply side
 * (pre_apply, apply, post_apply: stages 1-3) sets the running kernel's
 * copy: its function refers to the variable, directly or through
 * functions it calls.  Example: mm/util.c's
 *
 *	int sysctl_overcommit_ratio = 60;	(was 50)
 *	static void ratio_apply(void) { sysctl_overcommit_ratio = 60; }
 *	splice_apply(ratio_apply);
 */
#define HOOK_SECTION	".splice.hooks"
#define HOOK_SIZE	32
#define HOOK_APPLY_LAST	3	/* post_apply */

static bool reaches(const struct side *s, const struct item *f, const struct item *data,
		    bool *seen)
{
	size_t i;

	if (seen[f - s->items])
		return false;
	seen[f - s->items] = true;
	for (i = 0; i < f->refs.n; i++) {
		const struct item *t = f->refs.v[i];

		if (t == data || (t->is_func && reaches(s, t, data, seen)))
			return true;
	}
	return false;
}

/* The hook of the apply side that sets @data, in *@by (NULL: none). */
static int hook_handles(const struct side *post, const struct item *data,
			const struct item **by)
{
	bool *seen, yes = false;
	size_t i, k;

	*by = NULL;
	seen = calloc(post->nitems + 1, sizeof(*seen));
	if (!seen)
		return -ENOMEM;
	for (i = 0; !yes && i < post->nitems; i++) {
		const struct item *h = &post->items[i];
		const struct om_symbol *sym = h->sym;
		uint32_t stage;

		if (h->is_func || strcmp(sym->sec->name, HOOK_SECTION) || !sym->sec->data ||
		    sym->size != HOOK_SIZE || sym->value + HOOK_SIZE > sym->sec->size)
			continue;
		memcpy(&stage, sym->sec->data + sym->value + 4, sizeof(stage));
		if (stage < 1 || stage > HOOK_APPLY_LAST)
			continue;
		for (k = 0; !yes && k < h->refs.n; k++) {
			const struct item *f = h->refs.v[k];

			memset(seen, 0, post->nitems * sizeof(*seen));
			yes = f->is_func && reaches(post, f, data, seen);
			if (yes)
				*by = f;
		}
	}
	free(seen);
	return 0;
}

static int refuse_items(struct differ *d)
{
	const struct om_object *post = d->post.obj;
	size_t i, r;
	int err = 0;

	for (i = 0; !err && i < d->post.nitems; i++) {
		struct item *it = &d->post.items[i];
		const struct om_symbol *sym = it->sym;

		if (it->state == OM_UNCHANGED)
			continue;
		if (it->init && it->is_func) {
			err = add_refusal(d, post, sym->sec, sym, sym->name,
					  "%s __init code (it ran at boot and is gone)",
					  it->state == OM_NEW ? "new" : "changed");
			continue;
		}
		if (it->init) {
			err = add_refusal(d, post, sym->sec, sym, sym->name,
					  "%s __init data",
					  it->state == OM_NEW ? "new" : "changed");
			continue;
		}
		if (it->is_func && arch_unsafe_text(sym->sec->name)) {
			err = add_refusal(d, post, sym->sec, sym, sym->name, "%s %s",
					  it->state == OM_NEW ? "new" : "changed",
					  arch_unsafe_text(sym->sec->name));
			continue;
		}
		if (it->is_func) {
			const struct om_reloc *bad = unknown_reloc(it);

			if (bad) {
				err = add_refusal(d, post, sym->sec, sym, sym->name,
						  "relocation type %u at +0x%llx not understood",
						  bad->type,
						  (unsigned long long)(bad->offset - sym->value));
				continue;
			}
		}
		if (it->not_understood) {
			err = add_refusal(d, post, sym->sec, sym, sym->name,
					  "not understood: %s", it->why ? it->why : "?");
			continue;
		}
		if (it->state != OM_CHANGED)
			continue;
		if (!it->is_func && it->writable && !it->carried) {
			err = hook_handles(&d->post, it, &it->hooked_by);
			if (!err && !it->hooked_by)
				err = add_refusal(d, post, sym->sec, sym, sym->name,
						  "changed %s data (the running kernel's copy can't be "
						  "replaced): add a splice_apply() hook that sets it "
						  "(splice-patch(7))",
						  sym->sec->data ? "initialised" : "zero-initialised");
			continue;
		}
		if (it->is_func && !cold_suffix(sym->name)) {
			/* splice-core writes the jump after endbr64 and ftrace's site */
			unsigned int endbr = arch_entry_endbr(sym);
			unsigned int fentry = arch_fentry_size(sym, has_mcount_entry(it, endbr));
			unsigned int need = endbr + fentry + arch_jump_size();

			if (sym->size < need)
				err = add_refusal(d, post, sym->sec, sym, sym->name,
						  "too short for a %u-byte jump%s%s%s (%llu bytes)",
						  arch_jump_size(), endbr || fentry ? " after its " : "",
						  endbr ? (fentry ? "endbr64 and " : "endbr64") : "",
						  fentry ? "ftrace site" : "",
						  (unsigned long long)sym->size);
		}
	}

	/*
	 * A static local keeps its state in the running kernel.  If the new
	 * function no longer uses it and no post variable is the same one
	 * (correlate.c), state would be lost.  One still paired is not lost:
	 * another part of the function, or another function, uses it, and the
	 * new code reaches the running kernel's copy (docs/new-code.md).
	 */
	for (i = 0; !err && i < d->pre.nitems; i++) {
		struct item *f = &d->pre.items[i], *g = f->twin;

		if (!f->is_func || !g)
			continue;
		for (r = 0; !err && r < f->refs.n; r++) {
			struct item *c = f->refs.v[r];

			if (!c->static_local || !c->writable || c->carried)
				continue;
			if (c->twin && (refers_to(g, c->twin) || c->twin->users.n))
				continue;
			if (r && f->refs.v[r - 1] == c)
				continue;
			err = add_refusal(d, post, g->sym->sec, g->sym, g->sym->name,
					  "no longer references static local %s",
					  c->sym->name);
		}
	}
	return err;
}

/* Entries that belong to no function must be the same on both sides. */
static int refuse_orphans(struct differ *d)
{
	const struct side *a = &d->pre, *b = &d->post;
	size_t i = 0, j = 0;
	char *why = NULL;
	int ret;

	while (i < a->orphans.n || j < b->orphans.n) {
		const struct entry *ea = i < a->orphans.n ? a->orphans.v[i] : NULL;
		const struct entry *eb = j < b->orphans.n ? b->orphans.v[j] : NULL;

		if (ea && eb && !strcmp(ea->sec->name, eb->sec->name)) {
			ret = compare_entries(d, ea, eb, &why);
			free(why);
			why = NULL;
			if (ret < 0 && ret != -ENOTSUP)
				return ret;
			if (ret == 1) {
				i++;
				j++;
				continue;
			}
		}
		eb = eb ? eb : ea;
		return add_refusal(d, d->post.obj, eb->sec, NULL, eb->sec->name,
				   "entries that belong to no function changed (entry %zu)",
				   eb->index);
	}
	return 0;
}

/*
 * Tables the kernel reads by name at boot or module load: entries pointing
 * at a changed function are harmless (the old function is redirected), but
 * any change to the table itself is not something splicing can do.
 */
static bool is_kernel_table(const char *name)
{
	static const char *const prefixes[] = {
		"__ksymtab", "___ksymtab", ".initcall", "__syscalls_metadata",
		"_ftrace_events", "__tracepoints", "__param", ".export_symbol",
		"__kcrctab", ".con_initcall", ".security_initcall",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Sections whose names say "ordinary code or data". */
static bool is_plain_section(const char *name)
{
	static const char *const prefixes[] = {
		".text", ".data", ".rodata", ".bss", ".tdata", ".tbss",
		".init.", ".exit.", ".ref.", ".meminit.",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* A relocation of @sec pointing into a changed or new post function. */
static const struct item *points_at_change(const struct side *s,
					   const struct om_section *sec)
{
	size_t k;

	for (k = 0; k < sec->nrelocs; k++) {
		struct target t;

		if (resolve_target(s, sec, &sec->relocs[k], &t) == 0 &&
		    t.kind == T_ITEM && t.item->is_func &&
		    t.item->state != OM_UNCHANGED)
			return t.item;
	}
	return NULL;
}

/*
 * 6.12's exports: one ".export_symbol" section per unit, an entry per
 * EXPORT_SYMBOL() labelled __export_symbol_NAME.  New labels are new
 * exports, reported as on 6.1 (new-export, not carried), and the byte
 * comparison of the section, shifted by them, is skipped; a label the
 * post object lost is an export removed: refused.  Returns 1 when it
 * judged @b, 0 when the section is an ordinary kernel table (no new
 * label: compared as one), or a negative errno.
 */
#define EXPORT_LABEL "__export_symbol_"
static int export_symbol_changes(struct differ *d, const struct om_section *a,
				 const struct om_section *b)
{
	const struct om_object *pre = d->pre.obj, *post = d->post.obj;
	size_t n = strlen(EXPORT_LABEL), i, added = 0;
	int err = 0;

	if (strcmp(b->name, ".export_symbol"))
		return 0;
	for (i = 0; i < post->nsyms; i++) {
		const struct om_symbol *y = &post->syms[i];
		const struct om_symbol *x;

		if (y->sec != b || strncmp(y->name, EXPORT_LABEL, n))
			continue;
		for (x = a ? om_symbol_by_name(pre, y->name) : NULL; x && x->sec != a;
		     x = om_symbol_next_same(pre, x))
			;
		if (x)
			continue;
		added++;
		err = add_finding(d, OM_F_NEW_EXPORT, y->name + n, NULL, NULL);
		if (err)
			return err;
	}
	for (i = 0; a && i < pre->nsyms; i++) {
		const struct om_symbol *x = &pre->syms[i];
		const struct om_symbol *y;

		if (x->sec != a || strncmp(x->name, EXPORT_LABEL, n))
			continue;
		for (y = om_symbol_by_name(post, x->name); y && y->sec != b;
		     y = om_symbol_next_same(post, y))
			;
		if (!y) {
			err = add_refusal(d, pre, a, NULL, x->name + n, "export removed");
			if (err)
				return err;
			added++;	/* judged */
		}
	}
	return added ? 1 : 0;
}

static int refuse_sections(struct differ *d)
{
	const struct om_object *pre = d->pre.obj, *post = d->post.obj;
	size_t i;
	int err = 0, ret;

	for (i = 0; !err && i < post->nsecs; i++) {
		const struct om_section *b = &post->secs[i], *a;
		bool table = is_kernel_table(b->name);
		bool plain = is_plain_section(b->name);
		const struct item *user;

		if (section_role(b) != ROLE_OTHER || section_has_items(&d->post, b))
			continue;
		a = om_section_by_name(pre, b->name);
		if (a && (section_role(a) != ROLE_OTHER || section_has_items(&d->pre, a)))
			a = NULL;
		if (!table && !plain && (user = points_at_change(&d->post, b))) {
			err = add_refusal(d, post, b, NULL, b->name,
					  "section not understood has entries for changed function %s",
					  user->sym->name);
			continue;
		}
		ret = export_symbol_changes(d, a, b);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		if (!a) {
			if (plain && !(b->flags & OM_SEC_WRITE))
				continue;	/* constants new code brings along */
			if (!b->size && !b->nrelocs)
				continue;
			if (!strncmp(b->name, "___ksymtab", 10) && strchr(b->name, '+')) {
				/*
				 * ___ksymtab_gpl+free_uid: EXPORT_SYMBOL_GPL(free_uid).
				 * Not carried: the running kernel's export table
				 * can't grow, and nothing needs it to.  The update's
				 * own code (one module for every unit) calls the
				 * symbol directly; a module built against the fixed
				 * source is built for the next ABI and loads there.
				 */
				err = add_finding(d, OM_F_NEW_EXPORT, strchr(b->name, '+') + 1,
						  NULL, NULL);
				continue;
			}
			err = add_refusal(d, post, b, NULL, b->name,
					  "new section not understood");
			continue;
		}
		ret = compare_anon_sections(d, a, b);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		/* read-only constants reach their users through references */
		if (plain && !(b->flags & OM_SEC_WRITE))
			continue;
		err = add_refusal(d, post, b, NULL, b->name,
				  "%s changed", table ? "kernel table" :
				  plain ? "writable data without symbols" :
				  "section not understood");
	}
	for (i = 0; !err && i < pre->nsecs; i++) {
		const struct om_section *a = &pre->secs[i];

		if (section_role(a) != ROLE_OTHER || section_has_items(&d->pre, a) ||
		    om_section_by_name(post, a->name) || !is_kernel_table(a->name))
			continue;
		err = add_refusal(d, pre, a, NULL, a->name, "kernel table removed");
	}
	return err;
}

/* ------------------------------------------------------------ report */

static int cmp_finding(const void *x, const void *y)
{
	const struct om_finding *a = *(struct om_finding *const *)x;
	const struct om_finding *b = *(struct om_finding *const *)y;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return strcmp(a->reason ? a->reason : "", b->reason ? b->reason : "");
}

static int fill_item(struct om_item *out, struct item *it)
{
	size_t k;

	out->state = it->state;
	out->is_func = it->is_func;
	out->why = it->why;
	it->why = NULL;
	if (!it->entries.n)
		return 0;
	out->entries = calloc(it->entries.n, sizeof(*out->entries));
	if (!out->entries)
		return -ENOMEM;
	for (k = 0; k < it->entries.n; k++) {
		const struct entry *e = it->entries.v[k];

		out->entries[k].sec = e->sec;
		out->entries[k].offset = e->offset;
		out->entries[k].size = e->size;
	}
	out->nentries = it->entries.n;
	return 0;
}

/*
 * Does read-only object @sym hold a pointer to code (an operations table:
 * struct inode_operations, file_operations, ...)?  Such a table is
 * published: objects made while an update is applied keep its address.
 */
static bool holds_code_pointer(const struct om_symbol *sym)
{
	const struct om_section *sec = sym->sec;
	size_t i;

	for (i = 0; sec && i < sec->nrelocs; i++) {
		const struct om_reloc *r = &sec->relocs[i];

		if (r->offset < sym->value || r->offset >= sym->value + sym->size)
			continue;
		if (r->sym && (r->sym->type == OM_SYM_FUNC ||
			       (r->sym->sec && (r->sym->sec->flags & OM_SEC_CODE))))
			return true;
	}
	return false;
}

static int report(struct differ *d, struct om_diff *diff)
{
	size_t i, n = 0;
	int err = 0;

	diff->items = calloc(d->pre.nitems + d->post.nitems + 1, sizeof(*diff->items));
	if (!diff->items)
		return -ENOMEM;
	for (i = 0; !err && i < d->post.nitems; i++) {
		struct item *it = &d->post.items[i];
		struct om_item *o = &diff->items[n++];

		err = fill_item(o, it);
		o->post = it->sym;
		o->pre = it->twin ? it->twin->sym : NULL;
		if (err)
			break;
		if (it->is_func && it->state == OM_CHANGED) {
			diff->ncode_changes++;
			err = add_finding(d, OM_F_CHANGED, it->sym->name, NULL, NULL);
		} else if (it->is_func && it->state == OM_NEW) {
			diff->ncode_changes++;
			err = add_finding(d, OM_F_NEW, it->sym->name, NULL, NULL);
		} else if (!it->is_func && it->state == OM_CHANGED && !it->writable &&
			   holds_code_pointer(it->sym)) {
			/*
			 * A changed table of operations: the new code would hand
			 * out the update's copy (inode->i_op = &copy), which
			 * stays in the running kernel's objects after an undo
			 * unloads it (6.12's mm/shmem.c fix, a new .set_acl in
			 * shmem_inode_operations: the first stat() of a file made
			 * while it was applied crashed after the undo).
			 */
			err = add_refusal(d, d->post.obj, it->sym->sec, it->sym, it->sym->name,
					  "changed constant table of operations (it holds "
					  "function pointers): objects made while the update is "
					  "applied would keep the update's copy, which an undo "
					  "unloads");
		} else if (!it->is_func && it->state == OM_CHANGED && !it->writable) {
			err = add_finding(d, OM_F_DATA_CHANGED, it->sym->name, NULL, NULL);
		} else if (!it->is_func && it->state == OM_CHANGED && it->hooked_by) {
			/* the running kernel's copy stays; the hook sets it */
			err = add_finding(d, OM_F_DATA_CHANGED, it->sym->name,
					  om_strdup_printf("set by hook %s", it->hooked_by->sym->name),
					  NULL);
		} else if (!it->is_func && it->state == OM_NEW) {
			err = add_finding(d, OM_F_NEW_DATA, it->sym->name, NULL, NULL);
		}
	}
	for (i = 0; !err && i < d->pre.nitems; i++) {
		struct item *it = &d->pre.items[i];
		struct om_item *o;

		if (it->state != OM_REMOVED)
			continue;
		o = &diff->items[n++];
		o->pre = it->sym;
		o->state = OM_REMOVED;
		o->is_func = it->is_func;
		if (it->is_func) {
			diff->ncode_changes++;
			err = add_finding(d, OM_F_REMOVED, it->sym->name, NULL, NULL);
		}
	}
	diff->nitems = n;
	if (err)
		return err;
	if (d->findings.n)
		qsort(d->findings.v, d->findings.n, sizeof(*d->findings.v), cmp_finding);
	diff->findings = calloc(d->findings.n + 1, sizeof(*diff->findings));
	if (!diff->findings)
		return -ENOMEM;
	for (i = 0; i < d->findings.n; i++) {
		diff->findings[i] = *(struct om_finding *)d->findings.v[i];
		free(d->findings.v[i]);
	}
	diff->nfindings = d->findings.n;
	d->findings.n = 0;
	diff->nrefusals = d->nrefusals;
	return 0;
}

/* ------------------------------------------------------------ pipeline */

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; s->items && i < s->nitems; i++) {
		om_vec_free(&s->items[i].entries);
		om_vec_free(&s->items[i].refs);
		om_vec_free(&s->items[i].users);
		free(s->items[i].why);
	}
	for (i = 0; s->obj && i < s->obj->nsecs; i++) {
		if (s->entries)
			free(s->entries[i]);
		if (s->frags)
			free(s->frags[i]);
	}
	om_vec_free(&s->orphans);
	free(s->items);
	free(s->by_sym);
	free(s->entries);
	free(s->nentries);
	free(s->frags);
	free(s->nfrags);
}

static void finding_free(struct om_finding *f)
{
	free(f->name);
	free(f->reason);
	free(f->where);
}

int om_diff(const struct om_object *pre, const struct om_object *post,
	    const struct om_options *opts, struct om_diff **out)
{
	struct differ d = { .opts = opts };
	struct om_diff *diff;
	size_t i;
	int err;

	*out = NULL;
	diff = calloc(1, sizeof(*diff));
	d.pre.obj = pre;
	d.post.obj = post;
	d.anon_memo = calloc(pre->nsecs + 1, 1);
	if (!diff || !d.anon_memo) {
		err = -ENOMEM;
		goto out;
	}
	diff->pre = pre;
	diff->post = post;

	err = collect(&d.pre);
	if (!err)
		err = collect(&d.post);
	if (!err)
		err = special_attribute(&d, &d.pre);
	if (!err)
		err = special_attribute(&d, &d.post);
	if (!err)
		err = reference(&d.pre);
	if (!err)
		err = reference(&d.post);
	if (!err)
		err = correlate(&d);
	if (!err)
		err = compare(&d);
	if (!err)
		err = propagate(&d);
	if (!err)
		err = refuse_items(&d);
	if (!err)
		err = refuse_orphans(&d);
	if (!err)
		err = refuse_sections(&d);
	if (!err)
		err = report(&d, diff);
out:
	for (i = 0; i < d.findings.n; i++) {
		finding_free(d.findings.v[i]);
		free(d.findings.v[i]);
	}
	om_vec_free(&d.findings);
	side_free(&d.pre);
	side_free(&d.post);
	free(d.anon_memo);
	if (err) {
		om_diff_free(diff);
		return err;
	}
	*out = diff;
	return 0;
}

void om_diff_free(struct om_diff *diff)
{
	size_t i;

	if (!diff)
		return;
	for (i = 0; diff->items && i < diff->nitems; i++) {
		free(diff->items[i].why);
		free(diff->items[i].entries);
	}
	for (i = 0; diff->findings && i < diff->nfindings; i++)
		finding_free(&diff->findings[i]);
	free(diff->items);
	free(diff->findings);
	free(diff);
}
