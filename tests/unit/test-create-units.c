// SPDX-License-Identifier: GPL-2.0
/* Unit selection (splice-create/units.c) on a small fake tree. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runner.h"
#include "create.h"

static const char *tree;

/* A tree with direct, transitive, relative, angle and .c-in-.c includes. */
static void make_tree(void)
{
	tree = test_tmpdir();
	ck_assert_int_eq(test_system(
		"cd '%s' && mkdir -p include/linux fs/proc mm kernel/sched Documentation tools drv && "
		"echo '#define A 1' >include/linux/a.h && "
		"printf '#include <linux/a.h>\\n' >include/linux/b.h && "
		"printf '#include <linux/b.h>\\nint p;\\n' >fs/proc/meminfo.c && "
		"printf '#include \"internal.h\"\\n' >fs/proc/base.c && "
		"echo 'int i;' >fs/proc/internal.h && "
		"printf '  #  include \"internal.h\"\\n' >mm/util.c && "
		"echo 'int m;' >mm/internal.h && "
		"printf '#include \"../fs/proc/internal.h\"\\n' >mm/cross.c && "
		"printf '#include \"rt.c\"\\n' >kernel/sched/build_policy.c && "
		"echo 'int rt;' >kernel/sched/rt.c && "
		"printf '#include <linux/a.h>\\n' >tools/skip.c && "
		"printf '#include <linux/a.h>\\n' >drv/entry.S && "
		"echo 'x' >Documentation/a.rst", tree), 0);
}

static void scan(const char *changed, const char *expect)
{
	struct sc_strv ch = { 0 }, units = { 0 };
	char got[1024] = "";
	size_t i;

	ck_assert_int_eq(sc_strv_add(&ch, changed), 0);
	ck_assert_int_eq(sc_units_scan(tree, &ch, &units), 0);
	for (i = 0; i < units.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 units.v[i]);
	ck_assert_str_eq(got, expect);
	sc_strv_free(&ch);
	sc_strv_free(&units);
}

START_TEST(c_file)
{
	make_tree();
	scan("fs/proc/meminfo.c", "fs/proc/meminfo.o");
}
END_TEST

START_TEST(header_transitive)
{
	make_tree();
	/* a.h <- b.h <- meminfo.c, and the .S; tools/ is not kernel code */
	scan("include/linux/a.h", "drv/entry.o fs/proc/meminfo.o");
}
END_TEST

START_TEST(quoted_resolves_relative)
{
	make_tree();
	/* mm/util.c's "internal.h" is mm/internal.h, not fs/proc's */
	scan("fs/proc/internal.h", "fs/proc/base.o mm/cross.o");
	scan("mm/internal.h", "mm/util.o");
}
END_TEST

START_TEST(c_included_by_c)
{
	make_tree();
	/* rt.c is compiled through build_policy.c (rt.o is also a candidate) */
	scan("kernel/sched/rt.c", "kernel/sched/build_policy.o kernel/sched/rt.o");
}
END_TEST

START_TEST(kinds)
{
	ck_assert_int_eq(sc_file_kind("fs/proc/meminfo.c"), SC_KIND_CODE);
	ck_assert_int_eq(sc_file_kind("arch/x86/entry/entry_64.S"), SC_KIND_CODE);
	ck_assert_int_eq(sc_file_kind("include/linux/fs.h"), SC_KIND_HEADER);
	ck_assert_int_eq(sc_file_kind("fs/Makefile"), SC_KIND_BUILD);
	ck_assert_int_eq(sc_file_kind("fs/Kconfig"), SC_KIND_BUILD);
	ck_assert_int_eq(sc_file_kind("scripts/Makefile.build"), SC_KIND_BUILD);
	ck_assert_int_eq(sc_file_kind("Documentation/x.c"), SC_KIND_OTHER);
	ck_assert_int_eq(sc_file_kind("tools/objtool/check.c"), SC_KIND_OTHER);
	ck_assert_int_eq(sc_file_kind("README"), SC_KIND_OTHER);
}
END_TEST

/* The .cmd filter keeps exactly the units whose dependency list names a change. */
START_TEST(deps_filter)
{
	struct sc_opts opts = { 0 };
	struct sc_strv ch = { 0 }, units = { 0 };

	make_tree();
	sc_log_init(&opts.log, SC_QUIET);
	ck_assert_int_eq(test_system(
		"cd '%s' && printf 'deps_fs/proc/meminfo.o := \\\\\\n  include/linux/b.h \\\\\\n"
		"    $(wildcard include/config/X) \\\\\\n' >fs/proc/.meminfo.o.cmd && "
		"printf 'deps_fs/proc/base.o := \\\\\\n  include/linux/bb.h \\\\\\n' >fs/proc/.base.o.cmd",
		tree), 0);
	ck_assert_int_eq(sc_strv_add(&ch, "include/linux/b.h"), 0);
	ck_assert_int_eq(sc_strv_add(&units, "fs/proc/base.o"), 0);
	ck_assert_int_eq(sc_strv_add(&units, "fs/proc/meminfo.o"), 0);
	ck_assert_int_eq(sc_units_filter_deps(&opts, tree, &ch, &units), 0);
	ck_assert_uint_eq(units.n, 1);
	ck_assert_str_eq(units.v[0], "fs/proc/meminfo.o");
	sc_strv_free(&ch);
	sc_strv_free(&units);
}
END_TEST

static Suite *create_units_suite(void)
{
	Suite *s = suite_create("create-units");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, c_file);
	tcase_add_test(tc, header_transitive);
	tcase_add_test(tc, quoted_resolves_relative);
	tcase_add_test(tc, c_included_by_c);
	tcase_add_test(tc, kinds);
	tcase_add_test(tc, deps_filter);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_units_suite)
