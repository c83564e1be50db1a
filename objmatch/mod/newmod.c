// SPDX-License-Identifier: GPL-2.0
/*
 * newmod.c: turn a post object into the new code of an update, loadable by
 * the kernel's own module loader (Ksplice's approach; docs/new-code.md).
 *
 * The new code calls and reads what the running kernel has: statics of its
 * unit, unexported functions, data the loader can't name.  The loader can
 * only resolve exported symbols and the module's own sections, so:
 *
 *  - Kept (allocated, loaded): the chosen functions' sections (changed and
 *    added, with their FUNC.cold parts), the read-only data and string
 *    sections they reference, code sections without functions they
 *    reference (alternative replacements, .altinstr_aux), and new data
 *    (a writable section the pre object does not have).  Transitively.
 *  - The loader's tables (__mcount_loc, .altinstructions, __ex_table,
 *    __bug_table, ORC, ...) are filtered to the entries of kept code and
 *    compacted in place, so the new code is traced, patched for this CPU,
 *    has its exception fixups and can be unwound like any module code.
 *  - Every other allocated section is hidden: SHF_ALLOC cleared and the
 *    first character of its name dropped ("__jump_table" -> "_jump_table"),
 *    so that the link with the stub does not merge it into an allocated
 *    section of the same name.
 *  - A relocation in kept code or data whose target is not kept, or is an
 *    undefined symbol Module.symvers does not list, becomes R_X86_64_NONE
 *    with the canary 0x77 in its field, and a record {site, type, addend,
 *    symbol name, flags}.  Example: "call override_release" (PLT32 to the
 *    hidden .text.override_release - 4) becomes "e8 77 77 77 77" and the
 *    record {site, PLT32, -4, "override_release", LOCAL}; splice-core
 *    writes the value once run-pre matching learned where override_release
 *    runs.  The site field of the record is itself an R_X86_64_64 to the
 *    kept section, so the loader tells splice-core the site's address.
 *  - Undefined symbols nobody exports become weak, so neither modpost nor
 *    the loader insists on them (premod.c explains why weak).
 *  - Appended: sections .splice.funcs (one u64 per changed function, an
 *    R_X86_64_64 to the function's symbol: no symbol becomes global) and
 *    .splice.relocs (the records), with global symbols splice_new_funcs
 *    and splice_new_relocs for the stub.  Globals go after the locals, so
 *    appending to the symbol table keeps ELF's ordering rule.
 *
 * Two kinds of data the kernel reads when the module loads, before
 * splice-core's apply could write a record, are handled on their own:
 *
 *  - pr_debug() descriptors (struct _ddebug in __dyndbg, each holding the
 *    static key of its call site's jump label): the descriptors kept code
 *    uses are kept, compacted in place like a loader table, and every
 *    reference to them follows.  The module's own dynamic-debug table
 *    then holds them (load_module -> dynamic_debug_setup), and their keys
 *    are the module's own, which the loader resolves.
 *  - the key of a kept __jump_table entry that neither the module nor an
 *    export defines (DEFINE_STATIC_KEY_FALSE(foo) of vmlinux): a record
 *    flagged EARLY, which splice-core writes from a module notifier at
 *    MODULE_STATE_COMING, before the kernel's jump-label notifier reads
 *    the key (splice-core/early.c).  Its two flag bits stay in the addend.
 *    The unit then references OM_NEWREL_EARLY_SYMBOL, so that only a
 *    splice-core able to write them loads the module.
 *
 * Any other kept loader-table entry that would need a record (an
 * alternative replacement that calls an unexported function, a
 * descriptor's string the module does not have) can't be: the loader acts
 * on it before splice-core could write it.  Each is reported, and the
 * rewrite fails with -ENOTSUP.
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

/* ------------------------------------------------------------ name sets */

/* An open-addressing hash set of strings (copies), sized once. */
struct strset {
	char **slot;
	size_t cap, n;
};

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

static bool strset_has(const struct strset *s, const char *name)
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
static int strset_add(struct strset *s, const char *name)
{
	size_t j;

	if (strset_has(s, name))
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

static void strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Every exported name of a Module.symvers ("crc\tname\tmodule\tkind\tns"). */
static int read_symvers(const char *path, struct strset *out, const struct om_options *opts)
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
		ret = strset_add(out, name);
	}
	fclose(f);
	return ret;
}

/* ------------------------------------------------------------ the loader's tables */

/*
 * Tables of fixed-size entries the loader (or ftrace, the unwinder, the
 * exception and bug handlers) reads for the module.  The entry's "site"
 * relocation at @site names the code it is about: entries of kept code
 * stay, the others go.  .orc_unwind has no relocations: it is filtered
 * with .orc_unwind_ip, entry for entry.
 */
static const struct table {
	const char *name;
	unsigned int entsize, site;
	const char *pair;
	unsigned int pair_entsize;
} tables[] = {
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

/* struct jump_entry (x86-64, 6.1): s32 code, s32 target, long key */
#define JUMP_ENTRY_SIZE	16
#define JUMP_ENTRY_KEY	8

/*
 * struct _ddebug (include/linux/dynamic_debug.h, 6.1, x86-64 with
 * CONFIG_JUMP_LABEL): modname, function, filename, format, the
 * lineno/class_id/flags word, and the call site's static key at +40; 56
 * bytes, aligned to 8.  The module loader takes __dyndbg as an array of
 * them (section_objs(), kernel/module/main.c).
 */
#define DDEBUG_SECTION	"__dyndbg"
#define DDEBUG_SIZE	56

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

/* ------------------------------------------------------------ the rewrite's state */

struct nm {
	const struct om_newmod_opts *o;
	const struct om_options *opts;
	struct om_elf e;
	struct strset exported, pre_secs, provided;
	bool *keep;		/* per section */
	size_t *rela;		/* per section: its RELA section, or 0 */
	bool *has_func;		/* per section: defines a FUNC symbol */
	size_t *secsym;		/* per section: a symbol for it (0: none) */
	size_t *byaddr;		/* defined FUNC/OBJECT symbols by (section, value) */
	size_t nbyaddr;
	size_t *funcsym;	/* per changed function: its symbol */
	/* ranges of .altinstr_replacement used by kept entries */
	uint64_t (*repl)[2];
	size_t nrepl;
	size_t replsec;
	/* records */
	struct om_newrel *recs;
	size_t *recsec;
	size_t nrecs, caprecs;
	char *strs;
	size_t strslen, strscap;
	bool *used;		/* per symbol: a kept relocation leaves it to the loader */
	size_t nearly;		/* records flagged EARLY (jump-label keys) */
	/* __dyndbg: the pr_debug() descriptors kept code uses */
	size_t dd;		/* its section, or 0 */
	size_t ndd;		/* descriptors in it */
	bool *dd_keep;		/* per descriptor */
	int findings;
};

static const struct om_elf *sort_elf;

static int cmp_byaddr(const void *a, const void *b)
{
	const Elf64_Sym *x = &sort_elf->syms[*(const size_t *)a];
	const Elf64_Sym *y = &sort_elf->syms[*(const size_t *)b];

	if (x->st_shndx != y->st_shndx)
		return x->st_shndx < y->st_shndx ? -1 : 1;
	if (x->st_value != y->st_value)
		return x->st_value < y->st_value ? -1 : 1;
	return 0;
}

/* The named FUNC/OBJECT symbol of section @s that covers @off best, or 0. */
static size_t sym_at(const struct nm *n, size_t s, int64_t off)
{
	size_t lo = 0, hi = n->nbyaddr, best = 0;

	while (lo < hi) {	/* first entry > (s, off) */
		size_t mid = (lo + hi) / 2;
		const Elf64_Sym *m = &n->e.syms[n->byaddr[mid]];

		if (m->st_shndx < s || (m->st_shndx == s && (int64_t)m->st_value <= off))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && n->e.syms[n->byaddr[lo - 1]].st_shndx == s)
		best = n->byaddr[lo - 1];
	else if (lo < n->nbyaddr && n->e.syms[n->byaddr[lo]].st_shndx == s)
		best = n->byaddr[lo];	/* offset before the first symbol */
	return best;
}

/* "func+0x1c" for a place in section @s, into @buf. */
static const char *where(const struct nm *n, size_t s, uint64_t off, char *buf, size_t len)
{
	size_t k = sym_at(n, s, (int64_t)off);

	if (k)
		snprintf(buf, len, "%s+0x%llx", om_elf_symname(&n->e, k),
			 (unsigned long long)(off - n->e.syms[k].st_value));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)off);
	return buf;
}

static void finding(struct nm *n, size_t s, uint64_t off, const char *what, const char *sym)
{
	char w[256];

	om_log(n->opts, OM_LOG_WARN, "%s[%s]: %s: %s %s", n->e.name, om_elf_secname(&n->e, s),
	       where(n, s, off, w, sizeof(w)), what, sym);
	n->findings++;
}

/* Is offset @off of section @s the key field of a __jump_table entry? */
static bool is_jump_key(const struct nm *n, size_t s, uint64_t off)
{
	return off % JUMP_ENTRY_SIZE == JUMP_ENTRY_KEY &&
	       !strcmp(om_elf_secname(&n->e, s), "__jump_table");
}

/*
 * Where relocation @r of section @site_sec points, as an offset in its
 * symbol's section.  A PC-relative field of an instruction is relative to
 * the instruction's end ("call foo" is foo-4); one in data ("foo - .") to
 * the field itself.  A jump label's key field carries two flag bits in its
 * addend (bit 0: the branch's default, bit 1: a jump objtool turned into
 * a NOP; the kernel reuses it as the "init" mark): "key + 2 - .".
 */
static int64_t target_offset(const struct nm *n, size_t site_sec, const Elf64_Rela *r)
{
	uint32_t type = ELF64_R_TYPE(r->r_info);
	int64_t off = r->r_addend;

	if (is_jump_key(n, site_sec, r->r_offset))
		off &= ~(int64_t)3;
	else if (om_elf_reloc_pcrel(type) && (n->e.sh[site_sec].sh_flags & SHF_EXECINSTR))
		off += om_elf_reloc_width(type);
	return off + (int64_t)n->e.syms[ELF64_R_SYM(r->r_info)].st_value;
}

static int build_index(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t i;

	n->keep = calloc(e->nsec, sizeof(*n->keep));
	n->rela = calloc(e->nsec, sizeof(*n->rela));
	n->has_func = calloc(e->nsec, sizeof(*n->has_func));
	n->secsym = calloc(e->nsec, sizeof(*n->secsym));
	n->byaddr = calloc(e->nsyms ? e->nsyms : 1, sizeof(*n->byaddr));
	n->used = calloc(e->nsyms ? e->nsyms : 1, sizeof(*n->used));
	if (!n->used || !n->keep || !n->rela || !n->has_func || !n->secsym || !n->byaddr)
		return -ENOMEM;
	for (i = 1; i < e->nsec; i++) {
		if (e->sh[i].sh_type != SHT_RELA)
			continue;
		if (e->sh[i].sh_info >= e->nsec || e->sh[i].sh_link != e->symtab ||
		    n->rela[e->sh[i].sh_info]) {
			om_log(n->opts, OM_LOG_ERROR, "%s[%s]: unexpected relocation section",
			       e->name, om_elf_secname(e, i));
			return -EINVAL;
		}
		n->rela[e->sh[i].sh_info] = i;
	}
	for (i = 1; i < e->nsyms; i++) {
		size_t s = om_elf_symsec(e, i);
		unsigned int t = ELF64_ST_TYPE(e->syms[i].st_info);

		if (!s)
			continue;
		if (t == STT_SECTION && !n->secsym[s])
			n->secsym[s] = i;
		if (t == STT_FUNC)
			n->has_func[s] = true;
		if ((t == STT_FUNC || t == STT_OBJECT) && om_elf_symname(e, i)[0])
			n->byaddr[n->nbyaddr++] = i;
	}
	sort_elf = e;
	qsort(n->byaddr, n->nbyaddr, sizeof(*n->byaddr), cmp_byaddr);
	/* no section symbol: any symbol of the section will do (value subtracted) */
	for (i = 0; i < n->nbyaddr; i++) {
		size_t s = e->syms[n->byaddr[i]].st_shndx;

		if (!n->secsym[s])
			n->secsym[s] = n->byaddr[i];
	}
	return 0;
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
static int keep_func(struct nm *n, const char *name, size_t *sym)
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
	return !strset_has(&n->pre_secs, name);
}

/* The descriptor of __dyndbg relocation @r of section @s points into, or SIZE_MAX. */
static size_t dd_entry(const struct nm *n, size_t s, const Elf64_Rela *r)
{
	int64_t off;

	if (!n->dd || ELF64_R_SYM(r->r_info) >= n->e.nsyms ||
	    om_elf_symsec(&n->e, ELF64_R_SYM(r->r_info)) != n->dd)
		return SIZE_MAX;
	off = target_offset(n, s, r);
	if (off < 0 || (uint64_t)off >= n->ndd * DDEBUG_SIZE)
		return SIZE_MAX;
	return (size_t)off / DDEBUG_SIZE;
}

/* Keep what relocation @r of kept section (or table entry) @s points to. */
static bool keep_target(struct nm *n, size_t s, const Elf64_Rela *r)
{
	size_t t, k = dd_entry(n, s, r);

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

static size_t section_named(const struct om_elf *e, const char *name)
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
static int close_keep(struct nm *n)
{
	struct om_elf *e = &n->e;
	bool changed = true;
	size_t i, j, nr, ti, cnt[ARRAY_SIZE(tables)] = { 0 }, sec[ARRAY_SIZE(tables)] = { 0 };
	size_t *idx[ARRAY_SIZE(tables)] = { NULL };
	Elf64_Rela *r;
	int ret = 0;

	for (ti = 0; ti < ARRAY_SIZE(tables); ti++) {
		sec[ti] = section_named(e, tables[ti].name);
		if (sec[ti] && n->rela[sec[ti]] && e->sh[sec[ti]].sh_size % tables[ti].entsize == 0 &&
		    !(idx[ti] = site_index(n, sec[ti], &tables[ti], &cnt[ti])))
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
		for (ti = 0; ti < ARRAY_SIZE(tables); ti++) {
			if (!idx[ti])
				continue;
			r = om_elf_relas(e, n->rela[sec[ti]], &nr);
			for (j = 0; j < nr; j++)
				if (entry_kept(n, sec[ti], idx[ti], cnt[ti],
					       r[j].r_offset / tables[ti].entsize))
					changed |= keep_target(n, sec[ti], &r[j]);
		}
	}
	for (ti = 0; ti < ARRAY_SIZE(tables); ti++)
		free(idx[ti]);
	return ret;
}

/*
 * Keep only the entries of kept code, moved to the front; the relocations
 * of the dropped ones become R_X86_64_NONE.  A table left empty is hidden.
 */
static int filter_table(struct nm *n, const struct table *t)
{
	struct om_elf *e = &n->e;
	size_t s = section_named(e, t->name), p = 0, cnt, k, kept = 0, i, nr;
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
		p = section_named(e, t->pair);
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
static int filter_dyndbg(struct nm *n)
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
			k = dd_entry(n, s, &r[i]);
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
	/* symbols moved: sym_at() needs the order again */
	n->nbyaddr = 0;
	for (i = 1; i < e->nsyms; i++) {
		unsigned int t = ELF64_ST_TYPE(e->syms[i].st_info);

		if (om_elf_symsec(e, i) && (t == STT_FUNC || t == STT_OBJECT) &&
		    om_elf_symname(e, i)[0])
			n->byaddr[n->nbyaddr++] = i;
	}
	sort_elf = e;
	qsort(n->byaddr, n->nbyaddr, sizeof(*n->byaddr), cmp_byaddr);
	return 0;
}

/* Replacement bytes the kept alternatives copy into kept code. */
static int note_replacements(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s = section_named(e, ".altinstructions"), i, nr;
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

static bool in_replacement(const struct nm *n, size_t s, uint64_t off)
{
	size_t i;

	for (i = 0; s == n->replsec && i < n->nrepl; i++)
		if (off >= n->repl[i][0] && off < n->repl[i][1])
			return true;
	return false;
}

/* ------------------------------------------------------------ records */

static int add_string(struct nm *n, const char *s, uint32_t *off)
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
		off = target_offset(n, site_sec, r);
		k = sym_at(n, s, off);
		if (!k) {
			finding(n, site_sec, r->r_offset, "references a place with no symbol in",
				om_elf_secname(e, s));
			return -ENOTSUP;
		}
		*addend = r->r_addend - (int64_t)e->syms[k].st_value;
	}
	*name = om_elf_symname(e, k);
	if (!(*name)[0]) {
		finding(n, site_sec, r->r_offset, "references a symbol with no name in",
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
	ret = add_string(n, name, &rec->name);
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

	if (s)
		return n->keep[s];
	if (e->syms[symi].st_shndx != SHN_UNDEF)
		return true;	/* SHN_ABS */
	name = om_elf_symname(e, symi);
	return strset_has(&n->exported, name) || strset_has(&n->provided, name);
}

static bool is_table(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tables); i++)
		if (!strcmp(name, tables[i].name))
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
		*code_off = (uint64_t)target_offset(n, s, &r[i]);
		return *code_sec && n->keep[*code_sec] ? 0 : -ENOENT;
	}
	return -ENOENT;
}

static int relocate(struct nm *n)
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
			if (is_jump_key(n, s, r[i].r_offset) && type == R_X86_64_PC64 &&
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
				finding(n, s, r[i].r_offset, "loader table entry needs",
					om_elf_symname(e, ELF64_R_SYM(r[i].r_info)));
				continue;
			}
			if (in_replacement(n, s, r[i].r_offset)) {
				finding(n, s, r[i].r_offset, "alternative replacement needs",
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
static void hide_and_weaken(struct nm *n)
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

		if (ELF64_ST_BIND(sym->st_info) == STB_LOCAL)
			continue;
		if (s && !n->keep[s]) {
			/* a hidden definition: no definition at all */
			sym->st_shndx = SHN_UNDEF;
			sym->st_value = 0;
			sym->st_size = 0;
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
		} else if (sym->st_shndx == SHN_UNDEF && !n->used[i]) {
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
		}
	}
}

/* ------------------------------------------------------------ output */

struct obuf {
	unsigned char *p;
	size_t len, cap;
};

static int ob_put(struct obuf *b, const void *data, size_t len, size_t align, size_t *off)
{
	size_t start = (b->len + align - 1) / align * align;

	if (start + len > b->cap) {
		size_t cap = (start + len) * 2;
		unsigned char *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memset(b->p + b->len, 0, start - b->len);
	if (len)
		memcpy(b->p + start, data, len);
	b->len = start + len;
	if (off)
		*off = start;
	return 0;
}

enum { NS_FUNCS, NS_RELA_FUNCS, NS_RELOCS, NS_RELA_RELOCS, NS_COUNT };

static const char *const new_names[NS_COUNT] = {
	".splice.funcs", ".rela.splice.funcs", ".splice.relocs", ".rela.splice.relocs",
};

/*
 * Append the two tables, their relocations, the grown symbol, string and
 * section name tables and a new section header table; write the file.
 */
static int emit(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t nf = n->o->nchanged, nsec = e->nsec + NS_COUNT, i;
	/* appended symbols: the two tables, and the reference to splice-core's marker */
	size_t nadd = n->nearly ? 3 : 2;
	size_t off_sym, off_str, off_shstr, off_sh, off[NS_COUNT], tsize, strbase;
	size_t shstr_len = e->sh[e->eh->e_shstrndx].sh_size;
	size_t strtab_idx = e->sh[e->symtab].sh_link;
	uint32_t name_off[NS_COUNT], sym_name[3];
	struct obuf b = { 0 }, strtab = { 0 }, shstr = { 0 }, tab = { 0 };
	Elf64_Rela *fr = NULL, *rr = NULL;
	Elf64_Sym *syms = NULL;
	Elf64_Shdr *sh = NULL;
	uint64_t *funcs = NULL;
	struct om_newrel_hdr hdr = { .magic = OM_NEWREL_MAGIC, .version = OM_NEWREL_VERSION,
				     .objname = OM_NEWREL_NONE, .unit = OM_NEWREL_NONE };
	const char *suffix = n->o->suffix ? n->o->suffix : "";
	char fname[128], rname[128];
	FILE *f;
	int ret = -ENOMEM;

	/* the record table: header, records, strings */
	if (n->o->target && add_string(n, n->o->target, &hdr.objname))
		goto out;
	if (n->o->unit && add_string(n, n->o->unit, &hdr.unit))
		goto out;
	/* the string area is never empty: its last byte is a NUL (splice-core checks) */
	if (!n->strslen) {
		uint32_t empty;

		if (add_string(n, "", &empty))
			goto out;
	}
	hdr.nrelocs = n->nrecs;
	hdr.strings = sizeof(hdr) + n->nrecs * sizeof(struct om_newrel);
	tsize = hdr.strings + n->strslen;
	hdr.size = tsize;
	rr = calloc(n->nrecs ? n->nrecs : 1, sizeof(*rr));
	if (!rr || ob_put(&tab, &hdr, sizeof(hdr), 8, NULL))
		goto out;
	for (i = 0; i < n->nrecs; i++) {
		struct om_newrel rec = n->recs[i];
		size_t s = n->recsec[i], ss = n->secsym[s];

		if (!ss) {
			om_log(n->opts, OM_LOG_ERROR, "%s[%s]: no symbol to address the section",
			       e->name, om_elf_secname(e, s));
			ret = -EINVAL;
			goto out;
		}
		rr[i].r_offset = sizeof(hdr) + i * sizeof(rec);
		rr[i].r_info = ELF64_R_INFO(ss, R_X86_64_64);
		rr[i].r_addend = rec.site - e->syms[ss].st_value;
		rec.site = 0;
		if (ob_put(&tab, &rec, sizeof(rec), 8, NULL))
			goto out;
	}
	if (ob_put(&tab, n->strs, n->strslen, 1, NULL))
		goto out;

	/* the function table */
	funcs = calloc(nf ? nf : 1, sizeof(*funcs));
	fr = calloc(nf ? nf : 1, sizeof(*fr));
	if (!funcs || !fr)
		goto out;
	for (i = 0; i < nf; i++) {
		fr[i].r_offset = i * sizeof(*funcs);
		fr[i].r_info = ELF64_R_INFO(n->funcsym[i], R_X86_64_64);
		fr[i].r_addend = 0;
	}

	/* strings: old + the two symbol names; section names: old + ours */
	strbase = e->strsz;
	snprintf(fname, sizeof(fname), "splice_new_funcs%s", suffix);
	snprintf(rname, sizeof(rname), "splice_new_relocs%s", suffix);
	if (ob_put(&strtab, e->strtab, e->strsz, 1, NULL) ||
	    ob_put(&strtab, fname, strlen(fname) + 1, 1, NULL) ||
	    ob_put(&strtab, rname, strlen(rname) + 1, 1, NULL) ||
	    ob_put(&strtab, OM_NEWREL_EARLY_SYMBOL, sizeof(OM_NEWREL_EARLY_SYMBOL), 1, NULL) ||
	    ob_put(&shstr, e->shstr, shstr_len, 1, NULL))
		goto out;
	sym_name[0] = strbase;
	sym_name[1] = strbase + strlen(fname) + 1;
	sym_name[2] = sym_name[1] + strlen(rname) + 1;
	for (i = 0; i < NS_COUNT; i++) {
		name_off[i] = shstr.len;
		if (ob_put(&shstr, new_names[i], strlen(new_names[i]) + 1, 1, NULL))
			goto out;
	}

	/*
	 * symbols: old + two globals (after every local: the order rule
	 * holds), + with EARLY records an undefined reference to splice-core's
	 * marker (newmod.h)
	 */
	syms = calloc(e->nsyms + 3, sizeof(*syms));
	if (!syms)
		goto out;
	memcpy(syms, e->syms, e->nsyms * sizeof(*syms));
	syms[e->nsyms] = (Elf64_Sym){ .st_name = sym_name[0],
				      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				      .st_shndx = e->nsec + NS_FUNCS, .st_size = nf * 8 };
	syms[e->nsyms + 1] = (Elf64_Sym){ .st_name = sym_name[1],
					  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
					  .st_shndx = e->nsec + NS_RELOCS, .st_size = tsize };
	syms[e->nsyms + 2] = (Elf64_Sym){ .st_name = sym_name[2],
					  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE),
					  .st_shndx = SHN_UNDEF };

	if (ob_put(&b, e->buf, e->len, 1, NULL) ||
	    ob_put(&b, syms, (e->nsyms + nadd) * sizeof(*syms), 8, &off_sym) ||
	    ob_put(&b, strtab.p, strtab.len, 1, &off_str) ||
	    ob_put(&b, funcs, nf * sizeof(*funcs), 8, &off[NS_FUNCS]) ||
	    ob_put(&b, fr, nf * sizeof(*fr), 8, &off[NS_RELA_FUNCS]) ||
	    ob_put(&b, tab.p, tab.len, 8, &off[NS_RELOCS]) ||
	    ob_put(&b, rr, n->nrecs * sizeof(*rr), 8, &off[NS_RELA_RELOCS]) ||
	    ob_put(&b, shstr.p, shstr.len, 1, &off_shstr))
		goto out;

	sh = calloc(nsec, sizeof(*sh));
	if (!sh)
		goto out;
	memcpy(sh, e->sh, e->nsec * sizeof(*sh));
	sh[e->symtab].sh_offset = off_sym;
	sh[e->symtab].sh_size = (e->nsyms + nadd) * sizeof(*syms);
	sh[strtab_idx].sh_offset = off_str;
	sh[strtab_idx].sh_size = strtab.len;
	sh[e->eh->e_shstrndx].sh_offset = off_shstr;
	sh[e->eh->e_shstrndx].sh_size = shstr.len;
	for (i = 0; i < NS_COUNT; i++) {
		Elf64_Shdr *h = &sh[e->nsec + i];
		bool rela = i == NS_RELA_FUNCS || i == NS_RELA_RELOCS;

		h->sh_name = name_off[i];
		h->sh_offset = off[i];
		h->sh_addralign = 8;
		if (rela) {
			h->sh_type = SHT_RELA;
			h->sh_flags = SHF_INFO_LINK;
			h->sh_link = e->symtab;
			h->sh_info = e->nsec + i - 1;
			h->sh_entsize = sizeof(Elf64_Rela);
			h->sh_size = (i == NS_RELA_FUNCS ? nf : n->nrecs) * sizeof(Elf64_Rela);
		} else {
			h->sh_type = SHT_PROGBITS;
			h->sh_flags = SHF_ALLOC;
			h->sh_size = i == NS_FUNCS ? nf * sizeof(*funcs) : tab.len;
		}
	}
	if (ob_put(&b, sh, nsec * sizeof(*sh), 8, &off_sh))
		goto out;
	((Elf64_Ehdr *)b.p)->e_shoff = off_sh;
	((Elf64_Ehdr *)b.p)->e_shnum = nsec;

	f = fopen(n->o->out, "wb");
	if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f)) {
		om_log(n->opts, OM_LOG_ERROR, "%s: cannot write: %s", n->o->out, strerror(errno));
		remove(n->o->out);
		ret = -EIO;
		goto out;
	}
	ret = 0;
out:
	free(b.p);
	free(strtab.p);
	free(shstr.p);
	free(tab.p);
	free(fr);
	free(rr);
	free(syms);
	free(sh);
	free(funcs);
	return ret;
}

/* ------------------------------------------------------------ the pipeline */

static int read_pre_sections(struct nm *n)
{
	struct om_elf pre;
	size_t i;
	int ret = om_elf_open(&pre, n->o->pre, n->opts);

	for (i = 1; !ret && i < pre.nsec; i++)
		if (pre.sh[i].sh_flags & SHF_ALLOC)
			ret = strset_add(&n->pre_secs, om_elf_secname(&pre, i));
	om_elf_free(&pre);
	return ret;
}

static void nm_free(struct nm *n)
{
	strset_free(&n->exported);
	strset_free(&n->pre_secs);
	strset_free(&n->provided);
	om_elf_free(&n->e);
	free(n->keep);
	free(n->rela);
	free(n->has_func);
	free(n->secsym);
	free(n->byaddr);
	free(n->used);
	free(n->funcsym);
	free(n->repl);
	free(n->recs);
	free(n->recsec);
	free(n->strs);
	free(n->dd_keep);
}

/* __dyndbg, if the unit has pr_debug() descriptors: its layout checked. */
static int find_dyndbg(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t s = section_named(e, DDEBUG_SECTION);

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

/* Read the inputs and decide which sections stay. */
static int nm_keep(struct nm *n)
{
	const struct om_newmod_opts *o = n->o;
	size_t i, sym;
	int ret;

	ret = om_elf_open(&n->e, o->post, n->opts);
	if (!ret)
		ret = read_pre_sections(n);
	for (i = 0; !ret && i < o->nsymvers; i++)
		ret = read_symvers(o->symvers[i], &n->exported, n->opts);
	for (i = 0; !ret && i < o->nprovided; i++)
		ret = strset_add(&n->provided, o->provided[i]);
	if (!ret)
		ret = build_index(n);
	if (!ret)
		ret = find_dyndbg(n);
	if (ret)
		return ret;
	n->funcsym = calloc(o->nchanged ? o->nchanged : 1, sizeof(*n->funcsym));
	if (!n->funcsym)
		return -ENOMEM;
	for (i = 0; !ret && i < o->nchanged; i++)
		ret = keep_func(n, o->changed[i], &n->funcsym[i]);
	for (i = 0; !ret && i < o->nadded; i++)
		ret = keep_func(n, o->added[i], &sym);
	if (!ret)
		ret = close_keep(n);
	return ret;
}

int om_newmod_kept_globals(const struct om_newmod_opts *o, const struct om_options *opts,
			   char ***names, size_t *count)
{
	struct nm n = { .o = o, .opts = opts };
	char **v = NULL, **p;
	size_t i, cnt = 0;
	int ret = nm_keep(&n);

	for (i = 1; !ret && i < n.e.nsyms; i++) {
		size_t s = om_elf_symsec(&n.e, i);

		if (!s || !n.keep[s] || ELF64_ST_BIND(n.e.syms[i].st_info) == STB_LOCAL ||
		    !*om_elf_symname(&n.e, i))
			continue;
		p = realloc(v, (cnt + 1) * sizeof(*v));
		if (!p || !(p[cnt] = strdup(om_elf_symname(&n.e, i)))) {
			if (p)
				v = p;
			ret = -ENOMEM;
			break;
		}
		v = p;
		cnt++;
	}
	nm_free(&n);
	if (ret) {
		for (i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return ret;
	}
	*names = v;
	*count = cnt;
	return 0;
}

int om_newmod_rewrite(const struct om_newmod_opts *o, const struct om_options *opts)
{
	struct nm n = { .o = o, .opts = opts };
	size_t i;
	int ret;

	/* what stays */
	ret = nm_keep(&n);
	for (i = 0; !ret && i < ARRAY_SIZE(tables); i++)
		ret = filter_table(&n, &tables[i]);
	if (!ret)
		ret = filter_dyndbg(&n);
	if (!ret)
		ret = note_replacements(&n);

	/* what the loader can't resolve becomes a record */
	if (!ret)
		ret = relocate(&n);
	if (ret)
		goto out;
	if (n.findings) {
		om_log(opts, OM_LOG_ERROR, "%s: %d places can't be loaded as new code",
		       n.e.name, n.findings);
		ret = -ENOTSUP;
		goto out;
	}
	hide_and_weaken(&n);
	ret = emit(&n);
	if (!ret)
		om_log(opts, OM_LOG_INFO, "%s: %zu functions, %zu relocation records (%zu at load)",
		       n.e.name, o->nchanged + o->nadded, n.nrecs, n.nearly);
out:
	nm_free(&n);
	return ret;
}
