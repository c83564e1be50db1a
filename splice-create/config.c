// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel configurations compared for what they do to the code.
 *
 * The same kernel's configuration comes in several copies that differ in
 * symbols which change no code: Debian's /boot/config-R, the .config of its
 * linux-headers-R, and a tree's .config made from either by `make
 * olddefconfig`.  olddefconfig adds default-only symbols (BUILD_SALT="",
 * MODULE_SIG_ALL, MODULE_SIG_KEY, SYSTEM_TRUSTED_KEYS="") and rewrites the
 * toolchain's (CC_VERSION_TEXT "gcc" for Debian's "gcc-12"; on 6.12
 * RUSTC_VERSION and the other RUSTC_ symbols of whatever rustc is on PATH,
 * where Debian's build had none).  None of these
 * reaches a function's code: the build salt is an ELF note, the signing
 * symbols are used by modules_install and sign-file, the toolchain symbols
 * describe the compiler (checked on their own, sc_target_resolve()).  So
 * they are left out, and a string symbol set to "" counts as not set, as
 * "# CONFIG_X is not set" and an absent line do.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

static const char *const no_code[] = {
	/* the toolchain (compared separately) */
	"CONFIG_CC_VERSION_TEXT=", "CONFIG_GCC_VERSION=", "CONFIG_CLANG_VERSION=",
	"CONFIG_AS_VERSION=", "CONFIG_LD_VERSION=", "CONFIG_LLD_VERSION=",
	"CONFIG_PAHOLE_VERSION=", "CONFIG_AS_IS_", "CONFIG_LD_IS_",
	/*
	 * Rust's, since 6.12 read from the rustc on PATH by olddefconfig (0
	 * in Debian's build): what they enable is a symbol of its own
	 * (CONFIG_RUST), compared
	 */
	"CONFIG_RUSTC_", "CONFIG_RUST_IS_AVAILABLE=", "CONFIG_BINDGEN_VERSION_TEXT=",
	/* an ELF note, not code */
	"CONFIG_BUILD_SALT=",
	/* signing and keyrings of the build, not of the code */
	"CONFIG_MODULE_SIG_ALL=", "CONFIG_MODULE_SIG_KEY=", "CONFIG_MODULE_SIG_KEY_TYPE_",
	"CONFIG_SYSTEM_TRUSTED_KEYS=", "CONFIG_SYSTEM_REVOCATION_KEYS=",
	"CONFIG_SYSTEM_BLACKLIST_HASH_LIST=",
};

bool sc_config_no_code(const char *line)
{
	size_t i;

	for (i = 0; i < sizeof(no_code) / sizeof(no_code[0]); i++)
		if (!strncmp(line, no_code[i], strlen(no_code[i])))
			return true;
	return false;
}

int sc_config_read(const char *path, struct sc_strv *out)
{
	char *buf = NULL, *line, *save = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (getdelim(&buf, &cap, '\0', f) < 0 && ferror(f))
		err = -EIO;
	fclose(f);
	if (err || !buf) {
		free(buf);
		return err ? err : 0;
	}
	for (line = strtok_r(buf, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		if (strncmp(line, "CONFIG_", 7) || !strchr(line, '=') || sc_config_no_code(line))
			continue;
		if (n > 3 && !strcmp(line + n - 3, "=\"\""))
			continue;	/* "" is not set */
		err = sc_strv_add(out, line);
	}
	free(buf);
	sc_strv_sort(out);
	return err;
}

/* "CONFIG_FOO=y" -> length of "CONFIG_FOO" */
static size_t sym_len(const char *line)
{
	return strcspn(line, "=");
}

size_t sc_config_compare(const struct sc_strv *a, const struct sc_strv *b, char **first)
{
	size_t i = 0, j = 0, n = 0;

	if (first)
		*first = NULL;
	while (i < a->n || j < b->n) {
		const char *sym;
		int c;

		if (i == a->n)
			c = 1;
		else if (j == b->n)
			c = -1;
		else
			c = strcmp(a->v[i], b->v[j]);
		if (!c) {
			i++, j++;
			continue;
		}
		/* a symbol in both with other values counts once */
		if (i < a->n && j < b->n && sym_len(a->v[i]) == sym_len(b->v[j]) &&
		    !strncmp(a->v[i], b->v[j], sym_len(a->v[i]))) {
			sym = a->v[i];
			i++, j++;
		} else if (c < 0) {
			sym = a->v[i++];
		} else {
			sym = b->v[j++];
		}
		if (!n && first)
			*first = strndup(sym, sym_len(sym));
		n++;
	}
	return n;
}

int sc_config_files_compare(const char *a, const char *b, size_t *ndiff, char **first)
{
	struct sc_strv la = { 0 }, lb = { 0 };
	int err;

	err = sc_config_read(a, &la);
	if (err) {
		sc_err("%s: %s", a, strerror(-err));
		goto out;
	}
	err = sc_config_read(b, &lb);
	if (err) {
		sc_err("%s: %s", b, strerror(-err));
		goto out;
	}
	if (!la.n || !lb.n) {
		sc_err("%s: not a kernel configuration (no CONFIG_ symbol set)", la.n ? b : a);
		err = -EINVAL;
		goto out;
	}
	*ndiff = sc_config_compare(&la, &lb, first);
out:
	sc_strv_free(&la);
	sc_strv_free(&lb);
	return err;
}
