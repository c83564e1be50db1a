// SPDX-License-Identifier: GPL-2.0
/*
 * match-x86_64.c: x86-64 relocation and instruction rules of the matcher.
 * Freestanding (compiled into splice-core.ko too).
 */
#include "match/match-compat.h"
#include "match/match-arch.h"

/* ELF relocation types the kernel's objects use (elf.h values). */
#define R_X86_64_64	1
#define R_X86_64_PC32	2
#define R_X86_64_PLT32	4
#define R_X86_64_32	10
#define R_X86_64_32S	11
#define R_X86_64_PC64	24

int om_march_reloc_info(u32 type, struct om_march_reloc *info)
{
	switch (type) {
	case R_X86_64_64:
		*info = (struct om_march_reloc){ .width = 8, .pcrel = 0, .sign = 0 };
		return 0;
	case R_X86_64_PC64:
		*info = (struct om_march_reloc){ .width = 8, .pcrel = 1, .sign = 0 };
		return 0;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:	/* the kernel links without a PLT: as PC32 */
		*info = (struct om_march_reloc){ .width = 4, .pcrel = 1, .sign = 1 };
		return 0;
	case R_X86_64_32:
		*info = (struct om_march_reloc){ .width = 4, .pcrel = 0, .sign = 0 };
		return 0;
	case R_X86_64_32S:
		*info = (struct om_march_reloc){ .width = 4, .pcrel = 0, .sign = 1 };
		return 0;
	default:
		return -EINVAL;
	}
}

u64 om_march_reloc_value(const struct om_march_reloc *info, const u8 *bytes, u64 site)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < info->width; i++)
		v |= (u64)bytes[i] << (8 * i);
	if (info->width == 4 && info->sign)
		v = (u64)(s64)(s32)(u32)v;
	if (info->pcrel)
		v += site;
	return v;
}

static const char *const regs[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

enum om_march_callsite om_march_callsite(const char *target, int *reg)
{
	static const char thunk[] = "__x86_indirect_thunk_";
	int i;

	if (!strcmp(target, "__fentry__"))
		return OM_CALL_FENTRY;
	if (!strcmp(target, "__x86_return_thunk"))
		return OM_CALL_RETURN_THUNK;
	if (!strncmp(target, "__SCT__", 7))
		return OM_CALL_STATIC_CALL;
	if (!strncmp(target, thunk, sizeof(thunk) - 1)) {
		for (i = 0; i < 16; i++) {
			if (!strcmp(target + sizeof(thunk) - 1, regs[i])) {
				*reg = i;
				return OM_CALL_RETPOLINE;
			}
		}
	}
	return OM_CALL_PLAIN;
}

/* int3 or a one-byte NOP: padding after a shortened instruction. */
static int is_pad(const u8 *b, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		if (b[i] != 0xcc && b[i] != 0x90)
			return 0;
	return 1;
}

int om_march_callsite_rewritten(enum om_march_callsite kind, int reg, u8 op,
			       const u8 *run, u32 len)
{
	u32 n = 0;

	switch (kind) {
	case OM_CALL_FENTRY:
		/* ftrace_nop_replace(): the 5-byte NOP; or a call, if traced. */
		return len == 5 && (om_march_is_nop(run, 5) || run[0] == 0xe8);
	case OM_CALL_RETURN_THUNK:
		/* apply_returns(): "ret; int3; int3; int3; int3". */
		return op == 0xe9 && len == 5 && run[0] == 0xc3 && is_pad(run + 1, 4);
	case OM_CALL_RETPOLINE:
		/*
		 * apply_retpolines(): "call *%reg" / "jmp *%reg", optionally
		 * after an lfence, padded with NOPs or int3.
		 */
		if (len >= 3 && run[0] == 0x0f && run[1] == 0xae && run[2] == 0xe8)
			n = 3;
		if (reg >= 8) {
			if (n >= len || run[n] != 0x41)
				return 0;
			n++;
		}
		if (n + 2 > len || run[n] != 0xff ||
		    run[n + 1] != (u8)((op == 0xe8 ? 0xd0 : 0xe0) + (reg & 7)))
			return 0;
		return is_pad(run + n + 2, len - n - 2);
	case OM_CALL_STATIC_CALL:
		/*
		 * __static_call_update(): a call/jmp to the current target,
		 * a 5-byte NOP for a NULL target, or "ret; int3..." for a
		 * tail call of one.  Where it points is not the trampoline.
		 */
		return len == 5 && (run[0] == op || om_march_is_nop(run, 5) ||
				    (run[0] == 0xc3 && is_pad(run + 1, 4)));
	case OM_CALL_PLAIN:
		break;
	}
	return 0;
}

int om_march_is_nop(const u8 *b, u32 len)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const u8 nop2[] = { 0x66, 0x90 };

	switch (len) {
	case 1:
		return b[0] == 0x90;
	case 2:
		return !memcmp(b, nop2, 2);
	case 5:
		return !memcmp(b, nop5, 5);
	}
	return 0;
}

int om_march_is_jump_to(const u8 *run, u32 len, u64 addr, u64 target)
{
	s64 rel;

	if (len == 2 && run[0] == 0xeb) {
		rel = (s8)run[1];
		return addr + 2 + rel == target;
	}
	if (len == 5 && run[0] == 0xe9) {
		rel = (s32)((u32)run[1] | (u32)run[2] << 8 | (u32)run[3] << 16 |
			    (u32)run[4] << 24);
		return addr + 5 + rel == target;
	}
	return 0;
}

u32 om_march_entry_sealed(const u8 *pre, const u8 *run, u32 len)
{
	/* endbr64; gen_endbr_poison() (arch/x86/include/asm/ibt.h): nopl (%rax) */
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	static const u8 seal[] = { 0x66, 0x0f, 0x1f, 0x00 };

	if (len < 4)
		return 0;
	if ((!memcmp(pre, endbr64, 4) && !memcmp(run, seal, 4)) ||
	    (!memcmp(pre, seal, 4) && !memcmp(run, endbr64, 4)))
		return 4;
	return 0;
}

int om_march_is_lock_alt(u8 pre, u8 run)
{
	/* alternatives_smp_unlock(): LOCK becomes a DS prefix on UP. */
	return pre == 0xf0 && (run == 0xf0 || run == 0x3e);
}
