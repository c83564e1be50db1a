// SPDX-License-Identifier: GPL-2.0
/*
 * The phases of a splice-create run, each on the run's context (run.h), in
 * the order main.c's run() calls them:
 *
 *   read_patch -> prepare_tree -> select_units -> build_pre ->
 *   apply_patch -> build_post -> diff_units -> write_package
 *
 * Each returns 0 or a negative errno (having said why through sc_err) and
 * adds "not spliceable" verdicts to c->reasons; none cleans up after the
 * run (main() does, on every path).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obj/objmatch.h"
#include "run.h"

/* Parse the patch and sort its files into code, build files and the rest. */
int read_patch(struct ctx *c)
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
int finish_scan(struct ctx *c)
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

int prepare_tree(struct ctx *c)
{
	char *farm;
	int err;

	err = make_workdir(c);
	if (err)
		return err;
	/* while single-threaded: a mount namespace for an overlay farm */
	if (!c->opts.keep)
		sc_farm_isolate(&c->opts);
	/* the tree's prepared state for the target, kept apart (slow the first time) */
	if (c->needs_prep) {
		err = sc_prep_get(&c->opts, c->opts.srcdir, c->workdir, &c->prep);
		if (err)
			return err;
		c->opts.prepared = true;
	}
	sc_progress(&c->opts.log, "preparing tree");
	start_scan(c);
	if (asprintf(&farm, "%s/tree", c->workdir) < 0)
		return -ENOMEM;
	err = sc_farm_create(&c->opts, c->opts.srcdir, c->needs_prep ? c->prep.layer : NULL,
			     farm, &c->farm);
	free(farm);
	c->farm_made = true;
	if (err)
		return err;
	return save_patch(c);
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
int select_units(struct ctx *c)
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

int build_pre(struct ctx *c)
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

int apply_patch(struct ctx *c)
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

int build_post(struct ctx *c)
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
	err = sc_unit_hooks(unit, post, &mu->hooks, &c->reasons);
	for (i = 0; !err && i < mu->hooks.n; i++)
		sc_progress(&c->opts.log, "hook: %s (%s)", mu->hooks.v[i], unit);
	c->nhooks += mu->hooks.n;
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

int diff_units(struct ctx *c)
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

int write_package(struct ctx *c)
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
		if (err)	/* tar's own words (a full disk, ...) are above */
			sc_err("%s: cannot write the package", c->package);
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
