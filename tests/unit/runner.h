/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Check runner shared by every unit-test binary.
 *
 * Each test binary links runner.c plus one or more per-topic files
 * (test-<component>-<topic>.c).  A topic file defines a function returning
 * its Suite and registers it with TEST_SUITE(fn); the runner collects every
 * registered suite into one SRunner.  CK_RUN_SUITE / CK_RUN_CASE select
 * suites and cases as usual with Check.
 *
 * Fixture helpers: tests find their inputs through the environment that
 * tests/Makefile.am sets (SPLICE_TEST_SRCDIR, SPLICE_TEST_BUILDDIR, CC).
 */
#ifndef SPLICE_TEST_RUNNER_H
#define SPLICE_TEST_RUNNER_H

#include <check.h>

void runner_register(const char *name, Suite *(*make)(void));

#define TEST_SUITE(fn)							\
	__attribute__((constructor)) static void register_##fn(void)	\
	{								\
		runner_register(#fn, fn);				\
	}

/* $SPLICE_TEST_SRCDIR/<rel> (tests/ in the source tree); static buffer. */
const char *test_srcpath(const char *rel);

/*
 * A fresh temporary directory for this test process, removed at exit.
 * Returns its path (static storage).
 */
const char *test_tmpdir(void);

/*
 * Run a shell command line; returns its exit status, or -1 if it could not
 * be run or was killed.  Output goes to the test's log.
 */
int test_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SPLICE_TEST_RUNNER_H */
