/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reloc-table.h: the check of a relocation table (struct splice_relocs,
 * splice.h) that splice-mknew wrote into an update module.  Freestanding:
 * compiled into splice-core.ko and, in user space, into a fuzz target
 * (tests/fuzz/fuzz-relocs.c), so the bytes of a module are checked by the
 * same code in both.
 */
#ifndef SPLICE_RELOC_TABLE_H
#define SPLICE_RELOC_TABLE_H

#include "splice.h"

#define R_X86_64_64	1
#define R_X86_64_PC32	2
#define R_X86_64_32	10
#define R_X86_64_32S	11
#define R_X86_64_PC64	24
#define R_X86_64_PLT32	4
#define R_X86_64_8	14

/* Is [addr, addr + 1) memory of the table's owner (its module's core)? */
typedef bool (*splice_within_fn)(const void *owner, unsigned long addr);

/* The width of a record's field: 1 (VALUE only), 4 or 8 bytes, 0 for a type we don't write. */
int splice_reloc_width(u32 type);

/*
 * Is @t a well-formed table: header, records and strings inside the
 * owner's memory, the strings NUL-terminated, every string offset inside
 * them, every record of a type we write and its field inside the owner,
 * VALUE records (R_X86_64_64 or R_X86_64_8, not EARLY) only in a table of
 * version 3?
 * Only then may the table be read.
 */
bool splice_relocs_check(const struct splice_relocs *t, splice_within_fn within,
			 const void *owner);

#endif /* SPLICE_RELOC_TABLE_H */
