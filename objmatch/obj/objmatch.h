/* SPDX-License-Identifier: GPL-2.0 */
/*
 * objmatch: the object-code model and the pre/post differ.  This header is
 * the component's whole interface.
 *
 * Errors: functions return 0 or a negative errno (pointers: NULL plus an
 * errno-style code through an out parameter).  Nothing in the library exits
 * or writes to stderr; every diagnostic goes through the log callback in
 * struct om_options, formatted as "file[section]: symbol+0xoff: message".
 */
#ifndef SPLICE_OBJMATCH_H
#define SPLICE_OBJMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obj/object.h"

enum om_log_level {
	OM_LOG_ERROR,		/* the operation fails */
	OM_LOG_WARN,		/* a refusal or something the caller should see */
	OM_LOG_INFO,
	OM_LOG_DEBUG,
};

typedef void (*om_log_fn)(void *ctx, enum om_log_level level, const char *msg);

struct om_options {
	om_log_fn log;		/* NULL: diagnostics are dropped */
	void *log_ctx;
	enum om_log_level log_level;	/* messages above this are not formatted */
};

/* ---------------------------------------------------------------- model */

/* Read a relocatable x86-64 ELF object from a file or from memory. */
int om_object_open(const char *path, const struct om_options *opts,
		   struct om_object **out);
/* @buf is copied; @name is used in diagnostics. */
int om_object_open_mem(const char *name, const void *buf, size_t len,
		       const struct om_options *opts, struct om_object **out);
void om_object_free(struct om_object *obj);

/* Lookups (hash tables and sorted arrays). */
struct om_section *om_section_by_name(const struct om_object *obj,
				      const char *name);
/*
 * The first symbol named @name, defined or undefined (section and file
 * symbols are reached through their sections); om_symbol_next_same() gives
 * the others of that name.
 */
struct om_symbol *om_symbol_by_name(const struct om_object *obj,
				    const char *name);
struct om_symbol *om_symbol_next_same(const struct om_object *obj,
				      const struct om_symbol *sym);
/*
 * The function or object symbol of @sec containing @offset (the smallest
 * such), else a symbol that ends exactly at @offset, else NULL.
 */
struct om_symbol *om_symbol_at(const struct om_section *sec, uint64_t offset);
/* Index of the first relocation of @sec at or after @offset. */
size_t om_reloc_lower_bound(const struct om_section *sec, uint64_t offset);

/* ---------------------------------------------------------------- differ */

enum om_state {
	OM_UNCHANGED,
	OM_CHANGED,
	OM_NEW,
	OM_REMOVED,
};

/* An entry of a special section (__bug_table, .altinstructions, ...). */
struct om_entry {
	const struct om_section *sec;
	uint64_t offset;
	uint64_t size;
};

/* A function or data object and what the differ made of it. */
struct om_item {
	const struct om_symbol *pre;	/* NULL if new */
	const struct om_symbol *post;	/* NULL if removed */
	enum om_state state;
	bool is_func;
	/* why CHANGED (first difference found), for diagnostics */
	char *why;
	/*
	 * The special-section entries that belong to the post function
	 * (empty for data and removed functions): a packager copies these
	 * along with a changed or new function.
	 */
	struct om_entry *entries;
	size_t nentries;
};

enum om_finding_kind {
	OM_F_CHANGED,		/* changed FUNC */
	OM_F_NEW,		/* new FUNC */
	OM_F_REMOVED,		/* removed FUNC */
	OM_F_DATA_CHANGED,	/* data-changed OBJ */
	OM_F_NEW_DATA,		/* new-data OBJ */
	OM_F_NEW_EXPORT,	/* new-export SYMBOL: EXPORT_SYMBOL*() added, not carried */
	OM_F_REFUSE,		/* refuse SYMBOL: reason */
};

struct om_finding {
	enum om_finding_kind kind;
	char *name;		/* symbol (or section) name */
	char *reason;		/* refusals: why */
	char *where;		/* refusals: "file[section]: symbol" */
};

struct om_diff {
	const struct om_object *pre, *post;
	struct om_item *items;		/* every function and data object */
	size_t nitems;
	struct om_finding *findings;	/* sorted: kind, then name */
	size_t nfindings;
	size_t nrefusals;
	size_t ncode_changes;		/* changed + new + removed functions */
};

/*
 * Compare @pre and @post (two builds of one compilation unit).  Refusals are
 * findings, not errors: the return value is negative only if the comparison
 * itself could not be done (-ENOMEM, ...).  Each refusal is also logged at
 * OM_LOG_WARN as "file[section]: symbol: reason".
 */
int om_diff(const struct om_object *pre, const struct om_object *post,
	    const struct om_options *opts, struct om_diff **out);
void om_diff_free(struct om_diff *diff);

/* "changed", "new", ... as printed by splice-objdiff. */
const char *om_finding_kind_name(enum om_finding_kind kind);

#endif /* SPLICE_OBJMATCH_H */
