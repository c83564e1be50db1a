// SPDX-License-Identifier: GPL-2.0
/*
 * Attributing special-section entries and code fragments to functions.
 *
 * The kernel keeps facts about code in side tables: a WARN_ON() in f() is a
 * ud2 in f plus a __bug_table entry whose first field points (PC32) into f's
 * section; an alternative is an .altinstructions entry pointing at the
 * original instruction in f and at replacement bytes in
 * .altinstr_replacement.  Such an entry belongs to the function its anchor
 * relocation points into; fragments (replacement bytes, static_cpu_has()
 * tails in .altinstr_aux) belong to whoever references their start; ORC's
 * .orc_unwind entries pair by index with .orc_unwind_ip.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obj/diff.h"

bool section_is_string(const struct om_section *sec)
{
	return (sec->flags & OM_SEC_MERGE) && (sec->flags & OM_SEC_STRINGS);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fragment starts are the offsets anything points at.  Every relocation of
 * the object that lands in a fragment section contributes one.
 */
static int build_fragments(struct differ *d, struct side *s)
{
	const struct om_object *obj = s->obj;
	size_t i, j;

	for (i = 0; i < obj->nsecs; i++) {
		const struct om_section *fsec = &obj->secs[i];
		uint64_t *starts;
		size_t n = 0, k;

		if (!arch_is_fragment_section(fsec->name) || !fsec->size)
			continue;
		/* count the references first */
		for (j = 0; j < obj->nsecs; j++) {
			const struct om_section *sec = &obj->secs[j];

			for (k = 0; k < sec->nrelocs; k++)
				if (sec->relocs[k].sym && sec->relocs[k].sym->sec == fsec)
					n++;
		}
		starts = calloc(n + 1, sizeof(*starts));
		s->frags[i] = calloc(n + 1, sizeof(**s->frags));
		if (!starts || !s->frags[i]) {
			free(starts);
			return -ENOMEM;
		}
		n = 0;
		for (j = 0; j < obj->nsecs; j++) {
			const struct om_section *sec = &obj->secs[j];

			for (k = 0; k < sec->nrelocs; k++) {
				const struct om_reloc *r = &sec->relocs[k];
				const struct arch_reloc *ar = arch_reloc(r->type);
				int64_t at;

				if (!r->sym || r->sym->sec != fsec || !ar)
					continue;
				at = wrap_add(wrap_add((int64_t)r->sym->value, r->addend),
					      arch_pcrel_bias(ar, sec->flags & OM_SEC_CODE));
				if (at >= 0 && (uint64_t)at < fsec->size)
					starts[n++] = (uint64_t)at;
			}
		}
		qsort(starts, n, sizeof(*starts), cmp_u64);
		for (k = 0; k < n; k++) {
			struct fragment *f;

			if (k && starts[k] == starts[k - 1])
				continue;
			f = &s->frags[i][s->nfrags[i]++];
			f->start = starts[k];
		}
		for (k = 0; k < s->nfrags[i]; k++)
			s->frags[i][k].end = k + 1 < s->nfrags[i] ?
					     s->frags[i][k + 1].start : fsec->size;
		free(starts);
	}
	(void)d;
	return 0;
}

const struct fragment *fragment_at(const struct side *s,
				   const struct om_section *sec, uint64_t off)
{
	const struct fragment *f = s->frags[sec->index];
	size_t lo = 0, hi = s->nfrags[sec->index];

	if (!f)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off >= f[lo - 1].end)
		return NULL;
	return &f[lo - 1];
}

/* The function a reference from data (bias 0) at @r points into. */
static struct item *owner_of(struct side *s, const struct om_section *sec,
			     const struct om_reloc *r)
{
	struct target t;
	const struct fragment *f;

	if (resolve_target(s, sec, r, &t) < 0)
		return NULL;
	if (t.kind == T_ITEM && t.item->is_func)
		return t.item;
	if (t.kind == T_FRAG) {
		f = fragment_at(s, t.sec, (uint64_t)t.off);
		return f ? f->owner : NULL;
	}
	return NULL;
}

static int add_entry(struct side *s, struct entry *e)
{
	if (e->owner)
		return om_vec_push(&e->owner->entries, e);
	return om_vec_push(&s->orphans, e);
}

/* Fragment owners: the function whose code references the fragment. */
static void own_fragments_from_code(struct side *s)
{
	const struct om_object *obj = s->obj;
	size_t i, k;

	for (i = 0; i < s->nitems; i++) {
		struct item *it = &s->items[i];
		const struct om_section *sec = it->sym->sec;
		uint64_t end = it->sym->value + it->sym->size;

		if (!it->is_func)
			continue;
		for (k = om_reloc_lower_bound(sec, it->sym->value);
		     k < sec->nrelocs && sec->relocs[k].offset < end; k++) {
			const struct om_reloc *r = &sec->relocs[k];
			const struct arch_reloc *ar = arch_reloc(r->type);
			struct fragment *f;

			if (!ar || !r->sym || !r->sym->sec ||
			    !s->frags[r->sym->sec->index])
				continue;
			f = (struct fragment *)fragment_at(s, r->sym->sec,
				(uint64_t)wrap_add(wrap_add((int64_t)r->sym->value, r->addend),
						   arch_pcrel_bias(ar, true)));
			if (f && !f->owner)
				f->owner = it;
		}
	}
	(void)obj;
}

static int attribute_section(struct differ *d, struct side *s,
			     const struct om_section *sec,
			     const struct arch_special *sp)
{
	const struct om_section *pair = NULL;
	struct entry *ents;
	uint64_t last;
	unsigned int entsize = arch_special_entsize(sp, sec);
	size_t n, i;
	int err;

	last = sec->size % entsize;
	if (last && (!sp->last_size || last != sp->last_size)) {
		return add_refusal(d, s->obj, sec, NULL, sec->name,
				   "special section of %llu bytes is not an array of %u-byte entries",
				   (unsigned long long)sec->size, entsize);
	}
	n = sec->size / entsize + (last ? 1 : 0);
	if (sp->pair) {
		pair = om_section_by_name(s->obj, sp->pair);
		if (!pair || !s->entries[pair->index] ||
		    s->nentries[pair->index] != n)
			return add_refusal(d, s->obj, sec, NULL, sec->name,
					   "entries do not pair up with %s", sp->pair);
	}
	ents = calloc(n + 1, sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	s->entries[sec->index] = ents;
	s->nentries[sec->index] = n;
	for (i = 0; i < n; i++) {
		struct entry *e = &ents[i];

		e->sec = sec;
		e->sp = sp;
		e->index = i;
		e->offset = i * entsize;
		e->size = sec->size - e->offset < entsize ? sec->size - e->offset
							      : entsize;
		if (pair) {
			e->owner = s->entries[pair->index][i].owner;
		} else {
			size_t k = om_reloc_lower_bound(sec, e->offset + (uint64_t)sp->anchor);

			if (k < sec->nrelocs &&
			    sec->relocs[k].offset == e->offset + (uint64_t)sp->anchor)
				e->owner = owner_of(s, sec, &sec->relocs[k]);
		}
		err = add_entry(s, e);
		if (err)
			return err;
	}
	return 0;
}

/*
 * .altinstructions entries also own their replacement fragment (the
 * relocation at +4), which is not referenced from code.
 */
static void own_fragments_from_alternatives(struct side *s)
{
	size_t i, j;

	for (i = 0; i < s->obj->nsecs; i++) {
		const struct om_section *sec = &s->obj->secs[i];

		if (strcmp(sec->name, ".altinstructions") || !s->entries[i])
			continue;
		for (j = 0; j < s->nentries[i]; j++) {
			struct entry *e = &s->entries[i][j];
			size_t k = om_reloc_lower_bound(sec, e->offset + 4);
			const struct om_reloc *r;
			struct fragment *f;

			if (k >= sec->nrelocs || sec->relocs[k].offset != e->offset + 4)
				continue;
			r = &sec->relocs[k];
			if (!r->sym || !r->sym->sec || !s->frags[r->sym->sec->index])
				continue;
			f = (struct fragment *)fragment_at(s, r->sym->sec,
				(uint64_t)wrap_add((int64_t)r->sym->value, r->addend));
			if (f && !f->owner)
				f->owner = e->owner;
		}
	}
}

int special_attribute(struct differ *d, struct side *s)
{
	const struct om_object *obj = s->obj;
	unsigned int nsp, k;
	const struct arch_special *sps = arch_specials(&nsp);
	int err;

	err = build_fragments(d, s);
	if (err)
		return err;
	own_fragments_from_code(s);
	/*
	 * Sections in table order: .altinstructions before anything that may
	 * point into replacements, .orc_unwind_ip before .orc_unwind.
	 */
	for (k = 0; k < nsp; k++) {
		const struct om_section *sec = om_section_by_name(obj, sps[k].name);
		size_t i;

		if (sps[k].prefix) {
			/* a table per constant: every section of the prefix */
			for (i = 0; !err && i < obj->nsecs; i++)
				if (arch_special(obj->secs[i].name) == &sps[k])
					err = attribute_section(d, s, &obj->secs[i], &sps[k]);
			if (err)
				return err;
			continue;
		}
		if (!sec)
			continue;
		err = attribute_section(d, s, sec, &sps[k]);
		if (err)
			return err;
		if (!strcmp(sps[k].name, ".altinstructions")) {
			/* replacement fragments now have owners: re-resolve
			 * nothing yet attributed through them (none so far) */
			own_fragments_from_alternatives(s);
		}
	}
	return 0;
}
