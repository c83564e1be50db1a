// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the check of a new-code module's relocation table
 * (splice-core/reloc-table.c, splice_relocs_check) that splice-core.ko runs
 * before it reads a table, compiled here in user space.  The module's
 * memory is the input; a table the check accepts is then read the way
 * reloc.c and early.c read it (every name, the target module, the unit),
 * so a check that lets a bad table through shows up as an overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reloc-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct region {
	unsigned long base;
	size_t size;
};

static bool within(const void *owner, unsigned long addr)
{
	const struct region *r = owner;

	return addr >= r->base && addr - r->base < r->size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct splice_relocs *t;
	struct region mod;
	size_t sum = 0;
	uint8_t *copy;
	u32 i;

	/* the loader's copy: aligned, and exactly the input (no slack for ASan to miss) */
	copy = aligned_alloc(8, size ? (size + 7) & ~(size_t)7 : 8);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	mod = (struct region){ (unsigned long)copy, size };
	t = (const struct splice_relocs *)copy;
	/*
	 * The sites are addresses the loader filled in: let the input name
	 * them as offsets into the module, so some of them fall inside it.
	 */
	if (size >= sizeof(*t) + sizeof(t->relocs[0])) {
		struct splice_relocs *w = (struct splice_relocs *)copy;

		for (i = 0; i < w->nrelocs && sizeof(*w) + (i + 1) * sizeof(w->relocs[0]) <= size; i++)
			w->relocs[i].site += mod.base;
	}
	if (splice_relocs_check(t, within, &mod)) {
		const char *strs = (const char *)t + t->strings;

		for (i = 0; i < t->nrelocs; i++) {
			int k, w = splice_reloc_width(t->relocs[i].type);

			sum += strlen(strs + t->relocs[i].name);
			for (k = 0; k < w; k++)	/* the field reloc.c reads, then writes */
				sum += *(const uint8_t *)(unsigned long)(t->relocs[i].site + k);
		}
		if (t->objname != SPLICE_RELOC_NONE)
			sum += strlen(strs + t->objname);
		if (t->unit != SPLICE_RELOC_NONE)
			sum += strlen(strs + t->unit);
	}
	free(copy);
	return (int)(sum & 0);
}
