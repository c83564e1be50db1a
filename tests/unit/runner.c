// SPDX-License-Identifier: GPL-2.0
/* The shared Check runner: see runner.h. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#define MAX_SUITES 64

static struct {
	const char *name;
	Suite *(*make)(void);
} suites[MAX_SUITES];
static int nsuites;

void runner_register(const char *name, Suite *(*make)(void))
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "runner: too many suites (raise MAX_SUITES)\n");
		abort();
	}
	suites[nsuites].name = name;
	suites[nsuites].make = make;
	nsuites++;
}

const char *test_srcpath(const char *rel)
{
	static char path[PATH_MAX];
	const char *top = getenv("SPLICE_TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	return path;
}

static char tmpdir[PATH_MAX];
static pid_t tmpdir_owner;

static void remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	/* Check forks a child per test; only the creator cleans up. */
	if (tmpdir[0] && getpid() == tmpdir_owner && !getenv("SPLICE_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "runner: cannot remove %s\n", tmpdir);
	}
}

const char *test_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/splice-test.XXXXXX",
			 base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("runner: mkdtemp");
			abort();
		}
		tmpdir_owner = getpid();
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

int test_system(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int ret, status;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	status = system(cmd);
	free(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(void)
{
	SRunner *sr;
	int i, failed;

	if (nsuites == 0) {
		fprintf(stderr, "runner: no suites registered\n");
		return 99;	/* automake: hard error */
	}
	sr = srunner_create(suites[0].make());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i].make());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
