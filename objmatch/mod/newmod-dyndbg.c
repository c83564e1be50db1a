// SPDX-License-Identifier: GPL-2.0
/* newmod-dyndbg.c: the pr_debug() descriptors kept code uses (newmod.c). */
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

/* The descriptor of __dyndbg relocation @r of section @s points into, or SIZE_MAX. */
size_t nm_dd_entry(const struct nm *n, size_t s, const Elf64_Rela *r)
{
	int64_t off;

	if (!n->dd || ELF64_R_SYM(r->r_info) >= n->e.nsyms ||
	    om_elf_symsec(&n->e, ELF64_R_SYM(r->r_info)) != n->dd)
		return SIZE_MAX;
	off = nm_target_offset(n, s, r);
	if (off < 0 || (uint64_t)off >= n->ndd * DDEBUG_SIZE)
		return SIZE_MAX;
	return (size_t)off / DDEBUG_SIZE;
}
/*
 * Keep the pr_debug() descriptors kept code uses, moved to the front of
 * __dyndbg: their own relocations move with them, their symbols too, and
 * every reference to a descriptor through the section's symbol follows it
 * ("mov $__dyndbg+0x118, %rdi" becomes "mov $__dyndbg+0x38, %rdi" when it
 * is the second descriptor kept; the jump label's key "__dyndbg+0x142 - ."
 * becomes "__dyndbg+0x62 - .").  The symbols of dropped descriptors become
 * absolute zeros: only hidden code references them.  With none kept, the
 * section stays hidden.
 */
int nm_filter_dyndbg(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t k, kept = 0, i, s, nr, *newidx;
	unsigned char *d;
	Elf64_Rela *r;

	if (!n->dd)
		return 0;
	newidx = malloc((n->ndd ? n->ndd : 1) * sizeof(*newidx));
	if (!newidx)
		return -ENOMEM;
	d = e->buf + e->sh[n->dd].sh_offset;
	for (k = 0; k < n->ndd; k++) {
		newidx[k] = SIZE_MAX;
		if (!n->dd_keep[k])
			continue;
		newidx[k] = kept;
		memmove(d + kept * DDEBUG_SIZE, d + k * DDEBUG_SIZE, DDEBUG_SIZE);
		kept++;
	}
	if (!kept) {
		free(newidx);
		return 0;
	}
	/* references through the section symbol, from every other section */
	for (s = 1; s < e->nsec; s++) {
		if (!n->rela[s] || s == n->dd)
			continue;
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			k = nm_dd_entry(n, s, &r[i]);
			if (k == SIZE_MAX || newidx[k] == SIZE_MAX ||
			    ELF64_ST_TYPE(e->syms[ELF64_R_SYM(r[i].r_info)].st_info) != STT_SECTION)
				continue;
			r[i].r_addend += ((int64_t)newidx[k] - (int64_t)k) * DDEBUG_SIZE;
		}
	}
	/* the descriptors' own relocations (their strings) */
	if (n->rela[n->dd]) {
		r = om_elf_relas(e, n->rela[n->dd], &nr);
		for (i = 0; i < nr; i++) {
			k = r[i].r_offset / DDEBUG_SIZE;
			if (k < n->ndd && newidx[k] != SIZE_MAX) {
				r[i].r_offset = newidx[k] * DDEBUG_SIZE + r[i].r_offset % DDEBUG_SIZE;
				continue;
			}
			r[i].r_info = ELF64_R_INFO(ELF64_R_SYM(r[i].r_info), R_X86_64_NONE);
			r[i].r_offset = 0;
		}
	}
	/* named descriptors (references through them need no change) */
	for (i = 1; i < e->nsyms; i++) {
		Elf64_Sym *sym = &e->syms[i];

		if (om_elf_symsec(e, i) != n->dd || ELF64_ST_TYPE(sym->st_info) == STT_SECTION)
			continue;
		k = sym->st_value / DDEBUG_SIZE;
		if (k < n->ndd && newidx[k] != SIZE_MAX) {
			sym->st_value = newidx[k] * DDEBUG_SIZE + sym->st_value % DDEBUG_SIZE;
		} else {
			sym->st_shndx = SHN_ABS;
			sym->st_value = 0;
			sym->st_size = 0;
		}
	}
	free(newidx);
	e->sh[n->dd].sh_size = kept * DDEBUG_SIZE;
	n->keep[n->dd] = true;
	/* symbols moved: nm_sym_at() needs the order again */
	n->nbyaddr = 0;
	for (i = 1; i < e->nsyms; i++) {
		unsigned int t = ELF64_ST_TYPE(e->syms[i].st_info);

		if (om_elf_symsec(e, i) && (t == STT_FUNC || t == STT_OBJECT) &&
		    om_elf_symname(e, i)[0])
			n->byaddr[n->nbyaddr++] = i;
	}
	nm_sort_elf = e;
	qsort(n->byaddr, n->nbyaddr, sizeof(*n->byaddr), nm_cmp_byaddr);
	return 0;
}
/* __dyndbg, if the unit has pr_debug() descriptors: its layout checked. */
int nm_find_dyndbg(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s = nm_section_named(e, DDEBUG_SECTION);

	if (!s || !(e->sh[s].sh_flags & SHF_ALLOC))
		return 0;
	if (e->sh[s].sh_type != SHT_PROGBITS || e->sh[s].sh_size % DDEBUG_SIZE ||
	    e->sh[s].sh_addralign > 8) {
		om_log(n->opts, OM_LOG_ERROR, "%s[%s]: not an array of %u-byte descriptors",
		       e->name, DDEBUG_SECTION, DDEBUG_SIZE);
		return -EINVAL;
	}
	n->dd = s;
	n->ndd = e->sh[s].sh_size / DDEBUG_SIZE;
	n->dd_keep = calloc(n->ndd ? n->ndd : 1, sizeof(*n->dd_keep));
	return n->dd_keep ? 0 : -ENOMEM;
}
