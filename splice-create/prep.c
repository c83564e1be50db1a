// SPDX-License-Identifier: GPL-2.0
/*
 * The prepared state of a source tree, kept apart from it.
 *
 * splice-create never writes the user's tree, yet most trees are not ready
 * to build the target's objects in: a tree freshly extracted from
 * linux-source-6.1 has no configuration at all, and one prepared the
 * ordinary way (`make olddefconfig prepare`) says "6.1.192" where the
 * running kernel says "6.1.0-55-amd64", which UTS_RELEASE and vermagic
 * compile in.  So the tree is prepared once for the target -- its
 * configuration, `make olddefconfig`, `make prepare KERNELRELEASE=R
 * KCFLAGS=...` -- in a scratch copy, and what that wrote (include/config/,
 * include/generated/, arch/x86/include/generated/, scripts/ and tools/
 * binaries, ...) is kept in a cache entry, the *layer*.  Every run for the
 * same tree, target and arguments lays it over the tree (tree.c) and skips
 * preparation: the layer is the upper lower layer of the overlay, or its
 * files are copied over the link farm.
 *
 * Cache: --cache DIR, $SPLICE_CREATE_CACHE, /var/cache/splice/create as
 * root, else $XDG_CACHE_HOME/splice/create or ~/.cache/splice/create.  An
 * entry is KEY/ (KEY: 16 hex digits of the SHA-256 of its description)
 * holding layer/ and state (the description, written last: an entry
 * without it is not used).  A run that uses an entry holds KEY.lock shared
 * until it ends, so that no one removes a layer mounted under a build
 * (eviction takes it exclusively, without waiting); KEY.make, exclusive,
 * serialises making an entry: a second run for the same tree waits for the
 * first one's preparation, not for its whole build.  At most SC_PREP_KEEP entries are kept,
 * the least recently used are removed first.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create.h"

#define SC_PREP_KEEP 4

char *sc_prep_cache_dir(const struct sc_opts *opts)
{
	const char *env = getenv("SPLICE_CREATE_CACHE"), *home;
	char *dir = NULL;

	if (opts->cache_dir)
		return strdup(opts->cache_dir);
	if (env && *env)
		return strdup(env);
	if (!geteuid())
		return strdup("/var/cache/splice/create");
	env = getenv("XDG_CACHE_HOME");
	if (env && *env && asprintf(&dir, "%s/splice/create", env) > 0)
		return dir;
	home = getenv("HOME");
	if (home && *home && asprintf(&dir, "%s/.cache/splice/create", home) > 0)
		return dir;
	return NULL;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = strchr(buf + 1, '/'); ; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		if (!s)
			return 0;
		*s = '/';
	}
}

/* What the entry is for; its hash is the key. */
static int describe(const struct sc_opts *opts, const char *tree, char **desc)
{
	char path[PATH_MAX], sum[SC_SHA256_HEX], *abs = realpath(tree, NULL);
	struct stat st;
	size_t i, len;
	FILE *f;
	int err;

	if (!abs)
		return -errno;
	snprintf(path, sizeof(path), "%s/Makefile", abs);
	if (stat(path, &st)) {
		err = -errno;
		free(abs);
		return err;
	}
	err = sc_sha256_file(opts->target.config, sum);
	if (err) {
		sc_err("%s: %s", opts->target.config, strerror(-err));
		free(abs);
		return err;
	}
	f = open_memstream(desc, &len);
	if (!f) {
		free(abs);
		return -ENOMEM;
	}
	/* the tree: its path and the identity of the Makefile it was unpacked with */
	fprintf(f, "splice-create prepared state 1\ntree %s\nmakefile %lu %lu %lld.%09ld %lld\n",
		abs, (unsigned long)st.st_dev, (unsigned long)st.st_ino,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_size);
	fprintf(f, "release %s\nconfig %s %s\n", opts->target.release, opts->target.config, sum);
	for (i = 0; i < opts->kbuild_args.n; i++)
		fprintf(f, "kbuild %s\n", opts->kbuild_args.v[i]);
	free(abs);
	return fclose(f) ? -ENOMEM : 0;
}

static bool entry_valid(const char *dir, const char *desc)
{
	char path[PATH_MAX], *buf = NULL;
	size_t cap = 0;
	bool ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (getdelim(&buf, &cap, '\0', f) > 0)
		ok = !strcmp(buf, desc);
	fclose(f);
	free(buf);
	snprintf(path, sizeof(path), "%s/layer", dir);
	return ok && !access(path, R_OK | X_OK);
}

/* ------------------------------------------------------------ making one */

/*
 * A link farm's layer: what preparation wrote, i.e. every file of @farm
 * that is newer than @stamp (kbuild wrote it) or that the tree doesn't
 * have, copied to @layer at the same place (cp -p).
 */
static int collect(const struct sc_opts *opts, const char *farm, const char *tree,
		   const char *layer, const char *rel, const struct timespec *stamp, size_t *n)
{
	char path[2 * PATH_MAX + 2], other[2 * PATH_MAX + 2];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "%s%s%s", farm, *rel ? "/" : "", rel);
	dir = opendir(path);
	if (!dir) {
		err = -errno;
		sc_err("%s: %s", path, strerror(errno));
		return err;
	}
	while (!err && (de = readdir(dir))) {
		char child[PATH_MAX];
		struct stat st, ts;
		bool take;

		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", farm, child);
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			err = collect(opts, farm, tree, layer, child, stamp, n);
			continue;
		}
		snprintf(other, sizeof(other), "%s/%s", tree, child);
		take = lstat(other, &ts) ||
		       st.st_mtim.tv_sec > stamp->tv_sec ||
		       (st.st_mtim.tv_sec == stamp->tv_sec && st.st_mtim.tv_nsec > stamp->tv_nsec);
		if (!take || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
			continue;
		snprintf(other, sizeof(other), "%s/%s", layer, child);
		{
			char *argv[] = { "cp", "-pP", path, other, NULL };

			err = mkdir_p(layer);
			if (!err && strchr(child, '/')) {
				char *slash;

				snprintf(other, sizeof(other), "%s/%s", layer, child);
				slash = strrchr(other, '/');
				*slash = '\0';
				err = mkdir_p(other);
				*slash = '/';
			}
			if (!err)
				err = sc_run(opts, NULL, argv);
			(*n)++;
		}
	}
	closedir(dir);
	return err;
}

static int make_entry(const struct sc_opts *opts, const char *tree, const char *workdir,
		      const char *entry, const char *desc)
{
	struct sc_opts o = *opts;
	struct sc_farm farm = { 0 };
	struct sc_strv prep = { 0 };
	char *farm_path = NULL, *tmp = NULL, *layer = NULL, *cfg = NULL, *state = NULL;
	size_t n = 0;
	int err = -ENOMEM;

	if (asprintf(&farm_path, "%s/prep", workdir) < 0 ||
	    asprintf(&tmp, "%s.tmp.%ld", entry, (long)getpid()) < 0 ||
	    asprintf(&layer, "%s/layer", tmp) < 0 ||
	    asprintf(&state, "%s/state", tmp) < 0)
		goto out;
	sc_remove_tree(tmp);
	err = mkdir_p(tmp);
	if (err) {
		sc_err("%s: %s", tmp, strerror(-err));
		goto out;
	}
	err = sc_farm_create(opts, tree, NULL, farm_path, &farm);
	if (err)
		goto out;
	err = -ENOMEM;
	if (asprintf(&cfg, "%s/.config", farm.path) < 0)
		goto out;
	/* the target's configuration, made complete for this tree */
	unlink(cfg);
	{
		char *argv[] = { "cp", (char *)opts->target.config, cfg, NULL };
		char *olddef[] = { "make", "-s", "olddefconfig", NULL };

		err = sc_run(opts, NULL, argv);
		if (!err)
			err = sc_run(opts, farm.path, olddef);
	}
	if (!err)
		err = sc_strv_add(&prep, "prepare");
	o.prepared = false;
	if (!err)
		err = sc_build_units(&o, farm.path, &prep);
	if (err)
		goto out;

	/* what preparation wrote becomes the layer */
	if (farm.mounted) {
		err = sc_farm_unmount(&farm);
		if (!err && rename(farm.upper, layer)) {
			char *argv[] = { "cp", "-a", farm.upper, layer, NULL };

			err = errno == EXDEV ? sc_run(opts, NULL, argv) : -errno;
			if (err && err != -ECHILD)
				sc_err("%s: %s", layer, strerror(-err));
		}
	} else {
		err = collect(opts, farm.path, farm.tree, layer, "", &farm.stamp, &n);
		sc_verbose(&opts->log, "prepared state: %zu files", n);
	}
	if (!err) {
		FILE *f = fopen(state, "w");

		if (!f || fputs(desc, f) < 0 || fclose(f)) {
			err = -EIO;
			sc_err("%s: cannot write", state);
		}
	}
	if (!err) {
		sc_remove_tree(entry);
		if (rename(tmp, entry)) {
			err = -errno;
			sc_err("%s: %s", entry, strerror(errno));
		}
	}
out:
	if (farm.tree && sc_farm_check(&farm))
		err = err ? err : -EEXIST;
	sc_farm_unmount(&farm);
	if (farm.path) {
		sc_remove_tree(farm.path);
		if (farm.upper)
			sc_remove_tree(farm.upper);
		if (farm.work)
			sc_remove_tree(farm.work);
	}
	if (err)
		sc_remove_tree(tmp);
	sc_farm_free(&farm);
	sc_strv_free(&prep);
	free(farm_path);
	free(tmp);
	free(layer);
	free(cfg);
	free(state);
	return err;
}

/* ------------------------------------------------------------ the cache */

struct aged {
	char name[64];
	struct timespec used;
};

static int by_age(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? 1 : -1;
	return (x->used.tv_nsec < y->used.tv_nsec) - (x->used.tv_nsec > y->used.tv_nsec);
}

/* Remove the least recently used entries beyond SC_PREP_KEEP that no one uses. */
static void evict(const struct sc_opts *opts, const char *root)
{
	struct aged *v = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *dir = opendir(root);

	while (dir && (de = readdir(dir))) {
		char path[PATH_MAX];
		struct stat st;
		struct aged *nv;

		if (strlen(de->d_name) != 16 || strspn(de->d_name, "0123456789abcdef") != 16)
			continue;
		snprintf(path, sizeof(path), "%s/%s/state", root, de->d_name);
		if (stat(path, &st))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n++].used = st.st_mtim;
	}
	if (dir)
		closedir(dir);
	if (n > SC_PREP_KEEP)
		qsort(v, n, sizeof(*v), by_age);
	for (i = SC_PREP_KEEP; i < n; i++) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/%s.lock", root, v[i].name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
			if (fd >= 0)
				close(fd);
			continue;	/* in use */
		}
		/* KEY.lock held: no run uses it, and none can begin to */
		snprintf(path, sizeof(path), "%s/%s", root, v[i].name);
		sc_verbose(&opts->log, "prepared state %s: removed (least recently used)", path);
		sc_remove_tree(path);
		close(fd);
	}
	free(v);
}

int sc_prep_get(const struct sc_opts *opts, const char *tree, const char *workdir,
		struct sc_prep *p)
{
	char *root = sc_prep_cache_dir(opts), *desc = NULL, *lock = NULL, *make = NULL;
	char sum[SC_SHA256_HEX];
	int err, make_fd = -1;

	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
	if (!root) {
		sc_err("no directory for prepared trees: give --cache DIR");
		return -ENOENT;
	}
	err = mkdir_p(root);
	if (err) {
		sc_err("%s: %s (give --cache DIR)", root, strerror(-err));
		goto out;
	}
	err = describe(opts, tree, &desc);
	if (err)
		goto out;
	sc_sha256_buf(desc, strlen(desc), sum);
	sum[16] = '\0';
	err = -ENOMEM;
	if (asprintf(&p->dir, "%s/%s", root, sum) < 0 ||
	    asprintf(&p->layer, "%s/%s/layer", root, sum) < 0 ||
	    asprintf(&lock, "%s/%s.lock", root, sum) < 0 ||
	    asprintf(&make, "%s/%s.make", root, sum) < 0)
		goto out;
	p->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (p->lock_fd < 0) {
		err = -errno;
		sc_err("%s: %s", lock, strerror(errno));
		goto out;
	}
	err = 0;
	if (flock(p->lock_fd, LOCK_SH))
		err = -errno;
	if (!err && entry_valid(p->dir, desc)) {
		char state[PATH_MAX];

		snprintf(state, sizeof(state), "%s/state", p->dir);
		utimensat(AT_FDCWD, state, NULL, 0);	/* recently used */
		sc_verbose(&opts->log, "prepared state of %s for %s: %s", tree,
			   opts->target.release, p->dir);
		goto out;
	}
	if (err) {
		sc_err("%s: %s", lock, strerror(-err));
		goto out;
	}
	/* make it, once: whoever holds KEY.make makes it, the others wait */
	make_fd = open(make, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (make_fd < 0) {
		err = -errno;
		sc_err("%s: %s", make, strerror(errno));
		goto out;
	}
	if (flock(make_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
		} else {
			sc_progress(&opts->log, "waiting for another splice-create preparing %s", tree);
			if (flock(make_fd, LOCK_EX))
				err = -errno;
		}
	}
	if (err) {
		sc_err("%s: %s", make, strerror(-err));
		goto out;
	}
	if (!entry_valid(p->dir, desc)) {
		sc_progress(&opts->log, "preparing %s for %s (once: kept in %s)", tree,
			    opts->target.release, p->dir);
		err = make_entry(opts, tree, workdir, p->dir, desc);
		p->built = !err;
	}
	if (!err)
		evict(opts, root);
out:
	if (make_fd >= 0)
		close(make_fd);
	if (err && p->lock_fd >= 0) {
		close(p->lock_fd);
		p->lock_fd = -1;
	}
	free(root);
	free(desc);
	free(lock);
	free(make);
	return err;
}

void sc_prep_release(struct sc_prep *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	free(p->dir);
	free(p->layer);
	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
}
