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

#include "obj/arch.h"
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
/* A record whose field (@width bytes at @field of section @fsec) holds the canary. */
static int push_record(struct nm *n, size_t recsec, const struct om_newrel *tmpl, const char *name,
		       size_t fsec, uint64_t field, int width)
{
	struct om_elf *e = &n->e;
	struct om_newrel *rec;
	int ret;

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
	*rec = *tmpl;
	ret = nm_add_string(n, name, &rec->name);
	if (ret)
		return ret;
	n->recsec[n->nrecs++] = recsec;
	if (rec->flags & OM_NEWREL_EARLY)
		n->nearly++;
	if (rec->flags & OM_NEWREL_VALUE)
		n->nvalue++;
	memset(e->buf + e->sh[fsec].sh_offset + field, OM_CANARY_BYTE, width);
	return 0;
}

static int add_record(struct nm *n, size_t s, Elf64_Rela *r, uint32_t early, size_t code_sec,
		      uint64_t code_off)
{
	uint32_t type = ELF64_R_TYPE(r->r_info), flags;
	const char *name;
	int64_t addend;
	int ret;

	ret = label(n, s, r, &name, &addend, &flags);
	if (ret)
		return ret;
	ret = push_record(n, early ? code_sec : s,
			  &(struct om_newrel){ .site = early ? code_off : r->r_offset,
					       .addend = addend, .type = type,
					       .flags = flags | early },
			  name, s, r->r_offset, om_elf_reloc_width(type));
	if (!ret)
		r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_NONE);
	return ret;
}

/* The symbol @name of the object, defined or not; 0 if none. */
static size_t sym_named(const struct nm *n, const char *name)
{
	size_t i;

	for (i = 1; i < n->e.nsyms; i++)
		if (ELF64_ST_TYPE(n->e.syms[i].st_info) != STT_SECTION &&
		    !strcmp(om_elf_symname(&n->e, i), name))
			return i;
	return 0;
}

/*
 * Runtime constants (arch_runtime_const(), 6.11+): kept code holding
 * runtime_const_ptr(sym) or runtime_const_shift_right_32(v, sym) has the
 * compiler's placeholder where the kernel wrote sym's value at boot, and
 * the module loader never reads the runtime_* tables.  Each immediate of
 * kept code becomes a VALUE record: splice-core writes what is stored at
 * sym (8 bytes, or the low byte for a shift: what the kernel wrote) before
 * the new code can run.  Example: filldir64's access_ok() in 6.12,
 * "48 bf <77 x 8>" and {VALUE, R_X86_64_64, "USER_PTR_MAX"}.  The tables
 * themselves stay hidden.
 */
int nm_runtime_consts(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s, i, nr, t, k;
	unsigned int w;
	const char *cname, *name;
	Elf64_Rela *r;
	int64_t off;
	int ret;

	for (s = 1; s < e->nsec; s++) {
		cname = arch_runtime_const(om_elf_secname(e, s), &w);
		if (!cname || !n->rela[s])
			continue;
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_NONE)
				continue;
			t = ELF64_R_SYM(r[i].r_info) < e->nsyms ?
			    om_elf_symsec(e, ELF64_R_SYM(r[i].r_info)) : 0;
			if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_PC32 || !t) {
				om_log(n->opts, OM_LOG_ERROR, "%s[%s]: entry at +0x%llx: "
				       "cannot tell which code it points to", e->name,
				       om_elf_secname(e, s), (unsigned long long)r[i].r_offset);
				return -EINVAL;
			}
			off = nm_target_offset(n, s, &r[i]);
			if (!n->keep[t] || nm_ballast(n, t, (uint64_t)off))
				continue;	/* not new code */
			if (!(e->sh[t].sh_flags & SHF_EXECINSTR) || e->sh[t].sh_type == SHT_NOBITS ||
			    off < 0 || (uint64_t)off + w > e->sh[t].sh_size) {
				om_log(n->opts, OM_LOG_ERROR, "%s[%s]: entry at +0x%llx: "
				       "not an immediate in code", e->name,
				       om_elf_secname(e, s), (unsigned long long)r[i].r_offset);
				return -EINVAL;
			}
			k = sym_named(n, cname);
			name = k && om_elf_symsec(e, k) ? nm_pre_name(n, cname) : cname;
			if (nm_strset_has(&n->new_objs, cname)) {
				nm_finding(n, t, (uint64_t)off, "runtime constant of a new variable:",
					   cname);
				continue;
			}
			ret = push_record(n, t, &(struct om_newrel){ .site = (uint64_t)off,
				.type = w == 8 ? R_X86_64_64 : R_X86_64_8,
				.flags = OM_NEWREL_VALUE |
					 (k && om_elf_symsec(e, k) &&
					  ELF64_ST_BIND(e->syms[k].st_info) == STB_LOCAL ?
					  OM_NEWREL_LOCAL : 0) },
				name, t, (uint64_t)off, (int)w);
			if (ret)
				return ret;
		}
	}
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
 * Is relocation @r of kept section @s in code nothing kept runs?  The
 * unit's function-less code (.altinstr_replacement, .altinstr_aux) is kept
 * whole, but its fragments belong to the functions whose alternatives use
 * them: a replacement that jumps back into its function, an aux tail
 * that returns there.  A fragment pointing into a function the new code
 * does not carry (not kept, outside every kept alternative's replacement:
 * nm_in_replacement() said no) belongs to that function's alternatives,
 * which are dropped with it, and never runs.  Resolving it would be
 * wrong anyway: its target is the running kernel's copy of a function
 * that may be a static with many namesakes (an out-of-line p4d_offset()
 * of a header, one per unit).
 */
static bool dead_fragment(const struct nm *n, size_t s, const Elf64_Rela *r)
{
	const struct om_elf *e = &n->e;
	size_t t;

	if (n->has_func[s] || !(e->sh[s].sh_flags & SHF_EXECINSTR))
		return false;
	t = om_elf_symsec(e, ELF64_R_SYM(r->r_info));
	return t && t < e->nsec && n->has_func[t] && !n->keep[t];
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
			if (dead_fragment(n, s, &r[i])) {
				/* never run: no record, the bytes stay as they are */
				r[i].r_info = ELF64_R_INFO(ELF64_R_SYM(r[i].r_info), R_X86_64_NONE);
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
/*
 * The relocations of kept code that became records or dead (R_X86_64_NONE)
 * still name their symbol.  A local one in a hidden section (a static
 * function the new code tail-calls: "jmp .text.__d_lookup_rcu_op_compare"
 * in 6.12's __d_lookup_rcu) is a jump into code that is no longer there
 * for objtool, which 6.12 runs on the linked module: "can't find jump dest
 * instruction", and objtool gives up on the whole module, which then has
 * no .return_sites (its returns go through the unpatched
 * __x86_return_thunk: "Unpatched return thunk in use" at the first
 * return), no .call_sites and no ORC.  Such a relocation names the null
 * symbol instead: to objtool an external call, to the loader nothing.
 */
static void unname_hidden_targets(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s, i, nr, symi, t;
	Elf64_Rela *r;

	for (s = 1; s < e->nsec; s++) {
		if (!n->keep[s] || !n->rela[s] || !(e->sh[s].sh_flags & SHF_EXECINSTR))
			continue;
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			symi = ELF64_R_SYM(r[i].r_info);
			if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE || !symi || symi >= e->nsyms)
				continue;
			t = om_elf_symsec(e, symi);
			if (t && !n->keep[t] &&
			    (ELF64_ST_TYPE(e->syms[symi].st_info) == STT_SECTION ||
			     ELF64_ST_BIND(e->syms[symi].st_info) == STB_LOCAL))
				r[i].r_info = ELF64_R_INFO(0, R_X86_64_NONE);
		}
	}
}

void nm_hide_and_weaken(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t i;

	unname_hidden_targets(n);

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
