// SPDX-License-Identifier: GPL-2.0
/* splice-objdiff's command line: options, usage errors, bad inputs. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "test-objmatch-fixture.h"

static char out[16384], err[16384];

START_TEST(help)
{
	ck_assert_int_eq(run_objdiff("--help", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(out, "Usage: splice-objdiff"));
	ck_assert_ptr_nonnull(strstr(out, "Exit status"));
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(run_objdiff("-h", out, sizeof(out), NULL, 0), 0);
}
END_TEST

START_TEST(version)
{
	ck_assert_int_eq(run_objdiff("--version", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "splice-objdiff (" PACKAGE_NAME ") " PACKAGE_VERSION "\n");
	ck_assert_int_eq(run_objdiff("-V", out, sizeof(out), NULL, 0), 0);
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(run_objdiff("", out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "expected two object files"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run_objdiff("a.o", out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_int_eq(run_objdiff("a.o b.o c.o", out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_int_eq(run_objdiff("--bogus a.o b.o", out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "Usage:"));
}
END_TEST

START_TEST(bad_inputs)
{
	char args[8192];

	fixture_build("funcs");
	snprintf(args, sizeof(args), "'%s/nope.o' '%s'", test_tmpdir(),
		 fixture_obj("funcs", true));
	ck_assert_int_eq(run_objdiff(args, out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "nope.o: cannot open: No such file"), "stderr: %s", err);
	ck_assert_str_eq(out, "");

	/* a C source is not an object */
	snprintf(args, sizeof(args), "'%s' '%s/funcs.c'", fixture_obj("funcs", false),
		 test_srcpath("fixtures/objmatch"));
	ck_assert_int_eq(run_objdiff(args, out, sizeof(out), err, sizeof(err)), 1);
	ck_assert_msg(strstr(err, "funcs.c: not an object file"), "stderr: %s", err);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(verbose_says_why)
{
	char args[8192];

	fixture_build("inline");
	snprintf(args, sizeof(args), "-v '%s' '%s'", fixture_obj("inline", false),
		 fixture_obj("inline", true));
	ck_assert_int_eq(run_objdiff(args, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "inline-post.o[.text.user_a]: user_a: changed: "),
		      "stderr: %s", err);
}
END_TEST

static Suite *objmatch_tool_suite(void)
{
	Suite *s = suite_create("objmatch-tool");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, help);
	tcase_add_test(tc, version);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, bad_inputs);
	tcase_add_test(tc, verbose_says_why);
	suite_add_tcase(s, tc);
	return s;
}

TEST_SUITE(objmatch_tool_suite)
