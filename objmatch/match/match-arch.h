/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match-arch.h: what the matcher needs to know about the architecture.
 * Implemented for x86-64 in match-x86_64.c; freestanding like match.c.
 */
#ifndef OBJMATCH_MATCH_ARCH_H
#define OBJMATCH_MATCH_ARCH_H

#include "match/match.h"

struct om_march_reloc {
	u32 width;	/* bytes at the site */
	int pcrel;	/* value is S + A - P */
	int sign;	/* value is sign-extended */
};

/* 0, or -EINVAL for a relocation type the matcher does not handle. */
int om_march_reloc_info(u32 type, struct om_march_reloc *info);

/*
 * S + A as encoded in the running bytes at a site at address site.
 * bytes holds info->width bytes.
 */
u64 om_march_reloc_value(const struct om_march_reloc *info, const u8 *bytes, u64 site);

/* What a call/jmp at a relocation to a symbol of this name is. */
enum om_march_callsite {
	OM_CALL_PLAIN,		/* nothing special */
	OM_CALL_FENTRY,		/* ftrace site: NOP or call */
	OM_CALL_RETURN_THUNK,	/* jmp __x86_return_thunk: may be ret; int3 */
	OM_CALL_RETPOLINE,	/* call/jmp __x86_indirect_thunk_<reg> */
	OM_CALL_STATIC_CALL,	/* call/jmp __SCT__<name>: retargeted at run time */
};

enum om_march_callsite om_march_callsite(const char *target, int *reg);

/*
 * Is the running code at a 5-byte call/jmp site (opcode op: 0xe8 call,
 * 0xe9 jmp) an accepted rewrite of it?  1 yes, 0 no (then it must be the
 * call/jmp itself, compared normally).
 */
int om_march_callsite_rewritten(enum om_march_callsite kind, int reg, u8 op,
			       const u8 *run, u32 len);

/* Is bytes[0..len) the kernel's NOP of that length? */
int om_march_is_nop(const u8 *bytes, u32 len);

/* Is run[0..len) a jump from addr to target (len 2: eb, len 5: e9)? */
int om_march_is_jump_to(const u8 *run, u32 len, u64 addr, u64 target);

/*
 * At a function's entry: is one of pre[0..4) and run[0..4) endbr64 and the
 * other the 4-byte NOP objtool's sealing puts in its place (a function
 * never called indirectly; the kernel seals vmlinux at boot, the module
 * loader a module's copy)?  Returns the bytes accepted (4), or 0.  len is
 * how many bytes both hold from the entry.
 */
u32 om_march_entry_sealed(const u8 *pre, const u8 *run, u32 len);

/* Is b the byte the kernel may put in place of a LOCK prefix (0xf0)? */
int om_march_is_lock_alt(u8 pre, u8 run);

#endif /* OBJMATCH_MATCH_ARCH_H */
