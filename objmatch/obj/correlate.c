// SPDX-License-Identifier: GPL-2.0
/*
 * Correlation: which post function or object is the same thing as which
 * pre one.  In order:
 *   1. same name, unique on both sides ("show_val_kb" <-> "show_val_kb");
 *   2. functions by name without gcc's clone numbers, unique on both sides
 *      ("foo.constprop.0" <-> "foo.constprop.1", "bar.isra.0.cold" <->
 *      "bar.isra.1.cold");
 *   3. __UNIQUE_ID_<x><N> objects and functions, by their order among
 *      those of the same <x> (N is a __COUNTER__ value);
 *   4. gcc-renamed static locals through the function that uses them: if
 *      f() uses "count.4" in pre and f's twin uses "count.7" in post, and f
 *      uses no other "count.N", those two are one variable.  Their numbers
 *      say nothing (gcc numbers them per unit, in order of appearance);
 *   5. a static local still unpaired (its function reaches it from another
 *      part on the other side: f.cold in pre, f in post; or f.part.0 after
 *      gcc split f): the only "count.N" of the unit on both sides, if a
 *      function of the same name family ("f", "f.cold", "f.part.0") uses
 *      it on both sides.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/diff.h"

/* "name.123" (and no other dots): gcc's name for a function-scope static. */
bool is_static_local_name(const char *name)
{
	const char *dot = strchr(name, '.');
	const char *p;

	if (!dot || dot == name || strchr(dot + 1, '.') || !dot[1])
		return false;
	for (p = dot + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* Drop every ".<digits>" component: "f.constprop.0.cold" -> "f.constprop.cold". */
static char *normalise(const char *name)
{
	char *out = malloc(strlen(name) + 1), *o = out;
	const char *p = name;

	if (!out)
		return NULL;
	while (*p) {
		if (*p == '.' && p != name && isdigit((unsigned char)p[1])) {
			const char *q = p + 1;

			while (isdigit((unsigned char)*q))
				q++;
			if (*q == '\0' || *q == '.') {
				p = q;
				continue;
			}
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static bool unique_id_name(const char *name, size_t *base, unsigned long *num);

/* __UNIQUE_ID_<x><N>: paired by order, never by name (by_unique_id()). */
static bool is_unique_id_name(const char *name)
{
	size_t base;
	unsigned long num;

	return unique_id_name(name, &base, &num);
}

static void pair(struct item *a, struct item *b)
{
	a->twin = b;
	b->twin = a;
}

/* The only item of @s named @name (exactly), else NULL. */
static struct item *unique_item(const struct side *s, const char *name)
{
	const struct om_symbol *sym = om_symbol_by_name(s->obj, name);
	struct item *found = NULL;

	for (; sym; sym = om_symbol_next_same(s->obj, sym)) {
		struct item *it = s->by_sym[sym->index];

		if (!it)
			continue;
		if (found)
			return NULL;
		found = it;
	}
	return found;
}

static int by_exact_name(struct differ *d)
{
	size_t i;

	for (i = 0; i < d->pre.nitems; i++) {
		struct item *a = &d->pre.items[i], *b;

		if (a->twin || a->static_local || is_unique_id_name(a->sym->name))
			continue;
		if (unique_item(&d->pre, a->sym->name) != a)
			continue;
		b = unique_item(&d->post, a->sym->name);
		if (b && !b->twin && b->is_func == a->is_func)
			pair(a, b);
	}
	return 0;
}

struct named {
	char *key;
	struct item *it;
};

static int cmp_named(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (c)
		return c;
	return a->it->sym->index < b->it->sym->index ? -1 :
	       a->it->sym->index > b->it->sym->index;
}

/* Unmatched functions of @s with their normalised names, sorted. */
static int unmatched_funcs(const struct side *s, struct named **out, size_t *n)
{
	struct named *v = calloc(s->nitems + 1, sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];

		if (it->twin || !it->is_func)
			continue;
		v[k].key = normalise(it->sym->name);
		if (!v[k].key) {
			while (k--)
				free(v[k].key);
			free(v);
			return -ENOMEM;
		}
		v[k++].it = it;
	}
	qsort(v, k, sizeof(*v), cmp_named);
	*out = v;
	*n = k;
	return 0;
}

static const struct named *find_unique(const struct named *v, size_t n,
				       const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= n || strcmp(v[lo].key, key))
		return NULL;
	if (lo + 1 < n && !strcmp(v[lo + 1].key, key))
		return NULL;
	return &v[lo];
}

static int by_clone_name(struct differ *d)
{
	struct named *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, i;
	int err;

	err = unmatched_funcs(&d->pre, &a, &na);
	if (!err)
		err = unmatched_funcs(&d->post, &b, &nb);
	for (i = 0; !err && i < na; i++) {
		const struct named *m;

		if (find_unique(a, na, a[i].key) != &a[i])
			continue;
		m = find_unique(b, nb, a[i].key);
		if (m)
			pair(a[i].it, m->it);
	}
	for (i = 0; a && i < na; i++)
		free(a[i].key);
	for (i = 0; b && i < nb; i++)
		free(b[i].key);
	free(a);
	free(b);
	return err;
}

/*
 * The name without gcc's ".N"; and for the kernel's __UNIQUE_ID_<x><N>
 * (numbered by __COUNTER__, which any new use earlier in the unit shifts)
 * without <N> either: "__UNIQUE_ID_ddebug431.2" -> "__UNIQUE_ID_ddebug".
 */
static size_t base_len(const char *name)
{
	const char *dot = strchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : strlen(name);

	if (!strncmp(name, "__UNIQUE_ID_", 12))
		while (n > 12 && isdigit((unsigned char)name[n - 1]))
			n--;
	return n;
}

static bool same_base(const struct item *a, const struct item *b)
{
	size_t la = base_len(a->sym->name);

	return la == base_len(b->sym->name) &&
	       !strncmp(a->sym->name, b->sym->name, la) &&
	       a->writable == b->writable;
}

static bool seen_before(const struct om_vec *refs, size_t r)
{
	size_t k;

	for (k = 0; k < r; k++)
		if (refs->v[k] == refs->v[r])
			return true;
	return false;
}

/* The @k-th distinct static local of base name like @like that @it uses. */
static struct item *nth_static(const struct item *it, const struct item *like,
			       size_t k)
{
	size_t r;

	for (r = 0; r < it->refs.n; r++) {
		struct item *c = it->refs.v[r];

		if (!c->static_local || !same_base(c, like) || seen_before(&it->refs, r))
			continue;
		if (k-- == 0)
			return c;
	}
	return NULL;
}

/*
 * Pair the static locals that twins @f (pre) and @g (post) use: the k-th
 * distinct "count.N" that f uses is the k-th distinct "count.M" that g
 * uses.  Counting per base name keeps this right when other code or other
 * statics are added around them.
 */
static void through_user(struct item *f, struct item *g)
{
	size_t r;

	for (r = 0; r < f->refs.n; r++) {
		struct item *c = f->refs.v[r], *p;
		size_t k = 0, q;

		if (!c->static_local || seen_before(&f->refs, r))
			continue;
		/* c is the k-th of its base name in f */
		for (q = 0; q < r; q++) {
			struct item *o = f->refs.v[q];

			if (o->static_local && same_base(o, c) && !seen_before(&f->refs, q))
				k++;
		}
		p = nth_static(g, c, k);
		if (p && !c->twin && !p->twin)
			pair(c, p);
	}
}

/* "f" of "f.cold", "f.part.0", "f.isra.0": a function and its parts. */
static size_t family_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

/* Does a function of @a's users share its family with one of @b's? */
static bool users_related(const struct item *a, const struct item *b)
{
	size_t i, j;

	for (i = 0; i < a->users.n; i++) {
		const struct item *u = a->users.v[i];
		size_t lu = family_len(u->sym->name);

		for (j = 0; j < b->users.n; j++) {
			const struct item *v = b->users.v[j];

			if (u->is_func && v->is_func && family_len(v->sym->name) == lu &&
			    !strncmp(u->sym->name, v->sym->name, lu))
				return true;
		}
	}
	return false;
}

/* The only unpaired static local of @s like @like (same base name), else NULL. */
static struct item *only_static_like(const struct side *s, const struct item *like)
{
	struct item *found = NULL;
	size_t i;

	for (i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];

		if (!it->static_local || !same_base(it, like))
			continue;
		if (it->twin || found)
			return NULL;	/* one of that name is paired already, or two */
		found = it;
	}
	return found;
}

static void by_unique_base(struct differ *d)
{
	size_t i;

	for (i = 0; i < d->pre.nitems; i++) {
		struct item *c = &d->pre.items[i], *p;

		if (!c->static_local || c->twin || only_static_like(&d->pre, c) != c)
			continue;
		p = only_static_like(&d->post, c);
		if (p && users_related(c, p))
			pair(c, p);
	}
}

/*
 * "__UNIQUE_ID_license254" (no dot): a file-scope object or function named
 * by __UNIQUE_ID(), numbered by __COUNTER__.  Its base ("__UNIQUE_ID_license")
 * in @base, its number in @num; false for any other name.
 */
static bool unique_id_name(const char *name, size_t *base, unsigned long *num)
{
	size_t n = strlen(name), b = n;

	if (strncmp(name, "__UNIQUE_ID_", 12) || strchr(name, '.'))
		return false;
	while (b > 12 && isdigit((unsigned char)name[b - 1]))
		b--;
	if (b == n || b == 12)
		return false;
	*base = b;
	*num = strtoul(name + b, NULL, 10);
	return true;
}

struct counted {
	const char *name;
	size_t base;
	unsigned long num;
	struct item *it;
};

static int cmp_counted(const void *x, const void *y)
{
	const struct counted *a = x, *b = y;
	size_t n = a->base < b->base ? a->base : b->base;
	int c = strncmp(a->name, b->name, n);

	if (c)
		return c;
	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	return a->num < b->num ? -1 : a->num > b->num;
}

/* Unpaired __UNIQUE_ID_<x><N> items of @s, sorted by base, then number. */
static int unpaired_unique_ids(const struct side *s, struct counted **out, size_t *n)
{
	struct counted *v = calloc(s->nitems + 1, sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];

		if (it->twin || !unique_id_name(it->sym->name, &v[k].base, &v[k].num))
			continue;
		v[k].name = it->sym->name;
		v[k++].it = it;
	}
	qsort(v, k, sizeof(*v), cmp_counted);
	*out = v;
	*n = k;
	return 0;
}

static size_t group_end(const struct counted *v, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && v[j].base == v[i].base && !strncmp(v[j].name, v[i].name, v[i].base))
		j++;
	return j;
}

/*
 * __UNIQUE_ID() names carry a __COUNTER__ value, which every earlier use in
 * the unit shifts (a fix adding a min() or a pr_debug() before
 * MODULE_LICENSE() renumbers __UNIQUE_ID_license254 to ..._license255).
 * The number says nothing, the order does: when pre and post have as many
 * unpaired ones of a base name, the k-th of pre (by number) is the k-th of
 * post.  When the counts differ, none of that name is paired (one was added
 * or removed, and which is not known).
 */
static int by_unique_id(struct differ *d)
{
	struct counted *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;
	int err;

	err = unpaired_unique_ids(&d->pre, &a, &na);
	if (!err)
		err = unpaired_unique_ids(&d->post, &b, &nb);
	while (!err && i < na && j < nb) {
		size_t ie = group_end(a, na, i), je = group_end(b, nb, j), k;
		int c = cmp_counted(&(struct counted){ .name = a[i].name, .base = a[i].base },
				    &(struct counted){ .name = b[j].name, .base = b[j].base });

		if (c < 0) {
			i = ie;
			continue;
		}
		if (c > 0) {
			j = je;
			continue;
		}
		if (ie - i == je - j)
			for (k = 0; k < ie - i; k++)
				if (a[i + k].it->is_func == b[j + k].it->is_func)
					pair(a[i + k].it, b[j + k].it);
		i = ie;
		j = je;
	}
	free(a);
	free(b);
	return err;
}

int correlate(struct differ *d)
{
	int err, round;
	size_t i;

	err = by_exact_name(d);
	if (!err)
		err = by_clone_name(d);
	if (!err)
		err = by_unique_id(d);
	if (err)
		return err;
	/* two rounds: statics used only by other statics (__func__ inside
	 * a static table) come through the first round's pairs */
	for (round = 0; round < 2; round++)
		for (i = 0; i < d->pre.nitems; i++) {
			struct item *f = &d->pre.items[i];

			if (f->twin && (f->is_func || round))
				through_user(f, f->twin);
		}
	by_unique_base(d);
	return 0;
}
