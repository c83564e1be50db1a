/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splice-create: from a unified diff to an update package.  This header is
 * the interface of the component's library, libcreate.a: between its files,
 * and to the program and the unit tests.  The program's own files (main.c,
 * defaults.c, phases.c, files.c) share run.h.
 *
 * Errors: functions return 0 or a negative errno and say what went wrong
 * through sc_err() before returning; only main() turns results into exit
 * statuses.  A "not spliceable" verdict is not an error: it is collected as
 * a reason (struct sc_reasons) and main() fails once with the count.
 */
#ifndef SPLICE_CREATE_H
#define SPLICE_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Exit statuses (kpatch's create-diff-object taxonomy). */
enum {
	SC_EXIT_OK = 0,
	SC_EXIT_FAILURE = 1,
	SC_EXIT_UNSPLICEABLE = 2,
	SC_EXIT_NO_CHANGE = 3,
};

/* ------------------------------------------------------------ report.c */

enum sc_verbosity { SC_QUIET = 0, SC_NORMAL = 1, SC_VERBOSE = 2 };

struct sc_log {
	enum sc_verbosity verbosity;
	struct timespec start;		/* progress lines show time since */
};

void sc_log_init(struct sc_log *log, enum sc_verbosity verbosity);
/* "splice-create: error: ..." on stderr, always.  The one error reporter. */
void sc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "splice-create: warning: ..." on stderr unless quiet. */
void sc_warn(const struct sc_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "[  3.1s] building 1 pre unit" on stdout unless quiet. */
void sc_progress(const struct sc_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Commands and details, only with -v. */
void sc_verbose(const struct sc_log *log, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reasons an update can't be made ("not spliceable"), printed by main(). */
struct sc_reasons {
	char **v;
	size_t n;
};
int sc_reason_add(struct sc_reasons *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sc_reasons_free(struct sc_reasons *r);

/* ------------------------------------------------------------- patch.c */

enum sc_file_status {
	SC_FILE_MODIFIED,
	SC_FILE_NEW,
	SC_FILE_DELETED,
	SC_FILE_RENAMED,	/* may also be modified */
};

struct sc_patch_file {
	char *old_path;		/* tree-relative (after -p1); NULL for new files */
	char *new_path;		/* tree-relative; NULL for deleted files */
	enum sc_file_status status;
	size_t nhunks;
	size_t added, removed;	/* line counts */
	/*
	 * Every added or removed line is blank or a '#' comment (Makefile,
	 * Kconfig and shell syntax): a build file whose change can't alter
	 * the build.
	 */
	bool hash_comments_only;
	bool binary;		/* "Binary files ... differ" / GIT binary patch */
	unsigned int line;	/* line of the patch where the file starts */
};

struct sc_patch {
	struct sc_patch_file *files;
	size_t nfiles;
};

/*
 * Parse a unified diff (plain `diff -u`/`diff -urN` or git style) from
 * memory.  Paths are given with their first component stripped, as
 * `patch -p1` applies them.  On error, -EINVAL and a message naming
 * @name and the line ("PATCH:12: hunk header ...").
 */
int sc_patch_parse(const char *name, const char *buf, size_t len,
		   struct sc_patch *out);
void sc_patch_free(struct sc_patch *patch);
/* The path a file has after the patch (new_path, else old_path). */
const char *sc_patch_file_path(const struct sc_patch_file *f);

/* ------------------------------------------------------------ layout.c */

/*
 * Every changed line of @patch (a unified diff, -p1) inside a struct or
 * union definition of a C file or header of @tree -- the layout of objects
 * the running kernel has -- as a reason naming the structure and what to
 * use instead (shadow data).  Read from the source, before anything is
 * built.  0 or a negative errno (reading a file of the tree).
 */
int sc_check_layouts(const char *tree, const char *patch, size_t len,
		     struct sc_reasons *reasons);

/* ------------------------------------------------------------- units.c */

/* What a changed file is, for unit selection. */
enum sc_file_kind {
	SC_KIND_CODE,		/* .c, .S: compiled, and maybe #included */
	SC_KIND_HEADER,		/* .h, .inc, ...: only reached through #include */
	SC_KIND_BUILD,		/* Makefile, Kbuild, Kconfig: changes the build */
	SC_KIND_OTHER,		/* Documentation, scripts, tools, ...: no code */
};
enum sc_file_kind sc_file_kind(const char *path);

struct sc_strv {
	char **v;
	size_t n;
};
int sc_strv_add(struct sc_strv *s, const char *str);
bool sc_strv_has(const struct sc_strv *s, const char *str);
/* sc_strv_has of a sorted set (sc_strv_sort), by binary search. */
bool sc_strv_has_sorted(const struct sc_strv *s, const char *str);
void sc_strv_sort(struct sc_strv *s);
void sc_strv_free(struct sc_strv *s);

/*
 * Candidate units for @changed (tree-relative source paths): every .c/.S
 * among them, and every .c/.S of @tree that #includes one of them, directly
 * or through other files.  Conservative: an #include that could name the
 * file is taken to name it (the build's dependency files decide later).
 * Adds "dir/foo.o" to @units (sorted, unique).
 */
int sc_units_scan(const char *tree, const struct sc_strv *changed,
		  struct sc_strv *units);
/* Set: a running sc_units_scan stops soon with -EINTR (its result unwanted). */
extern volatile int sc_units_cancel;
/*
 * The units of the .c/.S files among @changed themselves (where
 * sc_units_scan starts; no tree needed): added to @units, sorted, unique.
 */
int sc_units_direct(const struct sc_strv *changed, struct sc_strv *units);

struct sc_opts;
/*
 * Drop from @units every object kbuild would not build for the tree's
 * configuration (its directory not reached, or not in obj-y/obj-m/lib-y
 * there), naming each dropped unit at -v.  Runs make in @tree.
 */
int sc_units_configured(const struct sc_opts *opts, const char *tree,
			struct sc_strv *units);
/*
 * Keep only units whose kbuild dependency file (dir/.foo.o.cmd, written by
 * the pre build) names one of @changed; the exact answer to "does this
 * unit read that header".
 */
int sc_units_filter_deps(const struct sc_opts *opts, const char *tree,
			 const struct sc_strv *changed, struct sc_strv *units);

/* ------------------------------------------------------------- items.c */

/* A set of names (identifiers), and their list in the order added. */
struct sc_names {
	char **keys;
	size_t size, n;
	size_t minlen, maxlen;
	struct sc_strv list;
};
/* 1 if added, 0 if it was there, -ENOMEM. */
int sc_names_add(struct sc_names *s, const char *name, size_t len);
bool sc_names_has(const struct sc_names *s, const char *name, size_t len);
/* Does @text hold one of the names as an identifier (comments count too)? */
bool sc_names_mentioned(const struct sc_names *s, const char *text, size_t len);
void sc_names_free(struct sc_names *s);

enum sc_tok_kind { SC_TOK_IDENT, SC_TOK_NUMBER, SC_TOK_STRING, SC_TOK_PUNCT };

struct sc_tok {
	uint32_t off, len;
	uint8_t kind;		/* enum sc_tok_kind */
	bool bol;		/* first on its line */
};

enum sc_item_kind {
	SC_ITEM_DECL,		/* up to a ';': a type, prototype, variable, ... */
	SC_ITEM_FUNC,		/* a function definition */
	SC_ITEM_DEFINE,		/* #define */
	SC_ITEM_UNDEF,
	SC_ITEM_COND,		/* #if, #ifdef, #ifndef, #elif, #else, #endif */
	SC_ITEM_INCLUDE,
	SC_ITEM_LINE,		/* -E's line marker: # 12 "file" */
	SC_ITEM_OTHER,		/* another directive: #pragma, #error, ... */
};

/* A top-level item of C text (items.c says how the text is cut). */
struct sc_item {
	enum sc_item_kind kind;
	uint64_t hash;		/* of its tokens: comments and spacing don't count */
	size_t start, end;	/* byte offsets in the text */
	size_t tok, ntok;	/* its tokens: ix[tok .. tok + ntok) */
	size_t name, nname;	/* the names it defines: names[name .. name + nname) */
	bool emits;		/* code or data of its own: a non-inline function, a variable */
	char aggregate;		/* a definition of a struct ('s') or union ('u'), or 0 */
	bool macro_call;	/* a top-level macro invocation: TRACE_EVENT(...); */
	int cond;		/* SC_ITEM_COND: 1 opens (#if...), 0 #elif/#else, -1 #endif */
};

struct sc_items {
	const char *text;	/* not owned */
	size_t len;
	struct sc_tok *toks;
	size_t ntoks, tokcap;
	struct sc_item *v;
	size_t n, cap;
	size_t *ix;		/* token indexes of the items, item after item */
	size_t nix, ixcap;
	size_t *names;		/* token indexes of defined names */
	size_t nnames, namecap;
	bool preprocessed;	/* gcc -E output: no macros left */
};

/* Cut @text (a source file, or -E output if @preprocessed) into items. */
int sc_items_parse(const char *text, size_t len, bool preprocessed, struct sc_items *it);
void sc_items_free(struct sc_items *it);
/* The @k-th name @item defines. */
const char *sc_item_name(const struct sc_items *it, const struct sc_item *item, size_t k,
			 size_t *len);
/* Does @item have one of @names among its identifiers? */
bool sc_item_mentions(const struct sc_items *it, const struct sc_item *item,
		      const struct sc_names *names);
/* Add the names @item defines to @names: how many were new, or -ENOMEM. */
int sc_item_add_names(const struct sc_items *it, const struct sc_item *item,
		      struct sc_names *names);

/* ----------------------------------------------------------- headers.c */

/* What a patch changed in one header, definition by definition. */
struct sc_header_change {
	char *path;		/* tree-relative */
	char *pre, *post;	/* its text before and after (NULL: no such file) */
	size_t pre_len, post_len;
	struct sc_items pre_items, post_items;
	bool *pre_changed, *post_changed;	/* per item: changed by the patch */
	struct sc_names names;	/* what the changed definitions define */
	struct sc_strv types;	/* "struct x"/"union y" whose definition changed */
	char *unknown;		/* why the change can't be told by names, or NULL */
};

/*
 * Compare the header's two texts item by item: the changed items (a
 * changed #if condition changes every item it encloses), the names they
 * define and the struct/union types among them.  Takes @pre and @post
 * (malloc'ed or NULL).
 */
int sc_header_diff(const char *path, char *pre, size_t pre_len, char *post, size_t post_len,
		   struct sc_header_change *hc);
void sc_header_change_free(struct sc_header_change *hc);

/* A unit's preprocessed text before the patch, summed up item by item. */
struct sc_pp_summary {
	uint64_t *hash;
	bool *emits;
	size_t n;
};
int sc_pp_summarize(const char *text, size_t len, struct sc_pp_summary *s);
void sc_pp_summary_free(struct sc_pp_summary *s);

/* What a unit's preprocessed text after the patch says, against before. */
struct sc_pp_verdict {
	bool differs;		/* the texts differ (line markers aside) */
	bool uses;		/* code or data it emits uses a changed definition */
	struct sc_strv types;	/* of the changed types, those that code it emits uses */
	/* (as given: "struct x"; a typedef'd one is "struct foo_t", its name) */
};
/*
 * @pre: the summary before; @post: the text after; @types: the changed
 * struct/union types (sc_header_change).  A changed item is used if an
 * emitting item mentions it, directly or through other items.
 */
int sc_pp_compare(const struct sc_pp_summary *pre, const char *post, size_t post_len,
		  const struct sc_strv *types, struct sc_pp_verdict *v);
void sc_pp_verdict_free(struct sc_pp_verdict *v);

/* ----------------------------------------------------- units.c (uses) */

/* What sc_units_scan_uses found, for the progress lines. */
struct sc_uses {
	struct sc_names names;	/* the changed definitions' names and those reaching them */
	size_t includers;	/* units that read a changed file */
	size_t use_files;	/* files found using one of the names */
	size_t rounds;
	bool gave_up;		/* too many names or rounds: every includer kept */
};

/*
 * Like sc_units_scan, for a patch that changes headers (@hc, @nhc of them,
 * from sc_header_diff; @changed lists every changed path): of the units
 * that read a changed file, only those that read a file using a changed
 * definition -- by name, through the items of other headers (units.c).  A
 * header whose change can't be told by names (hc->unknown) counts as used
 * by every unit that reads it.  Names built by pasting tokens (a##b) are
 * not seen: docs/header-changes.md.
 */
int sc_units_scan_uses(const char *tree, const struct sc_strv *changed,
		       struct sc_header_change *hc, size_t nhc, struct sc_strv *units,
		       struct sc_uses *st);

/* -------------------------------------------------------------- tree.c */

struct sc_farm {
	char *tree;		/* the user's tree (never written) */
	char *path;		/* the build copy */
	struct timespec stamp;	/* the tree's clock when the copy was begun */
	char *upper, *work;	/* an overlay's upper and work dirs, or NULL */
	bool mounted;		/* @path is an overlay mount (tree.c) */
};

/*
 * Give this process a mount namespace of its own, so that the build copy
 * can be an overlay mount no one else sees (and that ends with us).  Call
 * it while single-threaded; failing (no privilege) only means a link farm.
 */
int sc_farm_isolate(const struct sc_opts *opts);
/*
 * Make @farm_path a build copy of @tree: an overlay mount when isolated
 * (not with opts->keep, nor with SPLICE_CREATE_FARM=links in the
 * environment), else a farm of hard links for sources and real copies for
 * every file preparation produced (newer than the top Makefile), since
 * kbuild rewrites some of those in place.  The upper/work dirs of an
 * overlay are @farm_path.upper and @farm_path.work.  @layer, if not NULL,
 * is the tree's prepared state (prep.c), laid over the tree: the upper of
 * the overlay's two lower layers, or copied over the link farm.
 */
int sc_farm_create(const struct sc_opts *opts, const char *tree, const char *layer,
		   const char *farm_path, struct sc_farm *farm);
/* Give @rel its own inode in the farm, so writing it can't reach @tree. */
int sc_farm_own(const struct sc_farm *farm, const char *rel);
/* -EEXIST (and names the files) if anything in @tree changed since create. */
int sc_farm_check(const struct sc_farm *farm);
/* Unmount an overlay farm (before removing its directory); 0 if none. */
int sc_farm_unmount(struct sc_farm *farm);
/* Remove a directory tree (rm -rf, not across mounts); 0 if it doesn't exist. */
int sc_remove_tree(const char *path);
void sc_farm_free(struct sc_farm *farm);

/* ------------------------------------------------------------- build.c */

/*
 * Set by the SIGINT/SIGTERM handler; long phases and the command runner
 * check it and return -EINTR.  (The one global: a signal handler can't be
 * handed a struct.)
 */
extern volatile int sc_interrupted;

/*
 * Like sc_run_capture, and *@exit_status is the command's exit status (or
 * 128 + signal) whenever it ran; no message on a non-zero status.
 */
int sc_run_status(const struct sc_opts *opts, const char *dir,
		  char *const argv[], char **out, int *exit_status);
/* Run argv (NULL-terminated) in @dir; -ECHILD if it fails (message said). */
int sc_run(const struct sc_opts *opts, const char *dir, char *const argv[]);
/* Like sc_run, but capture stdout+stderr into *@out (NUL-terminated). */
int sc_run_capture(const struct sc_opts *opts, const char *dir,
		   char *const argv[], char **out);
/* `make -C tree -s -jN <kbuild args> units...`; errors shown as printed. */
int sc_build_units(const struct sc_opts *opts, const char *tree,
		   const struct sc_strv *units);
/*
 * The post build of @units in the copy @tree of @orig: kbuild recorded the
 * exact command of each unit's pre build in its .cmd file, and that command
 * is all kbuild would run again (same flags: the patch changes no build
 * file), so it is replayed -- no top Makefile to read.  Units for which
 * kbuild would do more (a generated header to remake, recordmcount,
 * preparation not frozen) are built with sc_build_units.
 */
int sc_rebuild_units(const struct sc_opts *opts, const char *tree, const char *orig,
		     const struct sc_strv *units);
/*
 * Apply @patch_file in @tree with patch -p1 (or only check that it applies);
 * patch's own words on failure.
 */
int sc_apply_patch(const struct sc_opts *opts, const char *tree,
		   const char *patch_file, bool dry_run);
/*
 * Make @targets ("dir/unit.i") again by the commands kbuild recorded for
 * them in their .cmd files (sc_build_units made them once): no top
 * Makefile to read.  kbuild itself if a record is missing or preparation
 * is not known done.
 */
int sc_replay_targets(const struct sc_opts *opts, const char *tree, const struct sc_strv *targets);
/* Take @patch_file out of @tree again (patch -R), after sc_apply_patch. */
int sc_reverse_patch(const struct sc_opts *opts, const char *tree, const char *patch_file);

/* ------------------------------------------------------------- sha256.c */

#define SC_SHA256_HEX 65
int sc_sha256_file(const char *path, char hex[SC_SHA256_HEX]);
void sc_sha256_buf(const void *buf, size_t len, char hex[SC_SHA256_HEX]);

/* ---------------------------------------------------------- manifest.c */

struct sc_manifest_unit {
	char *name;			/* "fs/proc/meminfo.o" */
	char *target;			/* module the unit is built into; NULL: vmlinux */
	struct sc_strv changed, added, removed;	/* function names */
	struct sc_strv hooks;		/* "pre_apply:check_users" (<splice/patch.h>) */
};

/* A kernel module of the package (modules/<name>.ko), in load order. */
struct sc_manifest_module {
	char *name;			/* "splice_ab12_pre" */
	char *role;			/* "pre" (run-pre matching) or "new" (new code) */
	char *unit;			/* the unit it was made from */
};

struct sc_manifest_file {
	char *path;			/* in the package: "pre/fs/proc/meminfo.o" */
	char sha256[SC_SHA256_HEX];
};

struct sc_manifest {
	char *id;
	char *kernel_release;
	char *splice_version;
	char patch_sha256[SC_SHA256_HEX];
	struct sc_manifest_unit *units;
	size_t nunits;
	struct sc_manifest_module *modules;
	size_t nmodules;
	struct sc_manifest_file *files;
	size_t nfiles;
};

struct sc_manifest_unit *sc_manifest_add_unit(struct sc_manifest *m,
					      const char *name);
int sc_manifest_add_file(struct sc_manifest *m, const char *path,
			 const char sha256[SC_SHA256_HEX]);
int sc_manifest_add_module(struct sc_manifest *m, const char *name,
			   const char *role, const char *unit);
/* Text form (docs/package-format.md); *@out is malloc'ed. */
int sc_manifest_format(const struct sc_manifest *m, char **out);
/* Parse the text form; errors name the line. */
int sc_manifest_parse(const char *buf, size_t len, struct sc_manifest *out);
void sc_manifest_free(struct sc_manifest *m);

/* An id is lowercase [a-z0-9_], 1 to 32 characters (module-name safe). */
bool sc_id_valid(const char *id);
#define SC_ID_MAX 32

/* ----------------------------------------------------------- modules.c */

struct sc_opts;
/*
 * Make and build the update's kernel modules (pre code and new code) of the
 * unit whose functions changed, into @staging/modules/, and list them in
 * @m (module and file lines; the unit's target).  Several units with
 * changed functions, or new code splice-mknew can't make, are reasons.
 */
int sc_build_modules(const struct sc_opts *opts, struct sc_manifest *m,
		     const char *farm, const char *workdir, const char *staging,
		     struct sc_reasons *reasons);

/* ------------------------------------------------------------ config.c */

/*
 * The CONFIG_ lines of a configuration file that can change code, sorted:
 * without the toolchain's, the build salt and the signing symbols, and
 * with a string set to "" taken as not set (config.c says why).
 */
int sc_config_read(const char *path, struct sc_strv *lines);
/* A line (or symbol prefix) sc_config_read leaves out. */
bool sc_config_no_code(const char *line);
/* How many symbols differ; *@first (if @first) the first one's name, malloc'ed. */
size_t sc_config_compare(const struct sc_strv *a, const struct sc_strv *b, char **first);
/* sc_config_compare of two files; errors (unreadable, empty) said. */
int sc_config_files_compare(const char *a, const char *b, size_t *ndiff, char **first);

/* ------------------------------------------------------------ target.c */

/* The kernel the update is for (target.c says how each is found). */
struct sc_target {
	char *release;		/* "6.1.0-55-amd64" */
	char *kernel_build;	/* its build directory (headers) */
	char *config;		/* the configuration to build with */
	char *core;		/* splice-core's splice.h and include/ */
	char *core_symvers;	/* splice-core's Module.symvers, built for release */
	const char *how;	/* how the release was found, for -v */
};

struct sc_opts;
/*
 * Decide the target for @tree from the options, the installed headers and
 * uname -r, and check that they and the tree agree (kernel version, -c
 * against the headers' .config, the compiler: a warning).  Fails with a
 * message that says what to install or pass.
 */
int sc_target_resolve(const struct sc_opts *opts, const char *tree, struct sc_target *t);

/* ------------------------------------------------------------ coredir.c */

/* Where splice-core's files may be (coredir.c says which is taken). */
struct sc_core_where {
	const char *given;	 /* --core or $SPLICE_CORE_DIR: taken as it is */
	const char *dir;	 /* the build tree's splice-core, else $(pkglibdir)/core */
	const char *dir_release; /* the kernel dir's Module.symvers is for; NULL: not known */
	const char *dkms_tree;	 /* /var/lib/dkms */
	const char *version;	 /* splice's version, DKMS's for splice-core */
};

/*
 * splice-core's interface directory (@core) and a Module.symvers built for
 * @release (@symvers): a given directory as it is; else @w->dir with its
 * own Module.symvers when that is built for @release, else with DKMS's
 * for @release.  Fails (-ENOENT) with a message that says what to do.
 */
int sc_core_pick(const struct sc_core_where *w, const char *release, char **core, char **symvers);
void sc_target_free(struct sc_target *t);
/* UTS_RELEASE of a prepared tree or build directory (malloc'ed), or NULL. */
char *sc_uts_release(const char *dir);
/* The directory of splice-create's own executable (malloc'ed), or NULL. */
char *sc_exe_dir(void);
/* A source tree's kernel version from its Makefile ("6.1.192"), or NULL. */
char *sc_tree_version(const char *tree);

/* -------------------------------------------------------------- prep.c */

/* A tree's prepared state for the target, in splice-create's cache. */
struct sc_prep {
	char *dir;		/* the cache entry */
	char *layer;		/* its files, laid over the tree (sc_farm_create) */
	int lock_fd;		/* held (shared) while the layer is in use */
	bool built;		/* this run made it */
};
/*
 * The prepared state of @tree for opts->target and opts->kbuild_args: from
 * the cache, else made now (configure and `make prepare` in a scratch copy
 * under @workdir, on the tree's file system) and kept.  Release it with
 * sc_prep_release once no build uses it.
 */
int sc_prep_get(const struct sc_opts *opts, const char *tree, const char *workdir,
		struct sc_prep *p);
void sc_prep_release(struct sc_prep *p);
/* Where prepared states are kept (prep.c), malloc'ed; NULL if nowhere. */
char *sc_prep_cache_dir(const struct sc_opts *opts);

/* ------------------------------------------------------------ options */

struct sc_opts {
	const char *srcdir;		/* the kernel source tree (never written) */
	const char *config;		/* NULL: the tree's own .config */
	const char *outdir;
	const char *id;
	const char *patch;
	const char *splice_vm;		/* the harness script (its tree, without -s) */
	const char *kernel_build;	/* --kernel-build: target headers, or NULL */
	const char *core_dir;		/* --core: splice.h + Module.symvers, or NULL */
	const char *cache_dir;		/* --cache: prepared trees, or NULL (prep.c) */
	const char *child_tmpdir;	/* TMPDIR of every tool run: in the scratch dir */
	struct sc_target target;	/* resolved from the above (target.c) */
	unsigned int jobs;
	bool keep;
	bool prepared;			/* the tree's `prepare` is known done: skip it */
	struct sc_strv kbuild_args;	/* KERNELRELEASE=..., KCFLAGS=... */
	struct sc_log log;
};

#endif /* SPLICE_CREATE_H */
