/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blob.h: the pre code of one compilation unit as the matcher needs it,
 * serialised for the trip from splice-create to splice-core.ko
 * (docs/package-format.md, "pre blob").
 *
 * Layout, little-endian, every offset from the blob's start, every table
 * 8-byte aligned:
 *   struct om_blob_hdr
 *   struct om_blob_sec    [nsections]
 *   struct om_blob_sym    [nsyms]
 *   struct om_mreloc      [nrelocs]   (match.h; grouped by section, sorted)
 *   struct om_msite       [nsites]    (match.h; grouped by section, sorted)
 *   section bytes, then NUL-terminated strings
 *
 * The reader (freestanding, kernel and user space) checks every offset and
 * count against the blob's size before it builds a struct om_munit whose
 * arrays point into the blob.
 */
#ifndef OBJMATCH_BLOB_H
#define OBJMATCH_BLOB_H

#include "match/match.h"

#define OM_BLOB_MAGIC	0x424c5053	/* "SPLB" */
#define OM_BLOB_VERSION	1
#define OM_BLOB_NONE	0xffffffffu

/* Relocation flag: in the pre module, the loader saw a canary here. */
#define OM_RELOC_CANARY	0x100
#define OM_CANARY_BYTE	0x77

struct om_blob_hdr {
	u32 magic;
	u32 version;
	u32 size;		/* of the whole blob */
	u32 name;		/* string offset: the unit's object name */
	u32 nsections, sections;
	u32 nsyms, syms;
	u32 nrelocs, relocs;
	u32 nsites, sites;
};

struct om_blob_sec {
	u32 name;		/* string offset */
	u32 flags;		/* OM_MSEC_* */
	u32 size;
	u32 entsize;
	u32 data;		/* offset of the bytes, or OM_BLOB_NONE */
	u32 reloc_first, nrelocs;
	u32 site_first, nsites;
	u32 pad;
};

struct om_blob_sym {
	u32 name;		/* string offset */
	u32 kind;		/* enum om_msym_kind */
	s32 section;
	u32 pad;
	u64 value;
	u64 size;
};

/*
 * A unit read from a blob.  The arrays are allocated with env->zalloc;
 * relocations, sites and bytes point into the blob, which must outlive it.
 */
struct om_blob_unit {
	struct om_munit unit;
	struct om_msection *secs;
	struct om_msym *syms;
};

/* 0, -EINVAL (malformed: nothing is trusted), -ENOMEM. */
int om_blob_read(const void *blob, u32 size, const struct om_env *env,
		 struct om_blob_unit *out);
void om_blob_unit_free(struct om_blob_unit *bu, const struct om_env *env);

#endif /* OBJMATCH_BLOB_H */
