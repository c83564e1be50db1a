// SPDX-License-Identifier: GPL-2.0
/*
 * Run-pre matching in user space: fixture objects (tests/fixtures/match/)
 * compiled with the kernel's code-generation flags, matched against a
 * program image linked from them at kernel addresses.  "Running memory" is
 * the image, with the rewrites the kernel makes at run time (ftrace NOPs,
 * flipped jump labels, ...) overlaid where a test asks for them.
 */
#include "config.h"

#include <bfd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "match/match.h"
#include "match/munit.h"
#include "obj/objmatch.h"
#include "match/runimage.h"
#include "runner.h"

/* The kernel's code generation (arch/x86/Makefile, 6.1, Debian's config). */
#define KFLAGS "-O2 -mcmodel=kernel -fno-pic -mfentry -pg -mrecord-mcount " \
	"-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables " \
	"-mno-red-zone -fno-stack-protector -nostdinc -fno-common " \
	"-mfunction-return=thunk-extern"
#define RETPOLINE "-mindirect-branch=thunk-extern"

static char dir[4096];

static const char *path(const char *name)
{
	static char p[8][4200];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void cc(const char *src, const char *out, const char *extra)
{
	int rc = test_system("${CC:-cc} " KFLAGS " %s -c %s -o %s", extra,
			     test_srcpath(src), path(out));

	ck_assert_msg(rc == 0, "compiling %s failed", src);
}

/* Built once, in the parent, before Check forks the tests. */
static void build_fixtures(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/match", test_tmpdir());
	ck_assert_int_eq(test_system("mkdir -p %s", dir), 0);
	cc("fixtures/match/unit_a.c", "a.o", RETPOLINE);
	cc("fixtures/match/unit_b.c", "b.o", RETPOLINE);
	cc("fixtures/match/unit_c.c", "c.o", "");
	cc("fixtures/match/unit_a.c", "a-O1.o", RETPOLINE " -O1");
	cc("fixtures/match/unit_a.c", "a-changed.o", RETPOLINE " -DCHANGED");
	cc("fixtures/match/unit_c.c", "c-changed.o", "-DCHANGED");
	/* unit D: the image has it as Debian built vmlinux, one .text */
	cc("fixtures/match/unit_d.c", "d.o", RETPOLINE);
	cc("fixtures/match/unit_d.c", "d-kernel.o",
	   RETPOLINE " -fno-function-sections -fno-data-sections -DD_ONE_TEXT");
	ck_assert_int_eq(test_system("${CC:-cc} -c %s -o %s",
				     test_srcpath("fixtures/match/stubs.S"), path("stubs.o")), 0);
	ck_assert_int_eq(test_system("ld -nostdlib -static -e a_entry "
				     "-Ttext-segment=0xffffffff81000000 %s %s %s %s %s -o %s",
				     path("a.o"), path("b.o"), path("c.o"), path("stubs.o"),
				     path("d-kernel.o"), path("image")), 0);
	ck_assert_int_eq(test_system("nm %s > %s", path("image"), path("image.syms")), 0);
}

/*
 * 6.12's entry (CONFIG_CALL_PADDING, CONFIG_X86_KERNEL_IBT): 16 NOPs in the
 * function's section before it, endbr64 at its start (docs/kernel-series.md).
 */
#define SERIES_612 "-fpatchable-function-entry=16,16 -fcf-protection=branch"

static void build_fixtures_612(void)
{
	build_fixtures();
	if (!access(path("image612"), F_OK))
		return;
	cc("fixtures/match/unit_a.c", "a612.o", RETPOLINE " " SERIES_612);
	cc("fixtures/match/unit_b.c", "b612.o", RETPOLINE " " SERIES_612);
	cc("fixtures/match/unit_c.c", "c612.o", SERIES_612);
	cc("fixtures/match/unit_a.c", "a612-changed.o", RETPOLINE " " SERIES_612 " -DCHANGED");
	ck_assert_int_eq(test_system("ld -nostdlib -static -e a_entry "
				     "-Ttext-segment=0xffffffff81000000 %s %s %s %s -o %s",
				     path("a612.o"), path("b612.o"), path("c612.o"),
				     path("stubs.o"), path("image612")), 0);
	ck_assert_int_eq(test_system("nm %s > %s", path("image612"), path("image612.syms")), 0);
}

/* ------------------------------------------------------------ environment */

struct overlay {
	u64 addr;
	u8 bytes[8];
	u32 len;
};

struct ctx {
	struct om_image *img;
	struct om_ksyms *ksyms;
	struct overlay ov[8];
	int nov;
	char log[16384];
	size_t loglen;
};

static int env_read(void *p, u64 addr, void *buf, u32 len)
{
	struct ctx *c = p;
	int ret = om_image_read(c->img, addr, buf, len), i;
	u32 j;

	if (ret)
		return ret;
	for (i = 0; i < c->nov; i++)
		for (j = 0; j < c->ov[i].len; j++)
			if (c->ov[i].addr + j >= addr && c->ov[i].addr + j < addr + len)
				((u8 *)buf)[c->ov[i].addr + j - addr] = c->ov[i].bytes[j];
	return 0;
}

static int env_candidates(void *p, const char *name, u64 *addrs, u32 max)
{
	return om_ksyms_lookup(((struct ctx *)p)->ksyms, name, addrs, max);
}

static void *env_zalloc(void *p, size_t n)
{
	return calloc(1, n);
}

static void env_free(void *p, void *q)
{
	free(q);
}

static void env_log(void *p, int level, const char *line)
{
	struct ctx *c = p;
	int n = snprintf(c->log + c->loglen, sizeof(c->log) - c->loglen, "%d %s\n", level, line);

	if (n > 0 && c->loglen + n < sizeof(c->log))
		c->loglen += n;
}

static void lib_log(void *p, enum om_log_level level, const char *msg)
{
	ck_abort_msg("unexpected objmatch message: %s", msg);
}

static struct ctx ctx;
static struct om_env env = { .ctx = &ctx, .read = env_read, .candidates = env_candidates,
			     .zalloc = env_zalloc, .free = env_free, .log = env_log };
static const struct om_options lib_opts = { .log = lib_log, .log_level = OM_LOG_WARN };

static void setup(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(om_image_open(path("image"), &lib_opts, &ctx.img), 0);
	ck_assert_int_eq(om_ksyms_load(path("image.syms"), &lib_opts, &ctx.ksyms), 0);
}

static void setup_612(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(om_image_open(path("image612"), &lib_opts, &ctx.img), 0);
	ck_assert_int_eq(om_ksyms_load(path("image612.syms"), &lib_opts, &ctx.ksyms), 0);
}

static void teardown(void)
{
	om_image_close(ctx.img);
	om_ksyms_free(ctx.ksyms);
}

/* The image's address of @name defined in source file @file (a static). */
static u64 sym_in_file(const char *file, const char *name)
{
	bfd *abfd = bfd_openr(path("image"), NULL);
	asymbol **syms;
	long n, i;
	const char *cur = "";
	u64 addr = 0;

	ck_assert_ptr_nonnull(abfd);
	ck_assert(bfd_check_format(abfd, bfd_object));
	syms = malloc(bfd_get_symtab_upper_bound(abfd));
	n = bfd_canonicalize_symtab(abfd, syms);
	for (i = 0; i < n; i++) {
		if (syms[i]->flags & BSF_FILE)
			cur = syms[i]->name;
		else if (!strcmp(cur, file) && !strcmp(syms[i]->name, name))
			addr = bfd_asymbol_value(syms[i]);
	}
	free(syms);
	bfd_close(abfd);
	ck_assert_msg(addr, "%s of %s not in the image", name, file);
	return addr;
}

static u64 global(const char *name)
{
	u64 a;

	ck_assert_int_eq(om_ksyms_addr(ctx.ksyms, name, &a), 0);
	return a;
}

/* Match @funcs (NULL: all) of object @obj; returns the matcher's result. */
struct run {
	struct om_object *obj;
	struct om_munit_build *mb;
	struct om_match *m;
	int ret;
};

static struct run run_match(const char *obj, const char *const *funcs, size_t n, int debug)
{
	struct run r = { 0 };

	ck_assert_int_eq(om_object_open(path(obj), &lib_opts, &r.obj), 0);
	ck_assert_int_eq(om_munit_build(r.obj, funcs, n, &lib_opts, &r.mb), 0);
	r.ret = om_match_run(om_munit_get(r.mb), &env, debug, &r.m);
	return r;
}

static void run_free(struct run *r)
{
	om_match_free(r->m);
	om_munit_free(r->mb);
	om_object_free(r->obj);
}

static u64 learned(const struct run *r, const char *name)
{
	const struct om_munit *u = om_munit_get(r->mb);
	u32 i;
	u64 a;

	for (i = 0; i < u->nsyms; i++)
		if (!strcmp(u->syms[i].name, name) && !om_match_symbol_addr(r->m, i, 0, &a))
			return a;
	return 0;
}

static int logged(const char *s)
{
	return strstr(ctx.log, s) != NULL;
}

static void overlay(u64 addr, const void *bytes, u32 len)
{
	ck_assert_int_lt(ctx.nov, 8);
	ctx.ov[ctx.nov].addr = addr;
	ctx.ov[ctx.nov].len = len;
	memcpy(ctx.ov[ctx.nov].bytes, bytes, len);
	ctx.nov++;
}

/*
 * Copy object @src to @dst with @len bytes written over the first @find
 * in function @func (searched from its entry); returns the offset written,
 * from the function's entry.
 */
static u32 obj_patch(const char *src, const char *dst, const char *func, const u8 *find,
		     u32 flen, const u8 *bytes, u32 len)
{
	bfd *abfd = bfd_openr(path(src), NULL);
	asymbol **syms, *sym = NULL;
	bfd_byte *data = NULL;
	u8 *hit;
	long n, i;
	file_ptr at;
	u32 off;
	FILE *f;

	ck_assert_ptr_nonnull(abfd);
	ck_assert(bfd_check_format(abfd, bfd_object));
	syms = malloc(bfd_get_symtab_upper_bound(abfd));
	n = bfd_canonicalize_symtab(abfd, syms);
	for (i = 0; i < n; i++)
		if (!strcmp(syms[i]->name, func) && (syms[i]->flags & BSF_FUNCTION))
			sym = syms[i];
	ck_assert_msg(sym, "%s not in %s", func, src);
	ck_assert(bfd_malloc_and_get_section(abfd, sym->section, &data));
	hit = memmem(data + sym->value, bfd_section_size(sym->section) - sym->value, find, flen);
	ck_assert_msg(hit, "pattern not in %s of %s", func, src);
	off = (u32)(hit - data - sym->value);
	at = sym->section->filepos + (hit - data);
	free(data);
	free(syms);
	bfd_close(abfd);
	ck_assert_int_eq(test_system("cp %s %s", path(src), path(dst)), 0);
	f = fopen(path(dst), "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return off;
}

/* ------------------------------------------------------------ positive */

START_TEST(match_whole_unit)
{
	struct run r = run_match("a.o", NULL, 0, 0);

	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(om_match_nmatched(r.m), 4);	/* twin same a_entry a_indirect */
	ck_assert_uint_eq(learned(&r, "a_entry"), global("a_entry"));
	ck_assert_uint_eq(learned(&r, "a_indirect"), global("a_indirect"));
	/* externals, learned from the running bytes alone */
	ck_assert_uint_eq(learned(&r, "ext_value"), global("ext_value"));
	ck_assert_uint_eq(learned(&r, "ext_log"), global("ext_log"));
	ck_assert_uint_eq(learned(&r, "ext_fn"), global("ext_fn"));
	run_free(&r);
}
END_TEST

START_TEST(static_variable_deduced)
{
	/* counter is a static of unit_a.c: in no export, learned from a_entry */
	static const char *const f[] = { "a_entry" };
	struct run r = run_match("a.o", f, 1, 0);

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	ck_assert_uint_eq(learned(&r, "counter"), sym_in_file("unit_a.c", "counter"));
	run_free(&r);
}
END_TEST

START_TEST(same_name_statics_pick_the_right_one)
{
	/* twin exists in unit_a.c and unit_b.c with different code */
	static const char *const f[] = { "twin" };
	struct run ra = run_match("a.o", f, 1, 0), rb;

	ck_assert_msg(ra.ret == 0, "log:\n%s", ctx.log);
	ck_assert_uint_eq(learned(&ra, "twin"), sym_in_file("unit_a.c", "twin"));
	rb = run_match("b.o", f, 1, 0);
	ck_assert_msg(rb.ret == 0, "log:\n%s", ctx.log);
	ck_assert_uint_eq(learned(&rb, "twin"), sym_in_file("unit_b.c", "twin"));
	ck_assert_uint_ne(learned(&ra, "twin"), learned(&rb, "twin"));
	run_free(&ra);
	run_free(&rb);
}
END_TEST

START_TEST(identical_statics_are_ambiguous_alone)
{
	/* same() is byte-identical in both units: alone, it can't be placed */
	static const char *const f[] = { "same" };
	struct run r = run_match("a.o", f, 1, 0);

	ck_assert_int_eq(r.ret, -EEXIST);
	ck_assert_msg(logged("same: 2 of 2 candidates match"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(identical_statics_pinned_by_a_caller)
{
	/* with a_entry, whose call to same() says which copy it is */
	static const char *const f[] = { "same", "a_entry" };
	struct run r = run_match("a.o", f, 2, 0);

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	ck_assert_uint_eq(learned(&r, "same"), sym_in_file("unit_a.c", "same"));
	run_free(&r);
}
END_TEST

START_TEST(jump_table_in_rodata)
{
	struct run r = run_match("c.o", NULL, 0, 0);
	const struct om_munit *u;
	u32 i;
	u64 a;
	int found = 0;

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	u = om_munit_get(r.mb);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".rodata.c_switch")) {
			ck_assert_int_eq(om_match_section_addr(r.m, i, &a), 0);
			found = 1;
		}
	ck_assert_msg(found, "c.o has no .rodata.c_switch: no jump table to test");
	run_free(&r);
}
END_TEST

/* ------------------------------------------------------------ what the kernel rewrites */

START_TEST(ftrace_nop_tolerated)
{
	static const u8 nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const char *const f[] = { "a_entry" };
	struct run r;

	overlay(global("a_entry"), nop5, 5);
	r = run_match("a.o", f, 1, 1);
	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	ck_assert_msg(logged("a_entry+0x0: ftrace site"), "debug log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(jump_label_either_state)
{
	static const char *const f[] = { "a_entry" };
	struct run r = run_match("a.o", f, 1, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	const struct om_msection *sec = NULL;
	u8 jmp[5];
	u32 i, off, target;
	s32 rel;

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.a_entry"))
			sec = &u->sections[i];
	ck_assert_ptr_nonnull(sec);
	ck_assert_uint_eq(sec->nsites, 2);	/* the lock prefix and the static branch */
	for (i = 0; i < sec->nsites && sec->sites[i].kind != OM_SITE_JUMP_LABEL; i++)
		;
	ck_assert_uint_lt(i, sec->nsites);
	off = sec->sites[i].offset;
	target = sec->sites[i].target;
	run_free(&r);

	/* the key enabled: the NOP became "jmp target" */
	rel = (s32)target - (s32)(off + 5);
	jmp[0] = 0xe9;
	memcpy(jmp + 1, &rel, 4);
	overlay(global("a_entry") + off, jmp, 5);
	r = run_match("a.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	run_free(&r);

	/* a jump elsewhere is not a state of this key */
	rel += 1;
	memcpy(ctx.ov[0].bytes + 1, &rel, 4);
	r = run_match("a.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	run_free(&r);
}
END_TEST

START_TEST(smp_lock_prefix)
{
	static const char *const f[] = { "a_entry" };
	static const u8 ds = 0x3e, nop = 0x90;
	struct run r = run_match("a.o", f, 1, 0);
	const struct om_msection *sec = NULL;
	const struct om_munit *u = om_munit_get(r.mb);
	u32 i, off = 0;

	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.a_entry"))
			sec = &u->sections[i];
	for (i = 0; i < sec->nsites; i++)
		if (sec->sites[i].kind == OM_SITE_SMP_LOCK)
			off = sec->sites[i].offset;
	ck_assert_uint_ne(off, 0);
	run_free(&r);

	overlay(global("a_entry") + off, &ds, 1);	/* UP: LOCK became DS */
	r = run_match("a.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	run_free(&r);

	ctx.ov[0].bytes[0] = nop;			/* anything else is not */
	r = run_match("a.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	run_free(&r);
}
END_TEST

/*
 * A runtime constant's immediate (6.11+) holds what the kernel wrote at
 * boot (USER_PTR_MAX, d_hash_shift's low byte), the object a placeholder:
 * any value matches, the instruction around it does not change.
 */
START_TEST(runtime_constant_any_value)
{
	static const char *const f[] = { "c_runtime" };
	static const u8 umax[8] = { 0x00, 0xf0, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00 };
	static const u8 shift = 0x11, rex = 0x4f;
	struct run r = run_match("c.o", f, 1, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	const struct om_msection *sec = NULL;
	u32 i, ptr = 0, sh = 0, n = 0;

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.c_runtime"))
			sec = &u->sections[i];
	ck_assert_ptr_nonnull(sec);
	for (i = 0; i < sec->nsites; i++) {
		if (sec->sites[i].kind != OM_SITE_RUNTIME_CONST)
			continue;
		n++;
		if (sec->sites[i].len == 8)
			ptr = sec->sites[i].offset;
		else if (sec->sites[i].len == 1)
			sh = sec->sites[i].offset;
	}
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_ne(ptr, 0);
	ck_assert_uint_ne(sh, 0);
	/* the placeholder is where the sites say */
	ck_assert_uint_eq(sec->data[ptr], 0xef);
	ck_assert_uint_eq(sec->data[ptr + 7], 0x01);
	ck_assert_uint_eq(sec->data[sh], 12);
	run_free(&r);

	overlay(global("c_runtime") + ptr, umax, 8);	/* as the kernel wrote them */
	overlay(global("c_runtime") + sh, &shift, 1);
	r = run_match("c.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	run_free(&r);

	/* the movabs's register is code: another is no match */
	overlay(global("c_runtime") + ptr - 2, &rex, 1);
	r = run_match("c.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	run_free(&r);
}
END_TEST

START_TEST(return_thunk_and_retpoline_rewrites)
{
	static const char *const f[] = { "a_indirect" };
	struct run r = run_match("a.o", f, 1, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	const struct om_msection *sec = NULL;
	static const u8 ret_int3[] = { 0xc3, 0xcc, 0xcc, 0xcc, 0xcc };
	static const u8 call_rax[] = { 0xff, 0xd0, 0x90, 0x90, 0x90 };
	static const u8 call_rcx[] = { 0xff, 0xd1, 0x90, 0x90, 0x90 };
	u32 i, thunk = 0, ret = 0;

	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.a_indirect"))
			sec = &u->sections[i];
	for (i = 0; i < sec->nrelocs; i++) {
		const char *n = u->syms[sec->relocs[i].sym].name;

		if (!strcmp(n, "__x86_indirect_thunk_rax"))
			thunk = sec->relocs[i].offset - 1;
		if (!strcmp(n, "__x86_return_thunk"))
			ret = sec->relocs[i].offset - 1;
	}
	ck_assert_uint_ne(thunk, 0);
	ck_assert_uint_ne(ret, 0);
	run_free(&r);

	overlay(global("a_indirect") + ret, ret_int3, 5);
	overlay(global("a_indirect") + thunk, call_rax, 5);
	r = run_match("a.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "log:\n%s", ctx.log);
	run_free(&r);

	/* the wrong register is not a rewrite of this thunk call */
	memcpy(ctx.ov[1].bytes, call_rcx, 5);
	r = run_match("a.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	run_free(&r);
}
END_TEST

/* ------------------------------------------------------------ refusals */

START_TEST(other_optimisation_level_refused)
{
	static const char *const f[] = { "a_entry" };
	struct run r = run_match("a-O1.o", f, 1, 0);

	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("a-O1.o[.text.a_entry]: no match (1 candidate): a_entry+0x"),
		      "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(changed_instruction_refused)
{
	static const char *const f[] = { "twin" };
	struct run r = run_match("a-changed.o", f, 1, 0);

	/* neither copy of twin matches; the report names function and offset */
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.text.twin]: no match (2 candidates): twin+0x"), "log:\n%s",
		      ctx.log);
	ck_assert_msg(logged("expected ") && logged("running "), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(conflicting_deduction_refused)
{
	/*
	 * a_entry calls ext_value twice; make the second call point elsewhere
	 * in "running memory": the two deductions disagree.
	 */
	static const char *const f[] = { "a_entry" };
	struct run r = run_match("a.o", f, 1, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	const struct om_msection *sec = NULL;
	u32 i, last = 0;
	u8 rel[4];

	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.a_entry"))
			sec = &u->sections[i];
	for (i = 0; i < sec->nrelocs; i++)
		if (!strcmp(u->syms[sec->relocs[i].sym].name, "ext_value"))
			last = sec->relocs[i].offset;
	ck_assert_uint_ne(last, 0);
	run_free(&r);

	ck_assert_int_eq(om_image_read(ctx.img, global("a_entry") + last, rel, 4), 0);
	rel[0] += 3;
	overlay(global("a_entry") + last, rel, 4);
	r = run_match("a.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("reference to ext_value deduces") && logged("earlier deduced"),
		      "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(changed_rodata_refused)
{
	/* a jump-table entry of c_switch differs in "running memory" */
	struct run r = run_match("c.o", NULL, 0, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	u64 table = 0, v;
	u32 i;

	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".rodata.c_switch"))
			ck_assert_int_eq(om_match_section_addr(r.m, i, &table), 0);
	ck_assert_uint_ne(table, 0);
	run_free(&r);

	ck_assert_int_eq(om_image_read(ctx.img, table + 8, &v, 8), 0);
	v += 1;
	overlay(table + 8, &v, 8);
	r = run_match("c.o", NULL, 0, 0);
	ck_assert_int_ne(r.ret, 0);
	ck_assert_msg(logged("[.rodata.c_switch]: read-only data differs"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(changed_string_refused)
{
	static const char *const f[] = { "a_entry" };
	struct run r = run_match("a.o", f, 1, 0);
	u64 s = 0;
	const struct om_munit *u = om_munit_get(r.mb);
	u32 i;

	for (i = 0; i < u->nsections; i++) {
		const struct om_msection *sec = &u->sections[i];
		u32 j;

		for (j = 0; j < sec->nrelocs && !s; j++) {
			const struct om_msym *sym = &u->syms[sec->relocs[j].sym];

			if (sym->section >= 0 && (u->sections[sym->section].flags & OM_MSEC_STRINGS))
				ck_assert_int_eq(om_match_symbol_addr(r.m, sec->relocs[j].sym,
								      sec->relocs[j].addend, &s), 0);
		}
	}
	ck_assert_uint_ne(s, 0);
	run_free(&r);

	overlay(s, "A", 1);	/* "a_entry %d\n" -> "A_entry %d\n" */
	r = run_match("a.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("string at +0x0 (\"a_entry"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(unknown_function_refused)
{
	/* b_entry's object against an image symbol list without it */
	struct om_object *obj;
	struct om_munit_build *mb;
	struct om_match *m;
	static const char *const f[] = { "b_entry" };

	om_ksyms_free(ctx.ksyms);
	ck_assert_int_eq(test_system("grep -v ' b_entry$' %s > %s", path("image.syms"),
				     path("nob.syms")), 0);
	ck_assert_int_eq(om_ksyms_load(path("nob.syms"), &lib_opts, &ctx.ksyms), 0);
	ck_assert_int_eq(om_object_open(path("b.o"), &lib_opts, &obj), 0);
	ck_assert_int_eq(om_munit_build(obj, f, 1, &lib_opts, &mb), 0);
	ck_assert_int_eq(om_match_run(om_munit_get(mb), &env, 0, &m), -ENOENT);
	ck_assert_msg(logged("b_entry: no symbol of that name in the running kernel"),
		      "log:\n%s", ctx.log);
	om_match_free(m);
	om_munit_free(mb);
	om_object_free(obj);
}
END_TEST

START_TEST(malformed_input_rejected)
{
	/* a relocation past its section's end is refused, not followed */
	static const u8 code[4] = { 0 };
	struct om_mreloc rel = { .offset = 2, .type = 2 /* PC32 */, .sym = 0 };
	struct om_msym sym = { .name = "x", .kind = OM_MSYM_UNDEF, .section = -1 };
	struct om_msection sec = { .name = ".text.f", .flags = OM_MSEC_CODE | OM_MSEC_MATCH,
				   .data = code, .size = 4, .relocs = &rel, .nrelocs = 1 };
	struct om_munit u = { .name = "bad.o", .sections = &sec, .nsections = 1,
			      .syms = &sym, .nsyms = 1 };
	struct om_match *m;

	ck_assert_int_eq(om_match_run(&u, &env, 0, &m), -EINVAL);
	ck_assert_ptr_null(m);
	rel.offset = 0;
	rel.type = 9999;	/* not a type the kernel uses */
	ck_assert_int_eq(om_match_run(&u, &env, 0, &m), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ 6.12's entry */

/*
 * c_sched_first and c_sched_second share .sched.text: asked for the
 * second, the matcher matches the whole section at its first function's
 * address, and each function's address is the section's plus its offset.
 */
START_TEST(shared_section_matched_whole)
{
	static const char *const f[] = { "c_sched_second" };
	struct run r = run_match("c.o", f, 1, 0);

	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(om_match_nmatched(r.m), 1);
	ck_assert_uint_eq(learned(&r, "c_sched_second"), global("c_sched_second"));
	ck_assert_uint_eq(learned(&r, "c_sched_first"), global("c_sched_first"));
	ck_assert_uint_ne(global("c_sched_second"), global("c_sched_first"));
	ck_assert_uint_eq(learned(&r, "ext_value"), global("ext_value"));
	run_free(&r);
}
END_TEST

/* Built from other source, the neighbour fails the match of the section. */
START_TEST(shared_section_neighbour_changed_refused)
{
	static const char *const f[] = { "c_sched_second" };
	struct run r = run_match("c-changed.o", f, 1, 0);

	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.sched.text]: no match (1 candidate): c_sched_first+0x"),
		      "log:\n%s", ctx.log);
	ck_assert_uint_eq(learned(&r, "c_sched_second"), 0);
	run_free(&r);
}
END_TEST

START_TEST(padded_unit_matches)
{
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	struct run r = run_match("a612.o", NULL, 0, 0);
	u8 entry[4];

	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(om_match_nmatched(r.m), 4);
	/* the function, not its padding: where kallsyms has a_entry */
	ck_assert_uint_eq(learned(&r, "a_entry"), global("a_entry"));
	ck_assert_uint_eq(learned(&r, "ext_fn"), global("ext_fn"));
	ck_assert_int_eq(om_image_read(ctx.img, global("a_entry"), entry, 4), 0);
	ck_assert_mem_eq(entry, endbr64, 4);
	run_free(&r);
}
END_TEST

START_TEST(padding_not_compared)
{
	/* the kernel may rewrite the padding (call depth thunks) */
	static const u8 cc8[8] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	static const char *const f[] = { "a_entry" };
	struct run r;

	overlay(global("a_entry") - 16, cc8, 8);
	overlay(global("a_entry") - 8, cc8, 8);
	r = run_match("a612.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(learned(&r, "a_entry"), global("a_entry"));
	run_free(&r);
}
END_TEST

/*
 * The padding before a function that shares its section (.sched.text on
 * 6.12): a call thunk there (call depth tracking, `sarq $5,
 * %gs:DISP(%rip)`) is the kernel's, not a mismatch; the function after
 * it is still compared.
 */
START_TEST(call_padding_not_compared)
{
	static const char *const f[] = { "c_pad1" };
	static const u8 thunk[8] = { 0x65, 0x48, 0xc1, 0x3d, 0xd0, 0x3d, 0x3d, 0x4d };
	static const u8 three = 0x03;
	struct run r = run_match("c612.o", f, 1, 0);
	const struct om_munit *u = om_munit_get(r.mb);
	const struct om_msection *sec = NULL;
	u64 pad = global("c_pad2") - 16 - global("c_pad1");
	u32 i, n = 0;

	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.c_shared"))
			sec = &u->sections[i];
	ck_assert_ptr_nonnull(sec);
	for (i = 0; i < sec->nsites; i++) {
		if (sec->sites[i].kind != OM_SITE_CALL_PADDING)
			continue;
		n++;
		ck_assert_uint_eq(sec->sites[i].offset, pad);
		ck_assert_uint_eq(sec->sites[i].len, 16);
	}
	ck_assert_uint_eq(n, 1);
	run_free(&r);

	overlay(global("c_pad2") - 9, thunk, 8);	/* as the kernel writes it */
	r = run_match("c612.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	run_free(&r);

	overlay(global("c_pad2") + 1, &three, 1);	/* movl $3 for movl $2 */
	r = run_match("c612.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("c_pad2+0x1"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(padded_changed_instruction_refused)
{
	static const char *const f[] = { "twin" };
	struct run r = run_match("a612-changed.o", f, 1, 0);

	/* offsets count from the function, as on 6.1 */
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.text.twin]: no match (2 candidates): twin+0x"), "log:\n%s",
		      ctx.log);
	run_free(&r);
}
END_TEST

/*
 * objtool's seal (gen_endbr_poison(), "nopl (%rax)") replaces the endbr64
 * of a function never called indirectly: in vmlinux at boot, in a module's
 * copy when it loads.  Either side may have it, only at a function's entry.
 */
static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const u8 seal[] = { 0x66, 0x0f, 0x1f, 0x00 };

START_TEST(sealed_running_entry_matches)
{
	static const char *const f[] = { "a_entry", "a_indirect" };
	struct run r;

	overlay(global("a_entry"), seal, 4);
	overlay(global("a_indirect"), seal, 4);
	r = run_match("a612.o", f, 2, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(learned(&r, "a_entry"), global("a_entry"));
	ck_assert_uint_eq(learned(&r, "a_indirect"), global("a_indirect"));
	ck_assert_msg(logged("a_entry+0x0: endbr64 sealed on one side"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(sealed_pre_entry_matches)
{
	static const char *const f[] = { "a_entry" };
	struct run r;

	/* the pre module's copy, sealed by its loader; the kernel's is not */
	ck_assert_uint_eq(obj_patch("a612.o", "a612-sealed.o", "a_entry", endbr64, 4, seal, 4), 0);
	r = run_match("a612-sealed.o", f, 1, 0);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(learned(&r, "a_entry"), global("a_entry"));
	run_free(&r);
}
END_TEST

START_TEST(seal_inside_function_refused)
{
	static const u8 add_rsp8[] = { 0x48, 0x83, 0xc4, 0x08 };	/* add $8, %rsp */
	static const char *const f[] = { "a_indirect" };
	char want[80];
	struct run r;
	u32 off;

	/* endbr64 bytes in the pre code, the seal in the kernel: not at an entry */
	off = obj_patch("a612.o", "a612-midendbr.o", "a_indirect", add_rsp8, 4, endbr64, 4);
	ck_assert_uint_gt(off, 4);
	overlay(global("a_indirect") + off, seal, 4);
	r = run_match("a612-midendbr.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	snprintf(want, sizeof(want), "a_indirect+0x%x: expected f3 0f 1e fa", off);
	ck_assert_msg(logged(want), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(other_nop_at_entry_refused)
{
	static const u8 nopl4[] = { 0x0f, 0x1f, 0x40, 0x00 };	/* another 4-byte NOP */
	static const char *const f[] = { "a_entry" };
	struct run r;

	overlay(global("a_entry"), nopl4, 4);
	r = run_match("a612.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("a_entry+0x0: expected f3 0f 1e fa"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST


/* ------------------------------------------------------------ kernel build */

/*
 * What a RIP-relative operand reaches in the image: the displacement at
 * @func+@disp, the instruction ending at @func+@end.
 */
static u64 rip_target(const char *func, u32 disp, u32 end)
{
	s32 rel;

	ck_assert_int_eq(om_image_read(ctx.img, global(func) + disp, &rel, 4), 0);
	return global(func) + end + (s64)rel;
}

START_TEST(relaxed_tail_jump_matches)
{
	/* d_tail's "jmp d_restart": e9 + relocation in d.o, eb rel8 in the image */
	static const char *const f[] = { "d_tail", "d_restart" };
	u8 jmp[2];
	u64 at = global("d_tail") + 0x10;
	struct run r;

	ck_assert_int_eq(om_image_read(ctx.img, at, jmp, 2), 0);
	ck_assert_uint_eq(jmp[0], 0xeb);	/* the fixture's premise */
	r = run_match("d.o", f, 2, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(om_match_nmatched(r.m), 2);
	ck_assert_uint_eq(learned(&r, "d_restart"), global("d_restart"));
	ck_assert_msg(logged("d_tail+0x10: tail jump shortened by the assembler"), "log:\n%s",
		      ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_tail_jump_elsewhere_refused)
{
	/* the short jump reaches 2 bytes further: d_restart is not there */
	static const char *const f[] = { "d_tail", "d_restart" };
	u8 jmp[2];
	u64 at = global("d_tail") + 0x10;
	struct run r;

	ck_assert_int_eq(om_image_read(ctx.img, at, jmp, 2), 0);
	jmp[1] += 2;
	overlay(at, jmp, 2);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("no match (1 candidate)") && logged("d_restart"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

/*
 * d_shift (unit_d.c) in d.o and in the image:
 *   +0x3   jg d_shift_tail   0f 8f <rel32>      7f rel8   (image from here: -4)
 *   +0x9   js 3f             0f 88 <rel32>      78 rel8   (-4 more, +0x7 in the image)
 *   +0x16  jmp d_shift_tail  e9 <rel32>         eb rel8   (-3 more, +0xe)
 *   +0x1b  mov d_counter(%rip), %eax ...        +0x10
 *   +0x7b  5-byte NOP (loop alignment)          none
 *   +0x80  2: add %edi, %eax                    +0x70
 *   +0x84  jg 2b                                +0x74
 *   +0x8c  jump-label site (NOP5), target +0x96 +0x7c, target +0x86
 *   +0x91  call ext_value                       +0x81
 *   +0x97  3: neg %edi                          +0x87
 *   +0x99  jmp 0b (rel32 in both)               +0x89
 */
static void shift_premise(void)
{
	u8 b[0x8e];

	ck_assert_int_eq(om_image_read(ctx.img, global("d_shift"), b, sizeof(b)), 0);
	ck_assert_uint_eq(b[0x3], 0x7f);
	ck_assert_uint_eq(b[0x7], 0x78);
	ck_assert_uint_eq(b[0xe], 0xeb);
	ck_assert_uint_eq(b[0x70], 0x01);
	ck_assert_uint_eq(b[0x74], 0x7f);
	ck_assert_uint_eq(b[0x7c], 0x0f);
	ck_assert_uint_eq(b[0x89], 0xe9);
}

START_TEST(relaxed_mid_jump_matches)
{
	static const char *const f[] = { "d_shift", "d_shift_tail" };
	struct run r;

	shift_premise();
	r = run_match("d.o", f, 2, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_uint_eq(om_match_nmatched(r.m), 2);
	/* references after the shift learn the right addresses */
	ck_assert_uint_eq(learned(&r, "d_shift_tail"), global("d_shift_tail"));
	ck_assert_uint_eq(learned(&r, "d_counter"), global("d_counter"));
	ck_assert_uint_eq(learned(&r, "ext_value"), global("ext_value"));
	ck_assert_msg(logged("d_shift+0x3: jump to d_shift_tail shortened by the assembler (2 bytes)") &&
		      logged("d_shift+0x16: jump to d_shift_tail shortened by the assembler") &&
		      logged("d_shift: matched instruction by instruction, 2 shortened jumps, "
			     "running code 16 bytes shorter"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_label_after_shift)
{
	/*
	 * the static branch after the shift, enabled: a jump to its target
	 * where the running layout has it (+0x86), not the pre code's (+0x96)
	 */
	static const char *const f[] = { "d_shift", "d_shift_tail" };
	struct run r;

	shift_premise();
	overlay(global("d_shift") + 0x7c, "\xe9\x05\x00\x00\x00", 5);
	r = run_match("d.o", f, 2, 0);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	run_free(&r);

	ctx.nov = 0;
	ctx.loglen = 0;
	ctx.log[0] = 0;
	overlay(global("d_shift") + 0x7c, "\xe9\x07\x00\x00\x00", 5);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("d_shift+0x8c: jump to +0x96, running code jumps to +0x88, not to +0x86"),
		      "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_return_thunk_rewritten)
{
	/*
	 * d_shift_ret+0xe (+0xb in the image): "jmp __x86_return_thunk",
	 * which apply_returns() makes "ret; int3; int3; int3; int3"
	 */
	static const char *const f[] = { "d_shift_ret", "d_shift_tail" };
	u8 b[0x10];
	struct run r;

	ck_assert_int_eq(om_image_read(ctx.img, global("d_shift_ret"), b, sizeof(b)), 0);
	ck_assert_uint_eq(b[4], 0xeb);
	ck_assert_uint_eq(b[0xb], 0xe9);
	r = run_match("d.o", f, 2, 0);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	run_free(&r);

	overlay(global("d_shift_ret") + 0xb, "\xc3\xcc\xcc\xcc\xcc", 5);
	r = run_match("d.o", f, 2, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	ck_assert_msg(logged("d_shift_ret+0xe: rewritten call to __x86_return_thunk"), "log:\n%s",
		      ctx.log);
	run_free(&r);

	ctx.nov = 0;
	ctx.log[0] = 0;
	ctx.loglen = 0;
	overlay(global("d_shift_ret") + 0xb, "\xc2\x00\x00\xcc\xcc", 5);	/* ret $0 */
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("d_shift_ret+0xe: expected e9"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_changed_instruction_refused)
{
	/* after the shift: add %edi,%eax became sub; named at its pre offset */
	static const char *const f[] = { "d_shift", "d_shift_tail" };
	struct run r;

	shift_premise();
	overlay(global("d_shift") + 0x70, "\x29\xf8", 2);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.text.d_shift]: no match (1 candidate): d_shift+0x80: "
			     "expected 01 f8, running 29 f8"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_other_branch_target_refused)
{
	/* the loop's jg 2b reaches 2 bytes before the loop in the image */
	static const char *const f[] = { "d_shift", "d_shift_tail" };
	struct run r;

	shift_premise();
	overlay(global("d_shift") + 0x74, "\x7f\xf8", 2);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("d_shift+0x84: jump to +0x80, running code jumps to +0x6e, not to +0x70"),
		      "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_elsewhere_refused)
{
	/* the shortened jmp reaches 2 bytes past d_shift_tail; the jg does not */
	static const char *const f[] = { "d_shift", "d_shift_tail" };
	u8 jmp[2];
	u64 at = global("d_shift") + 0xe;
	struct run r;

	shift_premise();
	ck_assert_int_eq(om_image_read(ctx.img, at, jmp, 2), 0);
	jmp[1] += 2;
	overlay(at, jmp, 2);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("d_shift+0x17: reference to d_shift_tail deduces 0x"), "log:\n%s",
		      ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_undecodable_refused)
{
	/* d_shift_evex: vpxord %zmm0 (EVEX) after the shortened jump */
	static const char *const f[] = { "d_shift_evex", "d_shift_tail" };
	struct run r;

	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.text.d_shift_evex]: no match (1 candidate): d_shift_evex+0x9: "
			     "cannot decode the pre instruction 62 f1 7d 48 ef c0"), "log:\n%s",
		      ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(relaxed_mid_jump_moved_neighbour_refused)
{
	/*
	 * .text.d_shared: d_shared_b at +0xf, after d_shared_a's shortened
	 * jump; the section's address plus 0xf is not where it runs
	 */
	static const char *const f[] = { "d_shared_b", "d_shift_tail" };
	struct run r;

	ck_assert_uint_eq(global("d_shared_b") - global("d_shared_a"), 0xc);
	r = run_match("d.o", f, 2, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.text.d_shared_a]: no match (1 candidate): d_shared_a+0xf: d_shared_b "
			     "runs at +0xc, moved by a shortened jump before it"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(pcrel_string_merged)
{
	/*
	 * lea "a_entry %d\n"(%rip): the image has unit A's copy; the 4 bytes
	 * before it are not the ones before d.o's
	 */
	static const char *const f[] = { "d_pcrel" };
	u64 s = rip_target("d_pcrel", 0x20, 0x24);
	char str[12];
	struct run r;

	ck_assert_int_eq(om_image_read(ctx.img, s, str, sizeof(str)), 0);
	ck_assert_mem_eq(str, "a_entry %d\n", 12);	/* the premise: lea at +0x1d */
	r = run_match("d.o", f, 1, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	run_free(&r);

	overlay(s + 1, "-", 1);	/* "a-entry %d\n" */
	r = run_match("d.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.rodata.d_pcrel.str1.1]: string at +0x") &&
		      logged("(\"a_entry %d"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(pcrel_constant_merged)
{
	/*
	 * movzwl / cmpw $0x42 on .rodata.cst2+4 (0x5678): stubs.S's copy in
	 * the image, after 0x9abc; both references name the same constant
	 */
	static const char *const f[] = { "d_cst2" };
	u64 c = rip_target("d_cst2", 8, 0xc);
	u16 v;
	struct run r;

	ck_assert_int_eq(om_image_read(ctx.img, c, &v, 2), 0);
	ck_assert_uint_eq(v, 0x5678);
	ck_assert_uint_eq(rip_target("d_cst2", 0xf, 0x14), c);	/* cmpw $0x42 */
	r = run_match("d.o", f, 1, 1);
	ck_assert_msg(r.ret == 0, "ret %d, log:\n%s", r.ret, ctx.log);
	run_free(&r);

	overlay(c, "\x79", 1);
	r = run_match("d.o", f, 1, 0);
	ck_assert_int_eq(r.ret, -ESRCH);
	ck_assert_msg(logged("[.rodata.cst2]: constant at +0x4 differs"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST


/*
 * d_paravirt+8 as the kernel's loader leaves it: "e8 <rel32> 90", a call of
 * what pv_ops+8 holds.  @pre_to: what the pre module's copy (loaded at
 * 0xffffffffc0001000) calls; @run_to: what the running kernel's calls.
 */
static int paravirt_match(u64 pre_to, u64 run_to, struct run *r)
{
	static const char *const f[] = { "d_paravirt" };
	static u8 copy[64];
	const struct om_munit *u;
	struct om_msection *sec = NULL;
	u64 loaded = 0xffffffffc0001000ull, at = global("d_paravirt") + 8;
	s32 rel;
	u8 run[6] = { 0xe8, 0, 0, 0, 0, 0x90 };
	u32 i;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(om_object_open(path("d.o"), &lib_opts, &r->obj), 0);
	ck_assert_int_eq(om_munit_build(r->obj, f, 1, &lib_opts, &r->mb), 0);
	u = om_munit_get(r->mb);
	for (i = 0; i < u->nsections; i++)
		if (!strcmp(u->sections[i].name, ".text.d_paravirt"))
			sec = (struct om_msection *)&u->sections[i];
	ck_assert_ptr_nonnull(sec);
	ck_assert_uint_eq(sec->nsites, 1);
	ck_assert_uint_eq(sec->sites[0].kind, OM_SITE_PARAVIRT);
	ck_assert_uint_eq(sec->sites[0].offset, 8);
	ck_assert_uint_eq(sec->sites[0].len, 6);
	ck_assert_uint_le(sec->size, sizeof(copy));
	memcpy(copy, sec->data, sec->size);
	copy[8] = 0xe8;
	rel = (s32)(pre_to - (loaded + 8 + 5));
	memcpy(copy + 9, &rel, 4);
	copy[13] = 0x90;
	sec->data = copy;
	sec->addr = loaded;
	rel = (s32)(run_to - (at + 5));
	memcpy(run + 1, &rel, 4);
	overlay(at, run, 6);
	r->ret = om_match_run(u, &env, 1, &r->m);
	return r->ret;
}

START_TEST(paravirt_call_by_target)
{
	struct run r;

	ck_assert_msg(paravirt_match(global("ext_value"), global("ext_value"), &r) == 0,
		      "log:\n%s", ctx.log);
	ck_assert_msg(logged("d_paravirt+0x8: paravirt call to"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

START_TEST(paravirt_other_target_refused)
{
	struct run r;

	ck_assert_int_eq(paravirt_match(global("ext_value"), global("ext_log"), &r), -ESRCH);
	ck_assert_msg(logged("[.text.d_paravirt]: no match (1 candidate): d_paravirt+0x8: "
			     "paravirt call to 0x"), "log:\n%s", ctx.log);
	run_free(&r);
}
END_TEST

static Suite *objmatch_match_suite(void)
{
	Suite *s = suite_create("objmatch-match");
	TCase *pos = tcase_create("positive"), *rw = tcase_create("kernel-rewrites"),
	      *neg = tcase_create("refusals"), *s612 = tcase_create("series-612"),
	      *kb = tcase_create("kernel-build");

	tcase_add_unchecked_fixture(pos, build_fixtures, NULL);
	tcase_add_checked_fixture(pos, setup, teardown);
	tcase_add_test(pos, match_whole_unit);
	tcase_add_test(pos, static_variable_deduced);
	tcase_add_test(pos, same_name_statics_pick_the_right_one);
	tcase_add_test(pos, identical_statics_are_ambiguous_alone);
	tcase_add_test(pos, identical_statics_pinned_by_a_caller);
	tcase_add_test(pos, jump_table_in_rodata);
	tcase_add_test(pos, shared_section_matched_whole);
	suite_add_tcase(s, pos);

	tcase_add_unchecked_fixture(rw, build_fixtures, NULL);
	tcase_add_checked_fixture(rw, setup, teardown);
	tcase_add_test(rw, ftrace_nop_tolerated);
	tcase_add_test(rw, jump_label_either_state);
	tcase_add_test(rw, smp_lock_prefix);
	tcase_add_test(rw, runtime_constant_any_value);
	tcase_add_test(rw, return_thunk_and_retpoline_rewrites);
	suite_add_tcase(s, rw);

	tcase_add_unchecked_fixture(neg, build_fixtures, NULL);
	tcase_add_checked_fixture(neg, setup, teardown);
	tcase_add_test(neg, other_optimisation_level_refused);
	tcase_add_test(neg, changed_instruction_refused);
	tcase_add_test(neg, conflicting_deduction_refused);
	tcase_add_test(neg, changed_rodata_refused);
	tcase_add_test(neg, changed_string_refused);
	tcase_add_test(neg, shared_section_neighbour_changed_refused);
	tcase_add_test(neg, unknown_function_refused);
	tcase_add_test(neg, malformed_input_rejected);
	suite_add_tcase(s, neg);

	tcase_add_unchecked_fixture(kb, build_fixtures, NULL);
	tcase_add_checked_fixture(kb, setup, teardown);
	tcase_add_test(kb, relaxed_tail_jump_matches);
	tcase_add_test(kb, relaxed_tail_jump_elsewhere_refused);
	tcase_add_test(kb, relaxed_mid_jump_matches);
	tcase_add_test(kb, relaxed_mid_jump_label_after_shift);
	tcase_add_test(kb, relaxed_mid_jump_return_thunk_rewritten);
	tcase_add_test(kb, relaxed_mid_jump_changed_instruction_refused);
	tcase_add_test(kb, relaxed_mid_jump_other_branch_target_refused);
	tcase_add_test(kb, relaxed_mid_jump_elsewhere_refused);
	tcase_add_test(kb, relaxed_mid_jump_undecodable_refused);
	tcase_add_test(kb, relaxed_mid_jump_moved_neighbour_refused);
	tcase_add_test(kb, pcrel_string_merged);
	tcase_add_test(kb, pcrel_constant_merged);
	tcase_add_test(kb, paravirt_call_by_target);
	tcase_add_test(kb, paravirt_other_target_refused);
	suite_add_tcase(s, kb);

	tcase_add_unchecked_fixture(s612, build_fixtures_612, NULL);
	tcase_add_checked_fixture(s612, setup_612, teardown);
	tcase_add_test(s612, padded_unit_matches);
	tcase_add_test(s612, padding_not_compared);
	tcase_add_test(s612, call_padding_not_compared);
	tcase_add_test(s612, padded_changed_instruction_refused);
	tcase_add_test(s612, sealed_running_entry_matches);
	tcase_add_test(s612, sealed_pre_entry_matches);
	tcase_add_test(s612, seal_inside_function_refused);
	tcase_add_test(s612, other_nop_at_entry_refused);
	suite_add_tcase(s, s612);
	return s;
}

TEST_SUITE(objmatch_match_suite)
