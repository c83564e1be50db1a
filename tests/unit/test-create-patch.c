// SPDX-License-Identifier: GPL-2.0
/* splice-create's unified-diff parser (splice-create/patch.c). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "create.h"

static int parse(const char *text, struct sc_patch *p)
{
	return sc_patch_parse("test.patch", text, strlen(text), p);
}

START_TEST(plain_diff)
{
	struct sc_patch p;
	const char *text =
		"Some commit message\n"
		"--- linux.orig/fs/proc/meminfo.c\t2024-01-01 00:00:00.000000000 +0000\n"
		"+++ linux/fs/proc/meminfo.c\t2024-01-02 00:00:00.000000000 +0000\n"
		"@@ -55,7 +55,7 @@ static int meminfo_proc_show(struct seq_file *m, void *v)\n"
		" a\n"
		" b\n"
		" c\n"
		"-\tshow_val_kb(m, \"MemTotal:       \", i.totalram);\n"
		"+\tshow_val_kb(m, \"MemTotal(s):    \", i.totalram);\n"
		" d\n"
		"\n"		/* an empty context line whose space a mailer ate */
		" f\n";

	ck_assert_int_eq(parse(text, &p), 0);
	ck_assert_uint_eq(p.nfiles, 1);
	ck_assert_str_eq(p.files[0].old_path, "fs/proc/meminfo.c");
	ck_assert_str_eq(p.files[0].new_path, "fs/proc/meminfo.c");
	ck_assert_int_eq(p.files[0].status, SC_FILE_MODIFIED);
	ck_assert_uint_eq(p.files[0].nhunks, 1);
	ck_assert_uint_eq(p.files[0].added, 1);
	ck_assert_uint_eq(p.files[0].removed, 1);
	ck_assert(!p.files[0].hash_comments_only);
	sc_patch_free(&p);
}
END_TEST

START_TEST(git_diff_new_deleted_renamed)
{
	struct sc_patch p;
	const char *text =
		"From 1234 Mon Sep 17 00:00:00 2001\n"
		"Subject: [PATCH] test\n"
		"---\n"
		" fs/a.c | 1 +\n"
		"\n"
		"diff --git a/fs/a.c b/fs/a.c\n"
		"index 1111111..2222222 100644\n"
		"--- a/fs/a.c\n"
		"+++ b/fs/a.c\n"
		"@@ -1,2 +1,3 @@\n"
		" x\n"
		"+y\n"
		" z\n"
		"\\ No newline at end of file\n"
		"diff --git a/fs/new.h b/fs/new.h\n"
		"new file mode 100644\n"
		"index 0000000..3333333\n"
		"--- /dev/null\n"
		"+++ b/fs/new.h\n"
		"@@ -0,0 +1 @@\n"
		"+#define NEW 1\n"
		"diff --git a/fs/old.h b/fs/old.h\n"
		"deleted file mode 100644\n"
		"index 3333333..0000000\n"
		"--- a/fs/old.h\n"
		"+++ /dev/null\n"
		"@@ -1 +0,0 @@\n"
		"-#define OLD 1\n"
		"diff --git a/fs/x.h b/fs/y.h\n"
		"similarity index 100%\n"
		"rename from fs/x.h\n"
		"rename to fs/y.h\n"
		"diff --git a/Makefile b/Makefile\n"
		"index 1..2 100644\n"
		"--- a/Makefile\n"
		"+++ b/Makefile\n"
		"@@ -1,2 +1,2 @@\n"
		"-# old comment\n"
		"+  # new comment\n"
		" all:\n"
		"-- \n"
		"2.39.2\n";

	ck_assert_int_eq(parse(text, &p), 0);
	ck_assert_uint_eq(p.nfiles, 5);
	ck_assert_str_eq(p.files[0].new_path, "fs/a.c");
	ck_assert_int_eq(p.files[0].status, SC_FILE_MODIFIED);
	ck_assert_uint_eq(p.files[0].added, 1);
	ck_assert_ptr_null(p.files[1].old_path);
	ck_assert_str_eq(p.files[1].new_path, "fs/new.h");
	ck_assert_int_eq(p.files[1].status, SC_FILE_NEW);
	ck_assert_str_eq(p.files[2].old_path, "fs/old.h");
	ck_assert_ptr_null(p.files[2].new_path);
	ck_assert_int_eq(p.files[2].status, SC_FILE_DELETED);
	ck_assert_str_eq(p.files[3].old_path, "fs/x.h");
	ck_assert_str_eq(p.files[3].new_path, "fs/y.h");
	ck_assert_int_eq(p.files[3].status, SC_FILE_RENAMED);
	ck_assert_uint_eq(p.files[3].nhunks, 0);
	ck_assert_str_eq(p.files[4].new_path, "Makefile");
	ck_assert(p.files[4].hash_comments_only);
	sc_patch_free(&p);
}
END_TEST

START_TEST(diff_N_epoch_is_new)
{
	struct sc_patch p;
	const char *text =
		"diff -urN a/fs/n.c b/fs/n.c\n"
		"--- a/fs/n.c\t1970-01-01 00:00:00.000000000 +0000\n"
		"+++ b/fs/n.c\t2024-01-02 00:00:00.000000000 +0000\n"
		"@@ -0,0 +1,2 @@\n"
		"+int x;\n"
		"+int y;\n";

	ck_assert_int_eq(parse(text, &p), 0);
	ck_assert_uint_eq(p.nfiles, 1);
	ck_assert_int_eq(p.files[0].status, SC_FILE_NEW);
	ck_assert_ptr_null(p.files[0].old_path);
	ck_assert_str_eq(p.files[0].new_path, "fs/n.c");
	sc_patch_free(&p);
}
END_TEST

START_TEST(git_binary_and_quoted)
{
	struct sc_patch p;
	const char *text =
		"diff --git \"a/fs/sp ace.c\" \"b/fs/sp ace.c\"\n"
		"index 1..2 100644\n"
		"--- \"a/fs/sp ace.c\"\n"
		"+++ \"b/fs/sp ace.c\"\n"
		"@@ -1 +1 @@\n"
		"-a\n"
		"+b\n"
		"diff --git a/fw.bin b/fw.bin\n"
		"index 1..2 100644\n"
		"Binary files a/fw.bin and b/fw.bin differ\n";

	ck_assert_int_eq(parse(text, &p), 0);
	ck_assert_uint_eq(p.nfiles, 2);
	ck_assert_str_eq(p.files[0].new_path, "fs/sp ace.c");
	ck_assert(p.files[1].binary);
	ck_assert_str_eq(p.files[1].new_path, "fw.bin");
	sc_patch_free(&p);
}
END_TEST

/* Malformed input fails with -EINVAL; the message names the line. */
START_TEST(malformed)
{
	static const char *const bad[] = {
		/* header says 3 old lines, only 2 follow, then a new file */
		"--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n-b\n+c\nnot a hunk line\n",
		/* truncated */
		"--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n",
		/* bad header */
		"--- a/x.c\n+++ b/x.c\n@@ -1,x +1 @@\n a\n",
		/* more lines than announced */
		"--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n-b\n+c\n",
		/* hunk without file */
		"@@ -1 +1 @@\n-a\n+b\n",
		/* escapes the tree */
		"--- a/../x.c\n+++ b/../x.c\n@@ -1 +1 @@\n-a\n+b\n",
		/* nothing at all */
		"just text\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sc_patch p;

		ck_assert_msg(parse(bad[i], &p) == -EINVAL, "case %zu parsed", i);
		ck_assert_ptr_null(p.files);
	}
}
END_TEST

/* The error names the line: run the parser in a child and read stderr. */
START_TEST(error_has_line_number)
{
	const char *dir = test_tmpdir();

	ck_assert_int_eq(test_system("printf -- '--- a/x.c\\n+++ b/x.c\\n@@ -1,3 +1,3 @@\\n a\\n-b\\n+c\\nX\\n' "
				     ">'%s/bad.patch'", dir), 0);
	ck_assert_int_eq(test_system("'%s/splice-create/splice-create' -s /nonexistent '%s/bad.patch' "
				     "2>'%s/err'; test $? = 1 && grep -q 'bad.patch:7: hunk of x.c ends early' '%s/err'",
				     getenv("SPLICE_TOP_BUILDDIR"), dir, dir, dir), 0);
}
END_TEST

static Suite *create_patch_suite(void)
{
	Suite *s = suite_create("create-patch");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, plain_diff);
	tcase_add_test(tc, git_diff_new_deleted_renamed);
	tcase_add_test(tc, diff_N_epoch_is_new);
	tcase_add_test(tc, git_binary_and_quoted);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, error_has_line_number);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_patch_suite)
