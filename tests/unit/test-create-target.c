// SPDX-License-Identifier: GPL-2.0
/*
 * The target kernel (splice-create/target.c) and configurations compared
 * for what changes code (config.c), on fake trees and fake build
 * directories ($SPLICE_HEADERS_DIRS stands for /usr/src).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "create.h"

/* ------------------------------------------------------------ config.c */

static const char *write_config(const char *name, const char *text)
{
	static char path[4][4096];
	static int next;
	char *p = path[next++ % 4];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", test_tmpdir(), name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Debian's /boot/config-R against the tree's copy after `make olddefconfig`. */
START_TEST(olddefconfig_adds_nothing)
{
	const char *boot = write_config("boot",
		"#\n# Linux/x86 6.1.192 Kernel Configuration\n#\n"
		"CONFIG_CC_VERSION_TEXT=\"gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\"\n"
		"CONFIG_GCC_VERSION=120200\n"
		"CONFIG_SMP=y\nCONFIG_EXT4_FS=m\n# CONFIG_KASAN is not set\n"
		"CONFIG_LOCALVERSION=\"\"\n");
	const char *tree = write_config("tree",
		"CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14+deb12u1) 12.2.0\"\n"
		"CONFIG_GCC_VERSION=120200\nCONFIG_BUILD_SALT=\"\"\n"
		"CONFIG_SMP=y\nCONFIG_EXT4_FS=m\nCONFIG_MODULE_SIG_ALL=y\n"
		"CONFIG_MODULE_SIG_KEY=\"certs/signing_key.pem\"\n"
		"CONFIG_SYSTEM_TRUSTED_KEYS=\"\"\n");
	char *first = (char *)"unset";
	size_t n = 99;

	ck_assert_int_eq(sc_config_files_compare(boot, tree, &n, &first), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(first);
}
END_TEST

/* 6.12's Rust symbols, with a rustc on PATH where Debian's build had none */
START_TEST(olddefconfig_rustc_adds_nothing)
{
	const char *boot612 = write_config("boot612",
		"CONFIG_SMP=y\nCONFIG_RUSTC_VERSION=0\nCONFIG_RUSTC_LLVM_VERSION=0\n"
		"# CONFIG_RUST is not set\n");
	const char *tree612 = write_config("tree612",
		"CONFIG_SMP=y\nCONFIG_RUSTC_VERSION=109500\nCONFIG_RUSTC_LLVM_VERSION=220102\n"
		"CONFIG_RUSTC_HAS_UNNECESSARY_TRANSMUTES=y\nCONFIG_RUST_IS_AVAILABLE=y\n"
		"# CONFIG_RUST is not set\n");
	const char *rust612 = write_config("rust612",
		"CONFIG_SMP=y\nCONFIG_RUSTC_VERSION=109500\nCONFIG_RUST=y\n");
	char *first = (char *)"unset";
	size_t n = 99;

	ck_assert_int_eq(sc_config_files_compare(boot612, tree612, &n, &first), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(first);
	/* what Rust enables is compared */
	ck_assert_int_eq(sc_config_files_compare(boot612, rust612, &n, &first), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(first, "CONFIG_RUST");
	free(first);
}
END_TEST

START_TEST(code_symbols_differ)
{
	const char *a = write_config("a", "CONFIG_SMP=y\nCONFIG_EXT4_FS=m\nCONFIG_HZ=250\n");
	const char *b = write_config("b", "CONFIG_SMP=y\nCONFIG_EXT4_FS=y\nCONFIG_HZ=250\n"
				     "CONFIG_KASAN=y\n");
	char *first = NULL;
	size_t n = 0;

	ck_assert_int_eq(sc_config_files_compare(a, b, &n, &first), 0);
	/* one changed value, one symbol set in b only */
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(first, "CONFIG_EXT4_FS");
	free(first);
}
END_TEST

START_TEST(empty_file_is_no_config)
{
	const char *a = write_config("a", "CONFIG_SMP=y\n");
	const char *e = write_config("e", "# nothing\n");
	size_t n = 0;

	ck_assert_int_eq(sc_config_files_compare(a, e, &n, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------ target.c */

#define CFG "CONFIG_SMP=y\nCONFIG_EXT4_FS=m\n"

/* A fake build directory ROOT/NAME of RELEASE, kernel VERSION, with CONFIG. */
static void fake_build(const char *root, const char *name, const char *release,
		       int sublevel, const char *config)
{
	ck_assert_int_eq(test_system(
		"d='%s/%s' && mkdir -p \"$d/include/generated/uapi/linux\" && "
		"echo all: >\"$d/Makefile\" && "
		"echo '#define UTS_RELEASE \"%s\"' >\"$d/include/generated/utsrelease.h\" && "
		"printf '#define LINUX_VERSION_MAJOR 6\\n#define LINUX_VERSION_PATCHLEVEL 1\\n"
		"#define LINUX_VERSION_SUBLEVEL %d\\n' >\"$d/include/generated/uapi/linux/version.h\" && "
		"printf '%s' >\"$d/.config\"", root, name, release, sublevel, config), 0);
}

/* A fake source tree of Linux 6.1.SUBLEVEL, with a .config if CONFIG. */
static const char *fake_tree(int sublevel, const char *config)
{
	static char tree[4096];

	snprintf(tree, sizeof(tree), "%s/tree", test_tmpdir());
	ck_assert_int_eq(test_system(
		"mkdir -p '%s' && printf 'VERSION = 6\\nPATCHLEVEL = 1\\nSUBLEVEL = %d\\n"
		"EXTRAVERSION =\\n' >'%s/Makefile'", tree, sublevel, tree), 0);
	if (config)
		ck_assert_int_eq(test_system("printf '%s' >'%s/.config'", config, tree), 0);
	return tree;
}

/* splice-core's files, for --core */
static const char *fake_core(void)
{
	static char core[4096];

	snprintf(core, sizeof(core), "%s/core", test_tmpdir());
	ck_assert_int_eq(test_system("mkdir -p '%s' && touch '%s/splice.h' '%s/Module.symvers'",
				     core, core, core), 0);
	return core;
}

static void headers_root(const char **root)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/usr-src", test_tmpdir());
	ck_assert_int_eq(test_system("mkdir -p '%s'", path), 0);
	setenv("SPLICE_HEADERS_DIRS", path, 1);
	unsetenv("SPLICE_KERNEL_BUILD");
	*root = path;
}

/*
 * Options with --kernel-build a fake build directory of 6.1.0-ABI-amd64
 * (Linux 6.1.SUBLEVEL, configuration CONFIG) and --core a fake core.
 */
static void given_build(struct sc_opts *o, const char *abi, int sublevel, const char *config)
{
	static char kb[4096], name[256], release[128];
	const char *root;

	headers_root(&root);
	snprintf(release, sizeof(release), "6.1.0-%s-amd64", abi);
	snprintf(name, sizeof(name), "linux-headers-%s", release);
	fake_build(root, name, release, sublevel, config);
	snprintf(kb, sizeof(kb), "%s/%s", root, name);
	memset(o, 0, sizeof(*o));
	o->kernel_build = kb;
	o->core_dir = fake_core();
}

START_TEST(release_from_kernel_build)
{
	struct sc_opts o;
	struct sc_target t;

	given_build(&o, "55", 192, CFG);
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, NULL), &t), 0);
	ck_assert_str_eq(t.release, "6.1.0-55-amd64");
	/* the configuration defaults to the one the kernel was built with */
	ck_assert_ptr_nonnull(strstr(t.config, "linux-headers-6.1.0-55-amd64/.config"));
	sc_target_free(&t);
}
END_TEST

START_TEST(release_from_matching_headers)
{
	struct sc_opts o = { 0 };
	struct sc_target t;
	const char *root, *tree;

	headers_root(&root);
	fake_build(root, "linux-headers-6.1.0-55-amd64", "6.1.0-55-amd64", 192, CFG);
	fake_build(root, "linux-headers-6.1.0-50-amd64", "6.1.0-50-amd64", 176,
		   "CONFIG_SMP=y\nCONFIG_EXT4_FS=y\n");
	o.core_dir = fake_core();
	/* the tree's .config, as olddefconfig left it: salt and signing symbols added */
	tree = fake_tree(192, CFG "CONFIG_BUILD_SALT=\"\"\nCONFIG_MODULE_SIG_ALL=y\n");
	ck_assert_int_eq(sc_target_resolve(&o, tree, &t), 0);
	ck_assert_str_eq(t.release, "6.1.0-55-amd64");
	sc_target_free(&t);
}
END_TEST

START_TEST(same_config_twice_named_by_file)
{
	struct sc_opts o = { 0 };
	struct sc_target t;
	const char *root;
	char cfg[4096];

	headers_root(&root);
	fake_build(root, "linux-headers-6.1.0-55-amd64", "6.1.0-55-amd64", 192, CFG);
	fake_build(root, "linux-headers-6.1.0-57-amd64", "6.1.0-57-amd64", 192, CFG);
	o.core_dir = fake_core();
	/* the tree's .config is both's: refused, naming both */
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, CFG), &t), -EINVAL);
	sc_target_free(&t);
	/* -c /boot/config-R says which */
	snprintf(cfg, sizeof(cfg), "%s/config-6.1.0-57-amd64", test_tmpdir());
	ck_assert_int_eq(test_system("printf '%s' >'%s'", CFG, cfg), 0);
	o.config = cfg;
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, CFG), &t), 0);
	ck_assert_str_eq(t.release, "6.1.0-57-amd64");
	sc_target_free(&t);
}
END_TEST

START_TEST(other_version_refused)
{
	struct sc_opts o;
	struct sc_target t;

	given_build(&o, "50", 176, CFG);
	/* a 6.1.192 tree for a 6.1.176 kernel */
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, NULL), &t), -EINVAL);
	sc_target_free(&t);
}
END_TEST

START_TEST(config_not_the_kernels_refused)
{
	struct sc_opts o;
	struct sc_target t;

	given_build(&o, "55", 192, CFG);
	o.config = write_config("other", "CONFIG_SMP=y\nCONFIG_EXT4_FS=y\n");
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, NULL), &t), -EINVAL);
	sc_target_free(&t);
}
END_TEST

START_TEST(no_target_refused)
{
	struct sc_opts o = { 0 };
	struct sc_target t;
	const char *root;

	headers_root(&root);
	o.core_dir = fake_core();
	/* a fresh tree, nothing given, no headers (and none for uname -r here) */
	ck_assert_int_ne(sc_target_resolve(&o, fake_tree(192, NULL), &t), 0);
	ck_assert_ptr_null(t.release);
	sc_target_free(&t);
}
END_TEST

START_TEST(not_a_tree_refused)
{
	struct sc_opts o = { 0 };
	struct sc_target t;

	o.core_dir = fake_core();
	ck_assert_int_eq(sc_target_resolve(&o, test_tmpdir(), &t), -ENOENT);
	sc_target_free(&t);
}
END_TEST

START_TEST(missing_core_refused)
{
	struct sc_opts o;
	struct sc_target t;
	char core[4096];

	given_build(&o, "55", 192, CFG);
	snprintf(core, sizeof(core), "%s/no-core", test_tmpdir());
	o.core_dir = core;
	ck_assert_int_eq(sc_target_resolve(&o, fake_tree(192, NULL), &t), -ENOENT);
	sc_target_free(&t);
}
END_TEST

START_TEST(tree_version_read)
{
	char *v = sc_tree_version(fake_tree(187, NULL));

	ck_assert_str_eq(v, "6.1.187");
	free(v);
}
END_TEST

/*
 * splice-core's files: the installed (or build tree's) core is built for
 * configure's kernel; another target takes DKMS's Module.symvers for it.
 */
static void core_where(struct sc_core_where *w, char *dkms, size_t len)
{
	snprintf(dkms, len, "%s/dkms", test_tmpdir());
	memset(w, 0, sizeof(*w));
	w->dir = fake_core();
	w->dir_release = "6.1.0-57-amd64";
	w->dkms_tree = dkms;
	w->version = "0.1.0";
}

START_TEST(core_built_for_the_target)
{
	struct sc_core_where w;
	char dkms[4096], want[4200], *core, *symvers;

	core_where(&w, dkms, sizeof(dkms));
	ck_assert_int_eq(sc_core_pick(&w, "6.1.0-57-amd64", &core, &symvers), 0);
	snprintf(want, sizeof(want), "%s/Module.symvers", w.dir);
	ck_assert_str_eq(core, w.dir);
	ck_assert_str_eq(symvers, want);
	free(core);
	free(symvers);
	/* a core whose kernel is not known is taken as it is */
	w.dir_release = NULL;
	ck_assert_int_eq(sc_core_pick(&w, "6.12.118+deb12-amd64", &core, &symvers), 0);
	ck_assert_str_eq(symvers, want);
	free(core);
	free(symvers);
}
END_TEST

START_TEST(core_of_another_kernel_takes_dkms)
{
	struct sc_core_where w;
	char dkms[4096], want[4300], *core, *symvers;
	const char *rel = "6.12.118+deb12-amd64";

	core_where(&w, dkms, sizeof(dkms));
	snprintf(want, sizeof(want), "%s/splice-core/0.1.0/%s/x86_64/Module.symvers", dkms, rel);
	ck_assert_int_eq(test_system("mkdir -p \"$(dirname '%s')\" && touch '%s'", want, want), 0);
	ck_assert_int_eq(sc_core_pick(&w, rel, &core, &symvers), 0);
	/* the interface from the core, the CRCs from DKMS's build for the target */
	ck_assert_str_eq(core, w.dir);
	ck_assert_str_eq(symvers, want);
	free(core);
	free(symvers);
	/* another version's DKMS build is not splice's */
	w.version = "0.0.9";
	ck_assert_int_eq(sc_core_pick(&w, rel, &core, &symvers), -ENOENT);
	ck_assert_ptr_null(core);
	ck_assert_ptr_null(symvers);
}
END_TEST

START_TEST(core_of_another_kernel_without_dkms_refused)
{
	struct sc_core_where w;
	char dkms[4096], *core, *symvers;

	core_where(&w, dkms, sizeof(dkms));
	ck_assert_int_eq(sc_core_pick(&w, "6.1.0-55-amd64", &core, &symvers), -ENOENT);
	ck_assert_ptr_null(core);
	ck_assert_ptr_null(symvers);
	/* given (--core): taken as it is, whatever it was built for */
	w.given = w.dir;
	ck_assert_int_eq(sc_core_pick(&w, "6.1.0-55-amd64", &core, &symvers), 0);
	ck_assert_str_eq(core, w.given);
	free(core);
	free(symvers);
	/* no splice.h: refused */
	w.given = test_tmpdir();
	ck_assert_int_eq(sc_core_pick(&w, "6.1.0-57-amd64", &core, &symvers), -ENOENT);
	ck_assert_ptr_null(core);
}
END_TEST

static Suite *create_target_suite(void)
{
	Suite *s = suite_create("create-target");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, olddefconfig_adds_nothing);
	tcase_add_test(tc, olddefconfig_rustc_adds_nothing);
	tcase_add_test(tc, code_symbols_differ);
	tcase_add_test(tc, empty_file_is_no_config);
	suite_add_tcase(s, tc);
	tc = tcase_create("target");
	tcase_add_test(tc, release_from_kernel_build);
	tcase_add_test(tc, release_from_matching_headers);
	tcase_add_test(tc, same_config_twice_named_by_file);
	tcase_add_test(tc, other_version_refused);
	tcase_add_test(tc, config_not_the_kernels_refused);
	tcase_add_test(tc, no_target_refused);
	tcase_add_test(tc, not_a_tree_refused);
	tcase_add_test(tc, missing_core_refused);
	tcase_add_test(tc, tree_version_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, core_built_for_the_target);
	tcase_add_test(tc, core_of_another_kernel_takes_dkms);
	tcase_add_test(tc, core_of_another_kernel_without_dkms_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_target_suite)
