// SPDX-License-Identifier: GPL-2.0
/*
 * The scratch tree ("farm"): a build copy of the user's prepared kernel tree
 * that splice-create can patch and build in, without ever writing the
 * original.  Same recipe as tests/kernel/kbuild-farm.sh:
 *  - `cp -al`: sources become hard links (fast: no data copied);
 *  - every file preparation produced (newer than the top Makefile, which
 *    comes from the tarball) is copied instead, because kbuild rewrites some
 *    of those in place (.cmd files, asm-offsets.s, objtool's outputs) and a
 *    write through a link would reach the original;
 *  - a file the patch changes gets its own inode first (sc_farm_own);
 *  - sc_farm_check() proves afterwards that nothing in the tree changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create.h"

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Copy @from to @to (which must not exist), keeping mode and times. */
static int copy_file(const char *from, const char *to)
{
	struct stat st;
	struct timespec times[2];
	char buf[65536];
	ssize_t n = 0;
	int in, out, err = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st)) {
		err = -errno;
		close(in);
		return err;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0) {
				err = -errno;
				goto out;
			}
			p += w;
			n -= w;
		}
	}
	if (n < 0)
		err = -errno;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (!err && futimens(out, times))
		err = -errno;
out:
	if (close(out) && !err)
		err = -errno;
	close(in);
	return err;
}

/*
 * nftw() has no context argument; these are the walk's parameters, set just
 * before each walk and used only during it.
 */
static struct {
	const char *tree, *farm;
	size_t tree_len;
	struct timespec since;
	int err;
	size_t count;
	const char *first[20];
	char *firstbuf[20];
} walk;

static int unlink_copy(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	char dst[4096];
	int err;

	if (sc_interrupted) {
		walk.err = -EINTR;
		return 1;
	}
	if (type != FTW_F || !S_ISREG(st->st_mode) || !newer(&st->st_mtim, &walk.since))
		return 0;
	snprintf(dst, sizeof(dst), "%s%s", walk.farm, fpath + walk.tree_len);
	if (unlink(dst) && errno != ENOENT) {
		walk.err = -errno;
		sc_err("%s: %s", dst, strerror(errno));
		return 1;
	}
	err = copy_file(fpath, dst);
	if (err) {
		walk.err = err;
		sc_err("copying %s to %s: %s", fpath, dst, strerror(-err));
		return 1;
	}
	walk.count++;
	return 0;
}

int sc_farm_create(const struct sc_opts *opts, const char *tree,
		   const char *farm_path, struct sc_farm *farm)
{
	char makefile[4096];
	struct stat st;
	int err;

	memset(farm, 0, sizeof(*farm));
	farm->tree = realpath(tree, NULL);
	if (!farm->tree) {
		sc_err("%s: %s", tree, strerror(errno));
		return -errno;
	}
	farm->path = strdup(farm_path);
	if (!farm->path)
		return -ENOMEM;
	snprintf(makefile, sizeof(makefile), "%s/Makefile", farm->tree);
	if (stat(makefile, &st)) {
		err = -errno;
		sc_err("%s: %s (not a kernel tree?)", makefile, strerror(errno));
		return err;
	}
	/*
	 * The kernel stamps files with a coarse clock (up to a tick behind
	 * this one): back off a little so a write right after this is seen.
	 */
	clock_gettime(CLOCK_REALTIME, &farm->stamp);
	farm->stamp.tv_nsec -= 50 * 1000 * 1000;
	if (farm->stamp.tv_nsec < 0) {
		farm->stamp.tv_nsec += 1000 * 1000 * 1000;
		farm->stamp.tv_sec--;
	}
	{
		char *argv[] = { "cp", "-al", farm->tree, farm->path, NULL };

		err = sc_run(opts, NULL, argv);
		if (err)
			return err;
	}
	walk.tree = farm->tree;
	walk.tree_len = strlen(farm->tree);
	walk.farm = farm->path;
	walk.since = st.st_mtim;
	walk.err = 0;
	walk.count = 0;
	nftw(farm->tree, unlink_copy, 64, FTW_PHYS);
	sc_verbose(&opts->log, "copied %zu generated files, linked the rest", walk.count);
	return walk.err;
}

int sc_farm_own(const struct sc_farm *farm, const char *rel)
{
	char path[4096], tmp[4200];
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/%s", farm->path, rel);
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;	/* a new file: nothing shared */
	if (!S_ISREG(st.st_mode) || st.st_nlink == 1)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.splice-own", path);
	unlink(tmp);
	err = copy_file(path, tmp);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		sc_err("%s: cannot give it its own copy: %s", path, strerror(-err));
	}
	return err;
}

static int find_changed(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_F || type == FTW_D || type == FTW_SL) {
		if (newer(&st->st_mtim, &walk.since)) {
			if (walk.count < 20)
				walk.firstbuf[walk.count] = strdup(fpath);
			walk.count++;
		}
	}
	return 0;
}

int sc_farm_check(const struct sc_farm *farm)
{
	size_t i;

	if (!farm->tree)
		return 0;
	memset(&walk, 0, sizeof(walk));
	walk.since = farm->stamp;
	nftw(farm->tree, find_changed, 64, FTW_PHYS);
	if (walk.count) {
		sc_err("the source tree %s was modified during the run (%zu entries):",
		       farm->tree, walk.count);
		for (i = 0; i < walk.count && i < 20; i++)
			fprintf(stderr, "  %s\n", walk.firstbuf[i] ? walk.firstbuf[i] : "?");
	}
	for (i = 0; i < 20; i++)
		free(walk.firstbuf[i]);
	return walk.count ? -EEXIST : 0;
}

static int remove_one(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(fpath) && errno != ENOENT && !walk.err) {
		walk.err = -errno;
		sc_err("%s: %s", fpath, strerror(errno));
	}
	return 0;
}

int sc_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	memset(&walk, 0, sizeof(walk));
	nftw(path, remove_one, 64, FTW_DEPTH | FTW_PHYS);
	return walk.err;
}

void sc_farm_free(struct sc_farm *farm)
{
	free(farm->tree);
	free(farm->path);
	memset(farm, 0, sizeof(*farm));
}
