/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match.h: run-pre matching, the interface.
 *
 * The matcher proves that the pre code of an update (compiled from the
 * running kernel's source) is what the running kernel executes, and learns
 * from the running bytes the address of every symbol the pre code
 * references.  It is freestanding: it uses no libc and no kernel API, only
 * what its caller hands it through struct om_env, so the same file is
 * compiled into libobjmatch (user space) and splice-core.ko.
 *
 * Inputs are plain arrays (struct om_munit): the pre unit's sections with
 * their bytes and relocations, and its symbols.  Running memory is read and
 * candidate addresses are enumerated through callbacks.
 *
 * Rules, with examples:
 *  - Outside relocation sites, bytes must be equal.
 *  - At a relocation, the running value yields the target's address:
 *      call foo   (R_X86_64_PLT32 foo-4 at site P, running rel32 = v)
 *      => foo = P + 4 + v, i.e. target = v + P - addend.
 *    Every reference to the same thing must deduce the same address;
 *    "the same thing" is a key: an external symbol, a section of the unit
 *    (a defined symbol is its section's base plus its value), or one string
 *    of a mergeable string section (merged strings and constants lose their offsets).
 *  - A function section is tried at every candidate address the environment
 *    knows for its symbol's name; exactly one must match.  A section whose
 *    base another match already deduced is tried only there.
 *  - Read-only data (.rodata*) whose address was deduced is compared too,
 *    relocations included: that is how switch jump tables are checked.
 *    Writable data (.data, .bss) only gets its address learned.
 *  - Tolerated differences the kernel makes on purpose: an ftrace site (call
 *    __fentry__) may be a 5-byte NOP or a call; a jump-label site may be a
 *    NOP or a jump to its target; an smp-lock prefix may be LOCK or DS; a
 *    return-thunk jump may be "ret; int3..."; a retpoline thunk call may be
 *    the plain indirect call.  Sites the caller marks OM_RELOC_BYTES_ONLY are
 *    compared as plain bytes; sites marked OM_RELOC_SKIP are not compared at
 *    all (the kernel's loader rewrote the pre module's copy there, so neither
 *    the bytes nor a deduction can be trusted).
 *  - A runtime constant's immediate (6.11+, runtime_const_ptr() and
 *    runtime_const_shift_right_32() in built-in code), which the kernel
 *    wrote once at boot where the object has a placeholder, may hold any
 *    value; the instruction around it is compared.
 *  - A call to a static-call trampoline (__SCT__*) may have been rewritten to
 *    call its current target directly, or to a NOP: accepted, not learned.
 *  - A paravirt site the loader made into "call <pv_ops' function>" in the
 *    pre module's copy (section addr set) must call the same function in
 *    the kernel: the targets are compared, not the rel32 bytes.
 */
#ifndef OBJMATCH_MATCH_H
#define OBJMATCH_MATCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int32_t s32;
typedef int64_t s64;
#endif

enum om_msym_kind {
	OM_MSYM_UNDEF,		/* referenced, defined elsewhere */
	OM_MSYM_FUNC,
	OM_MSYM_OBJECT,
	OM_MSYM_SECTION,
	OM_MSYM_OTHER,		/* NOTYPE labels and the like */
};

struct om_msym {
	const char *name;	/* NUL-terminated; "" for section symbols */
	u32 kind;		/* enum om_msym_kind */
	s32 section;		/* index into om_munit.sections, -1 if undefined */
	u64 value;		/* offset in its section */
	u64 size;
};

/* Relocation flags. */
#define OM_RELOC_BYTES_ONLY	0x1	/* compare bytes, deduce nothing */
#define OM_RELOC_SKIP		0x2	/* neither: the loader rewrote the pre
					 * bytes here (see blob.h, canaries) */

struct om_mreloc {
	u32 offset;		/* site, from the section's start */
	u32 type;		/* ELF R_X86_64_* */
	u32 sym;		/* index into om_munit.syms */
	u32 flags;
	s64 addend;
};

enum om_msite_kind {
	OM_SITE_JUMP_LABEL,	/* NOP or jmp to target, len 2 or 5 */
	OM_SITE_SMP_LOCK,	/* 0xf0 (lock) or 0x3e (ds) */
	OM_SITE_PARAVIRT,	/* a .parainstructions site, len bytes */
	OM_SITE_RUNTIME_CONST,	/* the immediate of a runtime constant (6.11+):
				 * len 8 (pointer) or 1 (shift), any value */
	OM_SITE_CALL_PADDING,	/* the NOPs before a function that does not
				 * start its section (6.12's __pfx_FUNC): the
				 * kernel may write a call thunk there (call
				 * depth tracking): any bytes */
};

/* A place the kernel rewrites at run time, from the unit's special sections. */
struct om_msite {
	u32 offset;
	u32 kind;		/* enum om_msite_kind */
	u32 len;		/* bytes at offset, as in the pre code */
	u32 target;		/* jump label: the jump target's offset */
};

/* Section flags. */
#define OM_MSEC_CODE		0x1
#define OM_MSEC_RODATA		0x2	/* read-only data: compared */
#define OM_MSEC_WRITABLE	0x4	/* .data/.bss: address learned only */
#define OM_MSEC_MERGED		0x8	/* SHF_MERGE: items may be merged and moved */
#define OM_MSEC_STRINGS		0x20	/* SHF_STRINGS: the items are C strings */
#define OM_MSEC_MATCH		0x10	/* the caller wants this section matched */

struct om_msection {
	const char *name;	/* e.g. ".text.meminfo_proc_show" */
	u32 flags;
	const u8 *data;		/* NULL for .bss-like sections */
	u64 addr;		/* where the kernel's loader placed and rewrote
				 * data (a pre module's copy); 0: not loaded */
	u32 size;
	u32 entsize;		/* item size of a merged non-string section */
	const struct om_mreloc *relocs;	/* sorted by offset */
	u32 nrelocs;
	const struct om_msite *sites;	/* sorted by offset */
	u32 nsites;
};

struct om_munit {
	const char *name;	/* object name, for messages */
	const struct om_msection *sections;
	u32 nsections;
	const struct om_msym *syms;
	u32 nsyms;
};

struct om_env {
	void *ctx;
	/* Copy len bytes of running memory at addr; 0, or negative errno. */
	int (*read)(void *ctx, u64 addr, void *buf, u32 len);
	/*
	 * Fill addrs with up to max candidate addresses of symbol name; return
	 * how many exist (may exceed max), or a negative errno.
	 */
	int (*candidates)(void *ctx, const char *name, u64 *addrs, u32 max);
	/* Allocate zeroed memory / free it. */
	void *(*zalloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	/* One finished diagnostic line (no trailing newline). */
	void (*log)(void *ctx, int level, const char *line);
};

enum om_mlog_level {
	OM_MLOG_ERROR,
	OM_MLOG_INFO,
	OM_MLOG_DEBUG,
};

#define OM_MAX_CANDIDATES	16

struct om_match;

/*
 * Match every section of the unit flagged OM_MSEC_MATCH (and the read-only
 * data they lead to) against running memory.  Returns 0 when everything
 * matched; -ENOENT when a section has no candidate, -ESRCH when no candidate
 * matched, -EEXIST when several did, -EINVAL for malformed input, -ENOMEM.
 * On any result but -ENOMEM/-EINVAL, *out is set and holds what was learned
 * and the diagnosis; free it with om_match_free().  The match keeps a copy
 * of *env (not the pointer); env->ctx and the unit must outlive it.
 */
int om_match_run(const struct om_munit *unit, const struct om_env *env,
		 int debug, struct om_match **out);
void om_match_free(struct om_match *m);

/* Where section i was found in running memory; 0 if not matched. */
int om_match_section_addr(const struct om_match *m, u32 section, u64 *addr);

/*
 * The running address of symbol i plus addend, as far as it was learned
 * (for relocating the new code).  Returns 0 or -ENOENT.
 */
int om_match_symbol_addr(const struct om_match *m, u32 sym, s64 addend, u64 *addr);

/* 1 if section i was itself matched (not only its address deduced). */
int om_match_section_matched(const struct om_match *m, u32 section);

/* Number of sections matched. */
u32 om_match_nmatched(const struct om_match *m);

#endif /* OBJMATCH_MATCH_H */
