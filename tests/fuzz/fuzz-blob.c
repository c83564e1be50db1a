// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the pre-blob reader (objmatch/blob/blob-read.c) and the run-pre
 * matcher (match.c) on what it accepts -- the code splice-core.ko runs on
 * the bytes of a pre module, compiled here in user space.  "Running
 * memory" is the input itself, repeated, and every symbol has one
 * candidate address, so matching gets past the first lookups.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *data;
	size_t size;
};

static int mem_read(void *ctx, u64 addr, void *buf, u32 len)
{
	const struct mem *m = ctx;
	u32 i;

	if (!m->size || len > 4096)
		return -EFAULT;
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = m->data[(addr + i) % m->size];
	return 0;
}

static int candidates(void *ctx, const char *name, u64 *addrs, u32 max)
{
	(void)ctx;
	if (max)
		addrs[0] = 0xffffffff81000000ull + (strlen(name) << 4);
	return 1;
}

static void *zalloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void zfree(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void quiet(void *ctx, int level, const char *line)
{
	(void)ctx, (void)level, (void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem mem = { data, size };
	const struct om_env env = { .ctx = &mem, .read = mem_read, .candidates = candidates,
				    .zalloc = zalloc, .free = zfree, .log = quiet };
	struct om_blob_unit bu;
	struct om_match *m = NULL;
	void *blob;

	if (size > 0xffffffffu)
		return 0;
	/* the kernel hands the reader the pre module's copy: 8-byte aligned */
	blob = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	if (!om_blob_read(blob, (u32)size, &env, &bu)) {
		int ret = om_match_run(&bu.unit, &env, 1, &m);

		if (ret != -ENOMEM && ret != -EINVAL)
			om_match_free(m);
		om_blob_unit_free(&bu, &env);
	}
	free(blob);
	return 0;
}
