// SPDX-License-Identifier: GPL-2.0
/*
 * Running the tools splice-create drives: cp, make (kbuild), patch.
 *
 * Every child runs in its own process group, so that an interrupt
 * (SIGINT/SIGTERM to splice-create, or Ctrl-C) ends the whole group --
 * make and the compilers under it -- before splice-create cleans up.  The
 * children's output goes where ours goes: compiler errors are shown as the
 * compiler printed them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "create.h"

volatile int sc_interrupted;

static void show_command(const struct sc_opts *opts, const char *dir, char *const argv[])
{
	char line[8192];
	size_t i, n = 0;

	if (opts->log.verbosity < SC_VERBOSE)
		return;
	line[0] = '\0';
	for (i = 0; argv[i] && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
	sc_verbose(&opts->log, "%s%s%s", dir ? "(cd " : "", dir ? dir : "", dir ? ") " : "");
	sc_verbose(&opts->log, "$ %s", line);
}

/* Fork argv in @dir; its stdout/stderr to @outfd if >= 0. */
static int spawn(const char *dir, char *const argv[], int outfd, pid_t *pid)
{
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (null >= 0)
			dup2(null, 0);
		if (outfd >= 0) {
			dup2(outfd, 1);
			dup2(outfd, 2);
		}
		/* a make above us (make check) must not hand kbuild its jobserver */
		unsetenv("MAKEFLAGS");
		unsetenv("MFLAGS");
		unsetenv("MAKELEVEL");
		unsetenv("MAKEOVERRIDES");
		if (dir && chdir(dir)) {
			fprintf(stderr, "splice-create: %s: %s\n", dir, strerror(errno));
			_exit(127);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "splice-create: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(*pid, *pid);	/* also here: no race with an early signal */
	return 0;
}

/* Wait for @pid; on an interrupt, end its process group first. */
static int reap(pid_t pid, int *status)
{
	bool killed = false;

	for (;;) {
		if (sc_interrupted && !killed) {
			kill(-pid, SIGTERM);
			killed = true;
		}
		if (waitpid(pid, status, 0) == pid)
			break;
		if (errno != EINTR)
			return -errno;
	}
	/* anything of the group still running (make's children) goes too */
	if (killed)
		kill(-pid, SIGKILL);
	return killed ? -EINTR : 0;
}

static int status_error(const char *what, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		sc_err("%s failed (exit status %d)", what, WEXITSTATUS(status));
	else
		sc_err("%s was killed by signal %d", what, WTERMSIG(status));
	return -ECHILD;
}

static int run_quiet_status(const struct sc_opts *opts, const char *dir,
			    char *const argv[], int outfd, int *status)
{
	pid_t pid;
	int err;

	if (sc_interrupted)
		return -EINTR;
	show_command(opts, dir, argv);
	fflush(stdout);
	fflush(stderr);
	err = spawn(dir, argv, outfd, &pid);
	if (err) {
		sc_err("cannot start %s: %s", argv[0], strerror(-err));
		return err;
	}
	return reap(pid, status);
}

int sc_run(const struct sc_opts *opts, const char *dir, char *const argv[])
{
	int status, err;

	err = run_quiet_status(opts, dir, argv, -1, &status);
	return err ? err : status_error(argv[0], status);
}

/*
 * Like sc_run, output captured.  Returns -ECHILD (without a message) if
 * the command failed; the caller decides whether that is an error.
 */
int sc_run_capture(const struct sc_opts *opts, const char *dir,
		   char *const argv[], char **out)
{
	int code;

	return sc_run_status(opts, dir, argv, out, &code);
}

int sc_run_status(const struct sc_opts *opts, const char *dir,
		  char *const argv[], char **out, int *exit_status)
{
	int fds[2], status = 0, err = 0;
	size_t len = 0, cap = 4096;
	char *buf;
	pid_t pid;

	*exit_status = -1;
	*out = NULL;
	if (sc_interrupted)
		return -EINTR;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	show_command(opts, dir, argv);
	fflush(stdout);
	fflush(stderr);
	err = spawn(dir, argv, fds[1], &pid);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		free(buf);
		sc_err("cannot start %s: %s", argv[0], strerror(-err));
		return err;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fds[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR) {
			if (sc_interrupted)
				kill(-pid, SIGTERM);
			continue;
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	{
		int rerr = reap(pid, &status);

		if (!err)
			err = rerr;
	}
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		err = -ECHILD;
	*out = buf;
	return err;
}

/*
 * Host tools preparation built (objtool, resolve_btfids): the top Makefile
 * re-runs their own build systems on every make, which takes seconds and,
 * in a copy of the tree, rebuilds them from scratch (their command lines
 * hold the original tree's absolute path).  They are the prepared tree's,
 * unchanged by any kernel patch, so make is told they are up to date.
 */
static const char *const prepared_tools[][2] = {
	{ "tools/objtool", "tools/objtool/objtool" },
	{ "tools/bpf/resolve_btfids", "tools/bpf/resolve_btfids/resolve_btfids" },
};

int sc_build_units(const struct sc_opts *opts, const char *tree,
		   const struct sc_strv *units)
{
	char jobs[32], path[4200];
	char **argv;
	size_t i, n = 0;
	int err;

	argv = calloc(14 + opts->kbuild_args.n + units->n, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	snprintf(jobs, sizeof(jobs), "-j%u", opts->jobs);
	argv[n++] = "make";
	if (opts->log.verbosity < SC_VERBOSE)
		argv[n++] = "-s";
	argv[n++] = "--no-print-directory";
	argv[n++] = jobs;
	/*
	 * `prepare` re-checks the whole prepared state (syscall tables, asm
	 * offsets, headers): seconds of make and compiler runs per build.  When
	 * it is known done with these arguments, make is told it is up to date.
	 */
	if (opts->prepared) {
		argv[n++] = "-o";
		argv[n++] = "prepare";
	}
	for (i = 0; i < sizeof(prepared_tools) / sizeof(prepared_tools[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tree, prepared_tools[i][1]);
		if (!access(path, X_OK)) {
			argv[n++] = "-o";
			argv[n++] = (char *)prepared_tools[i][0];
		}
	}
	for (i = 0; i < opts->kbuild_args.n; i++)
		argv[n++] = opts->kbuild_args.v[i];
	for (i = 0; i < units->n; i++)
		argv[n++] = units->v[i];
	argv[n] = NULL;
	err = sc_run(opts, tree, argv);
	free(argv);
	if (err == -ECHILD)
		sc_err("kbuild failed in %s (its messages are above)", tree);
	return err;
}

int sc_apply_patch(const struct sc_opts *opts, const char *tree,
		   const char *patch_file, bool dry_run)
{
	char *argv[] = { "patch", "-p1", "--no-backup-if-mismatch", "--batch",
			 "-i", (char *)patch_file, dry_run ? "--dry-run" : NULL, NULL };
	char *out = NULL;
	int err;

	err = sc_run_capture(opts, tree, argv, &out);
	if (err == -ECHILD) {
		/* patch's own words, then ours */
		fputs(out ? out : "", stderr);
		sc_err("the patch does not apply to this source tree");
	} else if (!err && out && *out) {
		sc_verbose(&opts->log, "patch: %s", out);
	}
	free(out);
	return err;
}
