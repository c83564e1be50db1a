// SPDX-License-Identifier: GPL-2.0
/*
 * splice-core's files for the update modules: splice.h and include/ (the
 * interface, the same for every kernel) and the Module.symvers of a
 * splice-core built for the target kernel.
 *
 * The Module.symvers must be the target's: with CONFIG_MODVERSIONS the
 * update modules record a CRC of each splice-core export, computed from
 * the kernel's types, and the kernel refuses a module whose CRC is not the
 * loaded core's ("disagrees about version of symbol splice_register_pre").
 * A core built for 6.1 and one built for 6.12 differ there.  The build
 * tree's splice-core and the copy `make install` puts in
 * $(pkglibdir)/core are built for configure's kernel (SPLICE_CORE_RELEASE);
 * DKMS builds splice-core for every kernel with headers, and its
 * POST_BUILD keeps each build's Module.symvers in
 * DKMS_TREE/splice-core/VERSION/RELEASE/ARCH/ (splice-core/dkms-post-build).
 *
 * Without --core (or $SPLICE_CORE_DIR, taken as given): the interface
 * from the build tree's splice-core next to the executable, else
 * $(pkglibdir)/core; the Module.symvers from that directory when it was
 * built for the target, else DKMS's for the target, else a refusal that
 * names what was found and what to do.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "create.h"

static bool readable(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, R_OK);
}

/* DKMS's kept Module.symvers of splice-core @version for @release, or NULL. */
static char *dkms_symvers(const char *dkms_tree, const char *version, const char *release)
{
	char *pattern = NULL, *found = NULL;
	glob_t g;

	if (asprintf(&pattern, "%s/splice-core/%s/%s/*/Module.symvers", dkms_tree, version,
		     release) < 0)
		return NULL;
	if (!glob(pattern, 0, NULL, &g)) {
		if (g.gl_pathc)
			found = strdup(g.gl_pathv[0]);
		globfree(&g);
	}
	free(pattern);
	return found;
}

int sc_core_pick(const struct sc_core_where *w, const char *release, char **core, char **symvers)
{
	const char *dir = w->given ? w->given : w->dir;

	*core = NULL;
	*symvers = NULL;
	if (!dir || !readable(dir, "splice.h")) {
		sc_err("splice-core's splice.h and Module.symvers not found in %s: build splice-core (make), install "
		       "splice (make install), or give --core DIR", dir ? dir : "(none)");
		return -ENOENT;
	}
	/* given, built for the target, or for a kernel not known: its own */
	if (w->given || !w->dir_release || !strcmp(w->dir_release, release)) {
		if (!readable(dir, "Module.symvers")) {
			sc_err("splice-core's Module.symvers not found in %s: build splice-core (make), "
			       "install splice (make install), or give --core DIR", dir);
			return -ENOENT;
		}
		if (asprintf(symvers, "%s/Module.symvers", dir) < 0)
			return -ENOMEM;
	} else {
		*symvers = dkms_symvers(w->dkms_tree, w->version, release);
		if (!*symvers) {
			sc_err("no splice-core built for %s: %s/Module.symvers is for %s, and DKMS has "
			       "built none for it (%s/splice-core/%s/%s/); update modules linked "
			       "against another kernel's splice-core do not load (\"disagrees about "
			       "version of symbol\"). Install linux-headers-%s and run `dkms install "
			       "splice-core/%s -k %s` (make install does it for every kernel with "
			       "headers), or give --core DIR",
			       release, dir, w->dir_release,
			       w->dkms_tree, w->version, release, release, w->version, release);
			return -ENOENT;
		}
	}
	*core = strdup(dir);
	if (!*core) {
		free(*symvers);
		*symvers = NULL;
		return -ENOMEM;
	}
	return 0;
}
