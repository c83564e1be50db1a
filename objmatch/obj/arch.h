/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture contract of objmatch.  Everything x86-64-specific
 * (relocation types, the ftrace site, the kernel's special sections and
 * their entry layouts) lives behind these functions, in arch-x86_64.c.
 */
#ifndef SPLICE_OBJMATCH_ARCH_H
#define SPLICE_OBJMATCH_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "obj/object.h"

struct arch_reloc {
	uint32_t type;
	const char *name;
	unsigned int size;	/* bytes of the field */
	bool pcrel;
};

/* NULL: a relocation type objmatch does not understand. */
const struct arch_reloc *arch_reloc(uint32_t type);

/*
 * Where a PC-relative reference from code really points, relative to
 * symbol+addend: the CPU adds the displacement to the end of the
 * instruction, which is the end of the field (bias = field size) unless an
 * immediate follows it (up to arch_pcrel_slack() more bytes).  E.g.
 * "lea .LC1(%rip),%rdi" is R_X86_64_PC32 .LC1-4: the string is at addend+4.
 * Relative pointers in data tables (__bug_table, .altinstructions) are
 * computed from the field itself: bias 0.
 */
int64_t arch_pcrel_bias(const struct arch_reloc *r, bool in_code);
unsigned int arch_pcrel_slack(void);
/*
 * The immediate's size after the rip-relative field at offset @field of
 * code @code (@size bytes), read from the instruction's opcode and ModRM
 * byte: 0..4, or -1 when unknown (then anywhere in the slack).
 */
int arch_pcrel_imm(const unsigned char *code, uint64_t size, uint64_t field);

/* The patch is a jump of this many bytes (e9 rel32). */
unsigned int arch_jump_size(void);
/*
 * Bytes at @func's start that an indirect call lands on and the jump must
 * follow: 4 for endbr64 (or objtool's seal of it; 6.12's IBT), else 0.
 */
unsigned int arch_entry_endbr(const struct om_symbol *func);
/*
 * Bytes reserved for ftrace (the 5-byte "call __fentry__", a NOP at run
 * time) at @func's start, after its endbr64 if it has one
 * (arch_entry_endbr()), that the jump must follow; 0 if @func has no such
 * site.  @has_mcount_entry: a __mcount_loc entry points at that site.
 */
unsigned int arch_fentry_size(const struct om_symbol *func, bool has_mcount_entry);
/* Is @r (in @func's section) the call to __fentry__ at its start (after endbr64)? */
bool arch_is_fentry_reloc(const struct om_symbol *func, const struct om_reloc *r);
/*
 * Padding the compiler put before @func in its section (6.12's
 * CONFIG_CALL_PADDING: 16 NOPs), not part of the function: 0, or @func's
 * offset when every byte before it is padding.
 */
uint64_t arch_entry_padding(const struct om_symbol *func);
/*
 * The call padding before @func (6.12, CONFIG_CALL_PADDING: 16 NOPs the
 * compiler puts before every function; vmlinux names them __pfx_FUNC, the
 * object does not): 16 when @func is a function with 16 bytes of 0x90
 * before it in its section, else 0.  With call depth tracking the kernel
 * writes a call thunk into it at boot and module load.
 */
uint64_t arch_call_padding(const struct om_symbol *func);

/*
 * A kernel special section: an array of fixed-size entries, each of which
 * belongs to the function its anchor relocation points into.
 */
struct arch_special {
	const char *name;
	unsigned int entsize;
	/*
	 * Size of the last entry if it may be shorter (0: entsize): an
	 * aligned array of 10-byte .parainstructions entries ends 6 bytes
	 * short of a multiple of 16.
	 */
	unsigned int last_size;
	int anchor;		/* offset of the anchoring relocation, -1: see pair */
	const char *pair;	/* entries belong to the same-index entry of @pair */
	/*
	 * Bytes that are not code (ignored when comparing entries): the
	 * source line of a WARN in __bug_table.
	 */
	unsigned int mask_off, mask_len;
	/* the kernel module loader needs them to run the code correctly */
	const char *what;
	/* @name is a prefix: one section per constant (runtime_ptr_USER_PTR_MAX) */
	bool prefix;
};

/*
 * struct alt_instr (.altinstructions) is the one special entry whose layout
 * differs between the series: {s32 instr_offset, repl_offset; u16 cpuid;
 * u8 instrlen, replacementlen} (12 bytes) in 6.1, a u32 ft_flags in place
 * of cpuid (14 bytes) since 6.3, so in 6.12.  Every entry has two
 * relocations (instr_offset, repl_offset), which tells them apart: the
 * entry size of a section of @size bytes with @nrelocs relocations, or 0
 * if neither layout fits.  @replen_off (may be NULL): where replacementlen
 * is in an entry.
 */
unsigned int arch_alt_entsize(uint64_t size, size_t nrelocs, unsigned int *replen_off);
/*
 * 6.12's paravirt calls are alternatives (since 6.8): "call *pv_ops+N(%rip)"
 * (6 bytes) with the replacement "call BUG_func" and ALT_FLAG_DIRECT_CALL,
 * for which the loader reads the pointer the original instruction names
 * and makes the site "call <it>; nop".  Is the alt_instr at @ent
 * (@entsize bytes, arch_alt_entsize()) one?  Then *@instrlen is its
 * length.  Never on 6.1 (12-byte entries have no flags).
 */
bool arch_alt_direct_call(const unsigned char *ent, unsigned int entsize,
			  unsigned int *instrlen);
/* Entry size of special section @sp in @sec (arch_alt_entsize() for .altinstructions). */
unsigned int arch_special_entsize(const struct arch_special *sp, const struct om_section *sec);

/*
 * Runtime constants (6.11+, arch/x86/include/asm/runtime-const.h): in
 * built-in code, runtime_const_ptr(sym) is "movabs $0x0123456789abcdef,
 * %reg" and runtime_const_shift_right_32(v, sym) "shr $12, %reg", whose
 * immediates the kernel overwrites once at boot with sym's value (all 8
 * bytes; the low byte for a shift).  Each constant has its own table,
 * runtime_ptr_<sym> or runtime_shift_<sym>, of s32 entries pointing
 * (PC32) at the immediates.  For such a table: sym's name, and the
 * immediate's width in *@width (8 or 1).  NULL for any other section.
 */
const char *arch_runtime_const(const char *secname, unsigned int *width);

/* The special section named @name, or NULL. */
const struct arch_special *arch_special(const char *name);
/* All of them, for documentation and tests. */
const struct arch_special *arch_specials(unsigned int *n);

/*
 * Sections of code fragments that functions reach through relocations
 * (alternative replacements, static_cpu_has() tails): compared as part of
 * the function that references them.
 */
bool arch_is_fragment_section(const char *name);

/*
 * Sections that say nothing about the code to splice (debug info, objtool's
 * annotations, the compiler's notes).  Anything that is neither ignored,
 * nor code, nor data, nor special is "not understood".
 */
bool arch_is_ignored_section(const char *name);

/*
 * Bits of the data objects of a section that say nothing about the code
 * (line numbers), ignored when comparing: @bits[i] masks byte @off + i of
 * every object.  E.g. a pr_debug() descriptor in __dyndbg holds its line.
 */
struct arch_data_mask {
	const char *section;
	unsigned int off, len;
	unsigned char bits[4];
};

/* The mask for objects of section @name, or NULL. */
const struct arch_data_mask *arch_data_mask(const char *name);

/* __init code and data: run once at boot, long gone. */
bool arch_is_init_section(const char *name);

/*
 * Why code in section @name can't be replaced by a copy in a module
 * (noinstr, entry and idle code), or NULL.
 */
const char *arch_unsafe_text(const char *name);

#endif /* SPLICE_OBJMATCH_ARCH_H */
