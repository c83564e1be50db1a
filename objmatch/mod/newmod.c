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
 *    (a writable section the pre object does not have, or that holds a
 *    data object the differ found no pre twin for).  Transitively.
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
 *
 * This file holds the rewrite's state and its pipeline; the steps are in
 * newmod-symvers.c (the exports of Module.symvers), newmod-tables.c (what
 * stays, the loader's tables filtered), newmod-dyndbg.c (pr_debug()
 * descriptors), newmod-reloc.c (relocation records) and newmod-emit.c
 * (writing the object), sharing newmod-internal.h.
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

/* ------------------------------------------------------------ the rewrite's state */

const struct om_elf *nm_sort_elf;

int nm_cmp_byaddr(const void *a, const void *b)
{
	const Elf64_Sym *x = &nm_sort_elf->syms[*(const size_t *)a];
	const Elf64_Sym *y = &nm_sort_elf->syms[*(const size_t *)b];

	if (x->st_shndx != y->st_shndx)
		return x->st_shndx < y->st_shndx ? -1 : 1;
	if (x->st_value != y->st_value)
		return x->st_value < y->st_value ? -1 : 1;
	return 0;
}

/* The named FUNC/OBJECT symbol of section @s that covers @off best, or 0. */
size_t nm_sym_at(const struct nm *n, size_t s, int64_t off)
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
	size_t k = nm_sym_at(n, s, (int64_t)off);

	if (k)
		snprintf(buf, len, "%s+0x%llx", om_elf_symname(&n->e, k),
			 (unsigned long long)(off - n->e.syms[k].st_value));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)off);
	return buf;
}

void nm_finding(struct nm *n, size_t s, uint64_t off, const char *what, const char *sym)
{
	char w[256];

	om_log(n->opts, OM_LOG_WARN, "%s[%s]: %s: %s %s", n->e.name, om_elf_secname(&n->e, s),
	       where(n, s, off, w, sizeof(w)), what, sym);
	n->findings++;
}

/* Is offset @off of section @s the key field of a __jump_table entry? */
bool nm_is_jump_key(const struct nm *n, size_t s, uint64_t off)
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
int64_t nm_target_offset(const struct nm *n, size_t site_sec, const Elf64_Rela *r)
{
	uint32_t type = ELF64_R_TYPE(r->r_info);
	int64_t off = r->r_addend;

	if (nm_is_jump_key(n, site_sec, r->r_offset))
		off &= ~(int64_t)3;
	else if (om_elf_reloc_pcrel(type) && (n->e.sh[site_sec].sh_flags & SHF_EXECINSTR)) {
		/* and an immediate after the field ("movb $1, done(%rip)": done-5) */
		int imm = n->e.sh[site_sec].sh_type == SHT_NOBITS ? -1 :
			  arch_pcrel_imm(n->e.buf + n->e.sh[site_sec].sh_offset,
					 n->e.sh[site_sec].sh_size, r->r_offset);

		off += om_elf_reloc_width(type) + (imm > 0 ? imm : 0);
	}
	return off + (int64_t)n->e.syms[ELF64_R_SYM(r->r_info)].st_value;
}

/* Is offset @off of kept section @s ballast: another function's code? */
bool nm_ballast(const struct nm *n, size_t s, uint64_t off)
{
	size_t i;

	if (!n->shared[s])
		return false;
	for (i = 0; i < n->nown; i++)
		if (n->own[i].sec == s && off >= n->own[i].start && off < n->own[i].end)
			return false;
	return true;
}

static int build_index(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t i;

	n->keep = calloc(e->nsec, sizeof(*n->keep));
	n->shared = calloc(e->nsec, sizeof(*n->shared));
	n->rela = calloc(e->nsec, sizeof(*n->rela));
	n->has_func = calloc(e->nsec, sizeof(*n->has_func));
	n->secsym = calloc(e->nsec, sizeof(*n->secsym));
	n->byaddr = calloc(e->nsyms ? e->nsyms : 1, sizeof(*n->byaddr));
	n->used = calloc(e->nsyms ? e->nsyms : 1, sizeof(*n->used));
	if (!n->used || !n->keep || !n->shared || !n->rela || !n->has_func || !n->secsym || !n->byaddr)
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
	nm_sort_elf = e;
	qsort(n->byaddr, n->nbyaddr, sizeof(*n->byaddr), nm_cmp_byaddr);
	/* no section symbol: any symbol of the section will do (value subtracted) */
	for (i = 0; i < n->nbyaddr; i++) {
		size_t s = e->syms[n->byaddr[i]].st_shndx;

		if (!n->secsym[s])
			n->secsym[s] = n->byaddr[i];
	}
	return 0;
}
/* ------------------------------------------------------------ the pipeline */

static int read_pre_sections(struct nm *n)
{
	struct om_elf pre;
	size_t i;
	int ret = om_elf_open(&pre, n->o->pre, n->opts);

	for (i = 1; !ret && i < pre.nsec; i++)
		if (pre.sh[i].sh_flags & SHF_ALLOC)
			ret = nm_strset_add(&n->pre_secs, om_elf_secname(&pre, i));
	om_elf_free(&pre);
	return ret;
}

static void nm_free(struct nm *n)
{
	nm_strset_free(&n->exported);
	nm_strset_free(&n->pre_secs);
	nm_strset_free(&n->provided);
	nm_free_twins(n);
	om_elf_free(&n->e);
	free(n->keep);
	free(n->shared);
	free(n->own);
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


/*
 * The patch's hooks (<splice/patch.h>): the records of .splice.hooks stay,
 * with every function they name, which becomes new code even if nobody
 * listed it with -a (a hook is a copy in the module, never the running
 * kernel's function: splice-core checks that it lies in the module).
 */
static int keep_hooks(struct nm *n)
{
	struct om_elf *e = &n->e;
	Elf64_Rela *r;
	size_t j, nr, t;

	n->hooks = nm_section_named(e, OM_NEWMOD_HOOKS);
	if (!n->hooks)
		return 0;
	if (!(e->sh[n->hooks].sh_flags & SHF_ALLOC) || !n->rela[n->hooks]) {
		om_log(n->opts, OM_LOG_ERROR, "%s[%s]: not the hook records of <splice/patch.h>",
		       e->name, OM_NEWMOD_HOOKS);
		return -EINVAL;
	}
	n->keep[n->hooks] = true;
	r = om_elf_relas(e, n->rela[n->hooks], &nr);
	for (j = 0; j < nr; j++) {
		if (ELF64_R_SYM(r[j].r_info) >= e->nsyms)
			return -EINVAL;
		t = om_elf_symsec(e, ELF64_R_SYM(r[j].r_info));
		if (t && n->has_func[t])
			n->keep[t] = true;
	}
	return 0;
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
	if (!ret)
		ret = nm_read_twins(n);
	for (i = 0; !ret && i < o->nsymvers; i++)
		ret = nm_read_symvers(o->symvers[i], &n->exported, n->opts);
	for (i = 0; !ret && i < o->nprovided; i++)
		ret = nm_strset_add(&n->provided, o->provided[i]);
	if (!ret)
		ret = build_index(n);
	if (!ret)
		ret = nm_alt_layout(n);
	if (!ret)
		ret = nm_find_dyndbg(n);
	if (ret)
		return ret;
	n->funcsym = calloc(o->nchanged ? o->nchanged : 1, sizeof(*n->funcsym));
	if (!n->funcsym)
		return -ENOMEM;
	for (i = 0; !ret && i < o->nchanged; i++)
		ret = nm_keep_func(n, o->changed[i], &n->funcsym[i]);
	for (i = 0; !ret && i < o->nadded; i++)
		ret = nm_keep_func(n, o->added[i], &sym);
	if (!ret)
		ret = keep_hooks(n);
	if (!ret)
		ret = nm_close_keep(n);
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

		if (!s || !n.keep[s] || nm_ballast(&n, s, n.e.syms[i].st_value) ||
		    ELF64_ST_BIND(n.e.syms[i].st_info) == STB_LOCAL ||
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
	for (i = 0; !ret && i < ARRAY_SIZE(nm_tables); i++)
		ret = nm_filter_table(&n, &nm_tables[i]);
	if (!ret)
		ret = nm_filter_dyndbg(&n);
	if (!ret)
		ret = nm_note_replacements(&n);

	/* what the loader can't resolve becomes a record */
	if (!ret)
		ret = nm_runtime_consts(&n);
	if (!ret)
		ret = nm_relocate(&n);
	if (ret)
		goto out;
	if (n.findings) {
		om_log(opts, OM_LOG_ERROR, "%s: %d places can't be loaded as new code",
		       n.e.name, n.findings);
		ret = -ENOTSUP;
		goto out;
	}
	nm_hide_and_weaken(&n);
	ret = nm_emit(&n);
	if (!ret)
		om_log(opts, OM_LOG_INFO, "%s: %zu functions, %zu relocation records (%zu at load)",
		       n.e.name, o->nchanged + o->nadded, n.nrecs, n.nearly);
out:
	nm_free(&n);
	return ret;
}
