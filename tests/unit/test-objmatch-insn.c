// SPDX-License-Identifier: GPL-2.0
/*
 * The matcher's x86-64 instruction decoder (objmatch/match/
 * match-x86_64-insn.c) on instructions of Debian's 6.1.0-57 vmlinux (the
 * address each was taken from is given; the 6.12 entry's endbr64 and its
 * seal from 6.12.118's), and on what it must refuse.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "match/match.h"
#include "match/match-arch.h"
#include "runner.h"

struct known {
	const char *what;
	const char *bytes;	/* the instruction, maybe followed by more */
	u32 nbytes;
	u32 len;
	int nop;
};

#define B(s) s, sizeof(s) - 1

static const struct known known[] = {
	{ "test %rdi,%rdi (put_pid+0x5)", B("\x48\x85\xff"), 3, 0 },
	{ "testb $0x40,0x13(%rdi) (__sk_free+0x9)", B("\xf6\x47\x13\x40"), 4, 0 },
	{ "mov 0x178(%rax),%rax (__sk_free+0x13)", B("\x48\x8b\x80\x78\x01\x00\x00"), 7, 0 },
	{ "decl %gs:(%rax) (__sk_free+0x1a)", B("\x65\xff\x08"), 3, 0 },
	{ "cmp $0x2,%ax (__sk_free+0x31)", B("\x66\x83\xf8\x02"), 4, 0 },
	{ "vmovdqu (%rdi),%xmm0 (0xffffffff81094b50)", B("\xc5\xfa\x6f\x07"), 4, 0 },
	{ "vzeroupper (0xffffffff81094cb4)", B("\xc5\xf8\x77"), 3, 0 },
	{ "shlx (0xffffffff81555aef, VEX 0F38)", B("\xc4\xe2\xf9\xf7\xf1"), 5, 0 },
	{ "vextracti128 $1 (0xffffffff81094bf0, VEX 0F3A)", B("\xc4\x43\x7d\x39\xc0\x01"), 6, 0 },
	{ "vpxor (0xffffffff81094b90, 3-byte VEX 0F)", B("\xc4\xc1\x59\xef\xdf"), 5, 0 },
	{ "vpshufd $0x93 (0xffffffff81094c19)", B("\xc5\xf9\x70\xc0\x93"), 5, 0 },
	{ "movabs $0x80_00001fff,%rax (0xffffffff810010d3)",
	  B("\x48\xb8\xff\x1f\x00\x00\x80\x00\x00\x00"), 10, 0 },
	{ "lock cmpxchg %edx,rip (0xffffffff8100a2fc)", B("\xf0\x0f\xb1\x15\x44\xce\x30\x02"), 8, 0 },
	{ "mov %gs:0x28,%rax (0xffffffff810009f2)", B("\x65\x48\x8b\x04\x25\x28\x00\x00\x00"), 9, 0 },
	{ "testl $1,rip (0xffffffff8100008f)", B("\xf7\x05\xb7\x56\x41\x01\x01\x00\x00\x00"), 10, 0 },
	{ "imul $0x8c0,%rax,%rax (0xffffffff810099bc)", B("\x48\x69\xc0\xc0\x08\x00\x00"), 7, 0 },
	{ "rdmsr (0xffffffff81000116)", B("\x0f\x32"), 2, 0 },
	{ "rep movsb (0xffffffff81094830)", B("\xf3\xa4"), 2, 0 },
	{ "pause (0xffffffff8103b8f0): not padding", B("\xf3\x90"), 2, 0 },
	{ "cmove %rax,%rsi (0xffffffff810009ba)", B("\x48\x0f\x44\xf0"), 4, 0 },
	{ "btsq $0x3f,rip (0xffffffff81000128)", B("\x48\x0f\xba\x2d\x8f\x9f\xa1\x01\x3f"), 9, 0 },
	{ "movl $1,rip (0xffffffff8100f549)", B("\xc7\x05\x5d\x7c\x30\x02\x01\x00\x00\x00"), 10, 0 },
	{ "push $imm32 (0xffffffff81000147)", B("\x68\x5a\x01\x00\x81"), 5, 0 },
	{ "movw $0,0xc2(%rdx) (0xffffffff810322fb)", B("\x66\xc7\x82\xc2\x00\x00\x00\x00\x00"), 9, 0 },
	{ "ud2 (0xffffffff81000994)", B("\x0f\x0b"), 2, 0 },
	{ "int3 (0xffffffff81000334)", B("\xcc"), 1, 0 },
	{ "lfence (0xffffffff81062a73)", B("\x0f\xae\xe8"), 3, 0 },
	{ "xgetbv (0xffffffff81000c7b)", B("\x0f\x01\xd0"), 3, 0 },
	{ "mov 0x82a4c678,%rax (0xffffffff81000075, SIB no base)",
	  B("\x48\x8b\x04\x25\x78\xc6\xa4\x82"), 8, 0 },
	{ "call *rip (0xffffffff810024d6, paravirt)", B("\xff\x15\x94\x92\xa3\x01"), 6, 0 },
	{ "jmp *%rax (0xffffffff810000d2)", B("\xff\xe0"), 2, 0 },
	{ "pushf (0xffffffff81000160)", B("\x9c"), 1, 0 },
	{ "test $0x10,%ah (0xffffffff81000350)", B("\xf6\xc4\x10"), 3, 0 },
	{ "neg %eax (0xffffffff810091ab)", B("\xf7\xd8"), 2, 0 },
	{ "movb $0x8e,0x9(%rsp) (0xffffffff81001b8c)", B("\xc6\x44\x24\x09\x8e"), 5, 0 },
	{ "endbr64 (6.12)", B("\xf3\x0f\x1e\xfa"), 4, 0 },
	{ "xchg %eax,%r8d: not padding", B("\x41\x90"), 2, 0 },
	{ "nop", B("\x90"), 1, 1 },
	{ "xchg %ax,%ax", B("\x66\x90"), 2, 1 },
	{ "nopl (%rax)", B("\x0f\x1f\x00"), 3, 1 },
	{ "endbr64's seal (6.12), nopw", B("\x66\x0f\x1f\x00"), 4, 1 },
	{ "nopl 0x0(%rax) (put_pid+0x1c)", B("\x0f\x1f\x40\x00"), 4, 1 },
	{ "the 5-byte NOP (ftrace)", B("\x0f\x1f\x44\x00\x00"), 5, 1 },
	{ "nopl 0x0(%rax) (d_restart+0x29 of the fixture image)",
	  B("\x0f\x1f\x80\x00\x00\x00\x00"), 7, 1 },
	{ "data16 cs nopw (put_pid+0x11), 11 bytes",
	  B("\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00\xcc"), 11, 1 },
};

START_TEST(lengths_of_real_instructions)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];
		struct om_march_insn in;
		int ret = om_march_decode((const u8 *)k->bytes, k->nbytes, &in);

		ck_assert_msg(ret == 0, "%s: refused (%d)", k->what, ret);
		ck_assert_msg(in.len == k->len, "%s: length %u, expected %u", k->what, in.len, k->len);
		ck_assert_msg(in.nop == k->nop, "%s: nop %d", k->what, in.nop);
		ck_assert_msg(in.branch == OM_BRANCH_NONE, "%s: a branch?", k->what);
	}
}
END_TEST

/* put_pid of 6.1.0-57's vmlinux, walked: the shortened jump in its middle. */
START_TEST(put_pid_walked)
{
	static const u8 put_pid[] = {
		0xe8, 0xcb, 0xd6, 0xfa, 0xff,	/* call __fentry__ */
		0x48, 0x85, 0xff,		/* test %rdi,%rdi */
		0x74, 0x02,			/* je +2 */
		0xeb, 0xa4,			/* jmp put_pid.part.0 (-0x5c) */
		0xe9, 0x9f, 0x8d, 0xd3, 0x00,	/* jmp __x86_return_thunk */
		0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x0f, 0x1f, 0x40, 0x00,
	};
	static const struct { u32 len; u8 branch, cond; s64 rel; u8 nop; } want[] = {
		{ 5, OM_BRANCH_CALL, 0, -0x52935, 0 },
		{ 3, OM_BRANCH_NONE, 0, 0, 0 },
		{ 2, OM_BRANCH_JCC, 4, 2, 0 },
		{ 2, OM_BRANCH_JMP, 0, -0x5c, 0 },
		{ 5, OM_BRANCH_JMP, 0, 0xd38d9f, 0 },
		{ 11, OM_BRANCH_NONE, 0, 0, 1 },
		{ 4, OM_BRANCH_NONE, 0, 0, 1 },
	};
	u32 off = 0, i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct om_march_insn in;

		ck_assert_int_eq(om_march_decode(put_pid + off, sizeof(put_pid) - off, &in), 0);
		ck_assert_msg(in.len == want[i].len && in.branch == want[i].branch &&
			      in.cond == want[i].cond && in.nop == want[i].nop,
			      "put_pid+0x%x: len %u branch %u cond %u nop %u", off, in.len,
			      in.branch, in.cond, in.nop);
		if (in.branch) {
			ck_assert_int_eq(in.rel_off + in.rel_size, in.len);
			ck_assert_msg(in.rel == want[i].rel, "put_pid+0x%x: rel %lld", off,
				      (long long)in.rel);
		}
		off += in.len;
	}
	ck_assert_uint_eq(off, sizeof(put_pid));
}
END_TEST

START_TEST(long_branches)
{
	/* the fixture's js: 0f 88 rel32; jg: 0f 8f; a loop: e2 */
	static const u8 js[] = { 0x0f, 0x88, 0x81, 0x00, 0x00, 0x00 };
	static const u8 jg[] = { 0x0f, 0x8f, 0x00, 0x00, 0x00, 0x00 };
	static const u8 jg8[] = { 0x7f, 0xeb };
	static const u8 loop[] = { 0xe2, 0xfe };
	struct om_march_insn in;

	ck_assert_int_eq(om_march_decode(js, sizeof(js), &in), 0);
	ck_assert(in.len == 6 && in.branch == OM_BRANCH_JCC && in.cond == 8 && in.rel == 0x81 &&
		  in.rel_off == 2 && in.rel_size == 4);
	ck_assert_int_eq(om_march_decode(jg, sizeof(jg), &in), 0);
	ck_assert(in.branch == OM_BRANCH_JCC && in.cond == 0xf);
	ck_assert_int_eq(om_march_decode(jg8, sizeof(jg8), &in), 0);
	ck_assert(in.len == 2 && in.branch == OM_BRANCH_JCC && in.cond == 0xf && in.rel == -0x15);
	ck_assert_int_eq(om_march_decode(loop, sizeof(loop), &in), 0);
	ck_assert(in.branch == OM_BRANCH_LOOP && in.cond == 0xe2 && in.rel == -2);
}
END_TEST

START_TEST(unknown_refused)
{
	static const struct { const char *what, *bytes; u32 n; int err; } bad[] = {
		/* blake2s_compress_avx512+0x69 */
		{ "EVEX vpxord", B("\x62\xf1\x7d\x48\xef\xc0"), -EINVAL },
		/* pvh_start_xen+0x50, 32-bit code */
		{ "ljmp", B("\xea\xa7\x08\x00\x01\x00\x10"), -EINVAL },
		{ "3DNow!", B("\x0f\x0f\xc1\x9e"), -EINVAL },
		{ "xbegin", B("\xc7\xf8\x00\x00\x00\x00"), -EINVAL },
		{ "XOP", B("\x8f\xe9\x78\x01\xc0"), -EINVAL },
		{ "REX before a legacy prefix", B("\x48\x66\x90"), -EINVAL },
		{ "jmp with 0x66 (rel16 on AMD)", B("\x66\xe9\x00\x00\x00\x00"), -EINVAL },
		{ "push %es (invalid in 64-bit mode)", B("\x06"), -EINVAL },
		{ "movabs cut short", B("\x48\xb8\xff\x1f\x00\x00"), -ENODATA },
		{ "ModRM cut short", B("\x48\x8b\x80\x78"), -ENODATA },
		{ "prefixes only", B("\x66\x66\x2e"), -ENODATA },
		{ "longer than 15 bytes",
		  B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x2e\x0f\x1f\x00"),
		  -ENODATA },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct om_march_insn in;
		int ret = om_march_decode((const u8 *)bad[i].bytes, bad[i].n, &in);

		ck_assert_msg(ret == bad[i].err, "%s: %d, expected %d", bad[i].what, ret,
			      bad[i].err);
	}
}
END_TEST

static Suite *objmatch_insn_suite(void)
{
	Suite *s = suite_create("objmatch-insn");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, lengths_of_real_instructions);
	tcase_add_test(tc, put_pid_walked);
	tcase_add_test(tc, long_branches);
	tcase_add_test(tc, unknown_refused);
	suite_add_tcase(s, tc);
	return s;
}

TEST_SUITE(objmatch_insn_suite)
