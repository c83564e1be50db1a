/* SPDX-License-Identifier: GPL-2.0 */
/*
 * newmod-internal.h: what the parts of splice-mknew's rewrite share
 * (newmod.c: the state and the pipeline; newmod-symvers.c, newmod-tables.c,
 * newmod-dyndbg.c, newmod-reloc.c, newmod-emit.c).  Not an interface.
 */
#ifndef OBJMATCH_NEWMOD_INTERNAL_H
#define OBJMATCH_NEWMOD_INTERNAL_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obj/objmatch.h"
#include "mod/elfraw.h"
#include "mod/newmod.h"

/* An open-addressing hash set of strings (copies), sized once. */
struct strset {
	char **slot;
	size_t cap, n;
};

/* a table of the loader's: its entries, and where an entry names its code */
struct table {
	const char *name;
	unsigned int entsize, site;
	const char *pair;
	unsigned int pair_entsize;
};

/* struct jump_entry (x86-64, 6.1): s32 code, s32 target, long key */
#define JUMP_ENTRY_SIZE	16
#define JUMP_ENTRY_KEY	8

/*
 * struct _ddebug (include/linux/dynamic_debug.h, 6.1, x86-64 with
 * CONFIG_JUMP_LABEL): modname, function, filename, format, the
 * lineno/class_id/flags word, and the call site's static key at +40; 56
 * bytes, aligned to 8.  The module loader takes __dyndbg as an array of
 * them (section_objs(), kernel/module/main.c).
 */
#define DDEBUG_SECTION	"__dyndbg"
#define DDEBUG_SIZE	56

/* a post symbol and its pre twin's other name (newmod-twins.c) */
struct twin {
	char *post, *pre;
};

struct nm {
	const struct om_newmod_opts *o;
	const struct om_options *opts;
	struct om_elf e;
	struct strset exported, pre_secs, provided;
	/* post sections holding data objects with / without a pre twin */
	struct strset twin_secs, new_secs;
	struct strset new_objs;	/* post names of writable objects without a twin */
	/*
	 * read-only sections holding a named object the running kernel has
	 * unchanged (ro_twin_secs) / holding anything else named (ro_own_secs):
	 * newmod-tables.c, wanted()
	 */
	struct strset ro_twin_secs, ro_own_secs;
	struct twin *twins;	/* renamed twins, sorted by post name */
	size_t ntwins;
	bool *keep;		/* per section */
	/*
	 * Kept sections several functions share (__sched's .sched.text):
	 * the chosen functions' ranges [start, end); the rest of the
	 * section is ballast (newmod-tables.c, keep_section_of()).
	 */
	bool *shared;		/* per section */
	struct own { size_t sec; uint64_t start, end; } *own;
	size_t nown;
	size_t *rela;		/* per section: its RELA section, or 0 */
	bool *has_func;		/* per section: defines a FUNC symbol */
	size_t *secsym;		/* per section: a symbol for it (0: none) */
	size_t *byaddr;		/* defined FUNC/OBJECT symbols by (section, value) */
	size_t nbyaddr;
	size_t *funcsym;	/* per changed function: its symbol */
	/* struct alt_instr's size and where replacementlen is (6.1: 12, 11; 6.12: 14, 13) */
	unsigned int alt_entsize, alt_replen_off;
	/* ranges of .altinstr_replacement used by kept entries */
	uint64_t (*repl)[2];
	size_t nrepl;
	size_t replsec;
	/* records */
	struct om_newrel *recs;
	size_t *recsec;
	size_t nrecs, caprecs;
	char *strs;
	size_t strslen, strscap;
	bool *used;		/* per symbol: a kept relocation leaves it to the loader */
	size_t nearly;		/* records flagged EARLY (jump-label keys) */
	size_t nvalue;		/* records flagged VALUE (runtime constants) */
	/* __dyndbg: the pr_debug() descriptors kept code uses */
	size_t dd;		/* its section, or 0 */
	size_t ndd;		/* descriptors in it */
	bool *dd_keep;		/* per descriptor */
	size_t hooks;		/* .splice.hooks (<splice/patch.h>), kept; or 0 */
	int findings;
};

/* newmod.c */
extern const struct om_elf *nm_sort_elf;	/* for nm_cmp_byaddr() */
int nm_cmp_byaddr(const void *a, const void *b);
size_t nm_sym_at(const struct nm *n, size_t s, int64_t off);
void nm_finding(struct nm *n, size_t s, uint64_t off, const char *what, const char *sym);
bool nm_is_jump_key(const struct nm *n, size_t s, uint64_t off);
int64_t nm_target_offset(const struct nm *n, size_t site_sec, const Elf64_Rela *r);
bool nm_ballast(const struct nm *n, size_t s, uint64_t off);

/* newmod-symvers.c */
bool nm_strset_has(const struct strset *s, const char *name);
int nm_strset_add(struct strset *s, const char *name);
void nm_strset_free(struct strset *s);
int nm_read_symvers(const char *path, struct strset *out, const struct om_options *opts);

/* newmod-tables.c */
extern const struct table nm_tables[11];	/* ARRAY_SIZE() works on it */
int nm_keep_func(struct nm *n, const char *name, size_t *sym);
size_t nm_section_named(const struct om_elf *e, const char *name);
int nm_close_keep(struct nm *n);
int nm_filter_table(struct nm *n, const struct table *t);
int nm_alt_layout(struct nm *n);
int nm_note_replacements(struct nm *n);
bool nm_in_replacement(const struct nm *n, size_t s, uint64_t off);

/* newmod-twins.c */
int nm_read_twins(struct nm *n);
const char *nm_pre_name(const struct nm *n, const char *post);
void nm_free_twins(struct nm *n);

/* newmod-dyndbg.c */
size_t nm_dd_entry(const struct nm *n, size_t s, const Elf64_Rela *r);
int nm_filter_dyndbg(struct nm *n);
int nm_find_dyndbg(struct nm *n);

/* newmod-reloc.c */
int nm_add_string(struct nm *n, const char *s, uint32_t *off);
int nm_runtime_consts(struct nm *n);
int nm_relocate(struct nm *n);
void nm_hide_and_weaken(struct nm *n);

/* newmod-emit.c */
int nm_emit(struct nm *n);

#endif
