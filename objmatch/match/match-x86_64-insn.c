// SPDX-License-Identifier: GPL-2.0
/*
 * match-x86_64-insn.c: an x86-64 instruction length decoder, enough for
 * the code compilers and the kernel's assembly generate.  Freestanding
 * (compiled into splice-core.ko too).
 *
 * The matcher walks pre and running code instruction by instruction only
 * where the two differ in layout (a jump the running kernel's assembler
 * shortened): it needs each instruction's length, whether it is a relative
 * branch (and where it goes), and whether it is a NOP.  Anything this
 * decoder does not know is refused (-EINVAL), never guessed: a wrong length
 * would pair the wrong bytes.
 *
 * Written from the Intel SDM's opcode maps (volume 2, appendix A), 64-bit
 * mode only.
 */
#include "match/match-compat.h"
#include "match/match-arch.h"

#define MAX_INSN	15

/* Operand layout classes of an opcode. */
enum {
	X,	/* invalid in 64-bit mode, or not decoded here */
	N,	/* no ModRM, no immediate */
	M,	/* ModRM */
	MB,	/* ModRM, imm8 */
	MZ,	/* ModRM, imm16/32 (operand size) */
	B,	/* imm8 */
	Z,	/* imm16/32 (operand size) */
	W,	/* imm16 */
	EN,	/* enter: imm16, imm8 */
	V,	/* mov r, imm16/32/64 (operand size, REX.W) */
	O,	/* moffs: 8 bytes, 4 with 0x67 */
	J8,	/* rel8 branch */
	J32,	/* rel32 branch */
	G6,	/* f6/f7: ModRM, imm for /0 and /1 only */
	P,	/* prefix (handled before the table) */
};

/* The one-byte map. */
static const u8 map1[256] = {
	/* 00 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 10 */ M, M, M, M, B, Z, X, X, M, M, M, M, B, Z, X, X,
	/* 20 */ M, M, M, M, B, Z, P, X, M, M, M, M, B, Z, P, X,
	/* 30 */ M, M, M, M, B, Z, P, X, M, M, M, M, B, Z, P, X,
	/* 40 */ P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P,
	/* 50 */ N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N,
	/* 60 */ X, X, X, M, P, P, P, P, Z, MZ, B, MB, N, N, N, N,
	/* 70 */ J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8, J8,
	/* 80 */ MB, MZ, X, MB, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 90 */ N, N, N, N, N, N, N, N, N, N, X, N, N, N, N, N,
	/* a0 */ O, O, O, O, N, N, N, N, B, Z, N, N, N, N, N, N,
	/* b0 */ B, B, B, B, B, B, B, B, V, V, V, V, V, V, V, V,
	/* c0 */ MB, MB, W, N, X, X, MB, MZ, EN, N, W, N, N, B, X, N,
	/* d0 */ M, M, M, M, X, X, X, N, M, M, M, M, M, M, M, M,
	/* e0 */ J8, J8, J8, J8, B, B, B, B, J32, J32, X, J8, N, N, N, N,
	/* f0 */ P, N, P, P, N, N, G6, G6, N, N, N, N, N, N, M, M,
};

/* The 0F map. */
static const u8 map0f[256] = {
	/* 00 */ M, M, M, M, X, N, N, N, N, N, X, N, X, M, X, X,
	/* 10 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 20 */ M, M, M, M, X, X, X, X, M, M, M, M, M, M, M, M,
	/* 30 */ N, N, N, N, N, N, X, N, X, X, X, X, X, X, X, X,
	/* 40 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 50 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 60 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* 70 */ MB, MB, MB, MB, M, M, M, N, M, M, X, X, M, M, M, M,
	/* 80 */ J32, J32, J32, J32, J32, J32, J32, J32,
	/* 88 */ J32, J32, J32, J32, J32, J32, J32, J32,
	/* 90 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* a0 */ N, N, N, M, MB, M, X, X, N, N, N, M, MB, M, M, M,
	/* b0 */ M, M, M, M, M, M, M, M, M, M, MB, M, M, M, M, M,
	/* c0 */ M, M, MB, M, MB, MB, MB, M, N, N, N, N, N, N, N, N,
	/* d0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* e0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
	/* f0 */ M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

/* VEX map 1 (0F): the opcodes that take an imm8. */
static int vex0f_imm8(u8 op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 || op == 0xc5 ||
	       op == 0xc6;
}

/*
 * ModRM (at b[0]) and what follows it: SIB, displacement.  Returns the
 * number of bytes, or 0 if they are not all there.  64-bit mode: mod 00
 * r/m 101 is RIP-relative disp32, and a 0x67 prefix keeps the same form.
 */
static u32 modrm_len(const u8 *b, u32 avail)
{
	u8 mod, rm;
	u32 n = 1;

	if (avail < 1)
		return 0;
	mod = b[0] >> 6;
	rm = b[0] & 7;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (avail < 2)
			return 0;
		n = 2;
		if (mod == 0 && (b[1] & 7) == 5)
			n += 4;
	} else if (mod == 0 && rm == 5) {
		n += 4;
	}
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += 4;
	return n <= avail ? n : 0;
}

static s64 read_rel(const u8 *b, u32 size)
{
	if (size == 1)
		return (s8)b[0];
	return (s32)((u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24);
}

/*
 * A NOP the assembler pads with: 0x90, or 0f 1f /0 (nopl/nopw), after any
 * number of 0x66 and 0x2e prefixes and no REX (41 90 is xchg %eax,%r8d;
 * f3 90 is pause).  gas's 10-byte NOP is 66 2e 0f 1f 84 00 00 00 00 00.
 */
static int is_padding_nop(const u8 *b, u32 npfx, u8 rex, const u8 *op, u32 opmap)
{
	u32 i;

	if (rex)
		return 0;
	for (i = 0; i < npfx; i++)
		if (b[i] != 0x66 && b[i] != 0x2e)
			return 0;
	if (opmap == 0)
		return op[0] == 0x90;
	return opmap == 1 && op[0] == 0x1f && ((op[1] >> 3) & 7) == 0;
}

int om_march_decode(const u8 *b, u32 avail, struct om_march_insn *insn)
{
	u32 n = 0, npfx, opmap = 0, imm = 0, cls;
	int opsize16 = 0, addr32 = 0;
	u8 rex = 0, op;
	const u8 *opp;

	memset(insn, 0, sizeof(*insn));
	if (avail > MAX_INSN)
		avail = MAX_INSN;

	/* legacy prefixes, then at most one REX right before the opcode */
	while (n < avail) {
		u8 c = b[n];

		if (c == 0x66)
			opsize16 = 1;
		else if (c == 0x67)
			addr32 = 1;
		else if (c != 0xf0 && c != 0xf2 && c != 0xf3 && c != 0x26 && c != 0x2e &&
			 c != 0x36 && c != 0x3e && c != 0x64 && c != 0x65)
			break;
		n++;
	}
	npfx = n;
	if (n < avail && (b[n] & 0xf0) == 0x40)
		rex = b[n++];
	if (n >= avail)
		return -ENODATA;
	insn->npfx = n;
	opp = b + n;
	op = b[n++];

	if (op == 0xc4 || op == 0xc5) {
		/* VEX: c5 RvvvvLpp (map 0F); c4 RXBmmmmm WvvvvLpp */
		u32 map;

		if (rex || opsize16 || npfx)
			return -EINVAL;	/* #UD with these prefixes */
		if (op == 0xc5) {
			map = 1;
			n += 1;
		} else {
			if (n >= avail)
				return -ENODATA;
			map = b[n] & 0x1f;
			n += 2;
		}
		if (n >= avail)
			return -ENODATA;
		if (map < 1 || map > 3)
			return -EINVAL;
		op = b[n++];
		if (map == 1 && op == 0x77) {
			insn->len = n;	/* vzeroupper / vzeroall */
			return 0;
		}
		cls = modrm_len(b + n, avail - n);
		if (!cls)
			return -ENODATA;
		n += cls;
		if (map == 3 || (map == 1 && vex0f_imm8(op)))
			n += 1;
		if (n > avail)
			return -ENODATA;
		insn->len = n;
		return 0;
	}
	if (op == 0x0f) {
		if (n >= avail)
			return -ENODATA;
		op = b[n++];
		opmap = 1;
		if (op == 0x38 || op == 0x3a) {
			/* three-byte maps: all ModRM; 0F3A has an imm8 */
			if (n >= avail)
				return -ENODATA;
			n++;
			cls = op == 0x3a ? MB : M;
			opmap = op == 0x38 ? 2 : 3;
		} else {
			cls = map0f[op];
		}
	} else {
		cls = map1[op];
		if (op == 0x8f && n < avail && ((b[n] >> 3) & 7) != 0)
			return -EINVAL;	/* XOP, not pop r/m */
		if (op == 0xc7 && n < avail && b[n] == 0xf8)
			return -EINVAL;	/* xbegin: a relative branch, not handled */
	}

	switch (cls) {
	case N:
		break;
	case M:
	case MB:
	case MZ:
	case G6: {
		u32 ml = modrm_len(b + n, avail - n);

		if (!ml)
			return -ENODATA;
		if (cls == MB)
			imm = 1;
		else if (cls == MZ)
			imm = opsize16 ? 2 : 4;
		else if (cls == G6 && ((b[n] >> 3) & 7) <= 1)
			imm = op == 0xf6 ? 1 : (opsize16 ? 2 : 4);
		n += ml;
		break;
	}
	case B:
		imm = 1;
		break;
	case Z:
		imm = opsize16 ? 2 : 4;
		break;
	case W:
		imm = 2;
		break;
	case EN:
		imm = 3;
		break;
	case V:
		imm = (rex & 8) ? 8 : opsize16 ? 2 : 4;
		break;
	case O:
		imm = addr32 ? 4 : 8;
		break;
	case J8:
	case J32:
		/* 0x66 makes a near branch rel16 on AMD, not on Intel: never guessed */
		if (opsize16)
			return -EINVAL;
		imm = cls == J8 ? 1 : 4;
		if (n + imm > avail)
			return -ENODATA;
		insn->rel_off = n;
		insn->rel_size = imm;
		insn->rel = read_rel(b + n, imm);
		if (op == 0xe8)
			insn->branch = OM_BRANCH_CALL;
		else if (op == 0xe9 || op == 0xeb)
			insn->branch = OM_BRANCH_JMP;
		else if (opmap == 0 && op >= 0xe0 && op <= 0xe3)
			insn->branch = OM_BRANCH_LOOP;	/* loop*, jrcxz: no long form */
		else
			insn->branch = OM_BRANCH_JCC;
		if (insn->branch == OM_BRANCH_LOOP)
			insn->cond = op;
		else if (insn->branch == OM_BRANCH_JCC)
			insn->cond = op & 0xf;	/* 7x and 0f 8x alike */
		break;
	default:
		return -EINVAL;
	}
	n += imm;
	if (n > avail)
		return -ENODATA;
	insn->len = n;
	insn->nop = is_padding_nop(b, npfx, rex, opp + (opmap ? 1 : 0), opmap) &&
		    (opmap || n == npfx + 1);
	return 0;
}
