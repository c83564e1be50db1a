// SPDX-License-Identifier: GPL-2.0
/*
 * The model's lookup tables: sections and symbols by name (hash tables),
 * symbols by address (a sorted array per section), relocations by offset
 * (sorted at read time).  Like objtool's struct elf, the object owns them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"

/*
 * Open addressing over indices; a symbol name can occur more than once (two
 * static functions of one name in different units never meet here, but
 * section symbols and gcc's renamed locals do), so each slot heads a chain
 * through next_same[].
 */
struct om_index {
	uint32_t *sec_slots;		/* section index + 1, 0 = empty */
	size_t sec_mask;
	uint32_t *sym_slots;		/* symbol index + 1 */
	size_t sym_mask;
	uint32_t *next_same;		/* symbol index + 1 of the next same-named */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static size_t table_size(size_t n)
{
	size_t sz = 16;

	while (sz < 2 * n)
		sz <<= 1;
	return sz;
}

static bool sym_indexed(const struct om_symbol *sym)
{
	/* section symbols are reached through their section */
	return sym->sec && sym->type != OM_SYM_SECTION && sym->type != OM_SYM_FILE;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct om_symbol *x = *(const struct om_symbol *const *)a;
	const struct om_symbol *y = *(const struct om_symbol *const *)b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int om_object_index(struct om_object *obj)
{
	struct om_index *ix;
	size_t i, sz;

	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	obj->index = ix;

	sz = table_size(obj->nsecs);
	ix->sec_slots = calloc(sz, sizeof(*ix->sec_slots));
	if (!ix->sec_slots)
		return -ENOMEM;
	ix->sec_mask = sz - 1;
	for (i = 0; i < obj->nsecs; i++) {
		size_t h = hash_str(obj->secs[i].name) & ix->sec_mask;

		while (ix->sec_slots[h]) {
			/* keep the first of duplicate section names */
			if (!strcmp(obj->secs[ix->sec_slots[h] - 1].name, obj->secs[i].name))
				break;
			h = (h + 1) & ix->sec_mask;
		}
		if (!ix->sec_slots[h])
			ix->sec_slots[h] = (uint32_t)i + 1;
	}

	sz = table_size(obj->nsyms);
	ix->sym_slots = calloc(sz, sizeof(*ix->sym_slots));
	ix->next_same = calloc(obj->nsyms + 1, sizeof(*ix->next_same));
	if (!ix->sym_slots || !ix->next_same)
		return -ENOMEM;
	ix->sym_mask = sz - 1;
	/* insert backwards so that chains come out in symbol-table order */
	for (i = obj->nsyms; i-- > 0;) {
		struct om_symbol *sym = &obj->syms[i];
		size_t h;

		if (!sym_indexed(sym) && sym->sec)
			continue;
		if (!sym->name[0] || sym->type == OM_SYM_FILE || sym->type == OM_SYM_SECTION)
			continue;
		h = hash_str(sym->name) & ix->sym_mask;
		while (ix->sym_slots[h] &&
		       strcmp(obj->syms[ix->sym_slots[h] - 1].name, sym->name))
			h = (h + 1) & ix->sym_mask;
		ix->next_same[i] = ix->sym_slots[h];
		ix->sym_slots[h] = (uint32_t)i + 1;
	}

	/* per-section address order */
	for (i = 0; i < obj->nsyms; i++) {
		struct om_symbol *sym = &obj->syms[i];

		if (sym_indexed(sym))
			sym->sec->nsyms++;
	}
	for (i = 0; i < obj->nsecs; i++) {
		struct om_section *sec = &obj->secs[i];

		sec->syms = calloc(sec->nsyms + 1, sizeof(*sec->syms));
		if (!sec->syms)
			return -ENOMEM;
		sec->nsyms = 0;
	}
	for (i = 0; i < obj->nsyms; i++) {
		struct om_symbol *sym = &obj->syms[i];

		if (sym_indexed(sym))
			sym->sec->syms[sym->sec->nsyms++] = sym;
	}
	for (i = 0; i < obj->nsecs; i++)
		qsort(obj->secs[i].syms, obj->secs[i].nsyms,
		      sizeof(*obj->secs[i].syms), cmp_addr);
	return 0;
}

struct om_section *om_section_by_name(const struct om_object *obj,
				      const char *name)
{
	const struct om_index *ix = obj->index;
	size_t h = hash_str(name) & ix->sec_mask;

	while (ix->sec_slots[h]) {
		struct om_section *sec = &obj->secs[ix->sec_slots[h] - 1];

		if (!strcmp(sec->name, name))
			return sec;
		h = (h + 1) & ix->sec_mask;
	}
	return NULL;
}

struct om_symbol *om_symbol_by_name(const struct om_object *obj,
				    const char *name)
{
	const struct om_index *ix = obj->index;
	size_t h = hash_str(name) & ix->sym_mask;

	while (ix->sym_slots[h]) {
		struct om_symbol *sym = &obj->syms[ix->sym_slots[h] - 1];

		if (!strcmp(sym->name, name))
			return sym;
		h = (h + 1) & ix->sym_mask;
	}
	return NULL;
}

struct om_symbol *om_symbol_next_same(const struct om_object *obj,
				      const struct om_symbol *sym)
{
	uint32_t next = obj->index->next_same[sym->index];

	return next ? &obj->syms[next - 1] : NULL;
}

struct om_symbol *om_symbol_at(const struct om_section *sec, uint64_t offset)
{
	struct om_symbol *best = NULL, *ends = NULL;
	size_t lo = 0, hi = sec->nsyms, i;

	/* first symbol with value > offset */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sec->syms[mid]->value <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * Walk back over the candidates starting at or before @offset.
	 * Symbols in one section rarely overlap, so this visits a handful;
	 * stop at a sized symbol that ends well before @offset.
	 */
	for (i = lo; i-- > 0;) {
		struct om_symbol *sym = sec->syms[i];

		if (sym->type != OM_SYM_FUNC && sym->type != OM_SYM_OBJECT)
			continue;
		if (offset < sym->value + sym->size) {
			if (!best || sym->size < best->size)
				best = sym;
		} else if (offset == sym->value + sym->size && !ends) {
			ends = sym;
		} else if (best || ends) {
			break;
		}
		if (lo - i > 64)	/* pathological overlap: give up */
			break;
	}
	return best ? best : ends;
}

size_t om_reloc_lower_bound(const struct om_section *sec, uint64_t offset)
{
	size_t lo = 0, hi = sec->nrelocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sec->relocs[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void om_object_free(struct om_object *obj)
{
	size_t i;

	if (!obj)
		return;
	for (i = 0; i < obj->nsecs; i++) {
		free((char *)obj->secs[i].name);
		free((unsigned char *)obj->secs[i].data);
		free(obj->secs[i].relocs);
		free(obj->secs[i].syms);
	}
	for (i = 0; i < obj->nsyms; i++)
		free((char *)obj->syms[i].name);
	if (obj->index) {
		free(obj->index->sec_slots);
		free(obj->index->sym_slots);
		free(obj->index->next_same);
		free(obj->index);
	}
	free(obj->secs);
	free(obj->syms);
	free((char *)obj->name);
	free(obj);
}

int om_vec_push(struct om_vec *vec, void *p)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? 2 * vec->cap : 8;
		void **v = realloc(vec->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = p;
	return 0;
}

void om_vec_free(struct om_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}
