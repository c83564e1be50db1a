/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The object-code model: one relocatable x86-64 ELF object, as plain C data.
 *
 * Nothing here depends on libbfd or on the C library beyond fixed-width
 * integers, because the run-pre matcher (a later part of objmatch, compiled
 * into both user space and the kernel module) consumes these structures as
 * they are.  Only read.c knows where they came from.
 *
 * Ownership: an om_object owns every section, symbol, relocation, name and
 * byte reachable from it; om_object_free() releases all of it.
 */
#ifndef SPLICE_OBJMATCH_OBJECT_H
#define SPLICE_OBJMATCH_OBJECT_H

#include <stddef.h>
#include <stdint.h>

struct om_section;
struct om_symbol;

enum om_sym_type {
	OM_SYM_NOTYPE,
	OM_SYM_FUNC,
	OM_SYM_OBJECT,
	OM_SYM_SECTION,
	OM_SYM_FILE,
};

enum om_sym_bind {
	OM_BIND_LOCAL,
	OM_BIND_GLOBAL,
	OM_BIND_WEAK,
};

/* Section flags (a small, stable subset of what ELF says). */
#define OM_SEC_ALLOC	0x01u	/* occupies memory at run time */
#define OM_SEC_CODE	0x02u	/* executable */
#define OM_SEC_WRITE	0x04u	/* writable */
#define OM_SEC_MERGE	0x08u	/* SHF_MERGE: entsize-sized items may be merged */
#define OM_SEC_STRINGS	0x10u	/* SHF_STRINGS: NUL-terminated strings */
#define OM_SEC_NOBITS	0x20u	/* no contents in the file (.bss) */
#define OM_SEC_DEBUG	0x40u	/* debugging information */

/*
 * One relocation.  x86-64 uses RELA: the field at @offset holds zero in the
 * object and the addend lives here.  @sym is NULL for relocations against no
 * symbol (ELF symbol index 0); relocations against a section point at that
 * section's section symbol.
 */
struct om_reloc {
	uint64_t offset;		/* in the section the reloc applies to */
	uint32_t type;			/* R_X86_64_* (see arch.h) */
	struct om_symbol *sym;
	int64_t addend;
};

struct om_symbol {
	const char *name;		/* "" for unnamed; section symbols: section name */
	struct om_section *sec;		/* NULL: undefined (or absolute) */
	uint64_t value;			/* offset in @sec */
	uint64_t size;
	enum om_sym_type type;
	enum om_sym_bind bind;
	uint32_t index;			/* position in om_object.syms */
};

struct om_section {
	const char *name;
	uint32_t index;			/* position in om_object.secs */
	uint32_t flags;			/* OM_SEC_* */
	uint64_t size;
	uint64_t align;
	uint64_t entsize;		/* ELF sh_entsize (merge sections) */
	const unsigned char *data;	/* @size bytes; NULL for OM_SEC_NOBITS
					 * and OM_SEC_DEBUG (not loaded) */
	struct om_reloc *relocs;	/* sorted by offset */
	size_t nrelocs;
	struct om_symbol *secsym;	/* this section's section symbol */
	/*
	 * The section's defined symbols other than its section symbol,
	 * sorted by value then by size (largest first), for lookups by
	 * address (om_symbol_at()).
	 */
	struct om_symbol **syms;
	size_t nsyms;
};

struct om_index;			/* lookup tables (object.c) */

struct om_object {
	const char *name;		/* file name, used in diagnostics */
	struct om_section *secs;
	size_t nsecs;
	struct om_symbol *syms;		/* in symbol-table order, then synthesised section symbols */
	size_t nsyms;
	struct om_index *index;
};

#endif /* SPLICE_OBJMATCH_OBJECT_H */
