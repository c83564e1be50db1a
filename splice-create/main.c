// SPDX-License-Identifier: GPL-2.0
/*
 * splice-create: from a unified diff to an update package for the running
 * kernel.  main() is the pipeline, one named phase per function:
 *
 *   read_patch -> prepare_tree -> select_units -> build_pre ->
 *   apply_patch -> build_post -> diff_units -> write_package
 *
 * Each phase returns 0 or a negative errno (having said why through
 * sc_err); "not spliceable" verdicts are collected in ctx.reasons and make
 * the pipeline stop after the phase that found them.  Only main() turns
 * results into exit statuses and only main() cleans up, on every path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "create.h"
#include "objmatch.h"

#ifndef SPLICE_BINDIR
#define SPLICE_BINDIR "/usr/local/bin"
#endif

struct scan_job;

struct ctx {
	struct sc_opts opts;
	struct sc_patch patch;
	char *patch_text;
	size_t patch_len;
	struct sc_strv changed;		/* code and header paths, for units */
	struct sc_strv units;		/* "fs/proc/meminfo.o" */
	struct sc_reasons reasons;
	char *workdir;			/* farm, staging; removed at exit */
	char *staging;
	char *patch_copy;		/* staging/patch */
	struct sc_farm farm;
	bool farm_made;
	char *config_src;		/* config to build with, if not the tree's */
	struct sc_manifest manifest;
	bool scanned;			/* c->units are the scan's (thread or not) */
	struct scan_job *scan;		/* the #include scan, running, or NULL */
	pthread_t scan_tid;
	bool pre_built;			/* select_units built the pre objects */
	size_t ncode_changes;
	size_t nother;			/* files with no code (ignored) */
	char *package;
};

static void usage(FILE *f)
{
	fputs("Usage: splice-create [OPTIONS] PATCH\n"
	      "Build an update package for the running kernel from a unified diff.\n"
	      "\n"
	      "  -s, --source DIR   the prepared kernel source tree (default: the VM\n"
	      "                     harness's, `splice-vm path source`)\n"
	      "  -c, --config FILE  kernel configuration (default: /boot/config-$(uname -r)\n"
	      "                     if it exists, else the tree's .config)\n"
	      "  -o, --output DIR   where to write splice-ID.tar.gz (default: .)\n"
	      "      --id ID        the update's id: [a-z0-9_], at most 32 characters\n"
	      "                     (default: 8 random characters)\n"
	      "  -j, --jobs N       parallel compile jobs (default: number of CPUs)\n"
	      "  -v, --verbose      show the commands run and every decision\n"
	      "  -q, --quiet        no progress lines\n"
	      "      --kernel-build DIR  the target kernel's build directory (default:\n"
	      "                     /usr/src/linux-headers-RELEASE of the tree's release)\n"
	      "      --core DIR     splice-core's splice.h and Module.symvers (default: the\n"
	      "                     build tree's splice-core/, or the installed copy)\n"
	      "      --keep         keep the scratch tree and staging directory\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Exit status: 0 package written, 1 tool failure, 2 the change can't be\n"
	      "spliced (every reason is printed), 3 the patch changes no code.\n", f);
}

/* ------------------------------------------------------------ helpers */

static int read_whole(const char *path, char **buf, size_t *len)
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

static int write_whole(const char *path, const char *buf, size_t len)
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

static int copy_into(const struct sc_opts *opts, const char *from, const char *to)
{
	char *argv[] = { "cp", "-p", (char *)from, (char *)to, NULL };
	int err = make_parents(to);

	if (err) {
		sc_err("%s: %s", to, strerror(-err));
		return err;
	}
	return sc_run(opts, NULL, argv);
}

/* The last non-empty line a command prints. */
static int capture_line(const struct sc_opts *opts, char *const argv[], char **line)
{
	char *out = NULL, *end;
	int err = sc_run_capture(opts, NULL, argv, &out);

	if (err) {
		if (err == -ECHILD) {
			fputs(out ? out : "", stderr);
			sc_err("%s %s failed", argv[0], argv[1]);
		}
		free(out);
		return err;
	}
	end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	*line = strdup(strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out);
	free(out);
	return *line ? 0 : -ENOMEM;
}

/*
 * The VM harness: $SPLICE_VM, else scripts/splice-vm next to a build-tree
 * executable (splice-create/splice-create), else the installed one in
 * $(bindir), else splice-vm on $PATH.
 */
static char *find_splice_vm(void)
{
	char exe[PATH_MAX], *slash, *path = NULL;
	ssize_t n;

	if (getenv("SPLICE_VM") && *getenv("SPLICE_VM"))
		return strdup(getenv("SPLICE_VM"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/../scripts/splice-vm", exe) > 0 &&
			    !access(path, X_OK))
				return path;
			free(path);
			if (asprintf(&path, "%s/splice-vm", exe) > 0 && !access(path, X_OK))
				return path;
			free(path);
		}
	}
	if (!access(SPLICE_BINDIR "/splice-vm", X_OK))
		return strdup(SPLICE_BINDIR "/splice-vm");
	return strdup("splice-vm");
}

/* UTS_RELEASE of a prepared tree. */
static int tree_release(const char *tree, char **release)
{
	char path[4096], *buf, *p, *q;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", tree);
	err = read_whole(path, &buf, &len);
	if (err) {
		sc_err("%s: %s (is the tree prepared? `make olddefconfig prepare`)",
		       path, strerror(-err));
		return err;
	}
	p = strstr(buf, "UTS_RELEASE \"");
	q = p ? strchr(p + 13, '"') : NULL;
	if (!q) {
		sc_err("%s: no UTS_RELEASE", path);
		free(buf);
		return -EINVAL;
	}
	*release = strndup(p + 13, (size_t)(q - p - 13));
	free(buf);
	return *release ? 0 : -ENOMEM;
}

/*
 * The CONFIG_ lines of a configuration, sorted, without those the toolchain
 * determines (they differ between the file Debian ships and the tree's
 * olddefconfig'ed copy without meaning a different kernel).
 */
static int config_lines(const char *path, struct sc_strv *out)
{
	static const char *const toolchain[] = {
		"CONFIG_CC_VERSION_TEXT=", "CONFIG_GCC_VERSION=", "CONFIG_CLANG_VERSION=",
		"CONFIG_AS_VERSION=", "CONFIG_LD_VERSION=", "CONFIG_LLD_VERSION=",
		"CONFIG_PAHOLE_VERSION=", "CONFIG_AS_IS_", "CONFIG_LD_IS_",
	};
	char *buf, *line, *save = NULL;
	size_t len, i;
	int err = read_whole(path, &buf, &len);

	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save)) {
		bool skip = strncmp(line, "CONFIG_", 7) != 0;

		for (i = 0; !skip && i < sizeof(toolchain) / sizeof(toolchain[0]); i++)
			skip = !strncmp(line, toolchain[i], strlen(toolchain[i]));
		if (!skip)
			err = sc_strv_add(out, line);
	}
	free(buf);
	sc_strv_sort(out);
	return err;
}

static int random_id(char id[9])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), i;

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
		if (fd >= 0)
			close(fd);
		sc_err("/dev/urandom: cannot read");
		return -EIO;
	}
	close(fd);
	for (i = 0; i < 8; i++)
		id[i] = alphabet[r[i] % 36];
	id[8] = '\0';
	return 0;
}

/* ------------------------------------------------------------ phases */

/* Parse the patch and sort its files into code, build files and the rest. */
static int read_patch(struct ctx *c)
{
	size_t i;
	int err;

	err = read_whole(c->opts.patch, &c->patch_text, &c->patch_len);
	if (err) {
		sc_err("%s: %s", c->opts.patch, strerror(-err));
		return err;
	}
	err = sc_patch_parse(c->opts.patch, c->patch_text, c->patch_len, &c->patch);
	if (err)
		return err;
	for (i = 0; !err && i < c->patch.nfiles; i++) {
		const struct sc_patch_file *f = &c->patch.files[i];
		const char *path = sc_patch_file_path(f);
		enum sc_file_kind kind = sc_file_kind(path);

		if (f->old_path && sc_file_kind(f->old_path) != SC_KIND_OTHER &&
		    kind == SC_KIND_OTHER)
			kind = sc_file_kind(f->old_path);
		switch (kind) {
		case SC_KIND_BUILD:
			if (f->binary || !f->hash_comments_only || f->status != SC_FILE_MODIFIED)
				err = sc_reason_add(&c->reasons,
						    "%s: change to a build file (Makefile, Kconfig, scripts/): "
						    "what it does to the code can't be told", path);
			else
				c->nother++;
			break;
		case SC_KIND_CODE:
		case SC_KIND_HEADER:
			if (f->binary) {
				err = sc_reason_add(&c->reasons, "%s: binary change", path);
			} else if (kind == SC_KIND_CODE && f->status == SC_FILE_NEW) {
				err = sc_reason_add(&c->reasons,
						    "%s: new compilation unit (not supported yet)", path);
			} else if (kind == SC_KIND_CODE && f->status == SC_FILE_DELETED) {
				err = sc_reason_add(&c->reasons,
						    "%s: removed compilation unit (not supported)", path);
			} else if (f->status == SC_FILE_RENAMED && kind == SC_KIND_CODE) {
				err = sc_reason_add(&c->reasons,
						    "%s: renamed compilation unit (not supported)", path);
			} else {
				if (f->old_path && !sc_strv_has(&c->changed, f->old_path))
					err = sc_strv_add(&c->changed, f->old_path);
				if (!err && f->new_path && !sc_strv_has(&c->changed, f->new_path))
					err = sc_strv_add(&c->changed, f->new_path);
			}
			break;
		case SC_KIND_OTHER:
			sc_verbose(&c->opts.log, "no kernel code: %s", path);
			c->nother++;
			break;
		}
	}
	return err;
}

/* Where the scratch tree goes: it must be on the tree's file system. */
static int make_workdir(struct ctx *c)
{
	const char *tmp = getenv("TMPDIR");
	const char *cands[] = { tmp && *tmp ? tmp : "/tmp", c->opts.outdir };
	struct stat tree_st, st;
	size_t i;

	if (stat(c->opts.srcdir, &tree_st)) {
		sc_err("%s: %s", c->opts.srcdir, strerror(errno));
		return -errno;
	}
	for (i = 0; i < 2; i++) {
		if (stat(cands[i], &st) || st.st_dev != tree_st.st_dev)
			continue;
		if (asprintf(&c->workdir, "%s/splice-create.XXXXXX", cands[i]) < 0)
			return -ENOMEM;
		if (!mkdtemp(c->workdir)) {
			int err = -errno;

			sc_err("%s: %s", c->workdir, strerror(errno));
			free(c->workdir);
			c->workdir = NULL;
			return err;
		}
		if (asprintf(&c->staging, "%s/package", c->workdir) < 0 ||
		    mkdir(c->staging, 0755))
			return -ENOMEM;
		return 0;
	}
	sc_err("%s: neither $TMPDIR (%s) nor the output directory (%s) is on the tree's "
	       "file system; the scratch tree is made of hard links (set TMPDIR)",
	       c->opts.srcdir, cands[0], c->opts.outdir);
	return -EXDEV;
}

static int save_patch(struct ctx *c)
{
	int err;

	if (asprintf(&c->patch_copy, "%s/patch", c->staging) < 0)
		return -ENOMEM;
	err = write_whole(c->patch_copy, c->patch_text, c->patch_len);
	if (err)
		sc_err("%s: %s", c->patch_copy, strerror(-err));
	return err;
}

/*
 * The #include scan reads the whole tree: seconds, so it runs in a thread
 * while the farm copy is made and the changed .c files' own units are
 * built (select_units).  The scan reads the user's tree (the farm is the
 * same files) and never writes; signals stay with the main thread.
 */
struct scan_job {
	const char *tree;
	const struct sc_strv *changed;
	struct sc_strv units;
	int err;
};

static void *scan_thread(void *arg)
{
	struct scan_job *j = arg;

	j->err = sc_units_scan(j->tree, j->changed, &j->units);
	return NULL;
}

static int start_scan(struct ctx *c)
{
	struct scan_job *job = calloc(1, sizeof(*job));
	sigset_t block, old;
	int err;

	if (!job)
		return -ENOMEM;
	job->tree = c->opts.srcdir;
	job->changed = &c->changed;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&c->scan_tid, NULL, scan_thread, job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		free(job);
	else
		c->scan = job;
	return -err;
}

/* Wait for the scan: its units become c->units. */
static int finish_scan(struct ctx *c)
{
	int err;

	if (!c->scan)
		return 0;
	pthread_join(c->scan_tid, NULL);
	err = c->scan->err;
	if (!err) {
		sc_strv_free(&c->units);
		c->units = c->scan->units;
		c->scanned = true;
	} else {
		sc_strv_free(&c->scan->units);
	}
	free(c->scan);
	c->scan = NULL;
	return err;
}

static int prepare_tree(struct ctx *c)
{
	char *farm, *cfg;
	int err;

	sc_progress(&c->opts.log, "preparing tree");
	err = make_workdir(c);
	if (err)
		return err;
	if (asprintf(&farm, "%s/tree", c->workdir) < 0)
		return -ENOMEM;
	/* while single-threaded: a mount namespace for an overlay farm */
	if (!c->opts.keep)
		sc_farm_isolate(&c->opts);
	/* another configuration re-prepares the farm: scan the farm after that */
	if (!c->config_src)
		start_scan(c);
	err = sc_farm_create(&c->opts, c->opts.srcdir, farm, &c->farm);
	free(farm);
	c->farm_made = true;
	if (err)
		return err;
	/* a patch that doesn't apply fails now, not after the pre build */
	err = save_patch(c);
	if (!err)
		err = sc_apply_patch(&c->opts, c->farm.path, c->patch_copy, true);
	if (err || !c->config_src)
		return err;
	/* another configuration: configure and prepare the copy (slow) */
	sc_warn(&c->opts.log, "%s differs from the tree's .config: preparing the copy for it",
		c->config_src);
	if (asprintf(&cfg, "%s/.config", c->farm.path) < 0)
		return -ENOMEM;
	unlink(cfg);
	err = copy_into(&c->opts, c->config_src, cfg);
	free(cfg);
	if (!err) {
		char *argv[] = { "make", "-s", "olddefconfig", NULL };

		err = sc_run(&c->opts, c->farm.path, argv);
	}
	if (!err) {
		struct sc_strv prep = { 0 };

		err = sc_strv_add(&prep, "prepare");
		c->opts.prepared = false;
		if (!err)
			err = sc_build_units(&c->opts, c->farm.path, &prep);
		sc_strv_free(&prep);
		c->opts.prepared = !err;
	}
	return err;
}

static int build_pre_units(struct ctx *c, const struct sc_strv *units, bool more)
{
	sc_progress(&c->opts.log, "building %zu %spre unit%s", units->n, more ? "more " : "",
		    units->n == 1 ? "" : "s");
	return sc_build_units(&c->opts, c->farm.path, units);
}

/*
 * The units, configured; while the scan runs, the changed .c/.S files' own
 * units are built already (the scan only adds the units that #include a
 * changed file), the rest once it is done.
 */
static int select_units(struct ctx *c)
{
	struct sc_strv direct = { 0 }, seen = { 0 }, rest = { 0 };
	size_t candidates, i;
	int err = 0;

	if (c->scan) {
		err = sc_units_direct(&c->changed, &direct);
		if (!err)
			err = sc_units_direct(&c->changed, &seen);
		if (!err)
			err = sc_units_configured(&c->opts, c->farm.path, &direct);
		if (!err && direct.n)
			err = build_pre_units(c, &direct, false);
		{
			int serr = finish_scan(c);

			if (!err)
				err = serr;
		}
		for (i = 0; !err && i < c->units.n; i++)
			if (!sc_strv_has(&seen, c->units.v[i]))
				err = sc_strv_add(&rest, c->units.v[i]);
		candidates = c->units.n;
		if (!err)
			err = sc_units_configured(&c->opts, c->farm.path, &rest);
		if (!err && rest.n)
			err = build_pre_units(c, &rest, direct.n > 0);
		sc_strv_free(&c->units);
		for (i = 0; !err && i < direct.n; i++)
			err = sc_strv_add(&c->units, direct.v[i]);
		for (i = 0; !err && i < rest.n; i++)
			err = sc_strv_add(&c->units, rest.v[i]);
		sc_strv_sort(&c->units);
		c->pre_built = true;
		sc_strv_free(&direct);
		sc_strv_free(&seen);
		sc_strv_free(&rest);
		if (err)
			return err;
	} else {
		if (!c->scanned) {
			err = sc_units_scan(c->farm.path, &c->changed, &c->units);
			if (err)
				return err;
		}
		candidates = c->units.n;
		err = sc_units_configured(&c->opts, c->farm.path, &c->units);
		if (err)
			return err;
	}
	sc_verbose(&c->opts.log, "%zu candidate units include a changed file, %zu are built "
		   "with this configuration", candidates, c->units.n);
	return 0;
}

/* Copy each unit's object to staging/<side>/<unit>. */
static int save_objects(struct ctx *c, const char *side)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->units.n; i++) {
		char *from, *to;

		if (asprintf(&from, "%s/%s", c->farm.path, c->units.v[i]) < 0)
			return -ENOMEM;
		if (asprintf(&to, "%s/%s/%s", c->staging, side, c->units.v[i]) < 0) {
			free(from);
			return -ENOMEM;
		}
		err = copy_into(&c->opts, from, to);
		free(from);
		free(to);
	}
	return err;
}

static int build_pre(struct ctx *c)
{
	size_t before = c->units.n;
	int err;

	if (!c->pre_built) {
		err = build_pre_units(c, &c->units, false);
		if (err)
			return err;
	}
	/* the dependency files now say exactly which units read what */
	err = sc_units_filter_deps(&c->opts, c->farm.path, &c->changed, &c->units);
	if (err)
		return err;
	if (c->units.n != before)
		sc_verbose(&c->opts.log, "%zu of %zu units read no changed file",
			   before - c->units.n, before);
	return c->units.n ? save_objects(c, "pre") : 0;
}

static int apply_patch(struct ctx *c)
{
	size_t i;
	int err = 0;

	sc_progress(&c->opts.log, "applying patch");
	/* patch could write through a hard link: every file it touches gets its own */
	for (i = 0; !err && i < c->patch.nfiles; i++) {
		const struct sc_patch_file *f = &c->patch.files[i];

		if (f->old_path)
			err = sc_farm_own(&c->farm, f->old_path);
		if (!err && f->new_path)
			err = sc_farm_own(&c->farm, f->new_path);
	}
	if (err)
		return err;
	return sc_apply_patch(&c->opts, c->farm.path, c->patch_copy, false);
}

static int build_post(struct ctx *c)
{
	int err;

	sc_progress(&c->opts.log, "building post");
	err = sc_rebuild_units(&c->opts, c->farm.path, c->farm.tree, &c->units);
	return err ? err : save_objects(c, "post");
}

static void om_log(void *ctx, enum om_log_level level, const char *msg)
{
	const struct sc_log *log = ctx;

	if (level == OM_LOG_ERROR)
		sc_err("%s", msg);
	else
		sc_verbose(log, "objmatch: %s", msg);
}

static int diff_unit(struct ctx *c, const char *unit)
{
	struct om_options oo = { .log = om_log, .log_ctx = &c->opts.log,
				 .log_level = c->opts.log.verbosity >= SC_VERBOSE ?
					      OM_LOG_INFO : OM_LOG_ERROR };
	struct om_object *pre = NULL, *post = NULL;
	struct om_diff *diff = NULL;
	struct sc_manifest_unit *mu;
	char *pre_path = NULL, *post_path = NULL;
	size_t i;
	int err = -ENOMEM;

	if (asprintf(&pre_path, "%s/pre/%s", c->staging, unit) < 0 ||
	    asprintf(&post_path, "%s/post/%s", c->staging, unit) < 0)
		goto out;
	err = om_object_open(pre_path, &oo, &pre);
	if (!err)
		err = om_object_open(post_path, &oo, &post);
	if (!err)
		err = om_diff(pre, post, &oo, &diff);
	if (err) {
		sc_err("%s: cannot compare the pre and post objects: %s", unit, strerror(-err));
		goto out;
	}
	mu = sc_manifest_add_unit(&c->manifest, unit);
	if (!mu) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; !err && i < diff->nfindings; i++) {
		const struct om_finding *f = &diff->findings[i];

		switch (f->kind) {
		case OM_F_CHANGED:
			sc_progress(&c->opts.log, "changed: %s (%s)", f->name, unit);
			err = sc_strv_add(&mu->changed, f->name);
			break;
		case OM_F_NEW:
			sc_progress(&c->opts.log, "new: %s (%s)", f->name, unit);
			err = sc_strv_add(&mu->added, f->name);
			break;
		case OM_F_REMOVED:
			sc_progress(&c->opts.log, "removed: %s (%s)", f->name, unit);
			err = sc_strv_add(&mu->removed, f->name);
			break;
		case OM_F_DATA_CHANGED:
		case OM_F_NEW_DATA:
			sc_verbose(&c->opts.log, "%s: %s (%s)", om_finding_kind_name(f->kind),
				   f->name, unit);
			break;
		case OM_F_REFUSE: {
			/* "STAGING/post/mm/util.o[.data]: sym" -> "mm/util.o[.data]: sym" */
			const char *where = f->where;
			size_t n = strlen(c->staging);

			if (where && !strncmp(where, c->staging, n) && where[n] == '/') {
				where += n + 1;
				where += strncmp(where, "pre/", 4) ? (strncmp(where, "post/", 5) ? 0 : 5) : 4;
			}
			if (where)
				err = sc_reason_add(&c->reasons, "%s: %s", where,
						    f->reason ? f->reason : "refused");
			else
				err = sc_reason_add(&c->reasons, "%s: %s: %s", unit, f->name,
						    f->reason ? f->reason : "refused");
			break;
		}
		}
	}
	c->ncode_changes += diff->ncode_changes;
out:
	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
	free(pre_path);
	free(post_path);
	return err;
}

static int diff_units(struct ctx *c)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->units.n; i++)
		err = diff_unit(c, c->units.v[i]);
	return err;
}

static int add_file_sums(struct ctx *c, const char *side)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->units.n; i++) {
		char *path, *rel, sum[SC_SHA256_HEX];

		if (asprintf(&rel, "%s/%s", side, c->units.v[i]) < 0)
			return -ENOMEM;
		if (asprintf(&path, "%s/%s", c->staging, rel) < 0) {
			free(rel);
			return -ENOMEM;
		}
		err = sc_sha256_file(path, sum);
		if (err)
			sc_err("%s: %s", path, strerror(-err));
		else
			err = sc_manifest_add_file(&c->manifest, rel, sum);
		free(path);
		free(rel);
	}
	return err;
}

static int write_package(struct ctx *c)
{
	char *text = NULL, *path = NULL, *tmp = NULL, *name = NULL, sum[SC_SHA256_HEX];
	int err;

	sc_sha256_buf(c->patch_text, c->patch_len, sum);
	err = sc_manifest_add_file(&c->manifest, "patch", sum);
	if (!err)
		err = add_file_sums(c, "pre");
	if (!err)
		err = add_file_sums(c, "post");
	if (!err)
		err = sc_manifest_format(&c->manifest, &text);
	if (err)
		goto out;
	err = -ENOMEM;
	if (asprintf(&path, "%s/manifest", c->staging) < 0 ||
	    asprintf(&name, "splice-%s.tar.gz", c->manifest.id) < 0 ||
	    asprintf(&c->package, "%s/%s", c->opts.outdir, name) < 0 ||
	    /* per run: two runs writing the same package must not share it */
	    asprintf(&tmp, "%s.%ld.tmp", c->package, (long)getpid()) < 0)
		goto out;
	err = write_whole(path, text, strlen(text));
	if (err) {
		sc_err("%s: %s", path, strerror(-err));
		goto out;
	}
	{
		char *argv[] = { "tar", "-czf", tmp, "-C", c->staging, "--owner=0", "--group=0",
				 "manifest", "patch", "pre", "post",
				 c->manifest.nmodules ? "modules" : NULL, NULL };

		err = sc_run(&c->opts, NULL, argv);
	}
	if (!err && rename(tmp, c->package)) {
		err = -errno;
		sc_err("%s: %s", c->package, strerror(errno));
	}
	if (err)
		unlink(tmp);
	else
		sc_progress(&c->opts.log, "package: %s", c->package);
out:
	free(text);
	free(path);
	free(tmp);
	free(name);
	return err;
}

/* ------------------------------------------------------------ set-up */

/*
 * The kbuild arguments a tree was prepared with, one per line, from the
 * stamp `splice-vm` leaves in it: "KERNELRELEASE=R KCFLAGS=FLAGS... ".
 * Only that exact shape is trusted; anything else asks splice-vm.
 */
static int prepared_args(const char *tree, char **args)
{
	char path[4096], *buf, *kc, *end;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/.splice-prepared", tree);
	err = read_whole(path, &buf, &len);
	if (err)
		return err;
	end = buf + len;
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	kc = strstr(buf, " KCFLAGS=");
	if (strncmp(buf, "KERNELRELEASE=", 14) || !kc || strchr(buf, '\n') ||
	    memchr(buf + 14, ' ', (size_t)(kc - buf - 14)) || kc == buf + 14 ||
	    strstr(kc + 1, " KERNELRELEASE=") || strstr(kc + 1, " KCFLAGS=")) {
		free(buf);
		return -EINVAL;
	}
	*kc = '\n';
	*args = buf;
	return 0;
}

/* The tree's configuration was applied after its last change (auto.conf). */
static bool config_current(const char *tree)
{
	char path[4096];
	struct stat cfg, conf, uts;

	snprintf(path, sizeof(path), "%s/.config", tree);
	if (stat(path, &cfg))
		return false;
	snprintf(path, sizeof(path), "%s/include/config/auto.conf", tree);
	if (stat(path, &conf))
		return false;
	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", tree);
	if (stat(path, &uts))
		return false;
	return conf.st_mtim.tv_sec > cfg.st_mtim.tv_sec ||
	       (conf.st_mtim.tv_sec == cfg.st_mtim.tv_sec &&
		conf.st_mtim.tv_nsec >= cfg.st_mtim.tv_nsec);
}

static int resolve_defaults(struct ctx *c, char **srcdir_buf)
{
	struct sc_opts *o = &c->opts;
	char *vm_argv[4], *release = NULL, *args = NULL, *line, *save = NULL;
	struct utsname u;
	int err;

	o->splice_vm = find_splice_vm();
	if (!o->splice_vm)
		return -ENOMEM;
	if (!o->srcdir) {
		vm_argv[0] = (char *)o->splice_vm;
		vm_argv[1] = "path";
		vm_argv[2] = "source";
		vm_argv[3] = NULL;
		setenv("SPLICE_VM_QUIET", "1", 1);
		err = capture_line(o, vm_argv, srcdir_buf);
		if (err)
			return err;
		o->srcdir = *srcdir_buf;
	}
	err = tree_release(o->srcdir, &release);
	if (err)
		return err;
	if (!c->manifest.kernel_release)
		c->manifest.kernel_release = release;
	else
		free(release);
	/*
	 * How every make in the tree must be called: the harness stamped the
	 * tree it prepared with its kbuild-args (.splice-prepared); asking it
	 * again costs seconds (apt-cache).
	 */
	err = prepared_args(o->srcdir, &args);
	if (err) {
		vm_argv[0] = (char *)o->splice_vm;
		vm_argv[1] = "kbuild-args";
		vm_argv[2] = NULL;
		err = sc_run_capture(o, NULL, vm_argv, &args);
	} else {
		o->prepared = config_current(o->srcdir);
		sc_verbose(&o->log, "kbuild arguments from %s/.splice-prepared%s", o->srcdir,
			   o->prepared ? "; prepare is done" : "");
	}
	if (err == -EINTR) {
		free(args);
		return err;
	}
	if (!err) {
		for (line = strtok_r(args, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "KERNELRELEASE=", 14))
				err = sc_strv_add(&o->kbuild_args, line);
	} else {
		sc_verbose(&o->log, "%s kbuild-args failed; using splice's defaults", o->splice_vm);
		err = sc_strv_add(&o->kbuild_args, "KCFLAGS=-ffunction-sections -fdata-sections");
	}
	free(args);
	/* the objects must say what the tree says (UTS_RELEASE, vermagic) */
	if (!err) {
		char *kr;

		if (asprintf(&kr, "KERNELRELEASE=%s", c->manifest.kernel_release) < 0)
			return -ENOMEM;
		err = sc_strv_add(&o->kbuild_args, kr);
		free(kr);
	}
	if (err)
		return err;
	/* the configuration */
	if (!o->config && !uname(&u)) {
		char *boot;

		if (asprintf(&boot, "/boot/config-%s", u.release) < 0)
			return -ENOMEM;
		if (!access(boot, R_OK))
			o->config = boot;	/* leaked on purpose: lives as long as opts */
		else
			free(boot);
	}
	if (o->config) {
		struct sc_strv a = { 0 }, b = { 0 };
		char *tree_cfg;
		size_t i;
		bool same;

		if (asprintf(&tree_cfg, "%s/.config", o->srcdir) < 0)
			return -ENOMEM;
		err = config_lines(o->config, &a);
		if (err)
			sc_err("%s: %s", o->config, strerror(-err));
		if (!err) {
			err = config_lines(tree_cfg, &b);
			if (err)
				sc_err("%s: %s", tree_cfg, strerror(-err));
		}
		same = a.n == b.n;
		for (i = 0; same && i < a.n; i++)
			same = !strcmp(a.v[i], b.v[i]);
		if (!err && !same)
			c->config_src = realpath(o->config, NULL);
		sc_verbose(&o->log, "config %s: %s the tree's", o->config, same ? "same as" : "differs from");
		sc_strv_free(&a);
		sc_strv_free(&b);
		free(tree_cfg);
	}
	return err;
}

static volatile int caught_signal;

static void on_signal(int sig)
{
	sc_interrupted = 1;
	caught_signal = sig;
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ------------------------------------------------------------ main */

enum { OPT_ID = 256, OPT_KEEP, OPT_KERNEL_BUILD, OPT_CORE };

static int parse_args(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "id", required_argument, NULL, OPT_ID },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "kernel-build", required_argument, NULL, OPT_KERNEL_BUILD },
		{ "core", required_argument, NULL, OPT_CORE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum sc_verbosity verbosity = SC_NORMAL;
	long n;
	char *end;
	int opt;

	c->opts.outdir = ".";
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->opts.jobs = n > 0 ? (unsigned int)n : 1;
	while ((opt = getopt_long(argc, argv, "s:c:o:j:vqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': c->opts.srcdir = optarg; break;
		case 'c': c->opts.config = optarg; break;
		case 'o': c->opts.outdir = optarg; break;
		case OPT_ID:
			if (!sc_id_valid(optarg)) {
				sc_err("--id '%s': use 1 to %d characters of [a-z0-9_]", optarg, SC_ID_MAX);
				return -EINVAL;
			}
			c->opts.id = optarg;
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				sc_err("-j '%s': expected a number of jobs", optarg);
				return -EINVAL;
			}
			c->opts.jobs = (unsigned int)n;
			break;
		case 'v': verbosity = SC_VERBOSE; break;
		case 'q': verbosity = SC_QUIET; break;
		case OPT_KEEP: c->opts.keep = true; break;
		case OPT_KERNEL_BUILD: c->opts.kernel_build = optarg; break;
		case OPT_CORE: c->opts.core_dir = optarg; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("splice-create (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	c->opts.patch = argv[optind];
	sc_log_init(&c->opts.log, verbosity);
	return 0;
}

static int run(struct ctx *c, char **srcdir_buf)
{
	static char id[SC_ID_MAX + 1];
	struct stat st;
	int err;

	if (stat(c->opts.outdir, &st) || !S_ISDIR(st.st_mode)) {
		sc_err("%s: not a directory", c->opts.outdir);
		return -ENOTDIR;
	}
	err = read_patch(c);
	if (err || c->reasons.n)
		return err;
	if (!c->changed.n)
		return 0;	/* no code: main says so */
	err = resolve_defaults(c, srcdir_buf);
	if (err)
		return err;
	if (c->opts.id) {
		snprintf(id, sizeof(id), "%s", c->opts.id);
	} else {
		err = random_id(id);
		if (err)
			return err;
	}
	c->manifest.id = strdup(id);
	c->manifest.splice_version = strdup(PACKAGE_VERSION);
	sc_sha256_buf(c->patch_text, c->patch_len, c->manifest.patch_sha256);
	if (!c->manifest.id || !c->manifest.splice_version)
		return -ENOMEM;
	err = prepare_tree(c);
	if (!err)
		err = select_units(c);
	if (!err && c->units.n)
		err = build_pre(c);
	if (err || !c->units.n)
		return err;
	err = apply_patch(c);
	if (!err)
		err = build_post(c);
	if (!err)
		err = diff_units(c);
	if (err || c->reasons.n || !c->ncode_changes)
		return err;
	err = sc_build_modules(&c->opts, &c->manifest, c->farm.path, c->workdir, c->staging,
			       &c->reasons);
	if (err || c->reasons.n)
		return err;
	return write_package(c);
}

int main(int argc, char **argv)
{
	struct ctx c;
	char *srcdir_buf = NULL;
	size_t i;
	int err, status;

	memset(&c, 0, sizeof(c));
	install_handlers();
	err = parse_args(&c, argc, argv);
	if (err)
		return err > 0 ? SC_EXIT_OK : SC_EXIT_FAILURE;
	err = run(&c, &srcdir_buf);

	if (err == -EINTR || sc_interrupted) {
		sc_err("interrupted; cleaning up");
		status = SC_EXIT_FAILURE;
	} else if (err) {
		status = SC_EXIT_FAILURE;
	} else if (c.reasons.n) {
		for (i = 0; i < c.reasons.n; i++)
			fprintf(stderr, "splice-create: not spliceable: %s\n", c.reasons.v[i]);
		sc_err("%zu reason%s the change can't be spliced", c.reasons.n,
		       c.reasons.n == 1 ? "" : "s");
		status = SC_EXIT_UNSPLICEABLE;
	} else if (!c.package) {
		if (!c.changed.n)
			fprintf(stderr, "splice-create: no code change: the patch changes only "
				"files without kernel code (%zu)\n", c.nother);
		else if (!c.units.n)
			fprintf(stderr, "splice-create: no code change: no unit built with this "
				"configuration reads the changed files\n");
		else
			fprintf(stderr, "splice-create: no code change: %zu unit%s rebuilt, "
				"no function differs\n", c.units.n, c.units.n == 1 ? "" : "s");
		status = SC_EXIT_NO_CHANGE;
	} else {
		status = SC_EXIT_OK;
	}

	/* every exit path: the tree must be as we found it, the farm gone */
	sc_units_cancel = 1;
	finish_scan(&c);
	if (c.farm_made && sc_farm_check(&c.farm))
		status = SC_EXIT_FAILURE;
	if (sc_farm_unmount(&c.farm))
		status = SC_EXIT_FAILURE;
	if (c.workdir) {
		if (c.opts.keep) {
			fprintf(stderr, "splice-create: kept %s\n", c.workdir);
		} else {
			sigset_t block, old;

			/* a second Ctrl-C must not leave half a farm behind */
			sigemptyset(&block);
			sigaddset(&block, SIGINT);
			sigaddset(&block, SIGTERM);
			sigaddset(&block, SIGHUP);
			sigprocmask(SIG_BLOCK, &block, &old);
			if (sc_remove_tree(c.workdir))
				status = SC_EXIT_FAILURE;
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
	}
	sc_manifest_free(&c.manifest);
	sc_patch_free(&c.patch);
	sc_strv_free(&c.changed);
	sc_strv_free(&c.units);
	sc_strv_free(&c.opts.kbuild_args);
	sc_reasons_free(&c.reasons);
	sc_farm_free(&c.farm);
	free(c.patch_text);
	free(c.workdir);
	free(c.staging);
	free(c.patch_copy);
	free(c.config_src);
	free(c.package);
	free((char *)c.opts.splice_vm);
	free(srcdir_buf);
	if (caught_signal) {
		/* die of the signal, so a calling shell loop stops too */
		signal(caught_signal, SIG_DFL);
		raise(caught_signal);
	}
	return status;
}
