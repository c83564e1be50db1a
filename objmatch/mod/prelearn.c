// SPDX-License-Identifier: GPL-2.0
/*
 * prelearn.c: functions run-pre matching must match to learn where the
 * running kernel keeps the variables the new code uses (prelearn.h).
 *
 * Run-pre matching learns a variable's address from the running bytes of
 * pre code that references it, and only of the sections it matches.  A fix
 * that makes do_thing() use a static of the unit that only other_thing()
 * used, or a function-scope static its own pre code reaches only from a
 * part the compiler split off differently, would leave the new code's
 * record unresolved: so other_thing() is matched too (it is not replaced;
 * it must only be the running kernel's).  A function-scope static nothing
 * of the pre code references can't be found from the running code at all:
 * refused, naming it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/arch.h"
#include "obj/internal.h"
#include "mod/prelearn.h"

/* The data or function symbol relocation @r of code section @sec points into. */
static const struct om_symbol *reloc_target(const struct om_section *sec, const struct om_reloc *r)
{
	const struct arch_reloc *ar = arch_reloc(r->type);
	const struct om_symbol *sym = r->sym;
	int64_t off;
	unsigned int k;
	int imm;

	if (!sym || !sym->sec || !ar)
		return NULL;
	if (sym->type != OM_SYM_SECTION)
		return sym;
	off = (int64_t)sym->value + r->addend;
	if (ar->pcrel)
		off += arch_pcrel_bias(ar, !!(sec->flags & OM_SEC_CODE));
	/* an immediate may follow the displacement: its size, or the slack */
	imm = ar->pcrel && (sec->flags & OM_SEC_CODE) ?
	      arch_pcrel_imm(sec->data, sec->size, r->offset) : 0;
	for (k = imm < 0 ? 0 : (unsigned int)imm;
	     k <= (imm < 0 ? arch_pcrel_slack() : (unsigned int)imm); k++) {
		const struct om_symbol *t;

		if (off + k < 0 || (uint64_t)(off + k) >= sym->sec->size)
			break;
		t = om_symbol_at(sym->sec, (uint64_t)(off + k));
		if (t && (uint64_t)(off + k) < t->value + t->size)
			return t;
	}
	return NULL;
}

/* The function symbol called @name, or NULL. */
static const struct om_symbol *func_named(const struct om_object *obj, const char *name)
{
	const struct om_symbol *sym = om_symbol_by_name(obj, name);

	while (sym && (sym->type != OM_SYM_FUNC || !sym->sec))
		sym = om_symbol_next_same(obj, sym);
	return sym;
}

/* Does the code in section @sec (whole) reference @var? */
static bool section_uses(const struct om_section *sec, const struct om_symbol *var)
{
	size_t i;

	for (i = 0; i < sec->nrelocs; i++)
		if (reloc_target(sec, &sec->relocs[i]) == var)
			return true;
	return false;
}

/* Does function @f's code reference @var? */
static bool func_uses(const struct om_symbol *f, const struct om_symbol *var)
{
	const struct om_section *sec = f->sec;
	size_t i;

	for (i = om_reloc_lower_bound(sec, f->value);
	     i < sec->nrelocs && sec->relocs[i].offset < f->value + f->size; i++)
		if (reloc_target(sec, &sec->relocs[i]) == var)
			return true;
	return false;
}

struct learning {
	const struct om_object *pre;
	const struct om_options *opts;
	bool *matched;			/* per pre section */
	char **names;
	size_t n;
	const struct om_symbol **refused;	/* logged once each */
	size_t nrefused;
};

static int add_section_of(struct learning *l, const char *name)
{
	const struct om_symbol *f = func_named(l->pre, name);
	char cold[512];

	if (f)
		l->matched[f->sec->index] = true;
	snprintf(cold, sizeof(cold), "%s.cold", name);
	f = func_named(l->pre, cold);
	if (f)
		l->matched[f->sec->index] = true;
	return 0;
}

/* Make sure pre variable @var (used by new code of @user) is learned. */
static int learn(struct learning *l, const char *user, const struct om_symbol *var)
{
	const struct om_object *pre = l->pre;
	char **v;
	size_t i;

	for (i = 0; i < pre->nsecs; i++)
		if (l->matched[i] && section_uses(&pre->secs[i], var))
			return 0;
	for (i = 0; i < pre->nsyms; i++) {
		const struct om_symbol *f = &pre->syms[i];

		/* __init and __exit code is gone from the running kernel */
		if (f->type != OM_SYM_FUNC || !f->sec || !(f->sec->flags & OM_SEC_CODE) ||
		    arch_is_init_section(f->sec->name) || !strncmp(f->sec->name, ".exit.", 6) ||
		    !func_uses(f, var))
			continue;
		v = realloc(l->names, (l->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->names = v;
		if (!(v[l->n] = strdup(f->name)))
			return -ENOMEM;
		l->n++;
		om_log(l->opts, OM_LOG_INFO, "%s: the new code of %s uses %s: %s is matched "
		       "too, to learn where the running kernel has it", pre->name, user,
		       var->name, f->name);
		return add_section_of(l, f->name);
	}
	if (var->bind != OM_BIND_LOCAL || !strchr(var->name, '.'))
		return 0;	/* kallsyms may know it: splice-core tries, else refuses */
	for (i = 0; i < l->nrefused; i++)
		if (l->refused[i] == var)
			return -ENOTSUP;
	{
		const struct om_symbol **r = realloc(l->refused, (l->nrefused + 1) * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->refused = r;
		r[l->nrefused++] = var;
	}
	om_log(l->opts, OM_LOG_ERROR, "%s[%s]: %s: a function-scope static the new code of %s "
	       "uses and no pre code references: run-pre matching can't find the running "
	       "kernel's copy (a hook would have to give its address)", pre->name,
	       var->sec->name, var->name, user);
	return -ENOTSUP;
}

int om_pre_learn(const struct om_object *pre, const struct om_object *post,
		 const char *const *funcs, size_t n, const char *const *added, size_t nadded,
		 const struct om_options *opts, char ***learn_out, size_t *nlearn)
{
	struct om_options quiet = { .log = opts->log, .log_ctx = opts->log_ctx,
				    .log_level = OM_LOG_ERROR };
	struct learning l = { .pre = pre, .opts = opts };
	const struct om_symbol **twin = NULL;
	struct om_diff *diff = NULL;
	size_t i, k, f;
	int ret, refused = 0;

	*learn_out = NULL;
	*nlearn = 0;
	l.matched = calloc(pre->nsecs + 1, sizeof(*l.matched));
	twin = calloc(post->nsyms + 1, sizeof(*twin));
	if (!l.matched || !twin) {
		ret = -ENOMEM;
		goto out;
	}
	ret = om_diff(pre, post, &quiet, &diff);
	for (i = 0; !ret && i < diff->nitems; i++)
		if (diff->items[i].pre && diff->items[i].post)
			twin[diff->items[i].post->index] = diff->items[i].pre;
	for (f = 0; !ret && f < n; f++)
		ret = add_section_of(&l, funcs[f]);
	for (f = 0; !ret && f < n + nadded; f++) {
		const char *fn = f < n ? funcs[f] : added[f - n];

		for (k = 0; !ret && k < 2; k++) {
			char name[512];
			const struct om_symbol *g;
			const struct om_section *sec;

			snprintf(name, sizeof(name), k ? "%s.cold" : "%s", fn);
			g = func_named(post, name);
			if (!g)
				continue;
			sec = g->sec;
			for (i = om_reloc_lower_bound(sec, g->value);
			     !ret && i < sec->nrelocs && sec->relocs[i].offset < g->value + g->size; i++) {
				const struct om_symbol *d = reloc_target(sec, &sec->relocs[i]);

				/* pr_debug() descriptors come with the new code */
				if (!d || d->type != OM_SYM_OBJECT || !(d->sec->flags & OM_SEC_WRITE) ||
				    !twin[d->index] || !strcmp(d->sec->name, "__dyndbg"))
					continue;
				ret = learn(&l, fn, twin[d->index]);
				if (ret == -ENOTSUP) {
					refused++;
					ret = 0;
				}
			}
		}
	}
	if (!ret && refused)
		ret = -ENOTSUP;
out:
	om_diff_free(diff);
	free(twin);
	free(l.matched);
	free(l.refused);
	if (ret) {
		for (i = 0; i < l.n; i++)
			free(l.names[i]);
		free(l.names);
		return ret;
	}
	*learn_out = l.names;
	*nlearn = l.n;
	return 0;
}
