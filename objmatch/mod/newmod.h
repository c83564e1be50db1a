/* SPDX-License-Identifier: GPL-2.0 */
/*
 * newmod.h: make a post object the loadable new code of an update
 * (newmod.c), the way Ksplice did: relocations the kernel's module loader
 * can't or mustn't resolve become canaries plus records that splice-core
 * applies once run-pre matching has learned the addresses
 * (docs/new-code.md).
 */
#ifndef OBJMATCH_NEWMOD_H
#define OBJMATCH_NEWMOD_H

#include <stdint.h>

#include "obj/objmatch.h"

/*
 * The record table, as splice-core reads it (splice-core/splice.h,
 * struct splice_relocs; docs/package-format.md, "New-code relocation
 * records").  Little-endian; the table is one allocated section of the new
 * module, "splice_new_relocs" its symbol.
 */
#define OM_NEWREL_MAGIC		0x4c525053u	/* "SPRL" */
#define OM_NEWREL_VERSION	2
#define OM_NEWREL_NONE		0xffffffffu

/* how a record's symbol is found (flags) */
#define OM_NEWREL_LOCAL		0x1	/* a symbol the unit defines (a static, or
					 * a function or datum the update keeps) */
#define OM_NEWREL_EARLY		0x2	/* written when the module loads, before
					 * the kernel's jump-label notifier reads
					 * it: the key of a __jump_table entry */
#define OM_NEWREL_VALUE		0x4	/* the field gets the value stored at the
					 * symbol (its width of bytes), not an
					 * address: a runtime constant's
					 * immediate (6.11+), type R_X86_64_64
					 * (pointer) or R_X86_64_8 (shift) */
/* a table with VALUE records: a splice-core that can't write them refuses it */
#define OM_NEWREL_VERSION_VALUE	3

/*
 * A unit with EARLY records references this symbol, which splice-core
 * exports: a splice-core that can't write them (and the key would be
 * read as 0x7777...) refuses the module with "Unknown symbol".
 */
#define OM_NEWREL_EARLY_SYMBOL	"splice_early_relocs"

/*
 * The hook records of <splice/patch.h> (32 bytes each): kept with the
 * functions they name; the rewrite adds the global symbol
 * splice_new_hooks (with the unit's suffix) at their start, its size the
 * section's.
 */
#define OM_NEWMOD_HOOKS		".splice.hooks"
#define OM_NEWMOD_HOOK_SIZE	32

struct om_newrel_hdr {
	uint32_t magic, version;
	uint32_t nrelocs;
	uint32_t strings;	/* offset of the string area from the table */
	uint32_t size;		/* of the whole table */
	uint32_t objname;	/* string offset: the target module, or NONE (vmlinux) */
	uint32_t unit;		/* string offset: the unit (LOCAL symbols), or NONE */
	uint32_t pad;
};

struct om_newrel {
	uint64_t site;		/* filled by the loader: R_X86_64_64 to the field */
	int64_t addend;
	uint32_t type;		/* R_X86_64_PC32, PLT32, 32, 32S, 64, PC64; 8 (VALUE) */
	uint32_t flags;		/* OM_NEWREL_* */
	uint32_t name;		/* string offset: the symbol */
	uint32_t pad;
};

struct om_newmod_opts {
	const char *post;		/* the post object (input) */
	const char *pre;		/* its pre object: which data already exists */
	const char *out;		/* the rewritten object (output) */
	const char *target;		/* the target module, NULL: vmlinux */
	const char *const *changed;	/* functions the update replaces */
	size_t nchanged;
	const char *const *added;	/* new functions, kept but replacing nothing */
	size_t nadded;
	const char *const *symvers;	/* Module.symvers files: what is exported */
	size_t nsymvers;
	/*
	 * When one module carries the new code of several units: the unit's
	 * name (as its pre module registers it; NULL: none), a suffix for the
	 * two appended symbols (NULL: none), and the global symbols the other
	 * units' rewrites keep defined (the link of the module resolves
	 * references to them, like exported ones).
	 */
	const char *unit;
	const char *suffix;
	const char *const *provided;
	size_t nprovided;
};

/*
 * Write the rewritten post object to opts->out: only the chosen functions,
 * the read-only data they use, new data and the loader's tables filtered
 * to them stay allocated; every other relocation target becomes a record.
 * Adds two global symbols: splice_new_funcs (u64 per changed function, in
 * order, filled by the loader with the copy's address) and
 * splice_new_relocs (struct om_newrel_hdr + records + strings), each name
 * followed by nopts->suffix.  Global symbols defined in sections that are
 * not kept become weak undefined references, so that linking several
 * rewritten units into one module never binds one unit's reference to
 * another's hidden copy.
 *
 * 0; -ENOTSUP when the change can't be spliced this way (each reason
 * logged); another negative errno when the tool failed.
 */
int om_newmod_rewrite(const struct om_newmod_opts *nopts, const struct om_options *opts);

/*
 * The global symbols the rewrite of nopts->post keeps defined (its
 * functions, new data), as a malloc'ed array of malloc'ed names: what the
 * other units of one new-code module may reference.  0 or a negative errno.
 */
int om_newmod_kept_globals(const struct om_newmod_opts *nopts, const struct om_options *opts,
			   char ***names, size_t *n);

#endif /* OBJMATCH_NEWMOD_H */
