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

#include "obj/arch.h"
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
	{ ".altinstructions", 0, 0, NULL, 0 },		/* struct alt_instr: nm_alt_layout() */
	{ ".parainstructions", 16, 0, NULL, 0 },	/* struct paravirt_patch_site */
	{ ".smp_locks", 4, 0, NULL, 0 },
	{ ".retpoline_sites", 4, 0, NULL, 0 },
	{ ".return_sites", 4, 0, NULL, 0 },
	{ ".call_sites", 4, 0, NULL, 0 },		/* 6.12: call depth tracking */
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

/* The function symbol @name. */
static int find_func(struct nm *n, const char *name, size_t *out)
{
	struct om_elf *e = &n->e;
	size_t i, found = 0;

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
	*out = found;
	return 0;
}

/*
 * Keep the section of function symbol @f.  A section it shares with other
 * functions (__sched puts schedule() and friends into .sched.text,
 * __kprobes into .kprobes.text, even with -ffunction-sections) is kept
 * whole, relocated like any kept code: the assembler resolved calls and
 * jumps between its functions ("call 0 <st>", "jmp 20 <gl>" with no
 * relocation), so the other functions' code must be where the kept one's
 * branches land.  They are ballast: copies of code the running kernel
 * has (the pre section was matched whole, so every symbol they use was
 * learned), that the module does not define.  Their symbols become
 * undefined (nm_hide_and_weaken()), and a relocation naming one becomes a
 * record for the running kernel's.  f owns [f, the next symbol of the
 * section or its end), its alignment padding included.  The copy keeps the
 * section's name: in a module, .kprobes.text is still blacklisted for
 * kprobes (add_module_kprobe_blacklist()).
 */
static int keep_section_of(struct nm *n, size_t f)
{
	struct om_elf *e = &n->e;
	size_t s = om_elf_symsec(e, f), k, others = 0;
	uint64_t start = e->syms[f].st_value, end = e->sh[s].sh_size;
	struct own *p;

	for (k = 0; k < n->nbyaddr; k++) {
		size_t j = n->byaddr[k];

		if (j == f || om_elf_symsec(e, j) != s)
			continue;
		if (ELF64_ST_TYPE(e->syms[j].st_info) == STT_FUNC)
			others++;
		if (e->syms[j].st_value > start && e->syms[j].st_value < end)
			end = e->syms[j].st_value;
	}
	n->keep[s] = true;
	if (!others)
		return 0;
	p = realloc(n->own, (n->nown + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	n->own = p;
	n->own[n->nown++] = (struct own){ .sec = s, .start = start, .end = end };
	n->shared[s] = true;
	om_log(n->opts, OM_LOG_INFO, "%s[%s]: %s shares the section with %zu other functions, "
	       "kept as ballast", e->name, om_elf_secname(e, s), om_elf_symname(e, f), others);
	return 0;
}

/* Keep @name's section and its FUNC.cold / FUNC.cold.N parts. */
int nm_keep_func(struct nm *n, const char *name, size_t *sym)
{
	struct om_elf *e = &n->e;
	size_t len = strlen(name), i;
	int ret = find_func(n, name, sym);

	if (!ret)
		ret = keep_section_of(n, *sym);
	for (i = 1; !ret && i < e->nsyms; i++) {
		const char *s = om_elf_symname(e, i);

		if (ELF64_ST_TYPE(e->syms[i].st_info) == STT_FUNC && om_elf_symsec(e, i) &&
		    !strncmp(s, name, len) &&
		    (!strcmp(s + len, ".cold") || !strncmp(s + len, ".cold.", 6)))
			ret = keep_section_of(n, i);
	}
	return ret;
}

/*
 * Should a section that kept code or data references be kept too?
 *   read-only data holding a named constant the running kernel has
 *   unchanged (and nothing else named): no, the running one is used, as
 *   code may compare its address (newmod-twins.c; a record);
 *   other read-only data and strings: yes (a copy of such a constant is
 *   the constant);
 *   code without functions (.altinstr_replacement, .altinstr_aux): yes;
 *   a function: no, the running one is called (a record);
 *   writable data the pre object has: no, the running one is used (a record);
 *   writable data the pre object does not have: yes, it is new.
 * "Has" is the differ's correlation first (newmod-twins.c): ".bss.stfu.1"
 * holds the running kernel's "stfu.0" when gcc renumbered it, and a
 * section of the pre object's name that holds only new variables is new.
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
		return !nm_strset_has(&n->ro_twin_secs, name) || nm_strset_has(&n->ro_own_secs, name);
	/*
	 * .data.once holds the "done" flags of WARN_ONCE(), printk_once(),
	 * DO_ONCE_LITE(): a new one in kept code takes the section along; the
	 * kept code's old flags are then fresh copies, so each of its
	 * warnings may print once more.  Nothing else depends on them.
	 */
	if (!strcmp(name, ".data.once") && nm_strset_has(&n->new_secs, name))
		return true;
	if (nm_strset_has(&n->twin_secs, name))
		return false;	/* holds a variable the running kernel has */
	if (nm_strset_has(&n->new_secs, name))
		return true;	/* holds only new variables */
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
 * struct alt_instr's layout in this object, before any table is filtered
 * (12 bytes in 6.1, 14 in 6.12: arch_alt_entsize()).
 */
int nm_alt_layout(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s = nm_section_named(e, ".altinstructions"), nr = 0;

	if (!s)
		return 0;
	if (n->rela[s])
		om_elf_relas(e, n->rela[s], &nr);
	n->alt_entsize = arch_alt_entsize(e->sh[s].sh_size, nr, &n->alt_replen_off);
	if (!n->alt_entsize) {
		om_log(n->opts, OM_LOG_ERROR, "%s[.altinstructions]: %llu bytes with %zu "
		       "relocations: not an array of struct alt_instr (12 or 14 bytes)",
		       e->name, (unsigned long long)e->sh[s].sh_size, nr);
		return -EINVAL;
	}
	return 0;
}

/* Entry size of table @t (0 in nm_tables: struct alt_instr, nm_alt_layout()). */
static unsigned int table_entsize(const struct nm *n, const struct table *t)
{
	return t->entsize ? t->entsize : n->alt_entsize;
}

/*
 * For each entry of table section @s: the index of its site relocation, or
 * SIZE_MAX.  Malloc'ed; NULL on ENOMEM.
 */
static size_t *site_index(const struct nm *n, size_t s, const struct table *t, size_t *cnt)
{
	unsigned int es = table_entsize(n, t);
	size_t i, nr, *idx;
	Elf64_Rela *r;

	*cnt = es ? n->e.sh[s].sh_size / es : 0;
	idx = malloc((*cnt ? *cnt : 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	for (i = 0; i < *cnt; i++)
		idx[i] = SIZE_MAX;
	if (!n->rela[s])
		return idx;
	r = om_elf_relas(&n->e, n->rela[s], &nr);
	for (i = 0; i < nr; i++)
		if (r[i].r_offset % es == t->site && r[i].r_offset / es < *cnt &&
		    ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE)
			idx[r[i].r_offset / es] = i;
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
	unsigned int es[ARRAY_SIZE(nm_tables)] = { 0 };
	Elf64_Rela *r;
	int ret = 0;

	for (ti = 0; ti < ARRAY_SIZE(nm_tables); ti++) {
		sec[ti] = nm_section_named(e, nm_tables[ti].name);
		if (sec[ti])
			es[ti] = table_entsize(n, &nm_tables[ti]);
		if (sec[ti] && es[ti] && n->rela[sec[ti]] && e->sh[sec[ti]].sh_size % es[ti] == 0 &&
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
					       r[j].r_offset / es[ti]))
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
	unsigned int es;
	unsigned char *d, *pd = NULL;
	Elf64_Rela *r;

	if (!s || !(e->sh[s].sh_flags & SHF_ALLOC))
		return 0;
	es = table_entsize(n, t);
	if (!es || e->sh[s].sh_size % es) {
		om_log(n->opts, OM_LOG_ERROR, "%s[%s]: size %llu is not a multiple of %u",
		       e->name, t->name, (unsigned long long)e->sh[s].sh_size, es ? es : 12);
		return -EINVAL;
	}
	cnt = e->sh[s].sh_size / es;
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
		memmove(d + kept * es, d + k * es, es);
		if (pd)
			memmove(pd + kept * t->pair_entsize, pd + k * t->pair_entsize,
				t->pair_entsize);
		kept++;
	}
	if (n->rela[s]) {
		size_t j = 0;

		/*
		 * The dropped entries' relocations go: left behind (even as
		 * R_X86_64_NONE) on a kept entry's offset, objtool, which 6.12
		 * runs on the module, may take one for the kept entry's and
		 * look for the entry's code in hidden code ("special: can't
		 * find orig instruction"), then give up on the whole module.
		 */
		r = om_elf_relas(e, n->rela[s], &nr);
		for (i = 0; i < nr; i++) {
			k = r[i].r_offset / es;
			if (k < cnt && newidx[k] != SIZE_MAX) {
				r[j] = r[i];
				r[j++].r_offset = newidx[k] * es + r[i].r_offset % es;
			}
		}
		e->sh[n->rela[s]].sh_size = j * sizeof(*r);
	}
	free(newidx);
	free(site);
	e->sh[s].sh_size = kept * es;
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
	unsigned int es = n->alt_entsize, replen_off = n->alt_replen_off;
	Elf64_Rela *r;

	if (!s || !n->keep[s] || !n->rela[s] || !es)
		return 0;
	r = om_elf_relas(e, n->rela[s], &nr);
	n->repl = calloc(nr ? nr : 1, sizeof(*n->repl));
	if (!n->repl)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		const unsigned char *ent;

		if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_NONE || r[i].r_offset % es != 4)
			continue;
		ent = e->buf + e->sh[s].sh_offset + r[i].r_offset - 4;
		n->replsec = om_elf_symsec(e, ELF64_R_SYM(r[i].r_info));
		n->repl[n->nrepl][0] = e->syms[ELF64_R_SYM(r[i].r_info)].st_value + r[i].r_addend;
		n->repl[n->nrepl][1] = n->repl[n->nrepl][0] + ent[replen_off];
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
