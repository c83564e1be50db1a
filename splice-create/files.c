// SPDX-License-Identifier: GPL-2.0
/*
 * Small file helpers of the splice-create program: whole-file reads and
 * writes, and copying a file to a path whose directories may not exist yet.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run.h"

int read_whole(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, n;
	char *b;

	if (!f)
		return -errno;
	b = malloc(cap);
	*len = 0;
	while (b && (n = fread(b + *len, 1, cap - *len - 1, f)) > 0) {
		*len += n;
		if (*len + 1 >= cap) {
			char *nb = realloc(b, cap *= 2);

			if (!nb) {
				free(b);
				b = NULL;
			}
			b = nb;
		}
	}
	fclose(f);
	if (!b)
		return -ENOMEM;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

int write_whole(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* mkdir -p for the directory part of @path. */
static int make_parents(const char *path)
{
	char *p = strdup(path), *s;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s && !err; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			err = -errno;
		*s = '/';
	}
	free(p);
	return err;
}

int copy_into(const struct sc_opts *opts, const char *from, const char *to)
{
	char *argv[] = { "cp", "-p", (char *)from, (char *)to, NULL };
	int err = make_parents(to);

	if (err) {
		sc_err("%s: %s", to, strerror(-err));
		return err;
	}
	return sc_run(opts, NULL, argv);
}
