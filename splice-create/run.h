/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The splice-create program's own files (main.c, defaults.c, phases.c,
 * files.c): the context of one run and what those files call of each other.
 * Private to the executable: libcreate.a (and the unit tests) know only
 * create.h, whose functions are the sc_ ones.
 *
 * Errors as in create.h: 0 or a negative errno, said through sc_err()
 * first; "not spliceable" verdicts go to ctx.reasons.
 */
#ifndef SPLICE_CREATE_RUN_H
#define SPLICE_CREATE_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "create.h"

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
	char *child_tmpdir;	/* workdir/tmp: TMPDIR of the tools run */
	char *patch_copy;		/* staging/patch */
	struct sc_farm farm;
	bool farm_made;
	bool needs_prep;		/* the tree is prepared apart (prep.c) */
	struct sc_prep prep;		/* that prepared state, in use */
	struct sc_manifest manifest;
	bool scanned;			/* c->units are the scan's (thread or not) */
	struct scan_job *scan;		/* the #include scan, running, or NULL */
	pthread_t scan_tid;
	bool pre_built;			/* select_units built the pre objects */
	size_t ncode_changes;
	bool nothing_runs;		/* only new/removed functions: no package */
	size_t nhooks;			/* hooks the patched units declare */
	size_t nother;			/* files with no code (ignored) */
	char *package;
	/* header changes (phases.c: analyze_headers, narrow_units) */
	struct sc_header_change *hc;	/* one per changed header */
	size_t nhc;
	struct sc_uses uses;		/* what the scan found by name */
	size_t pp_scanned, pp_differ, pp_used;	/* units preprocessed, ... */
	size_t nchanged_funcs;
};

/* ---------------------------------------------------------- defaults.c */

/* The compiler flags every object splice compares is built with. */
#define SC_KCFLAGS "-ffunction-sections -fdata-sections"

/*
 * What the options left open, and every check of the inputs that can be
 * made before the first compile: the source tree (*@srcdir_buf, freed by
 * the caller; splice-vm's when -s is not given), the target kernel
 * (target.c: release, build directory, configuration, splice-core), the
 * kbuild arguments, whether the tree can be built in as it is or is
 * prepared apart (c->needs_prep), and that the patch applies.
 */
int resolve_defaults(struct ctx *c, char **srcdir_buf);
/* 8 random characters of [a-z0-9], NUL-terminated: the default --id. */
int random_id(char id[9]);

/* ------------------------------------------------------------ phases.c */

/* The pipeline main.c's run() calls, in this order. */
int read_patch(struct ctx *c);
int prepare_tree(struct ctx *c);
int select_units(struct ctx *c);
int build_pre(struct ctx *c);
int apply_patch(struct ctx *c);
int build_post(struct ctx *c);
int diff_units(struct ctx *c);
int write_package(struct ctx *c);
/* Wait for the #include scan, if one runs: its units become c->units. */
int finish_scan(struct ctx *c);

/* ------------------------------------------------------------- files.c */

/* The whole file, NUL-terminated (*@len without the NUL); no message. */
int read_whole(const char *path, char **buf, size_t *len);
/* Create or truncate @path with @buf; no message. */
int write_whole(const char *path, const char *buf, size_t len);
/* `cp -p @from @to`, making @to's directories first; says what failed. */
int copy_into(const struct sc_opts *opts, const char *from, const char *to);

/* ------------------------------------------------------------- hooks.c */

struct om_object;
/*
 * The hooks @post (a unit's post object) declares with <splice/patch.h>,
 * added to @hooks as "STAGE:FUNCTION"; a malformed record is a reason.
 */
int sc_unit_hooks(const char *unit, const struct om_object *post, struct sc_strv *hooks,
		  struct sc_reasons *reasons);

#endif /* SPLICE_CREATE_RUN_H */
