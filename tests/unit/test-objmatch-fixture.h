/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the objmatch tests: fixtures compiled at test time with
 * the kernel's code-generation flags, a log hook that fails the test on any
 * error it did not expect, and running splice-objdiff.
 */
#ifndef TEST_OBJMATCH_FIXTURE_H
#define TEST_OBJMATCH_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include "obj/objmatch.h"

/*
 * Compile tests/fixtures/objmatch/<name>.c into <tmp>/<name>-pre.o and,
 * with -DPOST, <name>-post.o.  Fails the test if the compiler does.
 */
void fixture_build(const char *name);
/* Path of a built fixture object (static buffer per side). */
const char *fixture_obj(const char *name, bool post);
/*
 * A test case whose tests build fixtures: a 60 s timeout, and @setup (may
 * be NULL) run before each test in its own process.
 */
TCase *fixture_tcase(const char *name, void (*setup)(void));

/*
 * The log hook.  Messages at OM_LOG_ERROR fail the test unless one of the
 * substrings given to log_expect_error() occurs in them; every message up
 * to OM_LOG_WARN is kept for log_contains().
 */
struct om_options *test_log_options(void);
void log_expect_error(const char *substring);
bool log_contains(const char *substring);
void log_reset(void);

/*
 * Run objmatch/TOOL ARGS of the build tree (splice-objdiff, splice-mkpre,
 * splice-mknew); returns its exit status, stdout in @out (NUL terminated,
 * truncated to @outsz), stderr in @err (may be NULL).
 */
int run_tool(const char *tool, const char *args, char *out, size_t outsz,
	     char *err, size_t errsz);
/* run_tool("splice-objdiff", ...) */
int run_objdiff(const char *args, char *out, size_t outsz, char *err, size_t errsz);
/*
 * The contents of @path, NUL terminated, truncated to @sz - 1 bytes;
 * false (and "") if it can't be read.
 */
bool read_text(const char *path, char *buf, size_t sz);

/* The diff of a fixture's pre and post objects through the library. */
struct om_diff *fixture_diff(const char *name, struct om_object **pre,
			     struct om_object **post);

#endif
