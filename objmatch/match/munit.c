// SPDX-License-Identifier: GPL-2.0
/* munit.c: the matcher's view of an object (see munit.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "obj/internal.h"
#include "obj/arch.h"
#include "match/munit.h"

struct om_munit_build {
	struct om_munit unit;
	struct om_msection *secs;
	struct om_msym *syms;
	struct om_mreloc *relocs;	/* every section's, one array */
	struct om_msite *sites;		/* every section's, one array */
	size_t nsites, capsites;
	u32 *site_sec;			/* section of each site, while collecting */
};

/* __jump_table entry (x86-64, 6.1): s32 code, s32 target, long key. */
#define JUMP_ENTRY_SIZE	16

static int add_site(struct om_munit_build *b, u32 sec, struct om_msite site)
{
	if (b->nsites == b->capsites) {
		size_t cap = b->capsites ? 2 * b->capsites : 64;
		struct om_msite *s = realloc(b->sites, cap * sizeof(*s));
		u32 *ss;

		if (!s)
			return -ENOMEM;
		b->sites = s;
		ss = realloc(b->site_sec, cap * sizeof(*ss));
		if (!ss)
			return -ENOMEM;
		b->site_sec = ss;
		b->capsites = cap;
	}
	b->sites[b->nsites] = site;
	b->site_sec[b->nsites] = sec;
	b->nsites++;
	return 0;
}

/* Where a data relocation points: section and offset; 0 or -EINVAL. */
static int reloc_points_to(const struct om_reloc *r, const struct om_section **sec,
			   uint64_t *off)
{
	if (!r->sym || !r->sym->sec)
		return -EINVAL;
	*sec = r->sym->sec;
	*off = r->sym->value + r->addend;
	return 0;
}

static int collect_smp_locks(struct om_munit_build *b, const struct om_object *obj,
			     const struct om_section *locks, const struct om_options *opts)
{
	size_t i;
	int ret;

	for (i = 0; i < locks->nrelocs; i++) {
		const struct om_section *code;
		uint64_t off;

		if (reloc_points_to(&locks->relocs[i], &code, &off) || off >= code->size) {
			om_diag(opts, OM_LOG_ERROR, obj, locks, NULL, 0,
				"entry at +0x%llx: cannot tell which code it points to",
				(unsigned long long)locks->relocs[i].offset);
			return -EINVAL;
		}
		ret = add_site(b, code->index, (struct om_msite){
			.offset = off, .kind = OM_SITE_SMP_LOCK, .len = 1 });
		if (ret)
			return ret;
	}
	return 0;
}

static int collect_jump_labels(struct om_munit_build *b, const struct om_object *obj,
			       const struct om_section *jt, const struct om_options *opts)
{
	size_t i;
	int ret;

	for (i = 0; i < jt->nrelocs; i++) {
		const struct om_reloc *r = &jt->relocs[i], *t;
		const struct om_section *code, *tsec;
		uint64_t off, toff;
		struct om_msite site = { .kind = OM_SITE_JUMP_LABEL };
		const unsigned char *p;

		if (r->offset % JUMP_ENTRY_SIZE != 0)
			continue;	/* target and key fields */
		t = i + 1 < jt->nrelocs ? &jt->relocs[i + 1] : NULL;
		if (reloc_points_to(r, &code, &off) || !t || t->offset != r->offset + 4 ||
		    reloc_points_to(t, &tsec, &toff) || !code->data || off + 2 > code->size) {
			om_diag(opts, OM_LOG_ERROR, obj, jt, NULL, 0,
				"entry at +0x%llx: cannot read it",
				(unsigned long long)r->offset);
			return -EINVAL;
		}
		p = code->data + off;
		if (p[0] == 0xeb || (p[0] == 0x66 && p[1] == 0x90))
			site.len = 2;
		else if (p[0] == 0xe9 || p[0] == 0x0f)
			site.len = 5;
		else {
			om_diag(opts, OM_LOG_ERROR, obj, code, om_symbol_at(code, off),
				off - (om_symbol_at(code, off) ? om_symbol_at(code, off)->value : 0),
				"jump-label site is neither a NOP nor a jump (%02x)", p[0]);
			return -EINVAL;
		}
		if (off + site.len > code->size)
			return -EINVAL;
		site.offset = off;
		/* a target elsewhere is found through the jump's own relocation */
		site.target = tsec == code ? toff : 0;
		ret = add_site(b, code->index, site);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * .parainstructions (x86-64, 6.1): { u8 *instr; u8 type; u8 len; }, 16
 * bytes apart (the last one 10), the pointer an R_X86_64_64 to the site.
 */
#define PARA_ENTRY_SIZE	16
#define PARA_LEN_OFF	9

/*
 * The paravirt site of table entry @r (of @table): @len bytes where @r
 * points, in code.  Either table kind (6.1's .parainstructions, 6.12's
 * direct-call alternatives) ends here.  @len 0: the entry could not be
 * read.
 */
static int add_paravirt_site(struct om_munit_build *b, const struct om_object *obj,
			     const struct om_section *table, const struct om_reloc *r, u32 len,
			     const struct om_options *opts)
{
	const struct om_section *code;
	uint64_t off;

	if (!len || reloc_points_to(r, &code, &off) || !(code->flags & OM_SEC_CODE) ||
	    off + len > code->size) {
		om_diag(opts, OM_LOG_ERROR, obj, table, NULL, 0, "entry at +0x%llx: cannot read it",
			(unsigned long long)r->offset);
		return -EINVAL;
	}
	return add_site(b, code->index, (struct om_msite){
		.offset = off, .kind = OM_SITE_PARAVIRT, .len = len });
}

static int collect_paravirt(struct om_munit_build *b, const struct om_object *obj,
			    const struct om_section *para, const struct om_options *opts)
{
	size_t i;
	int ret;

	for (i = 0; i < para->nrelocs; i++) {
		const struct om_reloc *r = &para->relocs[i];
		u32 len = 0;

		if (r->offset % PARA_ENTRY_SIZE)
			continue;
		if (para->data && r->offset + PARA_LEN_OFF < para->size)
			len = para->data[r->offset + PARA_LEN_OFF];
		ret = add_paravirt_site(b, obj, para, r, len, opts);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * 6.12's paravirt calls are alternatives with ALT_FLAG_DIRECT_CALL
 * (arch_alt_direct_call()), which the loader makes "call <pv_ops'
 * function>; nop" as apply_paravirt() did on 6.1: the same kind of site.
 */
static int collect_direct_calls(struct om_munit_build *b, const struct om_object *obj,
				const struct om_section *alt, const struct om_options *opts)
{
	unsigned int es = arch_alt_entsize(alt->size, alt->nrelocs, NULL), len;
	size_t i;
	int ret;

	if (!es || !alt->data)
		return 0;	/* the differ says what is wrong with it */
	for (i = 0; i < alt->nrelocs; i++) {
		const struct om_reloc *r = &alt->relocs[i];

		if (r->offset % es || r->offset + es > alt->size ||
		    !arch_alt_direct_call(alt->data + r->offset, es, &len))
			continue;
		ret = add_paravirt_site(b, obj, alt, r, len, opts);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A runtime constant's table (arch_runtime_const()): each entry points
 * (PC32, "1b - 8 - .") at an immediate in code, which the kernel wrote at
 * boot.
 */
static int collect_runtime_consts(struct om_munit_build *b, const struct om_object *obj,
				  const struct om_section *table, unsigned int width,
				  const struct om_options *opts)
{
	size_t i;
	int ret;

	for (i = 0; i < table->nrelocs; i++) {
		const struct om_reloc *r = &table->relocs[i];
		const struct om_section *code;
		uint64_t off;

		if (r->offset % 4 || reloc_points_to(r, &code, &off) ||
		    !(code->flags & OM_SEC_CODE) || off + width > code->size) {
			om_diag(opts, OM_LOG_ERROR, obj, table, NULL, 0,
				"entry at +0x%llx: cannot tell which code it points to",
				(unsigned long long)r->offset);
			return -EINVAL;
		}
		ret = add_site(b, code->index, (struct om_msite){
			.offset = off, .kind = OM_SITE_RUNTIME_CONST, .len = width });
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The call padding of the functions of a code section that do not start it
 * (a section several functions share: .sched.text): the kernel may write a
 * call thunk there, so it is a site, never compared.  The padding at a
 * section's start is cut off before (skip_entry_padding()); a function at
 * offset 16 or less starts its section after that padding.
 */
static int collect_call_padding(struct om_munit_build *b, const struct om_section *sec)
{
	size_t i;
	uint64_t len;
	int ret;

	for (i = 0; i < sec->nsyms; i++) {
		const struct om_symbol *sym = sec->syms[i];

		if (sym->value <= 16 || !(len = arch_call_padding(sym)))
			continue;
		ret = add_site(b, sec->index, (struct om_msite){
			.offset = sym->value - len, .kind = OM_SITE_CALL_PADDING, .len = len });
		if (ret)
			return ret;
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct om_msite *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Group the collected sites by section, each group sorted by offset. */
static int place_sites(struct om_munit_build *b)
{
	struct om_msite *sorted;
	size_t i, n = 0;
	u32 s;

	sorted = calloc(b->nsites ? b->nsites : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (s = 0; s < b->unit.nsections; s++) {
		size_t first = n;

		for (i = 0; i < b->nsites; i++)
			if (b->site_sec[i] == s)
				sorted[n++] = b->sites[i];
		if (n == first)
			continue;
		qsort(sorted + first, n - first, sizeof(*sorted), cmp_site);
		b->secs[s].sites = sorted + first;
		b->secs[s].nsites = n - first;
	}
	free(b->sites);
	b->sites = sorted;
	return 0;
}

static u32 msym_kind(const struct om_symbol *sym)
{
	if (!sym->sec)
		return OM_MSYM_UNDEF;
	switch (sym->type) {
	case OM_SYM_FUNC:
		return OM_MSYM_FUNC;
	case OM_SYM_OBJECT:
		return OM_MSYM_OBJECT;
	case OM_SYM_SECTION:
		return OM_MSYM_SECTION;
	default:
		return OM_MSYM_OTHER;
	}
}

static u32 msec_flags(const struct om_section *sec)
{
	u32 f = 0;

	if (!(sec->flags & OM_SEC_ALLOC))
		return 0;
	if (sec->flags & OM_SEC_CODE)
		f |= OM_MSEC_CODE;
	else if (sec->flags & OM_SEC_MERGE)
		f |= OM_MSEC_MERGED | (sec->flags & OM_SEC_STRINGS ? OM_MSEC_STRINGS : 0);
	else if (sec->flags & (OM_SEC_WRITE | OM_SEC_NOBITS))
		f |= OM_MSEC_WRITABLE;
	else if (!strncmp(sec->name, ".rodata", 7))
		f |= OM_MSEC_RODATA;
	return f;
}

/* Does @sym start its section (after the compiler's entry padding)? */
static bool starts_section(const struct om_symbol *sym)
{
	return sym->value == 0 || sym->value == arch_entry_padding(sym);
}

/* The function symbol that starts a code section, or NULL. */
static const struct om_symbol *section_func(const struct om_section *sec)
{
	size_t i;

	for (i = 0; i < sec->nsyms; i++)
		if (sec->syms[i]->type == OM_SYM_FUNC && starts_section(sec->syms[i]))
			return sec->syms[i];
	return NULL;
}

/*
 * The unit's section begins at its function, after the entry padding
 * (arch_entry_padding()): bytes, relocations, sites and the section's
 * symbols move back by it; the section symbol's value becomes negative
 * (u64 arithmetic), so "section + value + addend" still names the same
 * byte.  The padding is never compared: the kernel may rewrite it.
 */
static void skip_entry_padding(struct om_munit_build *b, const struct om_section *sec)
{
	const struct om_symbol *f = section_func(sec);
	struct om_msection *ms = &b->secs[sec->index];
	uint64_t pad = f ? arch_entry_padding(f) : 0;
	u32 i;

	if (!pad)
		return;
	ms->data += pad;
	ms->size -= pad;
	for (i = 0; i < ms->nrelocs; i++)
		((struct om_mreloc *)ms->relocs)[i].offset -= pad;
	for (i = 0; i < ms->nsites; i++) {
		struct om_msite *s = (struct om_msite *)&ms->sites[i];

		s->offset -= pad;
		if (s->target)
			s->target -= pad;
	}
	for (i = 0; i < b->unit.nsyms; i++)
		if (b->syms[i].section == (s32)sec->index)
			b->syms[i].value -= pad;
}

/* The function called @name, wherever it is in its section, or NULL. */
static const struct om_symbol *func_named(const struct om_object *obj, const char *name)
{
	const struct om_symbol *sym = om_symbol_by_name(obj, name);

	while (sym && (sym->type != OM_SYM_FUNC || !sym->sec))
		sym = om_symbol_next_same(obj, sym);
	return sym;
}

static size_t funcs_in(const struct om_section *sec)
{
	size_t i, n = 0;

	for (i = 0; i < sec->nsyms; i++)
		n += sec->syms[i]->type == OM_SYM_FUNC;
	return n;
}

/*
 * Mark the section of function @sym for matching.  A section several
 * functions share (__sched puts schedule() and friends into .sched.text,
 * __kprobes into .kprobes.text, even with -ffunction-sections) is matched
 * whole: the linker moves an input section as one block, so the running
 * kernel has its functions at the same distances from each other, the
 * alignment padding between them included, and each one's address is the
 * section's plus its offset (om_match_symbol_addr()).  Every function of
 * it must then match, not only @sym: they were all built from the running
 * kernel's source.
 */
static void mark_match(struct om_munit_build *b, const struct om_object *obj,
		       const struct om_symbol *sym, const struct om_options *opts)
{
	size_t n = funcs_in(sym->sec);

	if (n > 1 && !(b->secs[sym->sec->index].flags & OM_MSEC_MATCH))
		om_log(opts, OM_LOG_INFO, "%s[%s]: %s shares the section with %zu other "
		       "functions: the section is matched whole", obj->name,
		       sym->sec->name, sym->name, n - 1);
	b->secs[sym->sec->index].flags |= OM_MSEC_MATCH;
}

int om_munit_build(const struct om_object *obj, const char *const *funcs, size_t n,
		   const struct om_options *opts, struct om_munit_build **out)
{
	struct om_munit_build *b;
	size_t i, nrel = 0, r;
	unsigned int width;
	int ret = -ENOMEM;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (i = 0; i < obj->nsecs; i++)
		nrel += obj->secs[i].nrelocs;
	b->secs = calloc(obj->nsecs ? obj->nsecs : 1, sizeof(*b->secs));
	b->syms = calloc(obj->nsyms ? obj->nsyms : 1, sizeof(*b->syms));
	b->relocs = calloc(nrel ? nrel : 1, sizeof(*b->relocs));
	if (!b->secs || !b->syms || !b->relocs)
		goto fail;
	b->unit = (struct om_munit){ .name = obj->name, .sections = b->secs,
				     .nsections = obj->nsecs, .syms = b->syms,
				     .nsyms = obj->nsyms };

	for (i = 0; i < obj->nsyms; i++) {
		const struct om_symbol *sym = &obj->syms[i];

		b->syms[i] = (struct om_msym){
			.name = sym->type == OM_SYM_SECTION ? "" : sym->name,
			.kind = msym_kind(sym),
			.section = sym->sec ? (s32)sym->sec->index : -1,
			.value = sym->value, .size = sym->size };
	}
	nrel = 0;
	for (i = 0; i < obj->nsecs; i++) {
		const struct om_section *sec = &obj->secs[i];
		struct om_msection *ms = &b->secs[i];

		*ms = (struct om_msection){ .name = sec->name, .flags = msec_flags(sec),
			.data = sec->data, .size = sec->size, .entsize = sec->entsize,
			.relocs = b->relocs + nrel };
		if (!ms->flags)
			continue;	/* not loaded: nothing to match or learn */
		for (r = 0; r < sec->nrelocs; r++) {
			const struct om_reloc *rel = &sec->relocs[r];

			if (!rel->sym)
				continue;	/* R_X86_64_NONE and the like */
			b->relocs[nrel++] = (struct om_mreloc){ .offset = rel->offset,
				.type = rel->type, .sym = rel->sym->index, .addend = rel->addend };
		}
		ms->nrelocs = (b->relocs + nrel) - ms->relocs;
	}

	for (i = 0; i < obj->nsecs; i++) {
		const struct om_section *sec = &obj->secs[i];

		if (!strcmp(sec->name, ".smp_locks"))
			ret = collect_smp_locks(b, obj, sec, opts);
		else if (!strcmp(sec->name, "__jump_table"))
			ret = collect_jump_labels(b, obj, sec, opts);
		else if (!strcmp(sec->name, ".parainstructions"))
			ret = collect_paravirt(b, obj, sec, opts);
		else if (!strcmp(sec->name, ".altinstructions"))
			ret = collect_direct_calls(b, obj, sec, opts);
		else if (arch_runtime_const(sec->name, &width))
			ret = collect_runtime_consts(b, obj, sec, width, opts);
		else
			continue;
		if (ret)
			goto fail;
	}
	for (i = 0; i < obj->nsecs; i++) {
		if (!(obj->secs[i].flags & OM_SEC_CODE))
			continue;
		ret = collect_call_padding(b, &obj->secs[i]);
		if (ret)
			goto fail;
	}
	ret = place_sites(b);
	if (ret)
		goto fail;
	for (i = 0; i < obj->nsecs; i++)
		if (b->secs[i].flags & OM_MSEC_CODE)
			skip_entry_padding(b, &obj->secs[i]);

	/* which sections to match */
	for (i = 0; i < obj->nsecs; i++) {
		const struct om_symbol *f;

		if (!(b->secs[i].flags & OM_MSEC_CODE) || !(f = section_func(&obj->secs[i])))
			continue;
		if (!funcs)
			b->secs[i].flags |= OM_MSEC_MATCH;
	}
	for (i = 0; funcs && i < n; i++) {
		const struct om_symbol *sym = func_named(obj, funcs[i]);
		char cold[512];

		if (!sym) {
			om_log(opts, OM_LOG_ERROR, "%s: no function %s to match", obj->name, funcs[i]);
			ret = -ENOENT;
			goto fail;
		}
		mark_match(b, obj, sym, opts);
		/* its unlikely part is code a thread can be in too */
		snprintf(cold, sizeof(cold), "%s.cold", funcs[i]);
		sym = func_named(obj, cold);
		if (sym)
			mark_match(b, obj, sym, opts);
	}
	*out = b;
	return 0;
fail:
	om_munit_free(b);
	return ret;
}

const struct om_munit *om_munit_get(const struct om_munit_build *b)
{
	return &b->unit;
}

void om_munit_free(struct om_munit_build *b)
{
	if (!b)
		return;
	free(b->secs);
	free(b->syms);
	free(b->relocs);
	free(b->sites);
	free(b->site_sec);
	free(b);
}
