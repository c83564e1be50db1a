// SPDX-License-Identifier: GPL-2.0
/*
 * Relocation-aware equality.
 *
 * Two byte ranges are equal when their bytes are equal and their relocations
 * pair up at the same offsets with the same types and equal targets.  Targets
 * are equal when they are the same thing, not the same offset:
 *   - a function or object: the pre one's twin, at the same offset
 *     ("call helper" equals "call helper" even if helper moved);
 *   - a section symbol + addend: the function or object it points into
 *     (".data.cfg+8" equals "cfg+8");
 *   - a string literal: its bytes (".rodata.str1.1+0x40" in pre may be
 *     "+0x52" in post and still be the same "usage: %s\n");
 *   - an undefined symbol: its name and addend.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/diff.h"

static struct item *item_of(const struct side *s, const struct om_symbol *sym)
{
	return sym ? s->by_sym[sym->index] : NULL;
}

int resolve_target(const struct side *s, const struct om_section *sec,
		   const struct om_reloc *r, struct target *t)
{
	const struct arch_reloc *ar = arch_reloc(r->type);
	const struct om_symbol *sym = r->sym;
	const struct om_section *tsec;
	bool in_code = sec->flags & OM_SEC_CODE;
	int64_t off, bias;
	struct item *it;
	unsigned int k;
	int imm;

	memset(t, 0, sizeof(*t));
	if (!ar)
		return -EINVAL;
	bias = arch_pcrel_bias(ar, in_code);
	if (!sym) {
		t->kind = T_NONE;
		t->off = r->addend;
		return 0;
	}
	tsec = sym->sec;
	if (!tsec) {
		t->kind = T_EXTERN;
		t->sym = sym;
		t->off = r->addend;
		return 0;
	}
	if (section_is_string(tsec)) {
		t->kind = T_STRING;
		t->sec = tsec;
		t->off = wrap_add((int64_t)sym->value, r->addend);
		t->at = wrap_add(t->off, bias);
		t->slack = ar->pcrel && in_code;
		return 0;
	}
	it = item_of(s, sym);
	if (it) {
		t->kind = T_ITEM;
		t->item = it;
		t->off = r->addend;
		return 0;
	}
	if (sym->type != OM_SYM_SECTION && sym->name[0] &&
	    sym->type != OM_SYM_NOTYPE) {
		/* a named symbol that is no item of ours (e.g. in a
		 * special section): by name */
		t->kind = T_EXTERN;
		t->sym = sym;
		t->off = r->addend;
		return 0;
	}
	/* section symbol or local label: what does it point into? */
	off = wrap_add((int64_t)sym->value, r->addend);
	if (s->frags[tsec->index]) {
		t->kind = T_FRAG;
		t->sec = tsec;
		t->off = wrap_add(off, bias);
		return 0;
	}
	imm = ar->pcrel && in_code ? arch_pcrel_imm(sec->data, sec->size, r->offset) : 0;
	for (k = imm < 0 ? 0 : (unsigned int)imm;
	     k <= (imm < 0 ? arch_pcrel_slack() : (unsigned int)imm); k++) {
		int64_t at = wrap_add(wrap_add(off, bias), k);
		struct om_symbol *in;

		if (at < 0 || (uint64_t)at > tsec->size)
			continue;
		in = om_symbol_at(tsec, (uint64_t)at);
		it = item_of(s, in);
		if (it) {
			t->kind = T_ITEM;
			t->item = it;
			t->off = wrap_add(off, -(int64_t)in->value);
			return 0;
		}
	}
	t->kind = T_ANON;
	t->sec = tsec;
	t->off = off;
	return 0;
}

/*
 * The string a reference is about: from the start of the string holding
 * @at through the end of the one holding @at+slack (an immediate operand
 * after the displacement would make the true target up to 4 bytes later;
 * covering both is conservative).
 */
static bool string_span(const struct om_section *sec, int64_t at, bool slack,
			uint64_t *start, uint64_t *end)
{
	uint64_t s, e, last;

	if (!sec->data || at < 0 || (uint64_t)at >= sec->size)
		return false;
	s = (uint64_t)at;
	while (s > 0 && sec->data[s - 1] != '\0')
		s--;
	last = (uint64_t)at + (slack ? arch_pcrel_slack() : 0);
	if (last >= sec->size)
		last = sec->size - 1;
	e = last;
	while (e < sec->size && sec->data[e] != '\0')
		e++;
	*start = s;
	*end = e < sec->size ? e + 1 : e;
	return true;
}

static int compare_range(struct differ *d, const struct side *sa,
			 const struct om_section *a, uint64_t aoff,
			 const struct side *sb, const struct om_section *b,
			 uint64_t boff, uint64_t len, char **why);

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Do two strings differ only in the line number of a `__FILE__ ":"
 * __stringify(__LINE__)` they contain?  That idiom names a place for a
 * diagnostic: FORTIFY_SOURCE's field-spanning memcpy() WARN ("field
 * \"run->emulation_failure.insn_bytes\" at arch/x86/kvm/x86.c:8493"),
 * lockdep class names.  A blank line at the top of the file moves it, as it
 * moves a WARN's line in __bug_table, and is no more a change of the code.
 * The number must follow "<name>.c:" or "<name>.h:" and be all that
 * differs.  (A __LINE__ passed to printk() as an argument is an immediate
 * in the code, and stays a change.)
 */
static bool differ_only_in_line(const unsigned char *a, size_t alen,
				const unsigned char *b, size_t blen)
{
	size_t i = 0, j, k;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	if (i == alen && i == blen)
		return true;
	/* back to the start of the number both are in */
	while (i > 0 && is_digit(a[i - 1]))
		i--;
	if (i < 4 || a[i - 1] != ':' || a[i - 3] != '.' ||
	    (a[i - 2] != 'c' && a[i - 2] != 'h') ||
	    i >= alen || i >= blen || !is_digit(a[i]) || !is_digit(b[i]))
		return false;
	for (j = i; j < alen && is_digit(a[j]); j++)
		;
	for (k = i; k < blen && is_digit(b[k]); k++)
		;
	return alen - j == blen - k && !memcmp(a + j, b + k, alen - j);
}

static int compare_fragments(struct differ *d, const struct target *ta,
			     const struct target *tb, char **why)
{
	const struct fragment *fa, *fb;

	if (strcmp(ta->sec->name, tb->sec->name))
		return 0;
	fa = fragment_at(&d->pre, ta->sec, (uint64_t)ta->off);
	fb = fragment_at(&d->post, tb->sec, (uint64_t)tb->off);
	if (!fa || !fb)
		return ta->off == tb->off;
	if (fa->end - fa->start != fb->end - fb->start ||
	    (uint64_t)ta->off - fa->start != (uint64_t)tb->off - fb->start) {
		*why = om_strdup_printf("code fragment in %s differs in size",
					ta->sec->name);
		return 0;
	}
	return compare_range(d, &d->pre, ta->sec, fa->start, &d->post, tb->sec,
			     fb->start, fa->end - fa->start, why);
}

/* 1 equal, 0 not, negative errno. */
static int compare_targets(struct differ *d, const struct target *ta,
			   const struct target *tb, char **why)
{
	uint64_t s1, e1, s2, e2;

	if (ta->kind != tb->kind)
		return 0;
	switch (ta->kind) {
	case T_NONE:
		return ta->off == tb->off;
	case T_EXTERN:
		return ta->off == tb->off && !strcmp(ta->sym->name, tb->sym->name);
	case T_ITEM:
		return ta->item->twin == tb->item && ta->off == tb->off;
	case T_STRING:
		if (!string_span(ta->sec, ta->at, ta->slack, &s1, &e1) ||
		    !string_span(tb->sec, tb->at, tb->slack, &s2, &e2))
			return ta->off == tb->off && !strcmp(ta->sec->name, tb->sec->name);
		if ((uint64_t)ta->at - s1 != (uint64_t)tb->at - s2)
			return 0;
		if (e1 - s1 == e2 - s2 &&
		    !memcmp(ta->sec->data + s1, tb->sec->data + s2, e1 - s1))
			return 1;
		return differ_only_in_line(ta->sec->data + s1, e1 - s1,
					   tb->sec->data + s2, e2 - s2);
	case T_FRAG:
		return compare_fragments(d, ta, tb, why);
	case T_ANON:
		if (ta->off != tb->off || strcmp(ta->sec->name, tb->sec->name))
			return 0;
		return compare_anon_sections(d, ta->sec, tb->sec);
	}
	return 0;
}

static const char *reloc_name(uint32_t type)
{
	const struct arch_reloc *ar = arch_reloc(type);

	return ar ? ar->name : "unknown";
}

/*
 * Compare @len bytes at @aoff of @a (pre) with @boff of @b (post), with
 * their relocations.  1 equal, 0 differ (*why says where), negative errno;
 * -ENOTSUP: a relocation type not understood (*why says which).
 */
static int compare_range(struct differ *d, const struct side *sa,
			 const struct om_section *a, uint64_t aoff,
			 const struct side *sb, const struct om_section *b,
			 uint64_t boff, uint64_t len, char **why)
{
	size_t i = om_reloc_lower_bound(a, aoff);
	size_t j = om_reloc_lower_bound(b, boff);
	int ret;

	if (!!a->data != !!b->data)
		return 0;
	if (a->data && memcmp(a->data + aoff, b->data + boff, len)) {
		uint64_t k = 0;

		while (a->data[aoff + k] == b->data[boff + k])
			k++;
		if (why && !*why)
			*why = om_strdup_printf("bytes differ at +0x%llx",
						(unsigned long long)k);
		return 0;
	}
	for (;;) {
		bool ina = i < a->nrelocs && a->relocs[i].offset < aoff + len;
		bool inb = j < b->nrelocs && b->relocs[j].offset < boff + len;
		const struct om_reloc *ra, *rb;
		struct target ta, tb;

		if (!ina && !inb)
			return 1;
		if (ina != inb) {
			if (why && !*why)
				*why = om_strdup_printf("a relocation at +0x%llx only in %s",
					(unsigned long long)(ina ? a->relocs[i].offset - aoff
								 : b->relocs[j].offset - boff),
					ina ? "pre" : "post");
			return 0;
		}
		ra = &a->relocs[i++];
		rb = &b->relocs[j++];
		if (!arch_reloc(ra->type) || !arch_reloc(rb->type)) {
			/* not understood, but literally the same: equal */
			if (ra->type == rb->type && ra->offset - aoff == rb->offset - boff &&
			    ra->addend == rb->addend && ra->sym && rb->sym &&
			    !strcmp(ra->sym->name, rb->sym->name) &&
			    ra->sym->type != OM_SYM_SECTION)
				continue;
			if (why && !*why)
				*why = om_strdup_printf("relocation type %u at +0x%llx not understood",
					arch_reloc(ra->type) ? rb->type : ra->type,
					(unsigned long long)(ra->offset - aoff));
			return -ENOTSUP;
		}
		if (ra->offset - aoff != rb->offset - boff || ra->type != rb->type) {
			if (why && !*why)
				*why = om_strdup_printf("relocation at +0x%llx differs (%s)",
					(unsigned long long)(ra->offset - aoff),
					reloc_name(rb->type));
			return 0;
		}
		resolve_target(sa, a, ra, &ta);
		resolve_target(sb, b, rb, &tb);
		ret = compare_targets(d, &ta, &tb, why);
		if (ret <= 0) {
			if (ret == 0 && why && !*why)
				*why = om_strdup_printf("relocation at +0x%llx points elsewhere (%s%s)",
					(unsigned long long)(ra->offset - aoff),
					rb->sym ? rb->sym->name : "",
					tb.kind == T_STRING ? ": string differs" : "");
			return ret;
		}
	}
}

int compare_entries(struct differ *d, const struct entry *a,
		    const struct entry *b, char **why)
{
	const struct arch_special *sp = a->sp;
	unsigned char ba[32], bb[32];
	int ret;

	if (a->size != b->size) {
		if (why && !*why)
			*why = om_strdup_printf("%s entry differs in size", sp->name);
		return 0;
	}
	if (a->size > sizeof(ba) || !a->sec->data || !b->sec->data)
		return compare_range(d, &d->pre, a->sec, a->offset, &d->post,
				     b->sec, b->offset, a->size, why);
	memcpy(ba, a->sec->data + a->offset, a->size);
	memcpy(bb, b->sec->data + b->offset, b->size);
	if (sp->mask_len && sp->mask_off + sp->mask_len <= a->size) {
		/* e.g. a WARN's line number: not code */
		memset(ba + sp->mask_off, 0, sp->mask_len);
		memset(bb + sp->mask_off, 0, sp->mask_len);
	}
	if (memcmp(ba, bb, a->size)) {
		if (why && !*why)
			*why = om_strdup_printf("%s entry differs", sp->name);
		return 0;
	}
	/* relocations only (the bytes were compared above, masked) */
	{
		struct om_section ca = *a->sec, cb = *b->sec;

		ca.data = NULL;
		cb.data = NULL;
		ret = compare_range(d, &d->pre, &ca, a->offset, &d->post, &cb,
				    b->offset, a->size, why);
	}
	if (ret == 0 && why && *why) {
		char *w = om_strdup_printf("%s entry: %s", sp->name, *why);

		free(*why);
		*why = w;
	}
	return ret;
}

static int compare_item_entries(struct differ *d, struct item *a,
				struct item *b, char **why)
{
	size_t i = 0, j = 0;
	int ret;

	/* entries are in section order, then offset order, on both sides */
	while (i < a->entries.n || j < b->entries.n) {
		const struct entry *ea = i < a->entries.n ? a->entries.v[i] : NULL;
		const struct entry *eb = j < b->entries.n ? b->entries.v[j] : NULL;

		if (!ea || !eb || strcmp(ea->sec->name, eb->sec->name)) {
			const struct entry *e = ea ? ea : eb;

			if (ea && eb) {
				/* the section with fewer entries is the
				 * one that ran out first */
				e = ea;
			}
			if (why && !*why)
				*why = om_strdup_printf("number of %s entries differs",
							e->sec->name);
			return 0;
		}
		ret = compare_entries(d, ea, eb, why);
		if (ret <= 0)
			return ret;
		i++;
		j++;
	}
	return 1;
}

/* Data whose masked bits (a line number) may differ: bytes, then relocations. */
static int compare_masked(struct differ *d, const struct om_symbol *x,
			  const struct om_symbol *y, const struct arch_data_mask *mask,
			  char **why)
{
	struct om_section ca = *x->sec, cb = *y->sec;
	uint64_t k;

	for (k = 0; k < x->size; k++) {
		unsigned char m = 0;

		if (k >= mask->off && k < mask->off + mask->len)
			m = mask->bits[k - mask->off];
		if ((x->sec->data[x->value + k] & ~m) != (y->sec->data[y->value + k] & ~m)) {
			if (why && !*why)
				*why = om_strdup_printf("bytes differ at +0x%llx",
							(unsigned long long)k);
			return 0;
		}
	}
	ca.data = NULL;
	cb.data = NULL;
	return compare_range(d, &d->pre, &ca, x->value, &d->post, &cb, y->value,
			     x->size, why);
}

int compare_items(struct differ *d, struct item *a, struct item *b, char **why)
{
	const struct om_symbol *x = a->sym, *y = b->sym;
	const struct arch_data_mask *mask;
	int ret;

	if (x->size != y->size) {
		*why = om_strdup_printf("size %llu -> %llu",
					(unsigned long long)x->size,
					(unsigned long long)y->size);
		return 0;
	}
	if (!!x->sec->data != !!y->sec->data) {
		*why = om_strdup_printf("moved between .bss and initialised data");
		return 0;
	}
	mask = a->is_func ? NULL : arch_data_mask(x->sec->name);
	if (mask && x->sec->data && mask->off + mask->len <= x->size)
		ret = compare_masked(d, x, y, mask, why);
	else
		ret = compare_range(d, &d->pre, x->sec, x->value, &d->post, y->sec,
				    y->value, x->size, why);
	if (ret <= 0)
		return ret;
	return compare_item_entries(d, a, b, why);
}

int compare_anon_sections(struct differ *d, const struct om_section *a,
			  const struct om_section *b)
{
	unsigned char *m = &d->anon_memo[a->index];
	char *why = NULL;
	int ret;

	if (*m == 1 || *m == 3)
		return 1;	/* 3: a reference cycle; the rest decides */
	if (*m == 2)
		return 0;
	if (a->size != b->size || !!a->data != !!b->data) {
		*m = 2;
		return 0;
	}
	*m = 3;
	ret = compare_range(d, &d->pre, a, 0, &d->post, b, 0, a->size, &why);
	free(why);
	if (ret < 0) {
		*m = 2;
		return ret == -ENOTSUP ? 0 : ret;
	}
	*m = ret ? 1 : 2;
	return ret;
}
