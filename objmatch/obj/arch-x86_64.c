// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64: relocation types, the ftrace site, and the special sections of the
 * Linux 6.1 kernel (Debian 12's configuration: GENERIC_BUG with relative
 * pointers and DEBUG_BUGVERBOSE, PARAVIRT, RETPOLINE, RETHUNK, ORC).
 */
#include "config.h"

#include <elf.h>
#include <string.h>

#include "obj/arch.h"

static const struct arch_reloc relocs[] = {
	{ R_X86_64_NONE,	"R_X86_64_NONE",	0, false },
	{ R_X86_64_64,		"R_X86_64_64",		8, false },
	{ R_X86_64_PC32,	"R_X86_64_PC32",	4, true },
	{ R_X86_64_PLT32,	"R_X86_64_PLT32",	4, true },
	{ R_X86_64_32,		"R_X86_64_32",		4, false },
	{ R_X86_64_32S,		"R_X86_64_32S",		4, false },
	{ R_X86_64_16,		"R_X86_64_16",		2, false },
	{ R_X86_64_PC16,	"R_X86_64_PC16",	2, true },
	{ R_X86_64_8,		"R_X86_64_8",		1, false },
	{ R_X86_64_PC8,		"R_X86_64_PC8",		1, true },
	{ R_X86_64_PC64,	"R_X86_64_PC64",	8, true },
};

const struct arch_reloc *arch_reloc(uint32_t type)
{
	unsigned int i;

	for (i = 0; i < sizeof(relocs) / sizeof(relocs[0]); i++)
		if (relocs[i].type == type)
			return &relocs[i];
	return NULL;
}

int64_t arch_pcrel_bias(const struct arch_reloc *r, bool in_code)
{
	if (!r->pcrel || !in_code)
		return 0;
	return r->size;
}

unsigned int arch_pcrel_slack(void)
{
	return 4;	/* an imm32 after a rip-relative displacement */
}

unsigned int arch_jump_size(void)
{
	return 5;	/* e9 rel32 */
}

/* endbr64, and the 4-byte NOP objtool's sealing puts in its place */
static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const unsigned char endbr_seal[] = { 0x66, 0x0f, 0x1f, 0x00 };

/*
 * CONFIG_X86_KERNEL_IBT (6.12): a function that may be called indirectly
 * begins with endbr64, its ftrace site right after it:
 *	foo+0:	f3 0f 1e fa		endbr64
 *	foo+4:	e8 <__fentry__-4>	call __fentry__
 */
unsigned int arch_entry_endbr(const struct om_symbol *func)
{
	const struct om_section *sec = func->sec;

	if (!sec || !sec->data || func->size < 4 || func->value + 4 > sec->size)
		return 0;
	if (!memcmp(sec->data + func->value, endbr64, 4) ||
	    !memcmp(sec->data + func->value, endbr_seal, 4))
		return 4;
	return 0;
}

bool arch_is_fentry_reloc(const struct om_symbol *func, const struct om_reloc *r)
{
	/* e8 <rel32 __fentry__-4> at the function's first byte, or after endbr64 */
	return r->offset == func->value + arch_entry_endbr(func) + 1 && r->sym &&
	       (r->type == R_X86_64_PLT32 || r->type == R_X86_64_PC32) &&
	       !strcmp(r->sym->name, "__fentry__");
}

/*
 * -fpatchable-function-entry=16,16 (CONFIG_CALL_PADDING) emits the NOPs in
 * the function's own section, before its symbol; the linker and objtool
 * name them __pfx_<func>, and the kernel may rewrite them at boot (call
 * depth tracking):
 *	.text.foo+0x00:	90 90 ... 90	(16 bytes)
 *	.text.foo+0x10:	foo: f3 0f 1e fa 0f 1f 44 00 00 ...
 */
uint64_t arch_entry_padding(const struct om_symbol *func)
{
	const struct om_section *sec = func->sec;
	uint64_t i;

	if (!sec || !sec->data || !func->value || func->value > 64 ||
	    func->value > sec->size)
		return 0;
	for (i = 0; i < func->value; i++)
		if (sec->data[i] != 0x90)
			return 0;
	return func->value;
}

uint64_t arch_call_padding(const struct om_symbol *func)
{
	const struct om_section *sec = func->sec;
	uint64_t i;

	if (!sec || !sec->data || func->type != OM_SYM_FUNC || func->value < 16 ||
	    func->value > sec->size)
		return 0;
	for (i = func->value - 16; i < func->value; i++)
		if (sec->data[i] != 0x90)
			return 0;
	return 16;
}

unsigned int arch_fentry_size(const struct om_symbol *func, bool has_mcount_entry)
{
	const struct om_section *sec = func->sec;
	static const unsigned char nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	uint64_t at = func->value + arch_entry_endbr(func);
	size_t i;

	if (!sec || !sec->data || func->size < at - func->value + 5 || at + 5 > sec->size)
		return 0;
	/* objtool may already have turned the call into a NOP (it then
	 * records the site in __mcount_loc) */
	if (has_mcount_entry && !memcmp(sec->data + at, nop5, 5))
		return 5;
	if (sec->data[at] != 0xe8)
		return 0;
	for (i = 0; i < sec->nrelocs; i++)
		if (arch_is_fentry_reloc(func, &sec->relocs[i]))
			return 5;
	return 0;
}

/*
 * Entry layouts of Linux 6.1 and 6.12 (arch/x86/include/asm/...):
 *   struct bug_entry { int bug_addr_disp, file_disp; u16 line, flags; }
 *   struct exception_table_entry { int insn, fixup, data; }
 *   struct alt_instr { s32 instr_offset, repl_offset; u16 cpuid;
 *                      u8 instrlen, replacementlen; } __packed
 *     (6.12: u32 ft_flags in place of cpuid, 14 bytes: arch_alt_entsize();
 *     the 12 below is 6.1's, named in refusals)
 *   struct paravirt_patch_site { u8 *instr; u8 type, len; }  (padded to 16)
 *   struct jump_entry { s32 code, target; long key; }
 *   struct static_call_site { s32 addr, key; }
 *   .smp_locks, .retpoline_sites, .return_sites, .orc_unwind_ip: s32
 *   .call_sites (6.12, CONFIG_MITIGATION_CALL_DEPTH_TRACKING): s32, each
 *     direct call, which the loader points at the callee's call-depth
 *     thunk under retbleed=stuff (callthunks_patch_module_calls())
 *   __mcount_loc: unsigned long
 *   .orc_unwind: struct orc_entry (6 bytes), parallel to .orc_unwind_ip
 * A WARN_ON()'s line number lives only in its bug_entry (objtool checked:
 * the code is "ud2" and nothing else), so the line is masked.
 */
static const struct arch_special specials[] = {
	/* first: other entries may point into its replacement fragments */
	{ ".altinstructions",	 12, 0, 0, NULL, 0, 0, "alternatives", false },
	{ "__bug_table",	 12, 0, 0, NULL, 8, 2, "BUG/WARN sites", false },
	{ "__ex_table",		 12, 0, 0, NULL, 0, 0, "exception fixups", false },
	{ ".parainstructions",	 16, 10, 0, NULL, 0, 0, "paravirt patch sites", false },
	{ ".smp_locks",		  4, 0, 0, NULL, 0, 0, "lock prefixes", false },
	{ "__jump_table",	 16, 0, 0, NULL, 0, 0, "jump labels", false },
	{ ".static_call_sites",	  8, 0, 0, NULL, 0, 0, "static calls", false },
	{ ".retpoline_sites",	  4, 0, 0, NULL, 0, 0, "retpoline thunk calls", false },
	{ ".return_sites",	  4, 0, 0, NULL, 0, 0, "return thunk jumps", false },
	{ ".call_sites",	  4, 0, 0, NULL, 0, 0, "call depth tracking calls", false },
	{ "__mcount_loc",	  8, 0, 0, NULL, 0, 0, "ftrace sites", false },
	/* before .orc_unwind, which pairs with it */
	{ ".orc_unwind_ip",	  4, 0, 0, NULL, 0, 0, "ORC unwind addresses", false },
	{ ".orc_unwind",	  6, 0, -1, ".orc_unwind_ip", 0, 0, "ORC unwind entries", false },
	/* 6.11+: one table per constant (arch_runtime_const()) */
	{ "runtime_ptr_",	  4, 0, 0, NULL, 0, 0, "runtime constants", true },
	{ "runtime_shift_",	  4, 0, 0, NULL, 0, 0, "runtime constants", true },
};

const char *arch_runtime_const(const char *secname, unsigned int *width)
{
	static const struct { const char *prefix; unsigned int width; } kinds[] = {
		{ "runtime_ptr_", 8 },
		{ "runtime_shift_", 1 },
	};
	unsigned int i;
	size_t len;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		len = strlen(kinds[i].prefix);
		if (!strncmp(secname, kinds[i].prefix, len) && secname[len]) {
			*width = kinds[i].width;
			return secname + len;
		}
	}
	return NULL;
}

unsigned int arch_alt_entsize(uint64_t size, size_t nrelocs, unsigned int *replen_off)
{
	static const struct { unsigned int entsize, replen_off; } layouts[] = {
		{ 12, 11 },	/* 6.1: u16 cpuid */
		{ 14, 13 },	/* 6.3+: u32 ft_flags */
	};
	unsigned int i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (size % layouts[i].entsize || nrelocs != 2 * (size / layouts[i].entsize))
			continue;
		if (replen_off)
			*replen_off = layouts[i].replen_off;
		return layouts[i].entsize;
	}
	return 0;
}

bool arch_alt_direct_call(const unsigned char *ent, unsigned int entsize,
			  unsigned int *instrlen)
{
	/* ft_flags: cpuid in the low 16 bits, flags above (ALT_FLAGS_SHIFT) */
	const unsigned int flags_off = 10, direct_call = 1 << 1;

	if (entsize != 14 || !((ent[flags_off] | ent[flags_off + 1] << 8) & direct_call))
		return false;
	*instrlen = ent[12];
	return true;
}

unsigned int arch_special_entsize(const struct arch_special *sp, const struct om_section *sec)
{
	unsigned int n;

	if (strcmp(sp->name, ".altinstructions"))
		return sp->entsize;
	n = arch_alt_entsize(sec->size, sec->nrelocs, NULL);
	return n ? n : sp->entsize;
}

const struct arch_special *arch_special(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		if (specials[i].prefix ? !strncmp(specials[i].name, name, strlen(specials[i].name)) &&
					 name[strlen(specials[i].name)]
				       : !strcmp(specials[i].name, name))
			return &specials[i];
	return NULL;
}

const struct arch_special *arch_specials(unsigned int *n)
{
	*n = sizeof(specials) / sizeof(specials[0]);
	return specials;
}

/*
 * struct _ddebug (include/linux/dynamic_debug.h, 6.1): four pointers, then
 * "unsigned int lineno:18" in the low bits of the word at offset 32.
 */
static const struct arch_data_mask data_masks[] = {
	{ "__dyndbg", 32, 3, { 0xff, 0xff, 0x03 } },
};

const struct arch_data_mask *arch_data_mask(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(data_masks) / sizeof(data_masks[0]); i++)
		if (!strcmp(data_masks[i].section, name))
			return &data_masks[i];
	return NULL;
}

bool arch_is_fragment_section(const char *name)
{
	return !strcmp(name, ".altinstr_replacement") ||
	       !strcmp(name, ".altinstr_aux");
}

static bool prefixed(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

bool arch_is_ignored_section(const char *name)
{
	static const char *const exact[] = {
		".comment", ".note.GNU-stack", ".note.gnu.property",
		".symtab", ".strtab", ".shstrtab", ".group",
		"__ksymtab_strings",	/* names; the ksymtab entries are data */
		".modinfo",
		/*
		 * 6.12's -fpatchable-function-entry=16,16 (CONFIG_CALL_PADDING)
		 * lists each function's padding here; x86 discards it from
		 * vmlinux (HAVE_DYNAMIC_FTRACE_NO_PATCHABLE) and nothing reads
		 * a module's: it tells nothing about the code.
		 */
		"__patchable_function_entries",
	};
	static const char *const prefixes[] = {
		".debug", ".zdebug", ".discard.", ".note.",
		".gnu.warning", ".llvm_addrsig",
	};
	unsigned int i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return true;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (prefixed(name, prefixes[i]))
			return true;
	return false;
}

bool arch_is_init_section(const char *name)
{
	return prefixed(name, ".init.") || prefixed(name, ".head.text") ||
	       prefixed(name, ".meminit.");
}

/*
 * Code sections the kernel treats apart, which a function in a module
 * (the new code) can't take the place of.  The other sections attributes
 * put several functions in are fine to replace: .sched.text (__sched), the
 * copy is no longer "sched text" for in_sched_functions(), so wchan names
 * the copy instead of its caller; .kprobes.text (__kprobes), the copy stays
 * in a section of that name, which the module loader records and kprobes
 * blacklists (add_module_kprobe_blacklist()); .softirqentry.text and
 * .irqentry.text, only stack-depot filtering and the function-graph
 * tracer's irq filter look at their bounds; .spinlock.text, like
 * .sched.text for in_lock_functions().
 */
const char *arch_unsafe_text(const char *name)
{
	if (!strcmp(name, ".noinstr.text"))
		return "noinstr code (.noinstr.text) must not be traced or instrumented, "
		       "and a replacement in a module would be (ftrace site, kprobes)";
	if (!strcmp(name, ".entry.text"))
		return "entry code (.entry.text) runs before the kernel can trace or jump "
		       "into module text (with the user's page tables, PTI maps only the "
		       "entry text)";
	if (!strcmp(name, ".cpuidle.text"))
		return "idle code (.cpuidle.text) runs where RCU is not watching: a "
		       "traced replacement is unsafe, and cpu_in_idle() would not know it";
	return NULL;
}

/*
 * Bytes of immediate after the rip-relative displacement at @field of
 * code @code (@size bytes), from the opcode and ModRM byte before it; -1
 * when they don't tell.  The reference's target is then exact, instead of
 * somewhere in the slack: "movb $1, done(%rip)" (c6 05 disp8 01) is
 * R_X86_64_PC32 done-5, and with done at +8 of .data.once the byte at +7
 * belongs to the flag before it.  Layout: [prefixes][REX] opcode ModRM
 * disp32 [imm]; ModRM with mod 00 and r/m 101 is rip-relative.
 */
int arch_pcrel_imm(const unsigned char *code, uint64_t size, uint64_t field)
{
	unsigned char modrm, op, before;
	bool word;

	if (!code || field < 2 || field > size)
		return -1;
	modrm = code[field - 1];
	if ((modrm & 0xc7) != 0x05)
		return -1;
	op = code[field - 2];
	before = field >= 3 ? code[field - 3] : 0;
	if (before == 0x0f)	/* two-byte opcode, or a byte of the previous insn */
		return op == 0xba ? 1 : -1;
	if (field >= 4 && code[field - 4] == 0x0f && (before == 0x3a || before == 0x38))
		return before == 0x3a ? 1 : 0;
	/* an operand-size prefix, before a REX prefix if there is one */
	word = before == 0x66 ||
	       (before >= 0x40 && before <= 0x4f && field >= 4 && code[field - 4] == 0x66);
	switch (op) {
	case 0x80: case 0x83: case 0xc0: case 0xc1: case 0xc6: case 0x6b:
		return 1;
	case 0x81: case 0xc7: case 0x69:
		return word ? 2 : 4;
	case 0xf6:
		return ((modrm >> 3) & 7) < 2 ? 1 : 0;	/* test $imm8 */
	case 0xf7:
		return ((modrm >> 3) & 7) < 2 ? (word ? 2 : 4) : 0;
	default:
		return 0;
	}
}
