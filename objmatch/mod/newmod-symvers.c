// SPDX-License-Identifier: GPL-2.0
/* newmod-symvers.c: name sets, and the exports a Module.symvers lists (newmod.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"
#include "blob/blob.h"
#include "mod/elfraw.h"
#include "mod/newmod.h"
#include "mod/newmod-internal.h"

/* ------------------------------------------------------------ name sets */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int strset_grow(struct strset *s)
{
	struct strset t = { .cap = s->cap ? s->cap * 2 : 1024 };
	size_t i, j;

	t.slot = calloc(t.cap, sizeof(*t.slot));
	if (!t.slot)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		if (!s->slot[i])
			continue;
		for (j = hash_str(s->slot[i]) & (t.cap - 1); t.slot[j]; j = (j + 1) & (t.cap - 1))
			;
		t.slot[j] = s->slot[i];
	}
	free(s->slot);
	t.n = s->n;
	*s = t;
	return 0;
}

bool nm_strset_has(const struct strset *s, const char *name)
{
	size_t j;

	if (!s->cap)
		return false;
	for (j = hash_str(name) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (!strcmp(s->slot[j], name))
			return true;
	return false;
}

/* 0 (added or present) or -ENOMEM */
int nm_strset_add(struct strset *s, const char *name)
{
	size_t j;

	if (nm_strset_has(s, name))
		return 0;
	if ((s->n + 1) * 2 > s->cap && strset_grow(s))
		return -ENOMEM;
	for (j = hash_str(name) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
		;
	s->slot[j] = strdup(name);
	if (!s->slot[j])
		return -ENOMEM;
	s->n++;
	return 0;
}

void nm_strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Every exported name of a Module.symvers ("crc\tname\tmodule\tkind\tns"). */
int nm_read_symvers(const char *path, struct strset *out, const struct om_options *opts)
{
	char line[1024], *name, *tab;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		om_log(opts, OM_LOG_ERROR, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		name = strchr(line, '\t');
		if (!name)
			continue;
		name++;
		tab = strchr(name, '\t');
		if (!tab)
			continue;
		*tab = 0;
		ret = nm_strset_add(out, name);
	}
	fclose(f);
	return ret;
}
