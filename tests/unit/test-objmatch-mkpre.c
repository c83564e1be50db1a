// SPDX-License-Identifier: GPL-2.0
/*
 * Pre modules (docs/run-pre.md): which functions can be matched
 * (om_munit_build) and splice-mkpre's command line -- the unit's name in
 * the stub; a function that shares its section with others (fixture
 * sched.c: two functions in .sched.text, as __sched puts them) matched
 * with its whole section; a function that is not there at all refused.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/munit.h"
#include "mod/elfraw.h"
#include "mod/premod.h"
#include "mod/prelearn.h"
#include "runner.h"
#include "test-objmatch-fixture.h"

static char pre_o[4096];

static void setup(void)
{
	log_reset();
	fixture_build("sched");
	snprintf(pre_o, sizeof(pre_o), "%s", fixture_obj("sched", false));
}

/*
 * om_munit_build of sched-pre.o's @func alone: its result, and in @matched
 * (if not NULL) the names of the sections flagged for matching.
 */
static int build_one(const char *func, char *matched, size_t len)
{
	const char *const funcs[] = { func };
	struct om_munit_build *mb = (struct om_munit_build *)1;
	struct om_object *obj;
	int ret;

	ck_assert_int_eq(om_object_open(pre_o, test_log_options(), &obj), 0);
	ret = om_munit_build(obj, funcs, 1, test_log_options(), &mb);
	if (ret)
		ck_assert_ptr_null(mb);
	if (matched) {
		const struct om_munit *u = om_munit_get(mb);
		u32 i;

		matched[0] = 0;
		for (i = 0; !ret && i < u->nsections; i++)
			if (u->sections[i].flags & OM_MSEC_MATCH)
				snprintf(matched + strlen(matched), len - strlen(matched),
					 "%s ", u->sections[i].name);
	}
	om_munit_free(mb);
	om_object_free(obj);
	return ret;
}

/* ------------------------------------------------------------ om_munit_build */

START_TEST(function_alone_in_its_section)
{
	char m[256];

	ck_assert_int_eq(build_one("lonely", m, sizeof(m)), 0);
	ck_assert_str_eq(m, ".text.lonely ");
	ck_assert(!log_contains("shares"));
}
END_TEST

/* either function of .sched.text: the whole section is matched */
START_TEST(shared_section_matched_whole)
{
	char m[256];

	ck_assert_int_eq(build_one("sched_second", m, sizeof(m)), 0);
	ck_assert_str_eq(m, ".sched.text ");
	ck_assert_int_eq(build_one("sched_first", m, sizeof(m)), 0);
	ck_assert_str_eq(m, ".sched.text ");
}
END_TEST

START_TEST(missing_function_not_found)
{
	log_expect_error("no function nonexistent to match");
	ck_assert_int_eq(build_one("nonexistent", NULL, 0), -ENOENT);
	ck_assert(log_contains("sched-pre.o: no function nonexistent to match"));
	ck_assert(!log_contains("shares"));
}
END_TEST

/*
 * reports()' new code, and the new peek()'s, use shared_count, which only
 * counts() referenced (fixtures/objmatch/static-learn.c): counts() is
 * matched too.  The
 * static-local fixture's statics are all reached from the replaced
 * function's own pre code: nothing more.
 */
START_TEST(learn_from_another_function)
{
	static const char *const f1[] = { "reports" }, *const f2[] = { "uses_statics" };
	struct om_object *pre, *post;
	char **learn = NULL;
	size_t n = 0;

	fixture_build("static-learn");
	ck_assert_int_eq(om_object_open(fixture_obj("static-learn", false), test_log_options(),
					&pre), 0);
	ck_assert_int_eq(om_object_open(fixture_obj("static-learn", true), test_log_options(),
					&post), 0);
	ck_assert_int_eq(om_pre_learn(pre, post, f1, 1, NULL, 0, test_log_options(), &learn, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(learn[0], "counts");
	free(learn[0]);
	free(learn);
	/* peek, a new function, uses it too: learned for it alone as well */
	ck_assert_int_eq(om_pre_learn(pre, post, NULL, 0, (const char *const[]){ "peek" }, 1,
				      test_log_options(), &learn, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(learn[0], "counts");
	free(learn[0]);
	free(learn);
	/* counts' own new code: its pre code references it already */
	ck_assert_int_eq(om_pre_learn(pre, post, (const char *const[]){ "counts" }, 1, NULL, 0,
				      test_log_options(), &learn, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(learn);
	om_object_free(pre);
	om_object_free(post);

	fixture_build("static-local");
	ck_assert_int_eq(om_object_open(fixture_obj("static-local", false), test_log_options(),
					&pre), 0);
	ck_assert_int_eq(om_object_open(fixture_obj("static-local", true), test_log_options(),
					&post), 0);
	ck_assert_int_eq(om_pre_learn(pre, post, f2, 1, NULL, 0, test_log_options(), &learn, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(learn);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

/* hits.0 is reached only through a static table: refused, named once */
START_TEST(learn_unreachable_refused)
{
	static const char *const f[] = { "holder_user" };
	static const char msg[] = "static-unreachable-pre.o[.bss.hits.0]: hits.0: a "
		"function-scope static the new code of holder_user uses and no pre code "
		"references: run-pre matching can't find the running kernel's copy";
	struct om_object *pre, *post;
	char **learn = (char **)1;
	size_t n = 1;

	fixture_build("static-unreachable");
	ck_assert_int_eq(om_object_open(fixture_obj("static-unreachable", false),
					test_log_options(), &pre), 0);
	ck_assert_int_eq(om_object_open(fixture_obj("static-unreachable", true),
					test_log_options(), &post), 0);
	log_expect_error("no pre code references");
	ck_assert_int_eq(om_pre_learn(pre, post, f, 1, NULL, 0, test_log_options(), &learn, &n), -ENOTSUP);
	ck_assert_ptr_null(learn);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(log_contains(msg), "no \"%s\" in the log", msg);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

/* ------------------------------------------------------------ splice-mkpre */

static char out[16384], err[16384], text[65536];

static const char *dir_path(const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", test_tmpdir(), name);
	return p;
}

/* splice-mkpre --id t ARGS -o <tmp>/@dir sched-pre.o */
static int mkpre(const char *dir, const char *args)
{
	char line[16384];

	snprintf(line, sizeof(line), "--id t %s -o '%s' '%s'", args, dir_path(dir), pre_o);
	return run_tool("splice-mkpre", line, out, sizeof(out), err, sizeof(err));
}

static const char *stub(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/stub.c", dir_path(dir));
	return read_text(path, text, sizeof(text)) ? text : NULL;
}

/*
 * 6.12's .export_symbol (modpost would take its entry for the pre
 * module's export: "exported twice") and __patchable_function_entries
 * (objtool: "data relocation to !ENDBR") are hidden, and hidden data keeps
 * no relocations; code keeps its own (objtool decodes it).
 */
START_TEST(hidden_612_sections)
{
	static const char *const hidden[] = { ".export_symbol", "__patchable_function_entries" };
	char obj[4200];
	struct om_elf e;
	size_t i, j, k, ncode = 0;

	fixture_build("exported-612");
	snprintf(obj, sizeof(obj), "%s/exported-612-premod.o", test_tmpdir());
	ck_assert_int_eq(om_premod_rewrite(fixture_obj("exported-612", false), obj,
					   test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(&e, obj, test_log_options()), 0);
	for (k = 0; k < 2; k++) {
		for (i = 1; i < e.nsec; i++)
			if (!strcmp(om_elf_secname(&e, i), hidden[k] + 1))
				break;
		ck_assert_msg(i < e.nsec, "%s not hidden as %s", hidden[k], hidden[k] + 1);
		ck_assert(!(e.sh[i].sh_flags & SHF_ALLOC));
		for (j = 1; j < e.nsec; j++) {
			ck_assert_str_ne(om_elf_secname(&e, j), hidden[k]);
			if (e.sh[j].sh_type == SHT_RELA && e.sh[j].sh_info == i)
				ck_assert_uint_eq(e.sh[j].sh_size, 0);
		}
	}
	for (i = 1; i < e.nsec; i++)
		if (e.sh[i].sh_type == SHT_RELA &&
		    !strcmp(om_elf_secname(&e, e.sh[i].sh_info), ".text.exported_fn"))
			ncode = e.sh[i].sh_size / sizeof(Elf64_Rela);
	ck_assert_uint_gt(ncode, 0);	/* call __fentry__, jmp __x86_return_thunk */
	/* the annotation about hidden code is gone, the other one stays */
	for (i = 1; i < e.nsec; i++) {
		size_t nr, s;
		Elf64_Rela *r;

		if (e.sh[i].sh_type != SHT_RELA ||
		    strcmp(om_elf_secname(&e, e.sh[i].sh_info), ".discard.noendbr"))
			continue;
		r = om_elf_relas(&e, i, &nr);
		ck_assert_uint_eq(nr, 1);
		s = om_elf_symsec(&e, ELF64_R_SYM(r[0].r_info));
		ck_assert_str_eq(om_elf_secname(&e, s), ".text.exported_fn");
		ncode = 0;
	}
	ck_assert_uint_eq(ncode, 0);	/* the annotation was there */
	om_elf_free(&e);
}
END_TEST

/*
 * A 6.12 paravirt call (kfix.h's PV_CALL_612 in exported.c): the pre
 * module keeps "call *pv_ops+8(%rip)"'s and "call BUG_func"'s relocations,
 * which the loader reads (a canary there would be a wild pointer), and
 * the matcher compares the site as a paravirt call.
 */
START_TEST(direct_call_612)
{
	static const char *const funcs[] = { "exported_fn" };
	struct om_munit_build *mb;
	const struct om_munit *u;
	struct om_object *obj;
	char obj_path[4200];
	struct om_elf e;
	size_t i, j, nr, live = 0;
	u32 k, n;
	Elf64_Rela *r;

	fixture_build("exported-612");
	snprintf(obj_path, sizeof(obj_path), "%s/exported-612-premod.o", test_tmpdir());
	ck_assert_int_eq(om_premod_rewrite(fixture_obj("exported-612", false), obj_path,
					   test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(&e, obj_path, test_log_options()), 0);
	for (i = 1; i < e.nsec; i++) {
		if (e.sh[i].sh_type != SHT_RELA)
			continue;
		r = om_elf_relas(&e, i, &nr);
		for (j = 0; j < nr; j++) {
			const char *name = om_elf_symname(&e, ELF64_R_SYM(r[j].r_info));
			const unsigned char *field = e.buf + e.sh[e.sh[i].sh_info].sh_offset +
						     r[j].r_offset;

			if (strcmp(name, "pv_ops") && strcmp(name, "BUG_func"))
				continue;
			ck_assert_uint_ne(ELF64_R_TYPE(r[j].r_info), R_X86_64_NONE);
			ck_assert_uint_ne(field[0], 0x77);
			live++;
		}
	}
	ck_assert_uint_eq(live, 4);
	om_elf_free(&e);

	ck_assert_int_eq(om_object_open(fixture_obj("exported-612", false), test_log_options(),
					&obj), 0);
	ck_assert_int_eq(om_munit_build(obj, funcs, 1, test_log_options(), &mb), 0);
	u = om_munit_get(mb);
	for (k = n = 0; k < u->nsections; k++) {
		const struct om_msection *sec = &u->sections[k];
		u32 t;

		if (strcmp(sec->name, ".text.exported_fn"))
			continue;
		for (t = 0; t < sec->nsites; t++) {
			if (sec->sites[t].kind != OM_SITE_PARAVIRT)
				continue;
			ck_assert_uint_eq(sec->sites[t].len, 6);
			ck_assert_uint_eq(sec->data[sec->sites[t].offset], 0xff);
			ck_assert_uint_eq(sec->data[sec->sites[t].offset + 1], 0x15);
			n++;
		}
	}
	ck_assert_uint_eq(n, 2);
	om_munit_free(mb);
	om_object_free(obj);
}
END_TEST

/*
 * A loadable module of one unit was through objtool when it was built:
 * it defines __pfx_exported_fn globally.  Kbuild runs objtool on the
 * linked pre module again (CONFIG_X86_KERNEL_IBT), which adds its own
 * __pfx_exported_fn: the unit's must not be a second global definition
 * of that name, or the .ko does not link (6.12's l2tp_core).
 */
START_TEST(prefix_symbol_612_renamed)
{
	char obj[4200];
	struct om_elf e;
	size_t i, renamed = 0, fn = 0;

	fixture_build("exported-612");
	ck_assert_int_eq(om_elf_open(&e, fixture_obj("exported-612", false), test_log_options()), 0);
	for (i = 1; i < e.nsyms; i++)
		if (!strcmp(om_elf_symname(&e, i), "__pfx_exported_fn") &&
		    e.syms[i].st_shndx != SHN_UNDEF &&
		    ELF64_ST_BIND(e.syms[i].st_info) == STB_GLOBAL)
			renamed++;
	ck_assert_uint_eq(renamed, 1);	/* the fixture has it, as objtool makes it */
	om_elf_free(&e);

	snprintf(obj, sizeof(obj), "%s/exported-612-prefix.o", test_tmpdir());
	ck_assert_int_eq(om_premod_rewrite(fixture_obj("exported-612", false), obj,
					   test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(&e, obj, test_log_options()), 0);
	renamed = 0;
	for (i = 1; i < e.nsyms; i++) {
		const char *name = om_elf_symname(&e, i);

		if (e.syms[i].st_shndx == SHN_UNDEF || ELF64_ST_BIND(e.syms[i].st_info) == STB_LOCAL)
			continue;
		ck_assert_msg(strncmp(name, "__pfx_", 6), "%s still defined", name);
		if (!strcmp(name, "_pfx_exported_fn"))
			renamed++;
		if (!strcmp(name, "exported_fn"))
			fn++;
	}
	ck_assert_uint_eq(renamed, 1);
	ck_assert_uint_eq(fn, 1);	/* the function itself keeps its name */
	om_elf_free(&e);
}
END_TEST

/*
 * A replacement's jump back into its own function (fixture alt-dead:
 * "jmp %l[yes]", as static_cpu_has() has it): the pre module keeps that
 * relocation, so the loader recomputes the jump when it copies the
 * replacement in (6.12: "jmp rel8" + int3 when it fits), as it did for
 * the running kernel; the canary made it "e9 <canary+delta>" where the
 * kernel runs "eb 10 cc cc cc" (mm/gup.c's gup_fast_fallback: no_match).
 * The code's own relocations still become canaries.
 */
START_TEST(replacement_jump_into_own_code_kept)
{
	char obj[4200];
	struct om_elf e;
	size_t i, j, nr, kept = 0, canaried = 0;

	fixture_build("alt-dead-612");
	snprintf(obj, sizeof(obj), "%s/alt-dead-612-premod.o", test_tmpdir());
	ck_assert_int_eq(om_premod_rewrite(fixture_obj("alt-dead-612", false), obj,
					   test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(&e, obj, test_log_options()), 0);
	for (i = 1; i < e.nsec; i++) {
		const char *target;
		Elf64_Rela *r;

		if (e.sh[i].sh_type != SHT_RELA)
			continue;
		target = om_elf_secname(&e, e.sh[i].sh_info);
		r = om_elf_relas(&e, i, &nr);
		for (j = 0; j < nr; j++) {
			size_t s = om_elf_symsec(&e, ELF64_R_SYM(r[j].r_info));
			const unsigned char *field = e.buf + e.sh[e.sh[i].sh_info].sh_offset +
						     r[j].r_offset;

			if (!strcmp(target, ".altinstr_replacement")) {
				ck_assert_msg(s && !strncmp(om_elf_secname(&e, s), ".text.alt_", 10),
					      "replacement relocation %zu to section %zu", j, s);
				ck_assert_uint_ne(ELF64_R_TYPE(r[j].r_info), R_X86_64_NONE);
				ck_assert_uint_ne(field[0], 0x77);
				kept++;
			} else if (!strncmp(target, ".text.alt_", 10) &&
				   ELF64_R_TYPE(r[j].r_info) == R_X86_64_NONE &&
				   field[0] == 0x77) {
				canaried++;
			}
		}
	}
	ck_assert_uint_eq(kept, 2);	/* alt_helper's and alt_user's jumps */
	ck_assert_uint_gt(canaried, 0);	/* the call to alt_helper, __fentry__, ... */
	om_elf_free(&e);
}
END_TEST

START_TEST(tool_unit_name_in_stub)
{
	ck_assert_msg(mkpre("named", "--unit fs/proc/sched.o -f lonely") == 0, "stderr: %s", err);
	ck_assert_ptr_nonnull(stub("named"));
	ck_assert_msg(strstr(text, "\t.unit = \"fs/proc/sched.o\",\n"), "stub.c:\n%s", text);
	ck_assert_msg(strstr(text, "/* Generated by splice-mkpre: pre code of fs/proc/sched.o "
			     "for update t."), "stub.c:\n%s", text);
	ck_assert_msg(strstr(text, "\t.objname = NULL,\n"), "stub.c:\n%s", text);

	/* --target names the module, no --unit: the object's file name */
	ck_assert_msg(mkpre("default", "--target some_mod -f lonely") == 0, "stderr: %s", err);
	ck_assert_ptr_nonnull(stub("default"));
	ck_assert_msg(strstr(text, "\t.unit = \"sched-pre.o\",\n"), "stub.c:\n%s", text);
	ck_assert_msg(strstr(text, "\t.objname = \"some_mod\",\n"), "stub.c:\n%s", text);
}
END_TEST

START_TEST(tool_shared_section_accepted)
{
	ck_assert_msg(mkpre("shared", "--unit fs/proc/sched.o -f lonely -f sched_second") == 0,
		      "stderr: %s", err);
	ck_assert_ptr_nonnull(stub("shared"));
}
END_TEST

/* splice-mkpre --post: the refusal is exit 2, nothing written */
START_TEST(tool_unreachable_static_refused)
{
	char line[16384];
	int rc;

	fixture_build("static-unreachable");
	snprintf(line, sizeof(line), "--id t -f holder_user --post '%s' -o '%s' '%s'",
		 fixture_obj("static-unreachable", true), dir_path("unreachable"),
		 fixture_obj("static-unreachable", false));
	rc = run_tool("splice-mkpre", line, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(err, "hits.0: a function-scope static the new code of holder_user"),
		      "stderr: %s", err);
	ck_assert_ptr_null(stub("unreachable"));
	/* learning from another function: counts is matched, exit 0 */
	fixture_build("static-learn");
	snprintf(line, sizeof(line), "--id t -f reports --post '%s' -o '%s' '%s'",
		 fixture_obj("static-learn", true), dir_path("learn"),
		 fixture_obj("static-learn", false));
	ck_assert_int_eq(run_tool("splice-mkpre", line, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(stub("learn"));
}
END_TEST

START_TEST(tool_missing_function_fails)
{
	ck_assert_int_eq(mkpre("missing", "-f lonely -f nonexistent"), 1);
	ck_assert_msg(strstr(err, "sched-pre.o: no function nonexistent to match"), "stderr: %s", err);
	ck_assert_ptr_null(stub("missing"));
}
END_TEST

static Suite *objmatch_mkpre_suite(void)
{
	Suite *s = suite_create("objmatch-mkpre");
	TCase *lib = fixture_tcase("munit", setup), *tool = fixture_tcase("tool", setup);

	tcase_add_test(lib, function_alone_in_its_section);
	tcase_add_test(lib, shared_section_matched_whole);
	tcase_add_test(lib, missing_function_not_found);
	tcase_add_test(lib, hidden_612_sections);
	tcase_add_test(lib, direct_call_612);
	tcase_add_test(lib, prefix_symbol_612_renamed);
	tcase_add_test(lib, replacement_jump_into_own_code_kept);
	tcase_add_test(lib, learn_from_another_function);
	tcase_add_test(lib, learn_unreachable_refused);
	suite_add_tcase(s, lib);
	tcase_add_test(tool, tool_unit_name_in_stub);
	tcase_add_test(tool, tool_shared_section_accepted);
	tcase_add_test(tool, tool_missing_function_fails);
	tcase_add_test(tool, tool_unreachable_static_refused);
	suite_add_tcase(s, tool);
	return s;
}

TEST_SUITE(objmatch_mkpre_suite)
