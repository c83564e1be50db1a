// SPDX-License-Identifier: GPL-2.0
/*
 * String sets (struct sc_strv): NULL-terminated, growable lists of names,
 * used by the unit selection, the manifest and the configuration compare.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

int sc_strv_add(struct sc_strv *s, const char *str)
{
	char **v, *dup = strdup(str);

	if (!dup)
		return -ENOMEM;
	v = realloc(s->v, (s->n + 2) * sizeof(*v));
	if (!v) {
		free(dup);
		return -ENOMEM;
	}
	v[s->n++] = dup;
	v[s->n] = NULL;
	s->v = v;
	return 0;
}

bool sc_strv_has(const struct sc_strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool sc_strv_has_sorted(const struct sc_strv *s, const char *str)
{
	return s->n && bsearch(&str, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/* Sort and drop duplicates. */
void sc_strv_sort(struct sc_strv *s)
{
	size_t i, n = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (i = 0; i < s->n; i++) {
		if (n && !strcmp(s->v[n - 1], s->v[i]))
			free(s->v[i]);
		else
			s->v[n++] = s->v[i];
	}
	s->n = n;
	s->v[n] = NULL;
}

void sc_strv_free(struct sc_strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
