// SPDX-License-Identifier: GPL-2.0
/* The package manifest (splice-create/manifest.c) and its checksums. */
#include "config.h"

#include <stdlib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "create.h"

START_TEST(round_trip)
{
	struct sc_manifest m = { 0 }, back;
	struct sc_manifest_unit *u;
	char sum[SC_SHA256_HEX], *text, *again;

	m.id = strdup("ab12cd34");
	m.kernel_release = strdup("6.1.0-57-amd64");
	m.splice_version = strdup("0.1.0");
	sc_sha256_buf("patch", 5, m.patch_sha256);
	u = sc_manifest_add_unit(&m, "fs/proc/meminfo.o");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(sc_strv_add(&u->changed, "meminfo_proc_show"), 0);
	ck_assert_int_eq(sc_strv_add(&u->added, "helper.cold"), 0);
	ck_assert_int_eq(sc_strv_add(&u->hooks, "pre_apply:check_users"), 0);
	u = sc_manifest_add_unit(&m, "kernel/sys.o");
	ck_assert_int_eq(sc_strv_add(&u->removed, "old_fn"), 0);
	sc_sha256_buf("x", 1, sum);
	ck_assert_int_eq(sc_manifest_add_file(&m, "pre/fs/proc/meminfo.o", sum), 0);

	ck_assert_int_eq(sc_manifest_format(&m, &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "format 1\nid ab12cd34\n"));
	ck_assert_ptr_nonnull(strstr(text, "unit fs/proc/meminfo.o\nchanged meminfo_proc_show\nnew helper.cold\n"
					"hook pre_apply:check_users\n"));
	ck_assert_int_eq(sc_manifest_parse(text, strlen(text), &back), 0);
	ck_assert_str_eq(back.id, "ab12cd34");
	ck_assert_str_eq(back.kernel_release, "6.1.0-57-amd64");
	ck_assert_uint_eq(back.nunits, 2);
	ck_assert_str_eq(back.units[0].changed.v[0], "meminfo_proc_show");
	ck_assert_str_eq(back.units[1].removed.v[0], "old_fn");
	ck_assert_uint_eq(back.units[0].hooks.n, 1);
	ck_assert_str_eq(back.units[0].hooks.v[0], "pre_apply:check_users");
	ck_assert_uint_eq(back.nfiles, 1);
	ck_assert_str_eq(back.files[0].sha256, sum);
	ck_assert_int_eq(sc_manifest_format(&back, &again), 0);
	ck_assert_str_eq(text, again);
	free(text);
	free(again);
	sc_manifest_free(&back);
	sc_manifest_free(&m);
}
END_TEST

START_TEST(parse_errors)
{
	static const char *const bad[] = {
		"id x\n",				/* no format line */
		"format 2\n",				/* unknown format */
		"format 1\nid BAD-ID\n",		/* invalid id */
		"format 1\nchanged f\n",		/* function before unit */
		"format 1\nhook apply:f\n",		/* hook before unit */
		"format 1\nunit a.o\nhook f\n",	/* not STAGE:FUNCTION */
		"format 1\nunit a.o\nhook apply f\n",	/* two values */
		"format 1\nid a\nkernel-release r\nsplice-version v\n",	/* no patch sum */
		"format 1\nfile pre/x.o nothex\n",
		"format 1\nid a b\n",
		"format 1\ntarget ext4\n",		/* target before unit */
		"format 1\nunit a.o\ntarget Bad-Name\n",	/* not a module name */
		"format 1\nmodule m pre\n",		/* no unit */
		"format 1\nmodule m run a.o\n",		/* unknown role */
		"format 1\nmodule m pre a.o x\n",	/* one value too many */
		/* found by fuzz-manifest: values the writer refuses to write */
		"format 1\nkernel-release 6.1.0\r57-amd64\n",
		"format 1\r\n",
		"format 1\nunit fs/a\tb.o\n",
	};
	static const char with_nul[] = "format 1\nunit fs/a.o\0junk\n";
	struct sc_manifest nul;
	size_t i;

	ck_assert_int_eq(sc_manifest_parse(with_nul, sizeof(with_nul) - 1, &nul), -EINVAL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sc_manifest m;

		ck_assert_msg(sc_manifest_parse(bad[i], strlen(bad[i]), &m) == -EINVAL,
			      "case %zu parsed", i);
	}
}
END_TEST

START_TEST(modules)
{
	struct sc_manifest m = { 0 }, back;
	struct sc_manifest_unit *u;
	char sum[SC_SHA256_HEX], *text, *again;

	m.id = strdup("ab12");
	m.kernel_release = strdup("6.1.0-57-amd64");
	m.splice_version = strdup("0.1.0");
	sc_sha256_buf("patch", 5, m.patch_sha256);
	u = sc_manifest_add_unit(&m, "fs/ext4/inode.o");
	ck_assert_ptr_nonnull(u);
	u->target = strdup("ext4");
	ck_assert_int_eq(sc_strv_add(&u->changed, "ext4_foo"), 0);
	ck_assert_int_eq(sc_manifest_add_module(&m, "splice_ab12_pre", "pre", "fs/ext4/inode.o"), 0);
	ck_assert_int_eq(sc_manifest_add_module(&m, "splice_ab12_new", "new", "fs/ext4/inode.o"), 0);
	sc_sha256_buf("ko", 2, sum);
	ck_assert_int_eq(sc_manifest_add_file(&m, "modules/splice_ab12_pre.ko", sum), 0);

	ck_assert_int_eq(sc_manifest_format(&m, &text), 0);
	ck_assert_ptr_nonnull(strstr(text, "unit fs/ext4/inode.o\ntarget ext4\nchanged ext4_foo\n"));
	ck_assert_ptr_nonnull(strstr(text, "module splice_ab12_pre pre fs/ext4/inode.o\n"
				     "module splice_ab12_new new fs/ext4/inode.o\nfile "));
	ck_assert_int_eq(sc_manifest_parse(text, strlen(text), &back), 0);
	ck_assert_str_eq(back.units[0].target, "ext4");
	ck_assert_uint_eq(back.nmodules, 2);
	ck_assert_str_eq(back.modules[1].name, "splice_ab12_new");
	ck_assert_str_eq(back.modules[1].role, "new");
	ck_assert_str_eq(back.modules[1].unit, "fs/ext4/inode.o");
	ck_assert_int_eq(sc_manifest_format(&back, &again), 0);
	ck_assert_str_eq(text, again);
	free(text);
	free(again);
	sc_manifest_free(&back);
	sc_manifest_free(&m);
}
END_TEST

START_TEST(refuses_spaces)
{
	struct sc_manifest m = { 0 };
	char *text;

	m.id = strdup("a");
	m.kernel_release = strdup("has space");
	m.splice_version = strdup("0.1.0");
	sc_sha256_buf("", 0, m.patch_sha256);
	ck_assert_int_eq(sc_manifest_format(&m, &text), -EINVAL);
	sc_manifest_free(&m);
}
END_TEST

START_TEST(ids)
{
	ck_assert(sc_id_valid("ab12cd34"));
	ck_assert(sc_id_valid("fix_cve_2024_1"));
	ck_assert(sc_id_valid("abcdefghijklmnopqrstuvwxyz012345"));	/* 32 */
	ck_assert(!sc_id_valid("abcdefghijklmnopqrstuvwxyz0123456"));	/* 33 */
	ck_assert(!sc_id_valid(""));
	ck_assert(!sc_id_valid("Upper"));
	ck_assert(!sc_id_valid("dash-ed"));
}
END_TEST

START_TEST(sha256_vectors)
{
	char hex[SC_SHA256_HEX];
	static char million[1000000];

	sc_sha256_buf("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sc_sha256_buf("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sc_sha256_buf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', sizeof(million));
	sc_sha256_buf(million, sizeof(million), hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

static Suite *create_manifest_suite(void)
{
	Suite *s = suite_create("create-manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, parse_errors);
	tcase_add_test(tc, modules);
	tcase_add_test(tc, refuses_spaces);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, sha256_vectors);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_manifest_suite)
