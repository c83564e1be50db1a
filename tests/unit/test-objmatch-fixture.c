// SPDX-License-Identifier: GPL-2.0
/* Helpers for the objmatch tests: see test-objmatch-fixture.h. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "test-objmatch-fixture.h"

/*
 * The flags kbuild compiles Debian's 6.1 kernel with, as far as code
 * generation goes (plus -ffunction-sections -fdata-sections, which splice
 * adds).  -w: fixtures are deliberately odd C.
 */
#define KERNEL_CFLAGS							\
	"-O2 -mcmodel=kernel -fno-pic -mfentry -pg -mrecord-mcount "	\
	"-ffunction-sections -fdata-sections "				\
	"-fno-asynchronous-unwind-tables -mno-red-zone "		\
	"-fno-stack-protector -fno-strict-aliasing -fno-common "	\
	"-fno-jump-tables -nostdinc -ffreestanding -w"

/*
 * 6.12's function entry (CONFIG_CALL_PADDING, CONFIG_X86_KERNEL_IBT): 16
 * NOPs before each function in its section, endbr64 at its start; and
 * its 14-byte struct alt_instr (kfix.h).  A fixture named <name>-612 is
 * <name>.c compiled with them too.
 */
#define SERIES_612_CFLAGS "-fpatchable-function-entry=16,16 -fcf-protection=branch -DKFIX_612"
#define SERIES_612_SUFFIX "-612"

const char *fixture_obj(const char *name, bool post)
{
	static char paths[2][4096];
	char *p = paths[post];

	snprintf(p, sizeof(paths[0]), "%s/%s-%s.o", test_tmpdir(), name,
		 post ? "post" : "pre");
	return p;
}

void fixture_build(const char *name)
{
	const char *cc = getenv("CC");
	char src[4096], base[256];
	size_t n = strlen(name), k = strlen(SERIES_612_SUFFIX);
	bool s612 = n > k && !strcmp(name + n - k, SERIES_612_SUFFIX);
	int side;

	snprintf(base, sizeof(base), "%.*s", (int)(s612 ? n - k : n), name);

	snprintf(src, sizeof(src), "%s", test_srcpath("fixtures/objmatch"));
	for (side = 0; side < 2; side++) {
		const char *dir = side ? "post" : "pre";
		int rc;

		/*
		 * Each side compiles its own copy, by a relative name as kbuild
		 * does, so that __FILE__ is the same on both.  "comment*"
		 * fixtures: the post copy has a comment in front, which moves
		 * every line.
		 */
		rc = test_system("mkdir -p '%s/%s' && "
				 "{ %s cat '%s/%s.c'; } >'%s/%s/%s.c'",
				 test_tmpdir(), dir,
				 side && !strncmp(name, "comment", 7) ?
				 "printf '/*\\n * a comment\\n */\\n';" : "",
				 src, base, test_tmpdir(), dir, base);
		ck_assert_msg(rc == 0, "copying fixture %s failed", name);
		rc = test_system("cd '%s/%s' && %s " KERNEL_CFLAGS " %s %s -I'%s' -c '%s.c' -o '%s'",
				 test_tmpdir(), dir, cc && *cc ? cc : "gcc",
				 s612 ? SERIES_612_CFLAGS : "",
				 side ? "-DPOST" : "", src, base, fixture_obj(name, side));
		ck_assert_msg(rc == 0, "compiling fixture %s (%s) failed", name,
			      side ? "post" : "pre");
	}
}

TCase *fixture_tcase(const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	if (setup)
		tcase_add_checked_fixture(tc, setup, NULL);
	return tc;
}

/* ------------------------------------------------------------ log hook */

#define MAX_EXPECT 8
static const char *expected[MAX_EXPECT];
static int nexpected;
static char logbuf[65536];
static size_t loglen;

static void test_log(void *ctx, enum om_log_level level, const char *msg)
{
	int i;

	(void)ctx;
	if (level <= OM_LOG_WARN && loglen + strlen(msg) + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, msg, strlen(msg));
		loglen += strlen(msg);
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
	if (level != OM_LOG_ERROR)
		return;
	for (i = 0; i < nexpected; i++)
		if (strstr(msg, expected[i]))
			return;
	ck_abort_msg("unexpected error logged: %s", msg);
}

struct om_options *test_log_options(void)
{
	static struct om_options opts = {
		.log = test_log,
		.log_level = OM_LOG_WARN,
	};

	return &opts;
}

void log_expect_error(const char *substring)
{
	ck_assert_int_lt(nexpected, MAX_EXPECT);
	expected[nexpected++] = substring;
}

bool log_contains(const char *substring)
{
	return strstr(logbuf, substring) != NULL;
}

void log_reset(void)
{
	nexpected = 0;
	loglen = 0;
	logbuf[0] = '\0';
}

/* ------------------------------------------------------------ tool */

bool read_text(const char *path, char *buf, size_t sz)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sz - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return f != NULL;
}

int run_tool(const char *tool, const char *args, char *out, size_t outsz,
	     char *err, size_t errsz)
{
	const char *top = getenv("SPLICE_TOP_BUILDDIR");
	char o[4096], e[4096];
	int rc;

	snprintf(o, sizeof(o), "%s/%s.out", test_tmpdir(), tool);
	snprintf(e, sizeof(e), "%s/%s.err", test_tmpdir(), tool);
	rc = test_system("'%s/objmatch/%s' %s >'%s' 2>'%s'",
			 top ? top : "..", tool, args, o, e);
	read_text(o, out, outsz);
	if (err)
		read_text(e, err, errsz);
	return rc;
}

int run_objdiff(const char *args, char *out, size_t outsz, char *err, size_t errsz)
{
	return run_tool("splice-objdiff", args, out, outsz, err, errsz);
}

struct om_diff *fixture_diff(const char *name, struct om_object **pre,
			     struct om_object **post)
{
	struct om_diff *diff = NULL;

	fixture_build(name);
	ck_assert_int_eq(om_object_open(fixture_obj(name, false), test_log_options(), pre), 0);
	ck_assert_int_eq(om_object_open(fixture_obj(name, true), test_log_options(), post), 0);
	ck_assert_int_eq(om_diff(*pre, *post, test_log_options(), &diff), 0);
	return diff;
}
