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
		/* the tools' temporary files (gcc's cc*.s): gone with the scratch */
		if (asprintf(&c->child_tmpdir, "%s/tmp", c->workdir) < 0 ||
		    mkdir(c->child_tmpdir, 0700))
			return -ENOMEM;
		c->opts.child_tmpdir = c->child_tmpdir;
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
	struct sc_header_change *hc;	/* the changed headers, if any */
	size_t nhc;
	struct sc_uses *uses;
	struct sc_strv units;
	int err;
};

static void *scan_thread(void *arg)
{
	struct scan_job *j = arg;

	if (j->nhc)
		j->err = sc_units_scan_uses(j->tree, j->changed, j->hc, j->nhc, &j->units, j->uses);
	else
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
	job->hc = c->hc;
	job->nhc = c->nhc;
	job->uses = &c->uses;
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

/* "a, b, c and 4 more" of @names, for a progress line (malloc'ed). */
static char *name_list(const struct sc_strv *names, size_t max)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	/* a tag is "#name" (items.c) */
	for (i = 0; i < names->n && i < max; i++)
		fprintf(f, "%s%s", i ? ", " : "", names->v[i] + (names->v[i][0] == '#'));
	if (names->n > max)
		fprintf(f, " and %zu more", names->n - max);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The patch's changed headers, definition by definition (headers.c): the
 * text before is the tree's, the text after what the patch makes of a copy
 * of the files it touches (in the scratch directory, not the farm).
 */
static int analyze_headers(struct ctx *c)
{
	char *mini = NULL;
	size_t i, nh = 0;
	int err = 0;

	for (i = 0; i < c->changed.n; i++)
		nh += sc_file_kind(c->changed.v[i]) == SC_KIND_HEADER;
	if (!nh)
		return 0;
	c->hc = calloc(nh, sizeof(*c->hc));
	if (!c->hc || asprintf(&mini, "%s/headers", c->workdir) < 0) {
		free(mini);
		return -ENOMEM;
	}
	if (mkdir(mini, 0755)) {
		err = -errno;
		sc_err("%s: %s", mini, strerror(errno));
		goto out;
	}
	/* every file the patch touches, so that patch finds them all */
	for (i = 0; !err && i < c->patch.nfiles; i++) {
		const char *old = c->patch.files[i].old_path;
		char *from, *to;
		struct stat st;

		if (!old)
			continue;
		if (asprintf(&from, "%s/%s", c->opts.srcdir, old) < 0)
			return -ENOMEM;
		if (asprintf(&to, "%s/%s", mini, old) < 0) {
			free(from);
			return -ENOMEM;
		}
		if (!stat(from, &st))
			err = copy_into(&c->opts, from, to);
		free(from);
		free(to);
	}
	if (!err)
		err = sc_apply_patch(&c->opts, mini, c->patch_copy, false);
	for (i = 0; !err && i < c->changed.n; i++) {
		const char *path = c->changed.v[i];
		char *pre = NULL, *post = NULL, *p;
		size_t pre_len = 0, post_len = 0;
		struct sc_header_change *hc;

		if (sc_file_kind(path) != SC_KIND_HEADER)
			continue;
		if (asprintf(&p, "%s/%s", c->opts.srcdir, path) < 0)
			return -ENOMEM;
		if (read_whole(p, &pre, &pre_len))
			pre = NULL;
		free(p);
		if (asprintf(&p, "%s/%s", mini, path) < 0) {
			free(pre);
			return -ENOMEM;
		}
		if (read_whole(p, &post, &post_len))
			post = NULL;
		free(p);
		hc = &c->hc[c->nhc++];
		err = sc_header_diff(path, pre, pre_len, post, post_len, hc);
		if (err) {
			sc_err("%s: cannot compare its definitions: %s", path, strerror(-err));
			break;
		}
		if (hc->unknown) {
			sc_progress(&c->opts.log, "%s", hc->unknown);
			sc_progress(&c->opts.log, "%s: every unit that reads it is looked at", path);
		} else if (!hc->names.list.n) {
			sc_progress(&c->opts.log, "%s: no definition changed (comments or spacing only)",
				    path);
		} else {
			char *list = name_list(&hc->names.list, 8);

			sc_progress(&c->opts.log, "%s: changed %s", path, list ? list : "?");
			free(list);
		}
	}
out:
	if (mini)
		sc_remove_tree(mini);
	free(mini);
	return err;
}

int prepare_tree(struct ctx *c)
{
	char *farm;
	int err;

	err = make_workdir(c);
	if (!err)
		err = save_patch(c);
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
	err = analyze_headers(c);
	if (err)
		return err;
	start_scan(c);
	if (asprintf(&farm, "%s/tree", c->workdir) < 0)
		return -ENOMEM;
	err = sc_farm_create(&c->opts, c->opts.srcdir, c->needs_prep ? c->prep.layer : NULL,
			     farm, &c->farm);
	free(farm);
	c->farm_made = true;
	return err;
}

static int build_pre_units(struct ctx *c, const struct sc_strv *units, bool more)
{
	sc_progress(&c->opts.log, "building %zu %spre unit%s", units->n, more ? "more " : "",
		    units->n == 1 ? "" : "s");
	return sc_build_units(&c->opts, c->farm.path, units);
}

/* ------------------------------------------------------------ header changes */

#define PP_BATCH 256

/*
 * Preprocess @targets ("dir/unit.i") in the farm with kbuild, in batches,
 * and read each: before the patch (@v NULL) into @sum, after it compared
 * with @sum into @v.  Each .i is removed once read (a few MB each).
 */
static int preprocess(struct ctx *c, const struct sc_strv *targets, struct sc_pp_summary *sum,
		      struct sc_pp_verdict *v, const struct sc_strv *types)
{
	size_t b, i;
	int err = 0;

	for (b = 0; !err && b < targets->n; b += PP_BATCH) {
		struct sc_strv batch = { .v = targets->v + b,
					 .n = targets->n - b < PP_BATCH ? targets->n - b : PP_BATCH };

		/* after the patch: the commands kbuild recorded before it */
		err = v ? sc_replay_targets(&c->opts, c->farm.path, &batch) :
			  sc_build_units(&c->opts, c->farm.path, &batch);
		for (i = b; !err && i < b + batch.n; i++) {
			char *path, *text = NULL;
			size_t len;

			if (asprintf(&path, "%s/%s", c->farm.path, targets->v[i]) < 0)
				return -ENOMEM;
			err = read_whole(path, &text, &len);
			if (err) {
				sc_err("%s: %s", path, strerror(-err));
			} else if (!v) {
				err = sc_pp_summarize(text, len, &sum[i]);
			} else {
				err = sc_pp_compare(&sum[i], text, len, types, &v[i]);
			}
			unlink(path);
			free(text);
			free(path);
		}
	}
	return err;
}

/* The header that defines changed type @type (for the message). */
static const char *type_header(const struct ctx *c, const char *type)
{
	size_t i;

	for (i = 0; i < c->nhc; i++)
		if (sc_strv_has(&c->hc[i].types, type))
			return c->hc[i].path;
	return "?";
}

/*
 * Of @units (that read a changed header and a file using one of its changed
 * definitions' names), keep those whose preprocessed text, after the patch,
 * has code or data of their own use a changed definition (headers.c).  The
 * patch is applied to the farm for the second preprocessing and taken out
 * again: the pre objects are built afterwards.  A changed struct or union
 * that kept units use is a reason.
 */
static int narrow_units(struct ctx *c, struct sc_strv *units)
{
	struct sc_strv targets = { 0 }, keep = { 0 }, types = { 0 }, *users = NULL;
	struct sc_pp_summary *sum = NULL;
	struct sc_pp_verdict *v = NULL;
	size_t i, j, k, *unit_of = calloc(units->n + 1, sizeof(*unit_of));
	int err = 0;

	if (!unit_of)
		return -ENOMEM;
	for (i = 0; i < c->nhc; i++)
		for (j = 0; !err && j < c->hc[i].types.n; j++)
			if (!sc_strv_has(&types, c->hc[i].types.v[j]))
				err = sc_strv_add(&types, c->hc[i].types.v[j]);
	/* C units are preprocessed; an assembler unit is kept as it is */
	for (i = 0; !err && i < units->n; i++) {
		char *src, *target;
		size_t n = strlen(units->v[i]);

		if (asprintf(&src, "%s/%.*sc", c->farm.path, (int)(n - 1), units->v[i]) < 0)
			return -ENOMEM;
		if (access(src, F_OK)) {
			err = sc_strv_add(&keep, units->v[i]);
		} else if (asprintf(&target, "%.*si", (int)(n - 1), units->v[i]) < 0) {
			err = -ENOMEM;
		} else {
			unit_of[targets.n] = i;
			err = sc_strv_add(&targets, target);
			free(target);
		}
		free(src);
	}
	if (err || !targets.n)
		goto out;
	sum = calloc(targets.n, sizeof(*sum));
	v = calloc(targets.n, sizeof(*v));
	users = calloc(types.n + 1, sizeof(*users));
	if (!sum || !v || !users) {
		err = -ENOMEM;
		goto out;
	}
	sc_progress(&c->opts.log, "preprocessing %zu unit%s, before and after the patch",
		    targets.n, targets.n == 1 ? "" : "s");
	err = preprocess(c, &targets, sum, NULL, NULL);
	if (!err)
		err = apply_patch(c);
	if (!err)
		err = preprocess(c, &targets, sum, v, &types);
	if (!err)
		err = sc_reverse_patch(&c->opts, c->farm.path, c->patch_copy);
	if (err)
		goto out;
	c->pp_scanned += targets.n;
	for (i = 0; !err && i < targets.n; i++) {
		const char *unit = units->v[unit_of[i]];

		if (!v[i].differs) {
			sc_verbose(&c->opts.log, "%s: the same after preprocessing", unit);
			continue;
		}
		c->pp_differ++;
		if (!v[i].uses) {
			sc_verbose(&c->opts.log, "%s: differs after preprocessing, in definitions "
				   "none of its code uses", unit);
			continue;
		}
		c->pp_used++;
		sc_verbose(&c->opts.log, "%s: its code uses a changed definition", unit);
		err = sc_strv_add(&keep, unit);
		for (j = 0; !err && j < v[i].types.n; j++)
			for (k = 0; !err && k < types.n; k++)
				if (!strcmp(types.v[k], v[i].types.v[j]))
					err = sc_strv_add(&users[k], unit);
	}
	sc_progress(&c->opts.log, "scanned %zu unit%s: %zu differ%s after preprocessing, "
		    "%zu use%s a changed definition", targets.n, targets.n == 1 ? "" : "s",
		    c->pp_differ, c->pp_differ == 1 ? "s" : "", c->pp_used,
		    c->pp_used == 1 ? "s" : "");
	/* a changed type in use: its data in the running kernel has the old layout */
	for (k = 0; !err && k < types.n; k++) {
		char *list;

		if (!users[k].n)
			continue;
		list = name_list(&users[k], 4);
		err = sc_reason_add(&c->reasons, "%s: %s: its definition changed and code of "
				    "%zu unit%s uses it (%s): data the running kernel holds would "
				    "change layout; not spliceable unless a hook handles it",
				    type_header(c, types.v[k]), types.v[k], users[k].n,
				    users[k].n == 1 ? "" : "s", list ? list : "?");
		free(list);
	}
	if (!err) {
		sc_strv_free(units);
		*units = keep;
		memset(&keep, 0, sizeof(keep));
		sc_strv_sort(units);
	}
out:
	for (i = 0; sum && i < targets.n; i++) {
		sc_pp_summary_free(&sum[i]);
		sc_pp_verdict_free(&v[i]);
	}
	for (k = 0; users && k < types.n; k++)
		sc_strv_free(&users[k]);
	free(users);
	free(sum);
	free(v);
	free(unit_of);
	sc_strv_free(&targets);
	sc_strv_free(&keep);
	sc_strv_free(&types);
	return err;
}

/*
 * The units, configured; while the scan runs, the changed .c/.S files' own
 * units are built already (the scan only adds the units that #include a
 * changed file), the rest once it is done.  With changed headers, the rest
 * are only the units that may use a changed definition, and of those the
 * ones whose preprocessed text does (narrow_units).
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
		if (!err && c->nhc)
			sc_progress(&c->opts.log, "%zu unit%s read a changed file; %zu may use a "
				    "changed definition (%zu name%s, %zu file%s using them)%s",
				    c->uses.includers, c->uses.includers == 1 ? "" : "s",
				    c->units.n, c->uses.names.n, c->uses.names.n == 1 ? "" : "s",
				    c->uses.use_files, c->uses.use_files == 1 ? "" : "s",
				    c->uses.gave_up ? "; too many names: every unit reading a "
				    "changed header kept" : "");
		if (!err)
			err = sc_units_configured(&c->opts, c->farm.path, &rest);
		if (!err && c->nhc && rest.n)
			err = narrow_units(c, &rest);
		if (!err && !c->reasons.n && rest.n)
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
			if (c->nhc)
				err = sc_units_scan_uses(c->opts.srcdir, &c->changed, c->hc, c->nhc,
							 &c->units, &c->uses);
			else
				err = sc_units_scan(c->farm.path, &c->changed, &c->units);
			if (err)
				return err;
		}
		candidates = c->units.n;
		err = sc_units_configured(&c->opts, c->farm.path, &c->units);
		if (!err && c->nhc && c->units.n) {
			/* the changed .c files' own units stay: only the rest is narrowed */
			struct sc_strv own = { 0 }, rest2 = { 0 };

			err = sc_units_direct(&c->changed, &own);
			for (i = 0; !err && i < c->units.n; i++)
				if (!sc_strv_has(&own, c->units.v[i]))
					err = sc_strv_add(&rest2, c->units.v[i]);
			if (!err)
				err = narrow_units(c, &rest2);
			for (i = 0; !err && i < c->units.n; i++)
				if (sc_strv_has(&own, c->units.v[i]))
					err = sc_strv_add(&rest2, c->units.v[i]);
			if (!err) {
				sc_strv_free(&c->units);
				c->units = rest2;
				memset(&rest2, 0, sizeof(rest2));
				sc_strv_sort(&c->units);
			}
			sc_strv_free(&own);
			sc_strv_free(&rest2);
		}
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
		case OM_F_NEW_EXPORT:
			/* docs/objmatch.md: the update calls it directly */
			sc_progress(&c->opts.log, "new export: %s (%s): not exported by the update "
				    "(the running kernel's export table can't grow; the update's "
				    "own code calls it directly)", f->name, unit);
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
	size_t i, funcs = 0;
	int err = 0;

	for (i = 0; !err && i < c->units.n; i++)
		err = diff_unit(c, c->units.v[i]);
	for (i = 0; i < c->manifest.nunits; i++)
		funcs += c->manifest.units[i].changed.n;
	if (!err && c->nhc)
		sc_progress(&c->opts.log, "header change: %zu unit%s read a changed file, %zu "
			    "scanned (preprocessed), %zu differ%s, %zu compiled, %zu function%s "
			    "changed", c->uses.includers, c->uses.includers == 1 ? "" : "s",
			    c->pp_scanned, c->pp_differ, c->pp_differ == 1 ? "s" : "", c->units.n,
			    funcs, funcs == 1 ? "" : "s");
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
