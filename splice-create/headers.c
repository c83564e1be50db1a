// SPDX-License-Identifier: GPL-2.0
/*
 * What a header change changes, definition by definition.
 *
 * A one-line change to a static inline of include/linux/kernel_stat.h is
 * read by thousands of units, and used by one.  Two comparisons, both of
 * top-level items (items.c), tell which:
 *
 *  - sc_header_diff(): the header before and after the patch.  The items
 *    that differ (by their tokens: a comment or spacing is no change) are
 *    the changed definitions, and their names -- `kstat_cpu_irqs_sum` --
 *    are what a unit must use to be affected (units.c looks for them).  A
 *    changed `#if`/`#else`/`#endif` changes every item of its group.  An
 *    #include or #pragma that changed, a changed item that defines no
 *    name, or a changed macro invocation (TRACE_EVENT(foo, ...) defines
 *    trace_foo() by pasting) can't be followed by name: "unknown", every
 *    unit that reads the header is looked at.
 *
 *  - sc_pp_compare(): a unit's preprocessed text (gcc -E with kbuild's own
 *    flags) before and after.  Macros are expanded and #if conditions
 *    decided there, for this configuration: a macro change shows where the
 *    macro is used, a change under a false #if doesn't show at all.  But
 *    every unit that reads the header holds the changed inline's text, so
 *    differing text is not enough: the unit is affected if an item that
 *    emits code or data (a function that isn't inline, a variable) differs,
 *    or mentions a definition that differs, directly or through other
 *    definitions (an inline calling the changed inline).  Those are the
 *    units to compile.
 *
 * Types: a struct or union whose definition changed in a unit's
 * preprocessed text and that code the unit emits uses (through any chain
 * of definitions) is reported, to be refused (the layout of data the
 * running kernel already holds would change; phases.c says "unless a hook
 * handles it").  Any change of the definition's tokens counts: that the
 * layout stayed the same (a member renamed) is not proven.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

/* ------------------------------------------------------------ item diff */

/* uint64 -> count, open addressing */
struct counts {
	uint64_t *key;
	size_t *val;
	bool *used;
	size_t size;
};

static int counts_init(struct counts *c, size_t n)
{
	c->size = 16;
	while (c->size < n * 2)
		c->size *= 2;
	c->key = calloc(c->size, sizeof(*c->key));
	c->val = calloc(c->size, sizeof(*c->val));
	c->used = calloc(c->size, sizeof(*c->used));
	if (!c->key || !c->val || !c->used)
		return -ENOMEM;
	return 0;
}

static size_t *counts_at(struct counts *c, uint64_t k)
{
	size_t j = (size_t)(k ^ (k >> 29)) & (c->size - 1);

	while (c->used[j] && c->key[j] != k)
		j = (j + 1) & (c->size - 1);
	if (!c->used[j]) {
		c->used[j] = true;
		c->key[j] = k;
		c->val[j] = 0;
	}
	return &c->val[j];
}

static void counts_free(struct counts *c)
{
	free(c->key);
	free(c->val);
	free(c->used);
}

/*
 * Mark in @ca/@cb the items of @a (@n hashes) and @b (@m) that the other
 * side has no equal of.  The common head and tail are equal; in between,
 * items are matched as a multiset, and if the matched ones are not in the
 * same order (something moved), all of the middle counts as changed.
 */
static int diff_hashes(const uint64_t *a, size_t n, const uint64_t *b, size_t m, bool *ca,
		       bool *cb)
{
	struct counts ka = { 0 }, kb = { 0 };
	size_t p = 0, s = 0, i, j;
	int err;

	while (p < n && p < m && a[p] == b[p])
		p++;
	while (s < n - p && s < m - p && a[n - 1 - s] == b[m - 1 - s])
		s++;
	err = counts_init(&ka, n - p - s);
	if (!err)
		err = counts_init(&kb, m - p - s);
	if (err)
		goto out;
	for (i = p; i < n - s; i++)
		(*counts_at(&ka, a[i]))++;
	for (i = p; i < m - s; i++)
		(*counts_at(&kb, b[i]))++;
	/* a's items without an equal in b, then b's without one in a */
	for (i = p; i < n - s; i++) {
		size_t *c = counts_at(&kb, a[i]);

		ca[i] = *c == 0;
		if (*c)
			(*c)--;
	}
	for (i = p; i < m - s; i++) {
		size_t *c = counts_at(&ka, b[i]);

		cb[i] = *c == 0;
		if (*c)
			(*c)--;
	}
	/* the matched ones, in order on both sides? */
	for (i = p, j = p;; i++, j++) {
		while (i < n - s && ca[i])
			i++;
		while (j < m - s && cb[j])
			j++;
		if (i >= n - s || j >= m - s) {
			if (i < n - s || j < m - s)
				goto moved;
			break;
		}
		if (a[i] != b[j])
			goto moved;
	}
	goto out;
moved:
	for (i = p; i < n - s; i++)
		ca[i] = true;
	for (i = p; i < m - s; i++)
		cb[i] = true;
out:
	counts_free(&ka);
	counts_free(&kb);
	return err;
}

/* The hashes of @it's items, line markers left out; @map: item of each. */
static int item_hashes(const struct sc_items *it, uint64_t **h, size_t **map, size_t *n)
{
	size_t i;

	*n = 0;
	*h = malloc((it->n + 1) * sizeof(**h));
	*map = malloc((it->n + 1) * sizeof(**map));
	if (!*h || !*map)
		return -ENOMEM;
	for (i = 0; i < it->n; i++) {
		if (it->v[i].kind == SC_ITEM_LINE)
			continue;
		(*h)[*n] = it->v[i].hash;
		(*map)[*n] = i;
		(*n)++;
	}
	return 0;
}

/* ------------------------------------------------------------ the header */

/*
 * Every item of the #if group that @c (a changed conditional) belongs to:
 * from its #if to its #endif, and the items that enclose those lines (a
 * struct with an #ifdef inside).  -EINVAL if the group is unbalanced.
 */
static int mark_group(const struct sc_items *it, bool *changed, size_t c)
{
	size_t open = c, close = c, i;
	int depth = 0;

	/* back to the group's #if */
	if (it->v[c].cond <= 0) {
		depth = 0;
		for (open = c; open-- > 0;) {
			if (it->v[open].kind != SC_ITEM_COND)
				continue;
			if (it->v[open].cond < 0)
				depth++;
			else if (it->v[open].cond > 0 && depth-- == 0)
				break;
		}
		if (open == SIZE_MAX)
			return -EINVAL;
	}
	/* forward to its #endif */
	depth = 0;
	for (close = open + 1; close < it->n; close++) {
		if (it->v[close].kind != SC_ITEM_COND)
			continue;
		if (it->v[close].cond > 0)
			depth++;
		else if (it->v[close].cond < 0 && depth-- == 0)
			break;
	}
	if (close >= it->n)
		return -EINVAL;
	for (i = 0; i < it->n; i++)
		if ((i >= open && i <= close) ||
		    (it->v[i].start < it->v[close].end && it->v[i].end > it->v[open].start))
			changed[i] = true;
	return 0;
}

static int set_unknown(struct sc_header_change *hc, const char *why, const struct sc_items *it,
		       const struct sc_item *item)
{
	size_t n = item->end - item->start;

	if (hc->unknown)
		return 0;
	if (n > 60)
		n = 60;
	if (asprintf(&hc->unknown, "%s: %s (%.*s)", hc->path, why, (int)n,
		     it->text + item->start) < 0) {
		hc->unknown = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Names and types of @it's changed items. */
static int collect(struct sc_header_change *hc, const struct sc_items *it, const bool *changed,
		   struct sc_strv *aggregates)
{
	size_t i, len;
	int err = 0;

	for (i = 0; !err && i < it->n; i++) {
		const struct sc_item *item = &it->v[i];

		if (!changed[i])
			continue;
		switch (item->kind) {
		case SC_ITEM_COND:
		case SC_ITEM_LINE:
			break;	/* a condition's group is marked changed */
		case SC_ITEM_INCLUDE:
			err = set_unknown(hc, "an #include changed", it, item);
			break;
		case SC_ITEM_OTHER:
			/* #error and #warning make no code */
			if (item->ntok < 2 ||
			    (!(it->toks[it->ix[item->tok + 1]].len == 5 &&
			       !memcmp(it->text + it->toks[it->ix[item->tok + 1]].off, "error", 5)) &&
			     !(it->toks[it->ix[item->tok + 1]].len == 7 &&
			       !memcmp(it->text + it->toks[it->ix[item->tok + 1]].off, "warning", 7))))
				err = set_unknown(hc, "a directive changed", it, item);
			break;
		default:
			if (item->ntok == 1 && it->toks[it->ix[item->tok]].len == 1 &&
			    it->text[it->toks[it->ix[item->tok]].off] == ';')
				break;	/* a lone ';' */
			if (!item->nname) {
				err = set_unknown(hc, "a changed item defines no name", it, item);
				break;
			}
			/*
			 * TRACE_EVENT(foo, ...) defines trace_foo() and more, by
			 * pasting: what a macro invocation defines can't be told
			 */
			if (item->macro_call) {
				err = set_unknown(hc, "a macro invocation changed", it, item);
				break;
			}
			err = sc_item_add_names(it, item, &hc->names);
			if (err > 0)
				err = 0;
			if (!err && item->aggregate) {
				const char *s = sc_item_name(it, item, 0, &len);
				char *name;

				if (asprintf(&name, "%s %.*s", item->aggregate == 'u' ? "union" : "struct",
					     (int)len, s) < 0)
					return -ENOMEM;
				err = sc_strv_add(aggregates, name);
				free(name);
			}
			break;
		}
	}
	return err;
}

static int diff_header(struct sc_header_change *hc)
{
	uint64_t *ha = NULL, *hb = NULL;
	size_t *ma = NULL, *mb = NULL, na, nb, i;
	bool *ca = NULL, *cb = NULL;
	struct sc_strv agg_pre = { 0 }, agg_post = { 0 };
	int err;

	err = item_hashes(&hc->pre_items, &ha, &ma, &na);
	if (!err)
		err = item_hashes(&hc->post_items, &hb, &mb, &nb);
	if (err)
		goto out;
	ca = calloc(na + 1, sizeof(*ca));
	cb = calloc(nb + 1, sizeof(*cb));
	hc->pre_changed = calloc(hc->pre_items.n + 1, sizeof(bool));
	hc->post_changed = calloc(hc->post_items.n + 1, sizeof(bool));
	if (!ca || !cb || !hc->pre_changed || !hc->post_changed) {
		err = -ENOMEM;
		goto out;
	}
	err = diff_hashes(ha, na, hb, nb, ca, cb);
	if (err)
		goto out;
	for (i = 0; i < na; i++)
		hc->pre_changed[ma[i]] = ca[i];
	for (i = 0; i < nb; i++)
		hc->post_changed[mb[i]] = cb[i];
	/* a changed condition changes its whole group, on its side */
	for (i = 0; !err && i < hc->pre_items.n; i++)
		if (hc->pre_changed[i] && hc->pre_items.v[i].kind == SC_ITEM_COND &&
		    mark_group(&hc->pre_items, hc->pre_changed, i))
			err = set_unknown(hc, "unbalanced #if", &hc->pre_items, &hc->pre_items.v[i]);
	for (i = 0; !err && i < hc->post_items.n; i++)
		if (hc->post_changed[i] && hc->post_items.v[i].kind == SC_ITEM_COND &&
		    mark_group(&hc->post_items, hc->post_changed, i))
			err = set_unknown(hc, "unbalanced #if", &hc->post_items, &hc->post_items.v[i]);
	if (!err)
		err = collect(hc, &hc->pre_items, hc->pre_changed, &agg_pre);
	if (!err)
		err = collect(hc, &hc->post_items, hc->post_changed, &agg_post);
	/* a type changed: defined on both sides, differently */
	for (i = 0; !err && i < agg_pre.n; i++)
		if (sc_strv_has(&agg_post, agg_pre.v[i]) && !sc_strv_has(&hc->types, agg_pre.v[i]))
			err = sc_strv_add(&hc->types, agg_pre.v[i]);
out:
	free(ha);
	free(hb);
	free(ma);
	free(mb);
	free(ca);
	free(cb);
	sc_strv_free(&agg_pre);
	sc_strv_free(&agg_post);
	return err;
}

int sc_header_diff(const char *path, char *pre, size_t pre_len, char *post, size_t post_len,
		   struct sc_header_change *hc)
{
	int err;

	memset(hc, 0, sizeof(*hc));
	hc->pre = pre;
	hc->pre_len = pre_len;
	hc->post = post;
	hc->post_len = post_len;
	hc->path = strdup(path);
	if (!hc->path)
		return -ENOMEM;
	err = sc_items_parse(pre ? pre : "", pre ? pre_len : 0, false, &hc->pre_items);
	if (!err)
		err = sc_items_parse(post ? post : "", post ? post_len : 0, false, &hc->post_items);
	if (!err)
		err = diff_header(hc);
	return err;
}

void sc_header_change_free(struct sc_header_change *hc)
{
	free(hc->path);
	free(hc->pre);
	free(hc->post);
	sc_items_free(&hc->pre_items);
	sc_items_free(&hc->post_items);
	free(hc->pre_changed);
	free(hc->post_changed);
	sc_names_free(&hc->names);
	sc_strv_free(&hc->types);
	free(hc->unknown);
	memset(hc, 0, sizeof(*hc));
}

/* ------------------------------------------------------------ preprocessed units */

int sc_pp_summarize(const char *text, size_t len, struct sc_pp_summary *s)
{
	struct sc_items it;
	size_t i;
	int err;

	memset(s, 0, sizeof(*s));
	err = sc_items_parse(text, len, true, &it);
	if (err)
		return err;
	s->hash = malloc((it.n + 1) * sizeof(*s->hash));
	s->emits = malloc((it.n + 1) * sizeof(*s->emits));
	if (!s->hash || !s->emits) {
		sc_items_free(&it);
		sc_pp_summary_free(s);
		return -ENOMEM;
	}
	for (i = 0; i < it.n; i++) {
		if (it.v[i].kind == SC_ITEM_LINE)
			continue;
		s->hash[s->n] = it.v[i].hash;
		s->emits[s->n] = it.v[i].emits;
		s->n++;
	}
	sc_items_free(&it);
	return 0;
}

void sc_pp_summary_free(struct sc_pp_summary *s)
{
	free(s->hash);
	free(s->emits);
	memset(s, 0, sizeof(*s));
}

/*
 * Spread "dirty" from the items marked in @dirty (indexes of @map) to every
 * item that mentions a name a dirty item defines, until nothing changes;
 * true if a dirty item emits.
 */
static int spread(const struct sc_items *it, const size_t *map, size_t n, bool *dirty,
		  struct sc_names *names, bool *emits)
{
	bool more = true;
	size_t i;
	int r;

	*emits = false;
	for (i = 0; i < n; i++) {
		if (!dirty[i])
			continue;
		r = sc_item_add_names(it, &it->v[map[i]], names);
		if (r < 0)
			return r;
	}
	while (more) {
		more = false;
		for (i = 0; i < n; i++) {
			if (dirty[i] || !sc_item_mentions(it, &it->v[map[i]], names))
				continue;
			dirty[i] = true;
			r = sc_item_add_names(it, &it->v[map[i]], names);
			if (r < 0)
				return r;
			more = true;
		}
	}
	for (i = 0; i < n; i++)
		if (dirty[i] && it->v[map[i]].emits)
			*emits = true;
	return 0;
}

int sc_pp_compare(const struct sc_pp_summary *pre, const char *post, size_t post_len,
		  const struct sc_strv *types, struct sc_pp_verdict *v)
{
	struct sc_items it;
	uint64_t *hb = NULL;
	size_t *mb = NULL, nb = 0, i, t;
	bool *ca = NULL, *cb = NULL, *dirty = NULL;
	int err;

	memset(v, 0, sizeof(*v));
	err = sc_items_parse(post, post_len, true, &it);
	if (err)
		return err;
	err = item_hashes(&it, &hb, &mb, &nb);
	if (err)
		goto out;
	ca = calloc(pre->n + 1, sizeof(*ca));
	cb = calloc(nb + 1, sizeof(*cb));
	dirty = calloc(nb + 1, sizeof(*dirty));
	if (!ca || !cb || !dirty) {
		err = -ENOMEM;
		goto out;
	}
	err = diff_hashes(pre->hash, pre->n, hb, nb, ca, cb);
	if (err)
		goto out;
	for (i = 0; i < pre->n; i++) {
		if (!ca[i])
			continue;
		v->differs = true;
		if (pre->emits[i])
			v->uses = true;	/* code or data of its own went away or changed */
	}
	for (i = 0; i < nb; i++)
		v->differs |= cb[i];
	if (!v->differs)
		goto out;
	/* what the changed definitions reach */
	{
		struct sc_names dn = { 0 };
		bool emits;

		memcpy(dirty, cb, nb * sizeof(*dirty));
		err = spread(&it, mb, nb, dirty, &dn, &emits);
		sc_names_free(&dn);
		if (err)
			goto out;
		v->uses |= emits;
	}
	/* each changed type on its own: does emitted code reach it? */
	for (t = 0; !err && types && t < types->n; t++) {
		struct sc_names tn = { 0 };
		bool changed_here = false, emits = false, tagged = true;
		const char *type = strrchr(types->v[t], ' ') ? strrchr(types->v[t], ' ') + 1 :
				   types->v[t];
		size_t len;

		for (i = 0; i < nb && !changed_here; i++) {
			const struct sc_item *item = &it.v[mb[i]];
			const char *s;

			if (!cb[i] || !item->aggregate || !item->nname)
				continue;
			s = sc_item_name(&it, item, 0, &len);
			changed_here = len == strlen(type) && !memcmp(s, type, len);
			/* typedef struct { ... } foo_t: its name is no tag */
			if (changed_here) {
				size_t tk = it.names[item->name];
				const struct sc_tok *prev = tk ? &it.toks[tk - 1] : NULL;

				tagged = prev && prev->kind == SC_TOK_IDENT &&
					 ((prev->len == 6 && !memcmp(it.text + prev->off, "struct", 6)) ||
					  (prev->len == 5 && !memcmp(it.text + prev->off, "union", 5)));
			}
		}
		if (!changed_here)
			continue;
		/* the tag (struct st), or a typedef's name (foo_t) */
		{
			char tag[256];

			snprintf(tag, sizeof(tag), "#%s", type);
			err = tagged ? sc_names_add(&tn, tag, strlen(tag)) :
				       sc_names_add(&tn, type, strlen(type));
		}
		if (err >= 0) {
			memset(dirty, 0, nb * sizeof(*dirty));
			err = spread(&it, mb, nb, dirty, &tn, &emits);
		}
		sc_names_free(&tn);
		if (!err && emits)
			err = sc_strv_add(&v->types, types->v[t]);
	}
out:
	free(hb);
	free(mb);
	free(ca);
	free(cb);
	free(dirty);
	sc_items_free(&it);
	return err < 0 ? err : 0;
}

void sc_pp_verdict_free(struct sc_pp_verdict *v)
{
	sc_strv_free(&v->types);
	memset(v, 0, sizeof(*v));
}
