// SPDX-License-Identifier: GPL-2.0
/*
 * The target kernel: the release the update is for, its build directory
 * (headers), the configuration to compile with, and splice-core's files --
 * all decided, and checked against the source tree, before anything is
 * compiled.
 *
 * The release comes from, first that answers:
 *   1. --kernel-build DIR (or $SPLICE_KERNEL_BUILD): the directory's own
 *      UTS_RELEASE;
 *   2. the configuration's matching headers: the installed kernel build
 *      directories (/usr/src/linux-headers-R, /lib/modules/R/build) whose
 *      .config is the configuration (-c FILE, else the tree's .config) in
 *      every symbol that can change code (config.c).  Debian's ABIs of one
 *      series often share a configuration; several matches are told apart
 *      by the configuration's name (config-R), the tree's UTS_RELEASE and
 *      uname -r, else refused naming them;
 *   3. uname -r, when its headers are installed.
 * The configuration to build with is -c FILE, else the build directory's
 * .config (the one the kernel was built with), else /boot/config-R.
 *
 * A tree whose release differs (a tree prepared the ordinary way says
 * "6.1.192") is fine: the scratch tree is built with KERNELRELEASE=R.  A
 * tree of another kernel version is not: refused, naming the source
 * package to install.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "create.h"

#ifndef SPLICE_PKGLIBDIR
#define SPLICE_PKGLIBDIR "/usr/local/lib/splice"
#endif

static bool has_file(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, R_OK);
}

/* The whole of a small text file, or NULL. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&buf, &cap, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

char *sc_uts_release(const char *dir)
{
	char path[PATH_MAX], *buf, *p, *q, *rel = NULL;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", dir);
	buf = slurp(path);
	if (!buf)
		return NULL;
	p = strstr(buf, "UTS_RELEASE \"");
	q = p ? strchr(p + 13, '"') : NULL;
	if (q)
		rel = strndup(p + 13, (size_t)(q - p - 13));
	free(buf);
	return rel;
}

/* "VERSION = 6" in a Makefile: the number, or -1. */
static long make_var(const char *buf, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, name, n) && strchr(" \t=", p[n])) {
			p += n + strspn(p + n, " \t");
			if (*p++ != '=')
				continue;
			p += strspn(p, " \t");
			if (*p < '0' || *p > '9')
				return -1;
			return strtol(p, NULL, 10);
		}
	}
	return -1;
}

char *sc_tree_version(const char *tree)
{
	char path[PATH_MAX], *buf, *v = NULL;
	long a, b, c;

	snprintf(path, sizeof(path), "%s/Makefile", tree);
	buf = slurp(path);
	if (!buf)
		return NULL;
	a = make_var(buf, "VERSION");
	b = make_var(buf, "PATCHLEVEL");
	c = make_var(buf, "SUBLEVEL");
	if (a >= 0 && b >= 0 && c >= 0 && asprintf(&v, "%ld.%ld.%ld", a, b, c) < 0)
		v = NULL;
	free(buf);
	return v;
}

/* "#define NAME 6" in a header: the number, or -1. */
static long define_value(const char *buf, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "#define %s ", name);
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 0) : -1;
}

/* The kernel version a build directory is of: "6.1.192". */
static char *build_version(const char *kb)
{
	char path[PATH_MAX], *buf, *v = NULL;
	long a, b, c, code;

	snprintf(path, sizeof(path), "%s/include/generated/uapi/linux/version.h", kb);
	buf = slurp(path);
	if (!buf)
		return NULL;
	a = define_value(buf, "LINUX_VERSION_MAJOR");
	b = define_value(buf, "LINUX_VERSION_PATCHLEVEL");
	c = define_value(buf, "LINUX_VERSION_SUBLEVEL");
	code = define_value(buf, "LINUX_VERSION_CODE");
	if ((a < 0 || b < 0 || c < 0) && code >= 0) {
		/* older kernels: only the code, whose sublevel stops at 255 */
		a = code >> 16;
		b = (code >> 8) & 0xff;
		c = code & 0xff;
	}
	if (a >= 0 && b >= 0 && c >= 0 && asprintf(&v, "%ld.%ld.%ld", a, b, c) < 0)
		v = NULL;
	free(buf);
	return v;
}

/* A usable kernel build directory for modules: Makefile, release, config. */
static bool is_build_dir(const char *dir)
{
	return has_file(dir, "Makefile") && has_file(dir, "include/generated/utsrelease.h");
}

/*
 * The installed build directories: /usr/src/linux-headers-R (Debian's
 * packages) and /lib/modules/R/build, each once (by real path).
 * $SPLICE_HEADERS_DIRS (colon-separated directories whose subdirectories
 * are build directories) replaces the two, for tests.
 */
static int installed_builds(struct sc_strv *out)
{
	const char *env = getenv("SPLICE_HEADERS_DIRS");
	char *dirs = strdup(env && *env ? env : "/usr/src:/lib/modules"), *d, *save = NULL;
	int err = 0;

	if (!dirs)
		return -ENOMEM;
	for (d = strtok_r(dirs, ":", &save); !err && d; d = strtok_r(NULL, ":", &save)) {
		bool modules = !env && !strcmp(d, "/lib/modules");
		struct dirent *de;
		DIR *dir = opendir(d);

		while (!err && dir && (de = readdir(dir))) {
			char *path, *abs;

			if (de->d_name[0] == '.')
				continue;
			if (!env && !modules && strncmp(de->d_name, "linux-headers-", 14))
				continue;
			if (asprintf(&path, "%s/%s%s", d, de->d_name, modules ? "/build" : "") < 0) {
				err = -ENOMEM;
				break;
			}
			abs = realpath(path, NULL);
			free(path);
			if (abs && is_build_dir(abs) && has_file(abs, ".config") &&
			    !sc_strv_has(out, abs))
				err = sc_strv_add(out, abs);
			free(abs);
		}
		if (dir)
			closedir(dir);
	}
	free(dirs);
	sc_strv_sort(out);
	return err;
}

/* The build directory of @release, or NULL (where installed_builds looks). */
static char *build_of_release(const char *release)
{
	const char *env = getenv("SPLICE_HEADERS_DIRS");
	char *dirs = strdup(env && *env ? env : "/usr/src:/lib/modules"), *d, *save = NULL;
	char *found = NULL;

	for (d = dirs ? strtok_r(dirs, ":", &save) : NULL; !found && d;
	     d = strtok_r(NULL, ":", &save)) {
		bool modules = !(env && *env) && !strcmp(d, "/lib/modules");
		char *path = NULL;

		if (asprintf(&path, modules ? "%s/%s/build" : "%s/linux-headers-%s", d, release) < 0)
			break;
		found = realpath(path, NULL);
		free(path);
		if (found && !is_build_dir(found)) {
			free(found);
			found = NULL;
		}
	}
	free(dirs);
	return found;
}

/*
 * Among @cands (build dirs whose .config matches), the one whose release
 * is @rel; NULL if none is.
 */
static char *pick_release(const struct sc_strv *cands, char *const rels[], const char *rel)
{
	size_t i;

	for (i = 0; rel && i < cands->n; i++)
		if (rels[i] && !strcmp(rels[i], rel))
			return cands->v[i];
	return NULL;
}

/*
 * The build directory whose .config matches @config (2. above); *@kb NULL
 * if none does.  Several: told apart by @hints (releases, in order), else
 * -EINVAL naming them all.
 */
static int match_config(const char *config, const char *const hints[], size_t nhints,
			char **kb)
{
	struct sc_strv all = { 0 }, cands = { 0 }, want = { 0 };
	char **rels = NULL, *pick = NULL;
	size_t i;
	int err;

	*kb = NULL;
	err = installed_builds(&all);
	if (!err)
		err = sc_config_read(config, &want);
	if (err)
		goto out;
	for (i = 0; !err && i < all.n; i++) {
		struct sc_strv have = { 0 };
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/.config", all.v[i]);
		if (!sc_config_read(path, &have) && have.n &&
		    !sc_config_compare(&want, &have, NULL))
			err = sc_strv_add(&cands, all.v[i]);
		sc_strv_free(&have);
	}
	if (err || !cands.n)
		goto out;
	rels = calloc(cands.n, sizeof(*rels));
	if (!rels) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cands.n; i++)
		rels[i] = sc_uts_release(cands.v[i]);
	if (cands.n == 1)
		pick = cands.v[0];
	for (i = 0; !pick && i < nhints; i++)
		pick = pick_release(&cands, rels, hints[i]);
	if (pick) {
		*kb = strdup(pick);
		err = *kb ? 0 : -ENOMEM;
	} else {
		char list[2048] = "";

		for (i = 0; i < cands.n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s (%s)",
				 i ? ", " : "", rels[i] ? rels[i] : "?", cands.v[i]);
		sc_err("%s is the configuration of several installed kernels: %s; say which "
		       "with --kernel-build DIR", config, list);
		err = -EINVAL;
	}
	for (i = 0; i < cands.n; i++)
		free(rels[i]);
	free(rels);
out:
	sc_strv_free(&all);
	sc_strv_free(&cands);
	sc_strv_free(&want);
	return err;
}

char *sc_exe_dir(void)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return strdup(exe);
}

#ifndef SPLICE_CORE_RELEASE
#define SPLICE_CORE_RELEASE "unknown"
#endif

/*
 * splice-core's files for @release (coredir.c): --core or $SPLICE_CORE_DIR
 * as given; else ../splice-core next to the binary (the build tree), else
 * SPLICE_PKGLIBDIR/core, both built for configure's kernel
 * (SPLICE_CORE_RELEASE), with DKMS's Module.symvers ($SPLICE_DKMS_TREE,
 * /var/lib/dkms) when the target is another kernel.
 */
static int find_core(const struct sc_opts *opts, const char *release, struct sc_target *t)
{
	const char *env = getenv("SPLICE_CORE_DIR");
	const char *dkms = getenv("SPLICE_DKMS_TREE");
	char *exe, *built = NULL, *given = NULL, *dir = NULL;
	struct sc_core_where w = {
		.dir_release = strcmp(SPLICE_CORE_RELEASE, "unknown") ? SPLICE_CORE_RELEASE : NULL,
		.dkms_tree = dkms && *dkms ? dkms : "/var/lib/dkms",
		.version = PACKAGE_VERSION,
	};
	int err;

	if (opts->core_dir || (env && *env)) {
		const char *g = opts->core_dir ? opts->core_dir : env;

		given = realpath(g, NULL);
		w.given = given ? given : g;
	}
	exe = sc_exe_dir();
	if (exe && asprintf(&built, "%s/../splice-core", exe) > 0 &&
	    has_file(built, "splice.h") && has_file(built, "Module.symvers"))
		dir = realpath(built, NULL);
	w.dir = dir ? dir : SPLICE_PKGLIBDIR "/core";
	err = sc_core_pick(&w, release, &t->core, &t->core_symvers);
	if (!err)
		sc_verbose(&opts->log, "splice-core: %s, Module.symvers %s%s", t->core,
			   t->core_symvers, w.given ? " (given)" : "");
	free(exe);
	free(built);
	free(given);
	free(dir);
	return err;
}

/* The Debian package that owns @path, and its version ("6.1.192-1"), or NULL. */
static char *package_version(const struct sc_opts *opts, const char *path, char **pkg)
{
	char *argv[] = { "dpkg-query", "-S", (char *)path, NULL };
	char *out = NULL, *colon, *ver = NULL;

	*pkg = NULL;
	if (access("/var/lib/dpkg/status", R_OK) || sc_run_capture(opts, NULL, argv, &out))
		goto out;
	colon = strchr(out, ':');
	if (!colon)
		goto out;
	*pkg = strndup(out, (size_t)(colon - out));
	{
		char *qargv[] = { "dpkg-query", "-W", "-f=${Version}", *pkg, NULL };

		free(out);
		out = NULL;
		if (*pkg && !sc_run_capture(opts, NULL, qargv, &out) && *out)
			ver = strdup(out);
	}
out:
	free(out);
	return ver;
}

/*
 * The compiler the target was built with (CONFIG_CC_VERSION_TEXT, e.g.
 * "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0") against `gcc --version`'s
 * first line ("gcc (Debian 12.2.0-14+deb12u1) 12.2.0"): the words after
 * the command's name must agree.  Another compiler makes other code, which
 * run-pre matching would then refuse, function by function; say it now.
 */
static void check_compiler(const struct sc_opts *opts, const char *config)
{
	char *argv[] = { "gcc", "--version", NULL };
	char *buf = slurp(config), *p, *out = NULL, *want = NULL, *have, *nl;

	if (!buf)
		return;
	p = strstr(buf, "\nCONFIG_CC_VERSION_TEXT=\"");
	if (p) {
		p += strlen("\nCONFIG_CC_VERSION_TEXT=\"");
		want = strndup(p, strcspn(p, "\"\n"));
	}
	free(buf);
	if (!want || sc_run_capture(opts, NULL, argv, &out)) {
		free(want);
		free(out);
		return;
	}
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	have = strchr(out, ' ');
	p = strchr(want, ' ');
	if (have && p && strcmp(have, p))
		sc_warn(&opts->log, "the target kernel was built with %s, this machine's gcc is %s: "
			"run-pre matching will refuse code that compiles differently", want, out);
	free(want);
	free(out);
}

int sc_target_resolve(const struct sc_opts *opts, const char *tree, struct sc_target *t)
{
	const char *env = getenv("SPLICE_KERNEL_BUILD");
	const char *kb_opt = opts->kernel_build ? opts->kernel_build : (env && *env ? env : NULL);
	char *tree_cfg = NULL, *tree_rel = sc_uts_release(tree), *kver = NULL, *tver = NULL;
	struct utsname u;
	const char *running = uname(&u) ? NULL : u.release;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (asprintf(&tree_cfg, "%s/.config", tree) < 0) {
		err = -ENOMEM;
		goto out;
	}
	tver = sc_tree_version(tree);
	if (!tver) {
		sc_err("%s: not a kernel source tree (no Makefile with VERSION, PATCHLEVEL, "
		       "SUBLEVEL)", tree);
		err = -ENOENT;
		goto out;
	}
	if (opts->config && access(opts->config, R_OK)) {
		err = -errno;
		sc_err("-c %s: %s", opts->config, strerror(errno));
		goto out;
	}

	/* 1. the build directory given */
	if (kb_opt) {
		t->kernel_build = realpath(kb_opt, NULL);
		if (!t->kernel_build || !is_build_dir(t->kernel_build)) {
			sc_err("--kernel-build %s: not a kernel build directory (no Makefile and "
			       "include/generated/utsrelease.h); install the target's "
			       "linux-headers-RELEASE and give /usr/src/linux-headers-RELEASE", kb_opt);
			err = -ENOENT;
			goto out;
		}
		t->how = "from --kernel-build";
	}
	/* 2. the configuration's matching headers */
	if (!t->kernel_build) {
		const char *cfg = opts->config ? opts->config : (access(tree_cfg, R_OK) ? NULL : tree_cfg);
		const char *name = cfg ? strrchr(cfg, '/') : NULL;
		char *named = NULL;

		name = name ? name + 1 : cfg;
		if (name && !strncmp(name, "config-", 7))
			named = strdup(name + 7);
		if (cfg) {
			const char *hints[] = { named, tree_rel, running };

			err = match_config(cfg, hints, 3, &t->kernel_build);
			if (err) {
				free(named);
				goto out;
			}
			if (t->kernel_build) {
				t->how = opts->config ? "the headers whose .config is -c's" :
					"the headers whose .config is the tree's";
			} else if (opts->config) {
				if (named && !build_of_release(named))
					sc_err("-c %s: no installed kernel headers have this "
					       "configuration: install linux-headers-%s, or give "
					       "--kernel-build DIR", opts->config, named);
				else
					sc_err("-c %s: no installed kernel headers have this "
					       "configuration: install the target kernel's "
					       "linux-headers-RELEASE, or give --kernel-build DIR",
					       opts->config);
				free(named);
				err = -ENOENT;
				goto out;
			}
		}
		free(named);
	}
	/* 3. the running kernel */
	if (!t->kernel_build && running) {
		t->kernel_build = build_of_release(running);
		if (t->kernel_build)
			t->how = "uname -r";
	}
	if (!t->kernel_build) {
		const char *r = running ? running : "RELEASE";

		if (access(tree_cfg, R_OK))
			sc_err("which kernel is the update for? %s has no .config, neither "
			       "--kernel-build nor -c was given, and the running kernel %s has no "
			       "headers installed: install linux-headers-%s, or give --kernel-build "
			       "/usr/src/linux-headers-RELEASE (or -c /boot/config-RELEASE) of the "
			       "target", tree, r, r);
		else
			sc_err("which kernel is the update for? no installed headers have the "
			       "configuration of %s, neither --kernel-build nor -c was given, and "
			       "the running kernel %s has no headers installed: install "
			       "linux-headers-%s, or give --kernel-build "
			       "/usr/src/linux-headers-RELEASE of the target", tree_cfg, r, r);
		err = -ENOENT;
		goto out;
	}
	t->release = sc_uts_release(t->kernel_build);
	if (!t->release) {
		sc_err("%s/include/generated/utsrelease.h: no UTS_RELEASE", t->kernel_build);
		err = -EINVAL;
		goto out;
	}

	/* the configuration to build with */
	if (opts->config) {
		t->config = realpath(opts->config, NULL);
	} else if (has_file(t->kernel_build, ".config")) {
		if (asprintf(&t->config, "%s/.config", t->kernel_build) < 0)
			t->config = NULL;
	} else if (asprintf(&t->config, "/boot/config-%s", t->release) > 0 &&
		   access(t->config, R_OK)) {
		sc_err("no configuration for %s: %s has no .config and there is no %s; give -c FILE",
		       t->release, t->kernel_build, t->config);
		err = -ENOENT;
		goto out;
	}
	if (!t->config) {
		err = -ENOMEM;
		goto out;
	}
	/* a -c that is not the configuration the kernel was built with */
	if (opts->config && has_file(t->kernel_build, ".config")) {
		char kcfg[PATH_MAX], *first = NULL;
		size_t n = 0;

		snprintf(kcfg, sizeof(kcfg), "%s/.config", t->kernel_build);
		err = sc_config_files_compare(t->config, kcfg, &n, &first);
		if (!err && n) {
			sc_err("-c %s is not the configuration of %s (%s/.config): %zu %s, the "
			       "first %s; give the running kernel's own (/boot/config-%s), or "
			       "leave -c out", opts->config, t->release, t->kernel_build, n,
			       n == 1 ? "symbol differs" : "symbols differ", first ? first : "?",
			       t->release);
			err = -EINVAL;
		}
		free(first);
		if (err)
			goto out;
	}

	/* the tree must be the target's source */
	kver = build_version(t->kernel_build);
	if (kver && strcmp(kver, tver)) {
		char *pkg = NULL, *ver = package_version(opts, t->kernel_build, &pkg);

		if (ver)
			sc_err("%s is the source of Linux %s, but the target kernel %s is Linux %s "
			       "(%s %s): use its source, on Debian `apt-get install "
			       "linux-source-%.*s=%s`", tree, tver, t->release, kver, pkg, ver,
			       (int)(strchr(strchr(kver, '.') + 1, '.') - kver), kver, ver);
		else
			sc_err("%s is the source of Linux %s, but the target kernel %s is Linux %s: "
			       "use the target's source", tree, tver, t->release, kver);
		free(pkg);
		free(ver);
		err = -EINVAL;
		goto out;
	}
	if (!kver)
		sc_verbose(&opts->log, "%s: no include/generated/uapi/linux/version.h; the tree's "
			   "version is not checked", t->kernel_build);
	check_compiler(opts, t->config);

	err = find_core(opts, t->release, t);
	if (err)
		goto out;
	sc_verbose(&opts->log, "target kernel %s (%s): build directory %s, configuration %s; "
		   "tree %s is Linux %s", t->release, t->how, t->kernel_build, t->config, tree, tver);
out:
	free(tree_cfg);
	free(tree_rel);
	free(kver);
	free(tver);
	return err;
}

void sc_target_free(struct sc_target *t)
{
	free(t->release);
	free(t->kernel_build);
	free(t->config);
	free(t->core);
	free(t->core_symvers);
	memset(t, 0, sizeof(*t));
}
