// SPDX-License-Identifier: GPL-2.0
/*
 * The scratch tree ("farm"): a build copy of the user's prepared kernel tree
 * that splice-create can patch and build in, without ever writing the
 * original.  Two kinds, the first that works:
 *
 *  - an overlay mount (lowerdir = the user's tree, upper and work dirs in
 *    the scratch directory), in a mount namespace of splice-create's own
 *    (sc_farm_isolate): made and removed in milliseconds, and the kernel
 *    itself guarantees the lower tree is never written -- every write,
 *    in place or not, goes to a copy in the upper dir.  Needs the
 *    privilege to mount (root); not with --keep (the mount goes with us),
 *    nor with SPLICE_CREATE_FARM=links;
 *  - a link farm, the recipe of tests/kernel/kbuild-farm.sh, made in one
 *    walk: sources become hard links (no data copied), every file
 *    preparation produced (newer than the top Makefile, which comes from
 *    the tarball) is copied instead, because kbuild rewrites some of those
 *    in place (.cmd files, asm-offsets.s, objtool's outputs) and a write
 *    through a link would reach the original.  What an x86 build never
 *    reads is left out (Documentation/, the other architectures), except
 *    the Kconfig files the configuration was made from (auto.conf.cmd: a
 *    missing one would make kbuild re-run syncconfig).
 *    A file the patch changes gets its own inode first (sc_farm_own).
 *
 * Either way the tree's prepared state, when splice-create keeps it apart
 * (prep.c), is laid over the tree: the overlay's upper lower layer, or
 * copied over the link farm.  sc_farm_check() proves afterwards that
 * nothing in the tree changed since the copy was begun.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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
	if (!err && fchmod(out, st.st_mode & 07777))
		err = -errno;
	if (!err && futimens(out, times))
		err = -errno;
out:
	if (close(out) && !err)
		err = -errno;
	close(in);
	return err;
}

/*
 * The tree's own clock, now: the mtime a file created now on @dir's file
 * system gets.  The kernel stamps files with a coarse clock (a tick behind
 * clock_gettime's), a network file system with its server's: asking the
 * file system is the one way to compare with the stamps it gives.  A file
 * written before this has an older or equal mtime, one written a tick later
 * a newer one.
 */
static int fs_now(const char *dir, struct timespec *now)
{
	char path[4200];
	struct stat st;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/.splice-stamp.%ld", dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	close(fd);
	unlink(path);
	if (!err)
		*now = st.st_mtim;
	return err;
}

/* ------------------------------------------------------------ the overlay */

static bool isolated;

int sc_farm_isolate(const struct sc_opts *opts)
{
	if (isolated)
		return 0;
	if (unshare(CLONE_NEWNS)) {
		sc_verbose(&opts->log, "no mount namespace of our own (%s): the scratch tree "
			   "will be a link farm", strerror(errno));
		return -errno;
	}
	/* nothing we mount may propagate back to the system's namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		sc_verbose(&opts->log, "cannot make our mounts private (%s): the scratch tree "
			   "will be a link farm", strerror(errno));
		return -errno;
	}
	isolated = true;
	return 0;
}

/* overlayfs option syntax escapes these; paths with them get a link farm */
static bool plain_path(const char *p)
{
	return !strpbrk(p, ",:\\");
}

static int farm_overlay(const struct sc_opts *opts, struct sc_farm *farm, const char *layer)
{
	char *data = NULL;
	int err = 0;

	if (asprintf(&farm->upper, "%s.upper", farm->path) < 0 ||
	    asprintf(&farm->work, "%s.work", farm->path) < 0)
		return -ENOMEM;
	if (!plain_path(farm->tree) || !plain_path(farm->upper) || !plain_path(farm->work) ||
	    (layer && !plain_path(layer)))
		return -EINVAL;
	if (mkdir(farm->path, 0755) || mkdir(farm->upper, 0755) || mkdir(farm->work, 0700))
		return -errno;
	/*
	 * The prepared state (prep.c), if any, is the upper of the two lower
	 * layers: its files hide the tree's.
	 * volatile: no sync of the upper file system (the whole of it, not
	 * just our files) when unmounting; the copy is thrown away anyway.
	 */
	if (asprintf(&data, "lowerdir=%s%s%s,upperdir=%s,workdir=%s,volatile",
		     layer ? layer : "", layer ? ":" : "", farm->tree, farm->upper, farm->work) < 0)
		return -ENOMEM;
	if (mount("overlay", farm->path, "overlay", MS_NOSUID | MS_NODEV, data)) {
		err = -errno;
		/* kernels before 5.10 know no volatile */
		*strrchr(data, ',') = '\0';
		if (err == -EINVAL && !mount("overlay", farm->path, "overlay",
					     MS_NOSUID | MS_NODEV, data))
			err = 0;
	}
	if (!err) {
		farm->mounted = true;
		sc_verbose(&opts->log, "scratch tree: overlay mount of %s%s%s on %s", farm->tree,
			   layer ? " under the prepared state " : "", layer ? layer : "", farm->path);
	}
	free(data);
	return err;
}

/* ------------------------------------------------------------ the link farm */

/*
 * Top-level directories and architectures an x86 build never reads.
 * arch/um stays: x86's own UML parts include its makefiles.
 */
static bool farm_skips(const char *rel)
{
	if (!strcmp(rel, "Documentation"))
		return true;
	return !strncmp(rel, "arch/", 5) && !strchr(rel + 5, '/') &&
	       strcmp(rel + 5, "x86") && strcmp(rel + 5, "um");
}

/* Is @rel inside a directory farm_skips() leaves out? */
static bool in_skipped_dir(const char *rel)
{
	const char *s = strchr(rel, '/');
	char dir[4096];

	if (!s)
		return false;
	if (!strncmp(rel, "arch/", 5)) {
		s = strchr(s + 1, '/');
		if (!s)
			return false;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(s - rel), rel);
	return farm_skips(dir);
}

struct linker {
	const struct sc_opts *opts;
	const char *tree, *farm;
	struct timespec generated;	/* files newer than this: copies */
	dev_t skip_dev;			/* the scratch directory, if in the tree */
	ino_t skip_ino;
	size_t linked, copied;
	int err;
};

static int link_fail(struct linker *l, const char *what, const char *rel, int err)
{
	if (!l->err) {
		l->err = err;
		sc_err("scratch tree: %s %s: %s", what, rel, strerror(-err));
	}
	return err;
}

/* Link or copy the regular file @rel (stat @st) into the farm. */
static int link_file(struct linker *l, int from_dir, int to_dir, const char *name,
		     const char *rel, const struct stat *st)
{
	char from[8300], to[8300];
	int err;

	if (!newer(&st->st_mtim, &l->generated)) {
		if (!linkat(from_dir, name, to_dir, name, 0)) {
			l->linked++;
			return 0;
		}
		/* fs.protected_hardlinks: another user's file can't be linked */
		if (errno != EPERM)
			return link_fail(l, "linking", rel, -errno);
	}
	snprintf(from, sizeof(from), "%s/%s", l->tree, rel);
	snprintf(to, sizeof(to), "%s/%s", l->farm, rel);
	err = copy_file(from, to);
	if (err)
		return link_fail(l, "copying", rel, err);
	l->copied++;
	return 0;
}

static int link_dir(struct linker *l, int from_dir, int to_dir, const char *rel)
{
	struct dirent *de;
	DIR *dir;
	int fd, err = 0;

	fd = dup(from_dir);
	if (fd < 0)
		return link_fail(l, "reading", rel, -errno);
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return link_fail(l, "reading", rel, -errno);
	}
	while (!err && (de = readdir(dir))) {
		const char *name = de->d_name;
		char child[4096];
		struct stat st;

		if (sc_interrupted) {
			err = l->err = -EINTR;
			break;
		}
		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", name) >=
		    sizeof(child)) {
			err = link_fail(l, "copying", name, -ENAMETOOLONG);
			break;
		}
		if (fstatat(from_dir, name, &st, AT_SYMLINK_NOFOLLOW)) {
			err = link_fail(l, "reading", child, -errno);
			break;
		}
		if (S_ISREG(st.st_mode)) {
			err = link_file(l, from_dir, to_dir, name, child, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(from_dir, name, target, sizeof(target) - 1);

			if (n < 0)
				err = link_fail(l, "reading", child, -errno);
			else {
				target[n] = '\0';
				if (symlinkat(target, to_dir, name))
					err = link_fail(l, "copying", child, -errno);
			}
		} else if (S_ISDIR(st.st_mode)) {
			struct timespec times[2] = { st.st_atim, st.st_mtim };
			int sub_from, sub_to;

			if ((st.st_dev == l->skip_dev && st.st_ino == l->skip_ino) ||
			    farm_skips(child))
				continue;
			if (mkdirat(to_dir, name, 0700)) {
				err = link_fail(l, "creating", child, -errno);
				break;
			}
			sub_from = openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			sub_to = openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub_from < 0 || sub_to < 0)
				err = link_fail(l, "opening", child, -errno);
			else
				err = link_dir(l, sub_from, sub_to, child);
			if (sub_from >= 0)
				close(sub_from);
			if (sub_to >= 0)
				close(sub_to);
			/* as cp -a: the directory's mode and times */
			if (!err && (fchmodat(to_dir, name, st.st_mode & 07777, 0) ||
				     utimensat(to_dir, name, times, AT_SYMLINK_NOFOLLOW)))
				err = link_fail(l, "creating", child, -errno);
		}
		/* devices, fifos, sockets: nothing a build reads */
	}
	closedir(dir);
	return err;
}

/* mkdir -p of @rel's parent directories in @root. */
static int make_parents_in(const char *root, const char *rel)
{
	char path[8300], *s;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* Link the file @rel (stat @st), whose directory the walk left out. */
static int link_alone(struct linker *l, char *rel, const struct stat *st)
{
	char path[4200], *slash = strrchr(rel, '/');
	int from, to, err;

	err = make_parents_in(l->farm, rel);
	if (err)
		return link_fail(l, "creating the directory of", rel, err);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", l->tree, rel);
	from = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/%s", l->farm, rel);
	to = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*slash = '/';
	if (from < 0 || to < 0)
		err = link_fail(l, "opening the directory of", rel, -errno);
	else
		err = link_file(l, from, to, slash + 1, rel, st);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	return err;
}

/*
 * The Kconfig files the configuration was read from (include/config/
 * auto.conf.cmd: "deps_config := \", then "\tPATH \" lines, the last
 * without its "\"): those inside a directory the walk left out are linked
 * on their own.
 */
static int link_kconfig_deps(struct linker *l)
{
	char path[4200], *buf = NULL, *line, *save = NULL;
	size_t cap = 0;
	bool in_list = false, last = false;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/include/config/auto.conf.cmd", l->tree);
	f = fopen(path, "r");
	if (!f)
		return 0;	/* not configured: the build fails on its own terms */
	if (getdelim(&buf, &cap, '\0', f) < 0) {
		fclose(f);
		free(buf);
		return 0;
	}
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); !err && !last && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok = line + strspn(line, " \t");
		struct stat st;

		if (!in_list) {
			in_list = !strncmp(tok, "deps_config :=", 14);
			continue;
		}
		last = line[strlen(line) - 1] != '\\';
		tok[strcspn(tok, " \t\\")] = '\0';
		if (!*tok)
			break;
		snprintf(path, sizeof(path), "%s/%s", l->tree, tok);
		/* only what the walk left out; kbuild minds files that don't exist */
		if (in_skipped_dir(tok) && !lstat(path, &st) && S_ISREG(st.st_mode))
			err = link_alone(l, tok, &st);
	}
	free(buf);
	return err;
}

static int farm_links(const struct sc_opts *opts, struct sc_farm *farm,
		      const struct stat *makefile)
{
	struct linker l = { .opts = opts, .tree = farm->tree, .farm = farm->path,
			    .generated = makefile->st_mtim };
	char *parent = strdup(farm->path), *slash;
	struct stat st;
	int from, to, err;

	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (!stat(parent, &st)) {
		l.skip_dev = st.st_dev;
		l.skip_ino = st.st_ino;
	}
	free(parent);
	if (stat(farm->tree, &st) || mkdir(farm->path, 0700)) {
		err = -errno;
		sc_err("%s: %s", farm->path, strerror(errno));
		return err;
	}
	from = open(farm->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	to = open(farm->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0 || to < 0)
		err = link_fail(&l, "opening", from < 0 ? farm->tree : farm->path, -errno);
	else
		err = link_dir(&l, from, to, "");
	if (!err)
		err = link_kconfig_deps(&l);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	if (!err && chmod(farm->path, st.st_mode & 07777))
		err = -errno;
	sc_verbose(&opts->log, "scratch tree: link farm, %zu files linked, %zu copied (generated, "
		   "or not ours to link)", l.linked, l.copied);
	return err;
}

/*
 * Lay the prepared state @layer (a directory of the files preparation made
 * or changed, maybe with an overlay's whiteouts) over the link farm: its
 * files replace the farm's links, as the upper lower layer of an overlay
 * would hide them.
 */
static int lay_dir(struct linker *l, const char *layer, const char *rel)
{
	char from[8300], to[8300];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	snprintf(from, sizeof(from), "%s%s%s", layer, *rel ? "/" : "", rel);
	dir = opendir(from);
	if (!dir)
		return link_fail(l, "reading", from, -errno);
	while (!err && (de = readdir(dir))) {
		const char *name = de->d_name;
		char child[4096];
		struct stat st, old;

		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", name);
		snprintf(from, sizeof(from), "%s/%s", layer, child);
		snprintf(to, sizeof(to), "%s/%s", l->farm, child);
		if (lstat(from, &st)) {
			err = link_fail(l, "reading", from, -errno);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (lstat(to, &old) || !S_ISDIR(old.st_mode)) {
				if (!lstat(to, &old) && unlink(to))
					err = link_fail(l, "replacing", child, -errno);
				else if (mkdir(to, st.st_mode & 07777))
					err = link_fail(l, "creating", child, -errno);
			}
			if (!err)
				err = lay_dir(l, layer, child);
			continue;
		}
		if (!lstat(to, &old)) {
			int rc = S_ISDIR(old.st_mode) ? sc_remove_tree(to) :
				 (unlink(to) ? -errno : 0);

			if (rc) {
				err = link_fail(l, "replacing", child, rc);
				break;
			}
		}
		if (S_ISREG(st.st_mode)) {
			err = copy_file(from, to);
			if (err)
				err = link_fail(l, "copying", from, err);
			else
				l->copied++;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(from, target, sizeof(target) - 1);

			if (n < 0 || (target[n] = '\0', symlink(target, to)))
				err = link_fail(l, "copying", from, -errno);
		}
		/* a whiteout (0/0 character device): the file is gone, as it is now */
	}
	closedir(dir);
	return err;
}

/* ------------------------------------------------------------ the farm */

int sc_farm_create(const struct sc_opts *opts, const char *tree, const char *layer,
		   const char *farm_path, struct sc_farm *farm)
{
	const char *kind = getenv("SPLICE_CREATE_FARM");
	char makefile[4096], *parent, *slash;
	struct stat st;
	int err;

	memset(farm, 0, sizeof(*farm));
	farm->tree = realpath(tree, NULL);
	if (!farm->tree) {
		sc_err("%s: %s", tree, strerror(errno));
		return -errno;
	}
	farm->path = strdup(farm_path);
	parent = strdup(farm_path);
	if (!farm->path || !parent) {
		free(parent);
		return -ENOMEM;
	}
	snprintf(makefile, sizeof(makefile), "%s/Makefile", farm->tree);
	if (stat(makefile, &st)) {
		err = -errno;
		sc_err("%s: %s (not a kernel tree?)", makefile, strerror(errno));
		free(parent);
		return err;
	}
	/*
	 * From now on nothing may change in the tree: the stamp for
	 * sc_farm_check, from the file system's clock (the scratch directory
	 * is on the tree's file system), so that files written just before
	 * we started -- `make prepare` a moment ago -- don't count.
	 */
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	err = fs_now(slash ? parent : ".", &farm->stamp);
	free(parent);
	if (err) {
		sc_err("%s: cannot create a file there: %s", farm_path, strerror(-err));
		return err;
	}
	if (isolated && !opts->keep && !(kind && !strcmp(kind, "links"))) {
		err = farm_overlay(opts, farm, layer);
		if (!err)
			return 0;
		sc_verbose(&opts->log, "no overlay mount (%s): the scratch tree is a link farm",
			   strerror(-err));
		if (farm->upper)
			rmdir(farm->upper);
		if (farm->work)
			rmdir(farm->work);
		rmdir(farm->path);
		free(farm->upper);
		free(farm->work);
		farm->upper = farm->work = NULL;
	}
	err = farm_links(opts, farm, &st);
	if (!err && layer) {
		struct linker l = { .opts = opts, .tree = farm->tree, .farm = farm->path };

		err = lay_dir(&l, layer, "");
		sc_verbose(&opts->log, "scratch tree: %zu files of the prepared state %s copied in",
			   l.copied, layer);
	}
	return err;
}

int sc_farm_own(const struct sc_farm *farm, const char *rel)
{
	char path[4096], tmp[4200];
	struct stat st;
	int err;

	if (farm->mounted)
		return 0;	/* overlayfs copies a file up before it is written */
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

int sc_farm_unmount(struct sc_farm *farm)
{
	if (!farm->mounted)
		return 0;
	if (umount2(farm->path, 0) && umount2(farm->path, MNT_DETACH)) {
		sc_err("%s: cannot unmount: %s", farm->path, strerror(errno));
		return -errno;
	}
	farm->mounted = false;
	return 0;
}

/*
 * nftw() has no context argument; these are the walk's parameters, set just
 * before each walk and used only during it.
 */
static struct {
	struct timespec since;
	int err;
	size_t count;
	char *firstbuf[20];
} walk;

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

/*
 * rm -rf of the contents of directory @fd (named @path in messages), by
 * file descriptor: no path lookups per file.  Never leaves the file system
 * @dev: a mount left below is an error, not something to empty.  Each
 * failure is named where it happens; returns the first.
 */
static int remove_in(int fd, const char *path, dev_t dev);

static int remove_entry(int fd, const char *path, const char *name, unsigned char type,
			dev_t dev)
{
	char child[4200];
	struct stat st;
	int sub, err;

	snprintf(child, sizeof(child), "%s/%s", path, name);
	if (type == DT_DIR || type == DT_UNKNOWN) {
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				return 0;
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				errno = EBUSY;	/* a mount point */
				goto fail;
			}
			sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			/* overlayfs leaves its work dir mode 000 */
			if (sub < 0 && errno == EACCES && !fchmodat(fd, name, 0700, 0))
				sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				goto fail;
			err = remove_in(sub, child, dev);
			close(sub);
			if (err)
				return err;
			if (unlinkat(fd, name, AT_REMOVEDIR) && errno != ENOENT)
				goto fail;
			return 0;
		}
	}
	if (unlinkat(fd, name, 0) && errno != ENOENT)
		goto fail;
	return 0;
fail:
	err = -errno;
	sc_err("%s: %s", child, strerror(errno));
	return err;
}

static int remove_in(int fd, const char *path, dev_t dev)
{
	struct dirent *de;
	DIR *dir;
	int err = 0, dfd = dup(fd);

	if (dfd < 0 || !(dir = fdopendir(dfd))) {
		err = -errno;
		sc_err("%s: %s", path, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return err;
	}
	while ((de = readdir(dir))) {
		const char *name = de->d_name;
		int e;

		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		e = remove_entry(fd, path, name, de->d_type, dev);
		if (e && !err)
			err = e;
	}
	closedir(dir);
	return err;
}

int sc_remove_tree(const char *path)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path)) {
			sc_err("%s: %s", path, strerror(errno));
			return -errno;
		}
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		sc_err("%s: %s", path, strerror(errno));
		return err;
	}
	err = remove_in(fd, path, st.st_dev);
	close(fd);
	if (!err && rmdir(path)) {
		err = -errno;
		sc_err("%s: %s", path, strerror(errno));
	}
	return err;
}

void sc_farm_free(struct sc_farm *farm)
{
	sc_farm_unmount(farm);
	free(farm->tree);
	free(farm->path);
	free(farm->upper);
	free(farm->work);
	memset(farm, 0, sizeof(*farm));
}
