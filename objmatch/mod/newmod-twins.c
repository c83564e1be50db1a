// SPDX-License-Identifier: GPL-2.0
/*
 * newmod-twins.c: what the post object's symbols are in the pre object,
 * from the differ's correlation (docs/objmatch.md), for splice-mknew
 * (newmod.c).
 *
 * A record names what run-pre matching learned, and that is a symbol of
 * the pre object.  gcc numbers function-scope statics per unit, in order
 * of appearance: a patch that adds one ("static int warned" in a new
 * function) renumbers the others, and "stfu.0" of the running kernel can
 * be "stfu.1" in the post object, while "stfu.0" there is another
 * variable.  So a record takes the name of the post symbol's twin
 * ("stfu.1" -> "stfu.0"), and a writable section is new data only if it
 * holds a data object without a twin: ".bss.stfu.1" is the running
 * kernel's ".bss.stfu.0", not a fresh zero.  The same holds for functions
 * gcc renamed ("f.constprop.1" -> "f.constprop.0").
 *
 * Read-only objects too: an unchanged named constant the running kernel
 * has ("shmem_aops", "shmem_file_operations") is the running kernel's,
 * not a copy, because code compares such tables by address
 * (shmem_mapping(): a_ops == &shmem_aops); a copy made tmpfs refuse
 * writes to the inodes the new code created.  Names the compiler made
 * ("__func__.3", "CSWTCH.12", function-scope statics "x.0") keep being
 * copied: kallsyms has many of each, and nothing compares their address.
 *
 * A new variable in a section that also holds the running kernel's
 * variables can't get a copy of its own (the section is kept or not as a
 * whole), except in .data.once: see newmod-tables.c, wanted().  A record
 * for it would name a variable the running kernel does not have, or
 * worse, another one of the same name: refused (newmod-reloc.c, label()).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mod/newmod-internal.h"

static int cmp_twin(const void *a, const void *b)
{
	return strcmp(((const struct twin *)a)->post, ((const struct twin *)b)->post);
}

static int add_twin(struct nm *n, const char *post, const char *pre)
{
	struct twin *t = realloc(n->twins, (n->ntwins + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	n->twins = t;
	t[n->ntwins].post = strdup(post);
	t[n->ntwins].pre = strdup(pre);
	if (!t[n->ntwins].post || !t[n->ntwins].pre) {
		free(t[n->ntwins].post);
		free(t[n->ntwins].pre);
		return -ENOMEM;
	}
	n->ntwins++;
	return 0;
}

int nm_read_twins(struct nm *n)
{
	struct om_object *pre = NULL, *post = NULL;
	struct om_options quiet = { .log = n->opts->log, .log_ctx = n->opts->log_ctx,
				    .log_level = OM_LOG_ERROR };
	struct om_diff *diff = NULL;
	size_t i;
	int ret;

	ret = om_object_open(n->o->pre, &quiet, &pre);
	if (!ret)
		ret = om_object_open(n->o->post, &quiet, &post);
	/* refusals are the differ's business (splice-create ran it): quiet */
	if (!ret)
		ret = om_diff(pre, post, &quiet, &diff);
	for (i = 0; !ret && i < diff->nitems; i++) {
		const struct om_item *it = &diff->items[i];
		const struct om_symbol *p = it->post;

		if (p && p->sec && !(p->sec->flags & (OM_SEC_WRITE | OM_SEC_CODE)) && !it->is_func &&
		    p->type == OM_SYM_OBJECT && p->name[0]) {
			bool twin = it->pre && it->state == OM_UNCHANGED && !strchr(p->name, '.');

			ret = nm_strset_add(twin ? &n->ro_twin_secs : &n->ro_own_secs, p->sec->name);
		} else if (!p || !p->sec || !(p->sec->flags & OM_SEC_WRITE) || it->is_func)
			;
		else if (it->pre)
			ret = nm_strset_add(&n->twin_secs, p->sec->name);
		else {
			ret = nm_strset_add(&n->new_secs, p->sec->name);
			if (!ret)
				ret = nm_strset_add(&n->new_objs, p->name);
		}
		if (!ret && p && it->pre && strcmp(p->name, it->pre->name))
			ret = add_twin(n, p->name, it->pre->name);
	}
	if (!ret)
		qsort(n->twins, n->ntwins, sizeof(*n->twins), cmp_twin);
	om_diff_free(diff);
	om_object_free(post);
	om_object_free(pre);
	return ret;
}

const char *nm_pre_name(const struct nm *n, const char *post)
{
	struct twin key = { .post = (char *)post };
	const struct twin *t = n->ntwins ? bsearch(&key, n->twins, n->ntwins, sizeof(key),
						   cmp_twin) : NULL;

	return t ? t->pre : post;
}

void nm_free_twins(struct nm *n)
{
	size_t i;

	for (i = 0; i < n->ntwins; i++) {
		free(n->twins[i].post);
		free(n->twins[i].pre);
	}
	free(n->twins);
	nm_strset_free(&n->twin_secs);
	nm_strset_free(&n->new_secs);
	nm_strset_free(&n->new_objs);
	nm_strset_free(&n->ro_twin_secs);
	nm_strset_free(&n->ro_own_secs);
}
