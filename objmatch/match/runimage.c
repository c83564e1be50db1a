// SPDX-License-Identifier: GPL-2.0
/* runimage.c: a linked image as running memory, and kallsyms (runimage.h). */
#include "config.h"

#include <bfd.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"
#include "match/runimage.h"

struct img_section {
	uint64_t vma, size;
	asection *sec;
	unsigned char *data;	/* read on first use */
	bool nobits;
};

struct om_image {
	bfd *abfd;
	const char *path;
	struct img_section *secs;	/* sorted by vma */
	size_t nsecs;
};

static int cmp_vma(const void *a, const void *b)
{
	const struct img_section *x = a, *y = b;

	return x->vma < y->vma ? -1 : x->vma > y->vma;
}

int om_image_open(const char *path, const struct om_options *opts, struct om_image **out)
{
	struct om_image *img;
	asection *s;
	size_t n = 0;

	*out = NULL;
	bfd_init();
	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->path = path;
	img->abfd = bfd_openr(path, NULL);
	if (!img->abfd) {
		om_log(opts, OM_LOG_ERROR, "%s: %s", path, bfd_errmsg(bfd_get_error()));
		free(img);
		return -ENOENT;
	}
	if (!bfd_check_format(img->abfd, bfd_object)) {
		om_log(opts, OM_LOG_ERROR, "%s: not an object file: %s", path,
		       bfd_errmsg(bfd_get_error()));
		om_image_close(img);
		return -EINVAL;
	}
	for (s = img->abfd->sections; s; s = s->next)
		n++;
	img->secs = calloc(n ? n : 1, sizeof(*img->secs));
	if (!img->secs) {
		om_image_close(img);
		return -ENOMEM;
	}
	for (s = img->abfd->sections; s; s = s->next) {
		flagword f = bfd_section_flags(s);

		if (!(f & SEC_ALLOC) || !bfd_section_size(s))
			continue;
		img->secs[img->nsecs++] = (struct img_section){
			.vma = bfd_section_vma(s), .size = bfd_section_size(s), .sec = s,
			.nobits = !(f & SEC_HAS_CONTENTS) };
	}
	qsort(img->secs, img->nsecs, sizeof(*img->secs), cmp_vma);
	*out = img;
	return 0;
}

int om_image_read(struct om_image *img, uint64_t addr, void *buf, uint32_t len)
{
	size_t lo = 0, hi = img->nsecs;
	struct img_section *is = NULL;

	while (lo < hi) {	/* last section starting at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (img->secs[mid].vma <= addr) {
			is = &img->secs[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (!is || addr - is->vma + len > is->size || addr - is->vma >= is->size)
		return -EFAULT;
	if (is->nobits) {
		memset(buf, 0, len);
		return 0;
	}
	if (!is->data) {
		is->data = malloc(is->size);
		if (!is->data)
			return -ENOMEM;
		if (!bfd_get_section_contents(img->abfd, is->sec, is->data, 0, is->size)) {
			free(is->data);
			is->data = NULL;
			return -EIO;
		}
	}
	memcpy(buf, is->data + (addr - is->vma), len);
	return 0;
}

void om_image_close(struct om_image *img)
{
	size_t i;

	if (!img)
		return;
	for (i = 0; i < img->nsecs; i++)
		free(img->secs[i].data);
	free(img->secs);
	if (img->abfd)
		bfd_close(img->abfd);
	free(img);
}

/* ------------------------------------------------------------ kallsyms */

struct ksym {
	char *name;
	uint64_t addr;
	char type;
};

struct om_ksyms {
	struct ksym *v;		/* sorted by name, then address */
	size_t n;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int om_ksyms_load(const char *path, const struct om_options *opts, struct om_ksyms **out)
{
	struct om_ksyms *k;
	FILE *f;
	char line[512];
	size_t cap = 0, lineno = 0;
	int ret = 0;

	*out = NULL;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		om_log(opts, OM_LOG_ERROR, "%s: %s", path, strerror(errno));
		return ret;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		char name[256], type;
		uint64_t addr;

		lineno++;
		if (sscanf(line, "%" SCNx64 " %c %255s", &addr, &type, name) != 3) {
			if (line[0] == ' ' || line[0] == '\n')
				continue;	/* nm: undefined symbols have no address */
			om_log(opts, OM_LOG_ERROR, "%s:%zu: not a kallsyms line", path, lineno);
			ret = -EINVAL;
			break;
		}
		if (k->n == cap) {
			struct ksym *v;

			cap = cap ? 2 * cap : 4096;
			v = realloc(k->v, cap * sizeof(*v));
			if (!v) {
				ret = -ENOMEM;
				break;
			}
			k->v = v;
		}
		k->v[k->n].name = strdup(name);
		if (!k->v[k->n].name) {
			ret = -ENOMEM;
			break;
		}
		k->v[k->n].addr = addr;
		k->v[k->n].type = type;
		k->n++;
	}
	fclose(f);
	if (ret) {
		om_ksyms_free(k);
		return ret;
	}
	qsort(k->v, k->n, sizeof(*k->v), cmp_ksym);
	*out = k;
	return 0;
}

static size_t first_named(const struct om_ksyms *k, const char *name)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(k->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int om_ksyms_lookup(const struct om_ksyms *k, const char *name, uint64_t *addrs, uint32_t max)
{
	size_t i;
	int n = 0;

	for (i = first_named(k, name); i < k->n && !strcmp(k->v[i].name, name); i++) {
		char t = k->v[i].type;

		if (t != 't' && t != 'T' && t != 'w' && t != 'W')
			continue;
		if ((uint32_t)n < max)
			addrs[n] = k->v[i].addr;
		n++;
	}
	return n;
}

int om_ksyms_addr(const struct om_ksyms *k, const char *name, uint64_t *addr)
{
	size_t i = first_named(k, name);

	if (i >= k->n || strcmp(k->v[i].name, name))
		return -ENOENT;
	*addr = k->v[i].addr;
	return 0;
}

void om_ksyms_free(struct om_ksyms *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		free(k->v[i].name);
	free(k->v);
	free(k);
}
