// SPDX-License-Identifier: GPL-2.0
/*
 * newmod-reloc.c: relocation records for what the loader can't resolve
 * (newmod.c).
 */
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

/* ------------------------------------------------------------ records */

int nm_add_string(struct nm *n, const char *s, uint32_t *off)
{
	size_t len = strlen(s) + 1;

	if (n->strslen + len > n->strscap) {
		size_t cap = (n->strscap + len) * 2;
		char *p = realloc(n->strs, cap);

		if (!p)
			return -ENOMEM;
		n->strs = p;
		n->strscap = cap;
	}
	memcpy(n->strs + n->strslen, s, len);
	*off = n->strslen;
	n->strslen += len;
	return 0;
}

/*
 * The label of a record: the symbol's own name, or for a section symbol
 * the function or object of that section the reference points into
 * ("call .text.override_release-4" is "override_release"-4).
 */
static int label(struct nm *n, size_t site_sec, const Elf64_Rela *r, const char **name,
		 int64_t *addend, uint32_t *flags)
{
	struct om_elf *e = &n->e;
	size_t symi = ELF64_R_SYM(r->r_info), s = om_elf_symsec(e, symi), k;
	int64_t off;

	*addend = r->r_addend;
	*flags = 0;
	if (!s) {
		*name = om_elf_symname(e, symi);
		return 0;
	}
	*flags = OM_NEWREL_LOCAL;
	k = symi;
	if (ELF64_ST_TYPE(e->syms[symi].st_info) == STT_SECTION) {
		off = nm_target_offset(n, site_sec, r);
		k = nm_sym_at(n, s, off);
		if (!k) {
			nm_finding(n, site_sec, r->r_offset, "references a place with no symbol in",
				om_elf_secname(e, s));
			return -ENOTSUP;
		}
		*addend = r->r_addend - (int64_t)e->syms[k].st_value;
	}
	if (nm_strset_has(&n->new_objs, om_elf_symname(e, k))) {
		nm_finding(n, site_sec, r->r_offset, "new variable shares its section with the "
			   "running kernel's variables, so it can't get a copy of its own (a hook "
			   "would have to allocate it):", om_elf_symname(e, k));
		return -ENOTSUP;
	}
	/* the pre object's name: what run-pre matching learned */
	*name = nm_pre_name(n, om_elf_symname(e, k));
	if (!(*name)[0]) {
		nm_finding(n, site_sec, r->r_offset, "references a symbol with no name in",
			om_elf_secname(e, s));
		return -ENOTSUP;
	}
	if (ELF64_ST_BIND(e->syms[k].st_info) != STB_LOCAL)
		*flags = 0;	/* a global of the unit: the kernel has one of that name */
	return 0;
}

/*
 * A record for relocation @r of kept section @s, its field the canary.
 * The record's site is that field, or for an EARLY record (@early) the
 * jump label's code at offset @code_off of section @code_sec: splice-core
 * finds the module's __jump_table entry by its code, wherever the entry
 * is (the kernel sorts the table when the module loads).
 */
static int add_record(struct nm *n, size_t s, Elf64_Rela *r, uint32_t early, size_t code_sec,
		      uint64_t code_off)
{
	struct om_elf *e = &n->e;
	uint32_t type = ELF64_R_TYPE(r->r_info), flags;
	int w = om_elf_reloc_width(type), ret;
	const char *name;
	int64_t addend;
	struct om_newrel *rec;

	ret = label(n, s, r, &name, &addend, &flags);
	if (ret)
		return ret;
	if (n->nrecs == n->caprecs) {
		size_t cap = n->caprecs ? n->caprecs * 2 : 64;
		struct om_newrel *p = realloc(n->recs, cap * sizeof(*p));
		size_t *q;

		if (!p)
			return -ENOMEM;
		n->recs = p;
		q = realloc(n->recsec, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		n->recsec = q;
		n->caprecs = cap;
	}
	rec = &n->recs[n->nrecs];
	*rec = (struct om_newrel){ .site = early ? code_off : r->r_offset, .addend = addend,
				   .type = type, .flags = flags | early };
	ret = nm_add_string(n, name, &rec->name);
	if (ret)
		return ret;
	n->recsec[n->nrecs++] = early ? code_sec : s;
	if (early)
		n->nearly++;
	memset(e->buf + e->sh[s].sh_offset + r->r_offset, OM_CANARY_BYTE, w);
	r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_NONE);
	return 0;
}

/*
 * Can the loader resolve this relocation?  Its own kept sections, absolute
 * symbols and exported symbols: yes.  Anything hidden, and undefined
 * symbols nobody exports: no.
 */
static bool loader_resolves(const struct nm *n, const Elf64_Rela *r)
{
	const struct om_elf *e = &n->e;
	size_t symi = ELF64_R_SYM(r->r_info), s = om_elf_symsec(e, symi);
	const char *name;

	if (s)	/* a ballast function's symbol: the module does not define it */
		return n->keep[s] && (ELF64_ST_TYPE(e->syms[symi].st_info) == STT_SECTION ||
				      !nm_ballast(n, s, e->syms[symi].st_value));
	if (e->syms[symi].st_shndx != SHN_UNDEF)
		return true;	/* SHN_ABS */
	name = om_elf_symname(e, symi);
	return nm_strset_has(&n->exported, name) || nm_strset_has(&n->provided, name);
}

static bool is_table(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nm_tables); i++)
		if (!strcmp(name, nm_tables[i].name))
			return true;
	return false;
}

/*
 * The code of the __jump_table entry (of section @s) whose key field is at
 * @key_off: its kept section and offset.  0, or -ENOENT.
 */
static int jump_code(const struct nm *n, size_t s, uint64_t key_off, size_t *code_sec,
		     uint64_t *code_off)
{
	size_t i, nr;
	Elf64_Rela *r = om_elf_relas(&n->e, n->rela[s], &nr);

	for (i = 0; i < nr; i++) {
		if (r[i].r_offset != key_off - JUMP_ENTRY_KEY ||
		    ELF64_R_TYPE(r[i].r_info) != R_X86_64_PC32 ||
		    ELF64_R_SYM(r[i].r_info) >= n->e.nsyms)
			continue;
		*code_sec = om_elf_symsec(&n->e, ELF64_R_SYM(r[i].r_info));
		*code_off = (uint64_t)nm_target_offset(n, s, &r[i]);
		return *code_sec && n->keep[*code_sec] ? 0 : -ENOENT;
	}
	return -ENOENT;
}

int nm_relocate(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s, i, nr, code_sec;
	uint64_t code_off;
	Elf64_Rela *r;
	int ret;

	for (s = 1; s < e->nsec; s++) {
		if (!n->rela[s])
			continue;
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			uint32_t type = ELF64_R_TYPE(r[i].r_info);
			int w = om_elf_reloc_width(type);

			if (!n->keep[s]) {
				/* hidden: the loader skips it anyway; nothing to resolve */
				r[i].r_info = ELF64_R_INFO(ELF64_R_SYM(r[i].r_info), R_X86_64_NONE);
				continue;
			}
			if (w < 0 || ELF64_R_SYM(r[i].r_info) >= e->nsyms) {
				om_log(n->opts, OM_LOG_ERROR, "%s[%s]: relocation %zu: type %u not handled",
				       e->name, om_elf_secname(e, s), i, type);
				return -EINVAL;
			}
			if (!w)
				continue;
			if (loader_resolves(n, &r[i])) {
				n->used[ELF64_R_SYM(r[i].r_info)] = true;
				continue;
			}
			if (nm_is_jump_key(n, s, r[i].r_offset) && type == R_X86_64_PC64 &&
			    r[i].r_offset + w <= e->sh[s].sh_size &&
			    !jump_code(n, s, r[i].r_offset, &code_sec, &code_off)) {
				/*
				 * A static key nobody exports: splice-core writes
				 * it when the module loads, before the kernel's
				 * jump-label code reads it.
				 */
				ret = add_record(n, s, &r[i], OM_NEWREL_EARLY, code_sec, code_off);
				if (ret && ret != -ENOTSUP)
					return ret;
				continue;
			}
			if (is_table(om_elf_secname(e, s)) || s == n->dd) {
				nm_finding(n, s, r[i].r_offset, "loader table entry needs",
					om_elf_symname(e, ELF64_R_SYM(r[i].r_info)));
				continue;
			}
			if (nm_in_replacement(n, s, r[i].r_offset)) {
				nm_finding(n, s, r[i].r_offset, "alternative replacement needs",
					om_elf_symname(e, ELF64_R_SYM(r[i].r_info)));
				continue;
			}
			if (e->sh[s].sh_type == SHT_NOBITS || r[i].r_offset + w > e->sh[s].sh_size)
				return -EINVAL;
			ret = add_record(n, s, &r[i], 0, 0, 0);
			if (ret && ret != -ENOTSUP)
				return ret;
		}
	}
	return 0;
}

/*
 * Hide what is not kept; weaken every undefined symbol no kept relocation
 * leaves to the loader (unexported ones, and exported ones only hidden
 * code uses: a module exporting them need not be loaded); turn global
 * definitions in hidden sections into weak undefined symbols (kept code
 * reaches them through records; another unit linked into the same module
 * must not bind to them).
 */
void nm_hide_and_weaken(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t i;

	for (i = 1; i < e->nsec; i++) {
		if (!strcmp(om_elf_secname(e, i), ".modinfo"))
			e->sh[i].sh_size = 0;	/* the unit's built-in module info */
		if (!n->keep[i])
			om_elf_hide(e, i);
	}
	for (i = 1; i < e->nsyms; i++) {
		Elf64_Sym *sym = &e->syms[i];
		size_t s = om_elf_symsec(e, i);

		if (s && n->keep[s] && ELF64_ST_TYPE(sym->st_info) != STT_SECTION &&
		    nm_ballast(n, s, sym->st_value)) {
			/* ballast (keep_section_of()): the running kernel's */
			if (ELF64_ST_BIND(sym->st_info) == STB_LOCAL) {
				sym->st_shndx = SHN_ABS;
				sym->st_value = 0;
				sym->st_size = 0;
				sym->st_info = ELF64_ST_INFO(STB_LOCAL, STT_NOTYPE);
			} else {
				sym->st_shndx = SHN_UNDEF;
				sym->st_value = 0;
				sym->st_size = 0;
				sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
			}
			continue;
		}
		if (ELF64_ST_BIND(sym->st_info) == STB_LOCAL)
			continue;
		if (s && !n->keep[s]) {
			/* a hidden definition: no definition at all */
			sym->st_shndx = SHN_UNDEF;
			sym->st_value = 0;
			sym->st_size = 0;
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
		} else if (sym->st_shndx == SHN_UNDEF && !n->used[i]) {
			const char *name = om_elf_symname(e, i);

			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
			/*
			 * a trampoline the kept code reaches through a record,
			 * a key only hidden code used: not for objtool (an
			 * exported key stays, the loader resolves it)
			 */
			if (om_elf_static_call_name(name) &&
			    (name[4] == 'T' || !nm_strset_has(&n->exported, name)))
				sym->st_name++;
		}
	}
	om_elf_drop_hidden_annotations(e);
}
