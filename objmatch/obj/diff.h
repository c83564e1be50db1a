/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differ's private state, shared by its phases:
 *   special.c    attribute special-section entries and code fragments to
 *                functions
 *   correlate.c  pair pre and post symbols (names, clones, static locals)
 *   compare.c    relocation-aware equality of functions, data and entries
 *   diff.c       the pipeline: mark, propagate, refuse, report
 */
#ifndef SPLICE_OBJMATCH_DIFF_H
#define SPLICE_OBJMATCH_DIFF_H

#include "obj/arch.h"
#include "obj/internal.h"

struct side;

/* A function or data object of one side. */
struct item {
	const struct om_symbol *sym;
	struct item *twin;
	struct side *side;
	enum om_state state;
	bool is_func;
	bool writable;		/* data in a writable section */
	bool init;		/* in an __init section */
	bool static_local;	/* gcc-renamed function-scope static: "name.123" */
	bool carried;		/* writable, but the new code brings its own copy */
	bool not_understood;	/* comparing it met something not understood */
	const struct item *hooked_by;	/* changed data an apply-side hook sets */
	char *why;		/* first difference (CHANGED) */
	struct om_vec entries;	/* struct entry *: special entries it owns */
	struct om_vec refs;	/* struct item *: what its relocations point into */
	struct om_vec users;	/* struct item *: functions referencing it */
	size_t out;		/* index in om_diff.items */
};

/* One entry of a special section. */
struct entry {
	const struct om_section *sec;
	const struct arch_special *sp;
	uint64_t offset;	/* of the entry in @sec */
	uint64_t size;		/* sp->entsize, or less for a short last one */
	size_t index;		/* entry number */
	struct item *owner;	/* NULL: belongs to no function */
};

/* A code fragment: [start, end) of a fragment section, and its user. */
struct fragment {
	uint64_t start, end;
	struct item *owner;
};

struct side {
	const struct om_object *obj;
	struct item *items;
	size_t nitems;
	struct item **by_sym;		/* symbol index -> item */
	/* per section index */
	struct entry **entries;		/* the entries of special sections */
	size_t *nentries;
	struct fragment **frags;	/* fragment sections */
	size_t *nfrags;
	struct om_vec orphans;		/* struct entry *: owned by no function */
};

/* What a relocation points at, normalised so that two sides compare. */
enum target_kind {
	T_NONE,		/* no symbol: the addend is all */
	T_EXTERN,	/* undefined or otherwise named: by name + addend */
	T_ITEM,		/* into a function or object: item + offset */
	T_STRING,	/* into a string-merge section: by content */
	T_FRAG,		/* into a code fragment: by content */
	T_ANON,		/* into an anonymous section: by name, offset, content */
};

struct target {
	enum target_kind kind;
	const struct om_symbol *sym;	/* T_EXTERN */
	struct item *item;		/* T_ITEM */
	const struct om_section *sec;	/* T_STRING, T_FRAG, T_ANON */
	int64_t off;			/* offset in item/section (addend-based) */
	int64_t at;			/* T_STRING: biased: where the string is */
	bool slack;			/* T_STRING: an imm may follow the field */
};

struct differ {
	const struct om_options *opts;
	struct side pre, post;
	/* per pre section index: anon section comparison memo (0 unknown,
	 * 1 equal, 2 differ, 3 in progress) */
	unsigned char *anon_memo;
	struct om_vec findings;		/* struct om_finding * */
	size_t nrefusals;
};

/*
 * Offsets from symbol values and addends, wrapping instead of overflowing
 * (a corrupt object may hold any addend).
 */
static inline int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* special.c */
int special_attribute(struct differ *d, struct side *s);
const struct fragment *fragment_at(const struct side *s,
				   const struct om_section *sec, uint64_t off);
bool section_is_string(const struct om_section *sec);

/* correlate.c */
int correlate(struct differ *d);
bool is_static_local_name(const char *name);

/* compare.c */
int resolve_target(const struct side *s, const struct om_section *sec,
		   const struct om_reloc *r, struct target *t);
/* 1 equal, 0 differ (with *why set, malloc'ed), negative errno */
int compare_items(struct differ *d, struct item *a, struct item *b, char **why);
int compare_entries(struct differ *d, const struct entry *a,
		    const struct entry *b, char **why);
int compare_anon_sections(struct differ *d, const struct om_section *a,
			  const struct om_section *b);

/* diff.c */
int add_refusal(struct differ *d, const struct om_object *obj,
		const struct om_section *sec, const struct om_symbol *sym,
		const char *name, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* SPLICE_OBJMATCH_DIFF_H */
