// SPDX-License-Identifier: GPL-2.0
/*
 * newmod-tables.c: what stays of the post object, and the loader's tables
 * filtered to it (newmod.c).
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

/* ------------------------------------------------------------ the loader's tables */

/*
 * Tables of fixed-size entries the loader (or ftrace, the unwinder, the
 * exception and bug handlers) reads for the module.  The entry's "site"
 * relocation at @site names the code it is about: entries of kept code
 * stay, the others go.  .orc_unwind has no relocations: it is filtered
 * with .orc_unwind_ip, entry for entry.
 */
const struct table nm_tables[] = {
	{ "__mcount_loc", 8, 0, NULL, 0 },
	{ ".altinstructions", 12, 0, NULL, 0 },		/* struct alt_instr */
	{ ".parainstructions", 16, 0, NULL, 0 },	/* struct paravirt_patch_site */
	{ ".smp_locks", 4, 0, NULL, 0 },
	{ ".retpoline_sites", 4, 0, NULL, 0 },
	{ ".return_sites", 4, 0, NULL, 0 },
	{ "__ex_table", 12, 0, NULL, 0 },		/* struct exception_table_entry */
	{ "__bug_table", 12, 0, NULL, 0 },		/* relative, verbose */
	{ "__jump_table", 16, 0, NULL, 0 },		/* struct jump_entry */
	{ ".orc_unwind_ip", 4, 0, ".orc_unwind", 6 },
};
/*
 * Sections that are never kept as plain data: those the loader acts on
 * (elfraw.c's list) and these.
 */
static const char *const special[] = {
	".altinstructions", ".parainstructions", ".smp_locks", ".modinfo", ".init*",
	".exit*", ".discard*", ".initcall*", ".con_initcall*", "__versions",
};

static bool is_special(const char *name)
{
	return om_name_in(name, om_loader_sections, om_nloader_sections) ||
	       om_name_in(name, special, ARRAY_SIZE(special));
}

/* ------------------------------------------------------------ what stays */

/* The function symbol @name, alone in its section. */
static int find_func(struct nm *n, const char *name, size_t *out)
{
	struct om_elf *e = &n->e;
	size_t i, s, k, found = 0;

	for (i = 1; i < e->nsyms; i++)
		if (ELF64_ST_TYPE(e->syms[i].st_info) == STT_FUNC && om_elf_symsec(e, i) &&
		    !strcmp(om_elf_symname(e, i), name)) {
			if (found) {
				om_log(n->opts, OM_LOG_ERROR, "%s: %s: defined twice", e->name, name);
				return -EINVAL;
			}
			found = i;
		}
	if (!found) {
		om_log(n->opts, OM_LOG_ERROR, "%s: %s: no such function", e->name, name);
		return -ENOENT;
	}
	s = om_elf_symsec(e, found);
	for (k = 0; k < n->nbyaddr; k++) {
		size_t j = n->byaddr[k];

		if (j != found && om_elf_symsec(e, j) == s && ELF64_ST_TYPE(e->syms[j].st_info) == STT_FUNC) {
			om_log(n->opts, OM_LOG_ERROR,
			       "%s[%s]: %s shares its section with %s: build with -ffunction-sections",
			       e->name, om_elf_secname(e, s), name, om_elf_symname(e, j));
			return -EINVAL;
		}
	}
	*out = found;
	return 0;
}

/* Keep @name's section and its FUNC.cold / FUNC.cold.N parts. */
int nm_keep_func(struct nm *n, const char *name, size_t *sym)
{
	struct om_elf *e = &n->e;
	size_t len = strlen(name), i;
	int ret = find_func(n, name, sym);

	if (ret)
		return ret;
	n->keep[om_elf_symsec(e, *sym)] = true;
	for (i = 1; i < e->nsyms; i++) {
		const char *s = om_elf_symname(e, i);

		if (ELF64_ST_TYPE(e->syms[i].st_info) == STT_FUNC && om_elf_symsec(e, i) &&
		    !strncmp(s, name, len) &&
		    (!strcmp(s + len, ".cold") || !strncmp(s + len, ".cold.", 6)))
			n->keep[om_elf_symsec(e, i)] = true;
	}
	return 0;
}

/*
 * Should a section that kept code or data references be kept too?
 *   read-only data and strings: yes (a copy of a constant is the constant);
 *   code without functions (.altinstr_replacement, .altinstr_aux): yes;
 *   a function: no, the running one is called (a record);
 *   writable data the pre object has: no, the running one is used (a record);
 *   writable data the pre object does not have: yes, it is new.
 */
static bool wanted(const struct nm *n, size_t t)
{
	const Elf64_Shdr *s = &n->e.sh[t];
	const char *name = om_elf_secname(&n->e, t);

	if (!t || !(s->sh_flags & SHF_ALLOC) || is_special(name))
		return false;
	if (s->sh_flags & SHF_EXECINSTR)
		return !n->has_func[t];
	if (!(s->sh_flags & SHF_WRITE))
		return true;
	return !nm_strset_has(&n->pre_secs, name);
}
/* Keep what relocation @r of kept section (or table entry) @s points to. */
static bool keep_target(struct nm *n, size_t s, const Elf64_Rela *r)
{
	size_t t, k = nm_dd_entry(n, s, r);

	if (k != SIZE_MAX) {
		if (n->dd_keep[k])
			return false;
		n->dd_keep[k] = true;	/* a descriptor the kept code uses */
		return true;
	}
	t = om_elf_symsec(&n->e, ELF64_R_SYM(r->r_info));
	if (ELF64_R_SYM(r->r_info) >= n->e.nsyms || n->keep[t] || !wanted(n, t))
		return false;
	n->keep[t] = true;
	return true;
}

size_t nm_section_named(const struct om_elf *e, const char *name)
{
	size_t i;

	for (i = 1; i < e->nsec; i++)
		if (!strcmp(om_elf_secname(e, i), name))
			return i;
	return 0;
}

/*
 * For each entry of table section @s: the index of its site relocation, or
 * SIZE_MAX.  Malloc'ed; NULL on ENOMEM.
 */
static size_t *site_index(const struct nm *n, size_t s, const struct table *t, size_t *cnt)
{
	size_t i, nr, *idx;
	Elf64_Rela *r;

	*cnt = n->e.sh[s].sh_size / t->entsize;
	idx = malloc((*cnt ? *cnt : 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	for (i = 0; i < *cnt; i++)
		idx[i] = SIZE_MAX;
	if (!n->rela[s])
		return idx;
	r = om_elf_relas(&n->e, n->rela[s], &nr);
	for (i = 0; i < nr; i++)
		if (r[i].r_offset % t->entsize == t->site && r[i].r_offset / t->entsize < *cnt &&
		    ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE)
			idx[r[i].r_offset / t->entsize] = i;
	return idx;
}

static bool entry_kept(const struct nm *n, size_t s, const size_t *idx, size_t cnt, size_t k)
{
	size_t nr, symi;
	Elf64_Rela *r;

	if (k >= cnt || idx[k] == SIZE_MAX)
		return false;
	r = om_elf_relas(&n->e, n->rela[s], &nr);
	symi = ELF64_R_SYM(r[idx[k]].r_info);
	return symi < n->e.nsyms && n->keep[om_elf_symsec(&n->e, symi)];
}

/* Kept sections and the kept tables' entries pull in what they reference. */
int nm_close_keep(struct nm *n)
{
	struct om_elf *e = &n->e;
	bool changed = true;
	size_t i, j, nr, ti, cnt[ARRAY_SIZE(nm_tables)] = { 0 }, sec[ARRAY_SIZE(nm_tables)] = { 0 };
	size_t *idx[ARRAY_SIZE(nm_tables)] = { NULL };
	Elf64_Rela *r;
	int ret = 0;

	for (ti = 0; ti < ARRAY_SIZE(nm_tables); ti++) {
		sec[ti] = nm_section_named(e, nm_tables[ti].name);
		if (sec[ti] && n->rela[sec[ti]] && e->sh[sec[ti]].sh_size % nm_tables[ti].entsize == 0 &&
		    !(idx[ti] = site_index(n, sec[ti], &nm_tables[ti], &cnt[ti])))
			ret = -ENOMEM;
	}
	while (!ret && changed) {
		changed = false;
		for (i = 1; i < e->nsec; i++) {
			if (!n->keep[i] || !n->rela[i])
				continue;
			r = om_elf_relas(e, n->rela[i], &nr);
			for (j = 0; j < nr; j++)
				changed |= keep_target(n, i, &r[j]);
		}
		/* a kept descriptor's strings */
		if (n->dd && n->rela[n->dd]) {
			r = om_elf_relas(e, n->rela[n->dd], &nr);
			for (j = 0; j < nr; j++)
				if (r[j].r_offset / DDEBUG_SIZE < n->ndd &&
				    n->dd_keep[r[j].r_offset / DDEBUG_SIZE])
					changed |= keep_target(n, n->dd, &r[j]);
		}
		for (ti = 0; ti < ARRAY_SIZE(nm_tables); ti++) {
			if (!idx[ti])
				continue;
			r = om_elf_relas(e, n->rela[sec[ti]], &nr);
			for (j = 0; j < nr; j++)
				if (entry_kept(n, sec[ti], idx[ti], cnt[ti],
					       r[j].r_offset / nm_tables[ti].entsize))
					changed |= keep_target(n, sec[ti], &r[j]);
		}
	}
	for (ti = 0; ti < ARRAY_SIZE(nm_tables); ti++)
		free(idx[ti]);
	return ret;
}

/*
 * Keep only the entries of kept code, moved to the front; the relocations
 * of the dropped ones become R_X86_64_NONE.  A table left empty is hidden.
 */
int nm_filter_table(struct nm *n, const struct table *t)
{
	struct om_elf *e = &n->e;
	size_t s = nm_section_named(e, t->name), p = 0, cnt, k, kept = 0, i, nr;
	size_t *newidx, *site;
	unsigned char *d, *pd = NULL;
	Elf64_Rela *r;

	if (!s || !(e->sh[s].sh_flags & SHF_ALLOC))
		return 0;
	if (e->sh[s].sh_size % t->entsize) {
		om_log(n->opts, OM_LOG_ERROR, "%s[%s]: size %llu is not a multiple of %u",
		       e->name, t->name, (unsigned long long)e->sh[s].sh_size, t->entsize);
		return -EINVAL;
	}
	cnt = e->sh[s].sh_size / t->entsize;
	if (t->pair) {
		p = nm_section_named(e, t->pair);
		if (!p || e->sh[p].sh_size != cnt * t->pair_entsize) {
			om_log(n->opts, OM_LOG_ERROR, "%s[%s]: does not pair with %s", e->name,
			       t->name, t->pair);
			return -EINVAL;
		}
		pd = e->buf + e->sh[p].sh_offset;
	}
	site = site_index(n, s, t, &cnt);
	newidx = calloc(cnt ? cnt : 1, sizeof(*newidx));
	if (!newidx || !site) {
		free(newidx);
		free(site);
		return -ENOMEM;
	}
	d = e->buf + e->sh[s].sh_offset;
	for (k = 0; k < cnt; k++) {
		newidx[k] = SIZE_MAX;
		if (!entry_kept(n, s, site, cnt, k))
			continue;
		newidx[k] = kept;
		memmove(d + kept * t->entsize, d + k * t->entsize, t->entsize);
		if (pd)
			memmove(pd + kept * t->pair_entsize, pd + k * t->pair_entsize,
				t->pair_entsize);
		kept++;
	}
	if (n->rela[s]) {
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			k = r[i].r_offset / t->entsize;
			if (k < cnt && newidx[k] != SIZE_MAX) {
				r[i].r_offset = newidx[k] * t->entsize + r[i].r_offset % t->entsize;
				continue;
			}
			r[i].r_info = ELF64_R_INFO(ELF64_R_SYM(r[i].r_info), R_X86_64_NONE);
			r[i].r_offset = 0;
		}
	}
	free(newidx);
	free(site);
	e->sh[s].sh_size = kept * t->entsize;
	if (p)
		e->sh[p].sh_size = kept * t->pair_entsize;
	if (kept) {
		n->keep[s] = true;
		if (p)
			n->keep[p] = true;
	}
	return 0;
}
/* Replacement bytes the kept alternatives copy into kept code. */
int nm_note_replacements(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s = nm_section_named(e, ".altinstructions"), i, nr;
	Elf64_Rela *r;

	if (!s || !n->keep[s] || !n->rela[s])
		return 0;
	r = om_elf_relas(e, n->rela[s], &nr);
	n->repl = calloc(nr ? nr : 1, sizeof(*n->repl));
	if (!n->repl)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const unsigned char *ent;

		if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_NONE || r[i].r_offset % 12 != 4)
			continue;
		ent = e->buf + e->sh[s].sh_offset + r[i].r_offset - 4;
		n->replsec = om_elf_symsec(e, ELF64_R_SYM(r[i].r_info));
		n->repl[n->nrepl][0] = e->syms[ELF64_R_SYM(r[i].r_info)].st_value + r[i].r_addend;
		n->repl[n->nrepl][1] = n->repl[n->nrepl][0] + ent[11];	/* replacementlen */
		n->nrepl++;
	}
	return 0;
}

bool nm_in_replacement(const struct nm *n, size_t s, uint64_t off)
{
	size_t i;

	for (i = 0; s == n->replsec && i < n->nrepl; i++)
		if (off >= n->repl[i][0] && off < n->repl[i][1])
			return true;
	return false;
}
