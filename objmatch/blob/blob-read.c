// SPDX-License-Identifier: GPL-2.0
/* blob-read.c: the freestanding reader of pre blobs (blob.h). */
#include "match/match-compat.h"
#include "blob/blob.h"

/* Does [off, off + n * each) lie inside the blob, without overflow? */
static int in_blob(u32 size, u32 off, u32 n, u32 each)
{
	u64 end = (u64)off + (u64)n * each;

	return off <= size && end <= size && (off % 8 == 0 || n == 0);
}

/* A string offset that leads to a NUL inside the blob. */
static const char *blob_str(const u8 *b, u32 size, u32 off)
{
	u32 i;

	if (off >= size)
		return NULL;
	for (i = off; i < size; i++)
		if (!b[i])
			return (const char *)b + off;
	return NULL;
}

int om_blob_read(const void *blob, u32 size, const struct om_env *env,
		 struct om_blob_unit *out)
{
	const u8 *b = blob;
	const struct om_blob_hdr *h = blob;
	const struct om_blob_sec *bs;
	const struct om_blob_sym *by;
	u32 i;

	memset(out, 0, sizeof(*out));
	if (size < sizeof(*h) || ((unsigned long)blob & 7) || h->magic != OM_BLOB_MAGIC ||
	    h->version != OM_BLOB_VERSION || h->size != size ||
	    !in_blob(size, h->sections, h->nsections, sizeof(*bs)) ||
	    !in_blob(size, h->syms, h->nsyms, sizeof(*by)) ||
	    !in_blob(size, h->relocs, h->nrelocs, sizeof(struct om_mreloc)) ||
	    !in_blob(size, h->sites, h->nsites, sizeof(struct om_msite)) ||
	    !blob_str(b, size, h->name))
		return -EINVAL;

	out->secs = env->zalloc(env->ctx, (h->nsections ? h->nsections : 1) * sizeof(*out->secs));
	out->syms = env->zalloc(env->ctx, (h->nsyms ? h->nsyms : 1) * sizeof(*out->syms));
	if (!out->secs || !out->syms) {
		om_blob_unit_free(out, env);
		return -ENOMEM;
	}
	bs = (const struct om_blob_sec *)(b + h->sections);
	for (i = 0; i < h->nsections; i++) {
		struct om_msection *s = &out->secs[i];

		s->name = blob_str(b, size, bs[i].name);
		if (!s->name || (u64)bs[i].reloc_first + bs[i].nrelocs > h->nrelocs ||
		    (u64)bs[i].site_first + bs[i].nsites > h->nsites ||
		    (bs[i].data != OM_BLOB_NONE && !in_blob(size, bs[i].data, bs[i].size, 1)))
			goto bad;
		s->flags = bs[i].flags;
		s->size = bs[i].size;
		s->entsize = bs[i].entsize;
		s->data = bs[i].data == OM_BLOB_NONE ? NULL : b + bs[i].data;
		s->relocs = (const struct om_mreloc *)(b + h->relocs) + bs[i].reloc_first;
		s->nrelocs = bs[i].nrelocs;
		s->sites = (const struct om_msite *)(b + h->sites) + bs[i].site_first;
		s->nsites = bs[i].nsites;
	}
	by = (const struct om_blob_sym *)(b + h->syms);
	for (i = 0; i < h->nsyms; i++) {
		struct om_msym *y = &out->syms[i];

		y->name = blob_str(b, size, by[i].name);
		if (!y->name || by[i].section >= (s32)h->nsections || by[i].section < -1)
			goto bad;
		y->kind = by[i].kind;
		y->section = by[i].section;
		y->value = by[i].value;
		y->size = by[i].size;
	}
	/* relocation symbols and sites are range-checked by om_match_run() */
	out->unit = (struct om_munit){ .name = blob_str(b, size, h->name),
		.sections = out->secs, .nsections = h->nsections,
		.syms = out->syms, .nsyms = h->nsyms };
	return 0;
bad:
	om_blob_unit_free(out, env);
	return -EINVAL;
}

void om_blob_unit_free(struct om_blob_unit *bu, const struct om_env *env)
{
	env->free(env->ctx, bu->secs);
	env->free(env->ctx, bu->syms);
	bu->secs = NULL;
	bu->syms = NULL;
}
