// SPDX-License-Identifier: GPL-2.0
/*
 * splice-create/layout.c: a patch that changes a struct or union definition
 * (the layout of objects the running kernel has) is refused from the
 * source; changes next to definitions, in initializers and in function
 * bodies, and comments inside definitions, are not.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"
#include "create.h"

/* The old file, as it is in the tree: every line numbered below. */
static const char *const old_file =
	"#include <x.h>\n"				/* 1 */
	"struct task {\n"				/* 2 */
	"\tint pid;\t/* { not a brace } */\n"		/* 3 */
	"\tunion {\n"					/* 4 */
	"\t\tlong a;\n"					/* 5 */
	"\t} u;\n"					/* 6 */
	"};\n"						/* 7 */
	"static struct task init = {\n"			/* 8 */
	"\t.pid = 1,\n"					/* 9 */
	"};\n"						/* 10 */
	"int show(struct task *t)\n"			/* 11 */
	"{\n"						/* 12 */
	"\treturn t->pid;\n"				/* 13 */
	"}\n"						/* 14 */
	"typedef struct {\n"				/* 15 */
	"\tchar c;\n"					/* 16 */
	"} anon_t;\n"					/* 17 */
	"void f(void)\n"				/* 18 */
	"{\n"						/* 19 */
	"\tstruct { int x; } local;\n"			/* 20 */
	"}\n";						/* 21 */

static const char *tree(void)
{
	static char dir[4096];
	char path[4200];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/layout-tree", test_tmpdir());
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/t.c", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(old_file, f);
	ck_assert_int_eq(fclose(f), 0);
	return dir;
}

/* The reasons for a one-hunk patch of t.c; *n of them, the first returned. */
static char *check(const char *hunk, size_t *n)
{
	struct sc_reasons r = { 0 };
	char *patch = NULL, *first;

	ck_assert_int_gt(asprintf(&patch, "--- a/t.c\n+++ b/t.c\n%s", hunk), 0);
	ck_assert_int_eq(sc_check_layouts(tree(), patch, strlen(patch), &r), 0);
	free(patch);
	*n = r.n;
	first = r.n ? strdup(r.v[0]) : NULL;
	sc_reasons_free(&r);
	return first;
}

START_TEST(new_field)
{
	size_t n;
	char *why = check("@@ -3,2 +3,3 @@\n \tint pid;\n+\tint newpid;\n \tunion {\n", &n);

	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(why, "t.c:4: changes the layout of struct task, which the running "
			 "kernel has instances of: keep the new state in shadow data instead "
			 "(splice_shadow_get_or_alloc() where one is created, "
			 "splice_shadow_free() where it is freed; splice-patch(7))");
	free(why);
}
END_TEST

START_TEST(inner_union_and_last_line)
{
	size_t n;
	char *why;

	/* a field of the inner union is the outer struct's layout */
	why = check("@@ -5,1 +5,1 @@\n-\t\tlong a;\n+\t\tlong long a;\n", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(why, "t.c:5: changes the layout of struct task,"));
	free(why);
	/* inserted before the closing brace: still inside */
	why = check("@@ -6,2 +6,3 @@\n \t} u;\n+\tint tail;\n };\n", &n);
	ck_assert_uint_eq(n, 1);
	free(why);
	/* an anonymous typedef'd struct */
	why = check("@@ -16,1 +16,2 @@\n \tchar c;\n+\tchar d;\n", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(why, "an anonymous struct"));
	free(why);
}
END_TEST

START_TEST(not_layouts)
{
	size_t n;

	/* a comment inside the definition */
	ck_assert_ptr_null(check("@@ -3,1 +3,2 @@\n \tint pid;\t/* { not a brace } */\n"
				 "+\t/* the task's id */\n", &n));
	ck_assert_uint_eq(n, 0);
	/* an initializer of a struct object */
	ck_assert_ptr_null(check("@@ -9,1 +9,1 @@\n-\t.pid = 1,\n+\t.pid = 2,\n", &n));
	ck_assert_uint_eq(n, 0);
	/* a function body */
	ck_assert_ptr_null(check("@@ -13,1 +13,1 @@\n-\treturn t->pid;\n+\treturn -t->pid;\n", &n));
	ck_assert_uint_eq(n, 0);
	/* a type local to a function */
	ck_assert_ptr_null(check("@@ -20,1 +20,1 @@\n-\tstruct { int x; } local;\n"
				 "+\tstruct { long x; } local;\n", &n));
	ck_assert_uint_eq(n, 0);
	/* before the definition */
	ck_assert_ptr_null(check("@@ -1,2 +1,3 @@\n #include <x.h>\n+#include <y.h>\n struct task {\n", &n));
	ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *create_layout_suite(void)
{
	Suite *s = suite_create("create-layout");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, new_field);
	tcase_add_test(tc, inner_union_and_last_line);
	tcase_add_test(tc, not_layouts);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_layout_suite)
