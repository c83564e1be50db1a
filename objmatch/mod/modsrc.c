// SPDX-License-Identifier: GPL-2.0
/* modsrc.c: writing module sources (modsrc.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mod/modsrc.h"

bool om_modsrc_name_ok(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n > 0 && n <= max;
}

int om_modsrc_mkdir(const char *dir)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int om_modsrc_write(const char *prog, const char *dir, const char *name,
		    const void *buf, size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int om_modsrc_write_cmd(const char *prog, const char *dir, const char *obj)
{
	char name[96], cmd[256];
	int n;

	snprintf(name, sizeof(name), ".%s.o.cmd", obj);
	n = snprintf(cmd, sizeof(cmd), "savedcmd_%s.o := cp %s.o_shipped %s.o\n", obj, obj, obj);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -EINVAL;
	return om_modsrc_write(prog, dir, name, cmd, (size_t)n);
}
