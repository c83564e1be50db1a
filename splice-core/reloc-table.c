// SPDX-License-Identifier: GPL-2.0
/* reloc-table.c: the check of a relocation table (reloc-table.h). */
#include "reloc-table.h"

int splice_reloc_width(u32 type)
{
	switch (type) {
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_8:
		return 1;
	default:
		return 0;
	}
}

/* Does [addr, addr + len) lie in the owner's memory (len > 0)? */
static bool splice_within(splice_within_fn within, const void *owner,
			  unsigned long addr, unsigned long len)
{
	return addr + len - 1 >= addr && within(owner, addr) && within(owner, addr + len - 1);
}

bool splice_relocs_check(const struct splice_relocs *t, splice_within_fn within,
			 const void *owner)
{
	const char *strs;
	u32 i, nstr;

	/* the header first: nothing of it is read before it is known to be there */
	if (!splice_within(within, owner, (unsigned long)t, sizeof(*t)))
		return false;
	if (t->magic != SPLICE_RELOCS_MAGIC ||
	    (t->version != SPLICE_RELOCS_VERSION && t->version != SPLICE_RELOCS_VERSION_VALUE) ||
	    t->size <= t->strings || !splice_within(within, owner, (unsigned long)t, t->size) ||
	    t->nrelocs > (0xffffffffu - sizeof(*t)) / sizeof(t->relocs[0]) ||
	    t->strings < sizeof(*t) + t->nrelocs * sizeof(t->relocs[0]))
		return false;
	strs = (const char *)t + t->strings;
	nstr = t->size - t->strings;
	if (strs[nstr - 1] ||
	    (t->objname != SPLICE_RELOC_NONE && t->objname >= nstr) ||
	    (t->unit != SPLICE_RELOC_NONE && t->unit >= nstr))
		return false;
	for (i = 0; i < t->nrelocs; i++) {
		const struct splice_reloc *r = &t->relocs[i];
		int w = splice_reloc_width(r->type);

		if (r->name >= nstr || !w || !splice_within(within, owner, r->site, w))
			return false;
		if (r->flags & SPLICE_RELOC_VALUE ?
		    t->version != SPLICE_RELOCS_VERSION_VALUE || (r->flags & SPLICE_RELOC_EARLY) ||
		    (r->type != R_X86_64_64 && r->type != R_X86_64_8) :
		    r->type == R_X86_64_8)
			return false;
	}
	return true;
}
