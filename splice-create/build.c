// SPDX-License-Identifier: GPL-2.0
/*
 * Running the tools splice-create drives: cp, make (kbuild), patch.
 *
 * Every child runs in its own process group, so that an interrupt
 * (SIGINT/SIGTERM to splice-create, or Ctrl-C) ends the whole group --
 * make and the compilers under it -- before splice-create cleans up.
 * "Ends" means every process of the group is gone, not only make: a gcc
 * driver that got the SIGTERM with make is still deleting its temporary
 * files when make has already exited, and a SIGKILL then would leave them
 * behind.  splice-create is its children's subreaper (main.c), so the
 * compilers an exiting make orphans become ours to wait for.  Their
 * temporary files go to the scratch directory in any case (TMPDIR of
 * every tool run, opts->child_tmpdir), which splice-create removes.
 *
 * The children's output goes where ours goes: compiler errors are shown
 * as the compiler printed them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Fork argv in @dir; its stdout/stderr to @outfd if >= 0; TMPDIR @tmpdir. */
static int spawn(const char *dir, char *const argv[], int outfd, const char *tmpdir,
		 pid_t *pid)
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
		if (tmpdir)
			setenv("TMPDIR", tmpdir, 1);
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

/*
 * After an interrupt: wait until no process of group @pgid is left, reaping
 * those orphaned to us, for up to @ms milliseconds.  True when none is left.
 */
static bool group_gone(pid_t pgid, int ms)
{
	int status;

	for (;;) {
		while (waitpid(-pgid, &status, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) && errno == ESRCH)
			return true;
		if (ms <= 0)
			return false;
		usleep(20 * 1000);
		ms -= 20;
	}
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
	if (!killed)
		return 0;
	/*
	 * The rest of the group (make's children) got the SIGTERM too: let
	 * them finish their own cleanup; what is still there after 5 s is
	 * killed, and waited for, so that nothing writes into the scratch
	 * directory while it is removed.
	 */
	if (!group_gone(pid, 5000)) {
		kill(-pid, SIGKILL);
		group_gone(pid, 5000);
	}
	return -EINTR;
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
	err = spawn(dir, argv, outfd, opts->child_tmpdir, &pid);
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
	err = spawn(dir, argv, fds[1], opts->child_tmpdir, &pid);
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
	char jobs[32], path[4200], *cppflags = NULL;
	char **argv;
	size_t i, n = 0;
	int err;

	argv = calloc(15 + opts->kbuild_args.n + units->n, sizeof(*argv));
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
	/*
	 * <splice/patch.h> for patches with hooks or shadow data: splice-core's
	 * include/ (the build tree's or the installed one).  After the kernel's
	 * own include directories (kbuild puts KCPPFLAGS behind LINUXINCLUDE),
	 * and the same for pre and post, so it changes no object that does not
	 * include it.
	 */
	if (opts->target.core) {
		snprintf(path, sizeof(path), "%s/include/splice/patch.h", opts->target.core);
		if (!access(path, R_OK) &&
		    asprintf(&cppflags, "KCPPFLAGS=-I%s/include", opts->target.core) > 0)
			argv[n++] = cppflags;
	}
	for (i = 0; i < units->n; i++)
		argv[n++] = units->v[i];
	argv[n] = NULL;
	err = sc_run(opts, tree, argv);
	free(argv);
	free(cppflags);
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

int sc_reverse_patch(const struct sc_opts *opts, const char *tree, const char *patch_file)
{
	char *argv[] = { "patch", "-p1", "-R", "--no-backup-if-mismatch", "--batch",
			 "-i", (char *)patch_file, NULL };
	char *out = NULL;
	int err;

	err = sc_run_capture(opts, tree, argv, &out);
	if (err == -ECHILD) {
		fputs(out ? out : "", stderr);
		sc_err("%s: the patch could not be taken out again", tree);
	}
	free(out);
	return err;
}

/* ------------------------------------------------------------ post build */

static int read_text(const char *path, char **buf)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	ssize_t n;

	*buf = NULL;
	if (!f)
		return -errno;
	n = getdelim(buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	return 0;
}

/* The value of "NAME := value" (one line) in @text, malloc'ed, or NULL. */
static char *cmd_var(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && !strncmp(p + n, " := ", 4)) {
			p += n + 4;
			return strndup(p, strcspn(p, "\n"));
		}
		p += n;
	}
	return NULL;
}

/* Preparation's outputs: kbuild remakes none of them after `-o prepare`. */
static bool prepare_output(const char *path)
{
	static const char *const dirs[] = {
		"include/generated/", "include/config/", "arch/x86/include/generated/",
	};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

/*
 * The command kbuild recorded for @unit in @tree (make syntax: "$$" for
 * "$", "$(pound)" for "#"), if replaying it is all kbuild's post build would
 * do (see sc_rebuild_units); else NULL, and why in @why.
 */
static char *replayable(const char *tree, const char *orig, const struct timespec *pristine,
			const char *unit, const char **why)
{
	const char *base = strrchr(unit, '/') ? strrchr(unit, '/') + 1 : unit;
	char path[4400], var[4200], *text = NULL, *cmd = NULL, *src = NULL, *p;

	snprintf(path, sizeof(path), "%s/%.*s.%s.cmd", tree, (int)(base - unit), unit, base);
	if (read_text(path, &text)) {
		*why = "no .cmd file";
		return NULL;
	}
	snprintf(var, sizeof(var), "source_%s", unit);
	src = cmd_var(text, var);
	snprintf(var, sizeof(var), "cmd_%s", unit);
	cmd = cmd_var(text, var);
	*why = "not a C unit";
	if (!src || !cmd || strlen(src) < 3 || strcmp(src + strlen(src) - 2, ".c"))
		goto no;
	/* the dependency list: "deps_UNIT := \", then one per line ending in "\" */
	snprintf(var, sizeof(var), "\ndeps_%s := \\\n", unit);
	p = strstr(text, var);
	*why = "no dependency list";
	if (!p)
		goto no;
	p += strlen(var);
	while (*p) {
		char *eol = strchr(p, '\n'), *tok, *end, dep[4200];
		struct stat st;
		bool more;

		if (!eol)
			eol = p + strlen(p);
		more = eol > p && eol[-1] == '\\';
		tok = p + strspn(p, " \t");
		end = eol - (more ? 1 : 0);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		p = *eol ? eol + 1 : eol;
		if (end > tok && strncmp(tok, "$(wildcard ", 11)) {
			snprintf(dep, sizeof(dep), "%.*s", (int)(end - tok), tok);
			if (dep[0] != '/' && !prepare_output(dep)) {
				/* a source: in the user's tree and older than its Makefile */
				snprintf(path, sizeof(path), "%s/%s", orig, dep);
				if (stat(path, &st) || st.st_mtim.tv_sec > pristine->tv_sec ||
				    (st.st_mtim.tv_sec == pristine->tv_sec &&
				     st.st_mtim.tv_nsec > pristine->tv_nsec)) {
					*why = "reads a file the build generates";
					goto no;
				}
			}
		}
		if (!more)
			break;
	}
	free(text);
	free(src);
	return cmd;
no:
	free(text);
	free(src);
	free(cmd);
	return NULL;
}

int sc_rebuild_units(const struct sc_opts *opts, const char *tree, const char *orig,
		     const struct sc_strv *units)
{
	struct sc_strv rest = { 0 }, replay = { 0 };
	char *mk = NULL, *conf = NULL, jobs[32], path[4200], top[4200];
	struct stat makefile;
	size_t i;
	int err = 0;
	FILE *f;

	/*
	 * Without `-o prepare` kbuild would redo preparation (asm-offsets.h
	 * from a patched header); recordmcount rewrites objects after the
	 * command.  Either way: kbuild.
	 */
	snprintf(path, sizeof(path), "%s/include/config/auto.conf", tree);
	snprintf(top, sizeof(top), "%s/Makefile", orig);
	if (!opts->prepared || read_text(path, &conf) || stat(top, &makefile) ||
	    strstr(conf, "\nCONFIG_FTRACE_MCOUNT_USE_RECORDMCOUNT=y")) {
		free(conf);
		return sc_build_units(opts, tree, units);
	}
	free(conf);
	for (i = 0; !err && i < units->n; i++) {
		const char *why = NULL;
		char *cmd = replayable(tree, orig, &makefile.st_mtim, units->v[i], &why);

		if (cmd) {
			err = sc_strv_add(&replay, units->v[i]);
			if (!err)
				err = sc_strv_add(&replay, cmd);
			free(cmd);
		} else {
			sc_verbose(&opts->log, "%s: built by kbuild (%s)", units->v[i], why);
			err = sc_strv_add(&rest, units->v[i]);
		}
	}
	if (err)
		goto out;
	if (replay.n) {
		/*
		 * A makefile of the recorded commands, run as kbuild's rules run
		 * them (set -e; its locale settings); make expands the .cmd
		 * file's escapes as kbuild's own reading of it does.
		 */
		if (asprintf(&mk, "%s/.splice-create-replay.mk", tree) < 0) {
			err = -ENOMEM;
			goto out;
		}
		f = fopen(mk, "w");
		if (!f) {
			err = -errno;
			sc_err("%s: %s", mk, strerror(errno));
			goto out;
		}
		fputs("# splice-create: the commands kbuild recorded for these objects\n"
		      "pound := \\#\nunexport LC_ALL\nexport LC_COLLATE := C\n"
		      "export LC_NUMERIC := C\nexport NM := nm\nexport AWK := awk\n"
		      ".PHONY: splice-all\nsplice-all:", f);
		for (i = 0; i < replay.n; i += 2)
			fprintf(f, " %s", replay.v[i]);
		fputs("\n", f);
		for (i = 0; i < replay.n; i += 2) {
			fprintf(f, ".PHONY: %s\n%s:\n\t@set -e; %s\n", replay.v[i], replay.v[i],
				replay.v[i + 1]);
			/* rule_cc_o_c's check that would fail kbuild's build */
			fprintf(f, "\t@set -e; ./scripts/check-local-export %s\n", replay.v[i]);
			sc_verbose(&opts->log, "%s: kbuild's recorded command", replay.v[i]);
		}
		if (fclose(f)) {
			err = -errno;
			sc_err("%s: %s", mk, strerror(errno));
			goto out;
		}
		snprintf(jobs, sizeof(jobs), "-j%u", opts->jobs);
		{
			char *argv[] = { "make", "-rR", "--no-print-directory", jobs, "-f", mk,
					 "splice-all", NULL };

			err = sc_run(opts, tree, argv);
		}
		if (err == -ECHILD)
			sc_err("the post build failed in %s (its messages are above)", tree);
		unlink(mk);
	}
	if (!err && rest.n)
		err = sc_build_units(opts, tree, &rest);
out:
	free(mk);
	sc_strv_free(&rest);
	sc_strv_free(&replay);
	return err;
}

/* ------------------------------------------------------------ preprocessing again */

int sc_replay_targets(const struct sc_opts *opts, const char *tree, const struct sc_strv *targets)
{
	char *mk = NULL, jobs[32];
	size_t i;
	int err = 0;
	FILE *f;

	if (!opts->prepared)
		return sc_build_units(opts, tree, targets);
	if (asprintf(&mk, "%s/.splice-create-replay-pp.mk", tree) < 0)
		return -ENOMEM;
	f = fopen(mk, "w");
	if (!f) {
		err = -errno;
		sc_err("%s: %s", mk, strerror(errno));
		free(mk);
		return err;
	}
	fputs("# splice-create: the commands kbuild recorded for these targets\n"
	      "pound := \\#\nunexport LC_ALL\nexport LC_COLLATE := C\nexport LC_NUMERIC := C\n"
	      ".PHONY: splice-all\nsplice-all:", f);
	for (i = 0; i < targets->n; i++)
		fprintf(f, " %s", targets->v[i]);
	fputs("\n", f);
	for (i = 0; !err && i < targets->n; i++) {
		const char *t = targets->v[i], *base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
		char path[4400], var[4200], *text = NULL, *cmd = NULL;

		snprintf(path, sizeof(path), "%s/%.*s.%s.cmd", tree, (int)(base - t), t, base);
		snprintf(var, sizeof(var), "cmd_%s", t);
		if (!read_text(path, &text))
			cmd = cmd_var(text, var);
		free(text);
		if (!cmd) {
			err = 1;	/* no record: kbuild, below */
			break;
		}
		fprintf(f, ".PHONY: %s\n%s:\n\t@set -e; %s\n", t, t, cmd);
		free(cmd);
	}
	if (fclose(f) && !err) {
		err = -errno;
		sc_err("%s: %s", mk, strerror(errno));
	}
	if (err == 1) {
		unlink(mk);
		free(mk);
		return sc_build_units(opts, tree, targets);
	}
	if (!err) {
		char *argv[] = { "make", "-rR", "--no-print-directory", jobs, "-f", mk,
				 "splice-all", NULL };

		snprintf(jobs, sizeof(jobs), "-j%u", opts->jobs);
		err = sc_run(opts, tree, argv);
		if (err == -ECHILD)
			sc_err("preprocessing failed in %s (its messages are above)", tree);
	}
	unlink(mk);
	free(mk);
	return err;
}
