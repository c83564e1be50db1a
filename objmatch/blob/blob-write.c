// SPDX-License-Identifier: GPL-2.0
/* blob-write.c: serialise a struct om_munit into a pre blob (blob.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "blob/blobw.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int reserve(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		memset(p + b->cap, 0, cap - b->cap);
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

/* Append n bytes (or zeros if src is NULL); returns the offset, or -1. */
static long put(struct buf *b, const void *src, size_t n, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	if (reserve(b, off - b->len + n))
		return -1;
	if (src)
		memcpy(b->p + off, src, n);
	b->len = off + n;
	return (long)off;
}

static long put_str(struct buf *b, const char *s)
{
	return put(b, s, strlen(s) + 1, 1);
}

int om_blob_write(const struct om_munit *u, void **out, size_t *outlen)
{
	struct buf b = { 0 };
	struct om_blob_hdr h = { .magic = OM_BLOB_MAGIC, .version = OM_BLOB_VERSION };
	struct om_blob_sec *secs = NULL;
	struct om_blob_sym *syms = NULL;
	u32 i, nrel = 0, nsite = 0;
	long off;
	int ret = -ENOMEM;

	*out = NULL;
	secs = calloc(u->nsections ? u->nsections : 1, sizeof(*secs));
	syms = calloc(u->nsyms ? u->nsyms : 1, sizeof(*syms));
	if (!secs || !syms || put(&b, &h, sizeof(h), 8) < 0)
		goto out;
	/* tables first (fixed size), filled in at the end */
	for (i = 0; i < u->nsections; i++) {
		nrel += u->sections[i].nrelocs;
		nsite += u->sections[i].nsites;
	}
	h.nsections = u->nsections;
	h.nsyms = u->nsyms;
	h.nrelocs = nrel;
	h.nsites = nsite;
	if ((off = put(&b, NULL, u->nsections * sizeof(*secs), 8)) < 0)
		goto out;
	h.sections = off;
	if ((off = put(&b, NULL, u->nsyms * sizeof(*syms), 8)) < 0)
		goto out;
	h.syms = off;
	if ((off = put(&b, NULL, nrel * sizeof(struct om_mreloc), 8)) < 0)
		goto out;
	h.relocs = off;
	if ((off = put(&b, NULL, nsite * sizeof(struct om_msite), 8)) < 0)
		goto out;
	h.sites = off;

	nrel = nsite = 0;
	for (i = 0; i < u->nsections; i++) {
		const struct om_msection *s = &u->sections[i];
		int keep = s->data && (s->flags & (OM_MSEC_CODE | OM_MSEC_RODATA | OM_MSEC_MERGED));

		secs[i] = (struct om_blob_sec){ .flags = s->flags, .size = s->size,
			.entsize = s->entsize, .data = OM_BLOB_NONE,
			.reloc_first = nrel, .nrelocs = s->nrelocs,
			.site_first = nsite, .nsites = s->nsites };
		memcpy(b.p + h.relocs + nrel * sizeof(struct om_mreloc), s->relocs,
		       s->nrelocs * sizeof(struct om_mreloc));
		memcpy(b.p + h.sites + nsite * sizeof(struct om_msite), s->sites,
		       s->nsites * sizeof(struct om_msite));
		nrel += s->nrelocs;
		nsite += s->nsites;
		if (keep) {
			off = put(&b, s->data, s->size, 8);
			if (off < 0)
				goto out;
			secs[i].data = off;
		}
		if ((off = put_str(&b, s->name)) < 0)
			goto out;
		secs[i].name = off;
	}
	for (i = 0; i < u->nsyms; i++) {
		const struct om_msym *y = &u->syms[i];

		syms[i] = (struct om_blob_sym){ .kind = y->kind, .section = y->section,
			.value = y->value, .size = y->size };
		if ((off = put_str(&b, y->name)) < 0)
			goto out;
		syms[i].name = off;
	}
	if ((off = put_str(&b, u->name)) < 0 || put(&b, NULL, 0, 8) < 0)
		goto out;
	h.name = off;
	h.size = b.len;
	memcpy(b.p, &h, sizeof(h));
	memcpy(b.p + h.sections, secs, u->nsections * sizeof(*secs));
	memcpy(b.p + h.syms, syms, u->nsyms * sizeof(*syms));
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	ret = 0;
out:
	free(b.p);
	free(secs);
	free(syms);
	return ret;
}
