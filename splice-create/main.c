// SPDX-License-Identifier: GPL-2.0
/*
 * splice-create: from a unified diff to an update package for the running
 * kernel.  main() is the pipeline, one named phase per function (phases.c):
 *
 *   read_patch -> prepare_tree -> select_units -> build_pre ->
 *   apply_patch -> build_post -> diff_units -> write_package
 *
 * Each phase returns 0 or a negative errno (having said why through
 * sc_err); "not spliceable" verdicts are collected in ctx.reasons and make
 * the pipeline stop after the phase that found them.  Only main() turns
 * results into exit statuses and only main() cleans up, on every path.
 *
 * This file: the options, the signals, the pipeline (run) and main().
 * What the options leave open is resolved in defaults.c.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

static void usage(FILE *f)
{
	fputs("Usage: splice-create [OPTIONS] PATCH\n"
	      "Build an update package for the running kernel from a unified diff.\n"
	      "\n"
	      "  -s, --source DIR   the kernel source tree: fresh from linux-source-*, prepared\n"
	      "                     the ordinary way, or the VM harness's (default:\n"
	      "                     `splice-vm path source`); never written\n"
	      "  -c, --config FILE  the target kernel's configuration (default: the .config\n"
	      "                     of its build directory)\n"
	      "  -o, --output DIR   where to write splice-ID.tar.gz, created if missing\n"
	      "                     (default: .)\n"
	      "      --id ID        the update's id: [a-z0-9_], at most 32 characters\n"
	      "                     (default: 8 random characters)\n"
	      "  -j, --jobs N       parallel compile jobs (default: number of CPUs)\n"
	      "  -v, --verbose      show the commands run and every decision\n"
	      "  -q, --quiet        no progress lines\n"
	      "      --kernel-build DIR  the target kernel's build directory (default: the\n"
	      "                     installed headers whose .config is -c's or the tree's,\n"
	      "                     else those of `uname -r`)\n"
	      "      --core DIR     splice-core's splice.h and Module.symvers (default: the\n"
	      "                     build tree's splice-core/, or the installed copy)\n"
	      "      --cache DIR    where trees prepared for a target are kept (default:\n"
	      "                     /var/cache/splice/create as root, else ~/.cache/splice/create)\n"
	      "      --keep         keep the scratch tree and staging directory\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Exit status: 0 package written, 1 tool failure, 2 the change can't be\n"
	      "spliced (every reason is printed), 3 the patch changes no code.\n", f);
}

static volatile int caught_signal;

static void on_signal(int sig)
{
	sc_interrupted = 1;
	caught_signal = sig;
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* ------------------------------------------------------------ main */

enum { OPT_ID = 256, OPT_KEEP, OPT_KERNEL_BUILD, OPT_CORE, OPT_CACHE };

static int parse_args(struct ctx *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "id", required_argument, NULL, OPT_ID },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "kernel-build", required_argument, NULL, OPT_KERNEL_BUILD },
		{ "core", required_argument, NULL, OPT_CORE },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum sc_verbosity verbosity = SC_NORMAL;
	long n;
	char *end;
	int opt;

	c->opts.outdir = ".";
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->opts.jobs = n > 0 ? (unsigned int)n : 1;
	while ((opt = getopt_long(argc, argv, "s:c:o:j:vqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': c->opts.srcdir = optarg; break;
		case 'c': c->opts.config = optarg; break;
		case 'o': c->opts.outdir = optarg; break;
		case OPT_ID:
			if (!sc_id_valid(optarg)) {
				sc_err("--id '%s': use 1 to %d characters of [a-z0-9_]", optarg, SC_ID_MAX);
				return -EINVAL;
			}
			c->opts.id = optarg;
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				sc_err("-j '%s': expected a number of jobs", optarg);
				return -EINVAL;
			}
			c->opts.jobs = (unsigned int)n;
			break;
		case 'v': verbosity = SC_VERBOSE; break;
		case 'q': verbosity = SC_QUIET; break;
		case OPT_KEEP: c->opts.keep = true; break;
		case OPT_KERNEL_BUILD: c->opts.kernel_build = optarg; break;
		case OPT_CORE: c->opts.core_dir = optarg; break;
		case OPT_CACHE: c->opts.cache_dir = optarg; break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("splice-create (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	c->opts.patch = argv[optind];
	sc_log_init(&c->opts.log, verbosity);
	return 0;
}

/* -o DIR: made (with its parents) when missing. */
static int make_outdir(const char *dir)
{
	char path[4096], *s;
	struct stat st;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		sc_err("-o %s: not a directory", dir);
		return -ENOTDIR;
	}
	snprintf(path, sizeof(path), "%s", dir);
	for (s = strchr(path + 1, '/'); ; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			int err = -errno;

			sc_err("-o %s: cannot create %s: %s", dir, path, strerror(errno));
			return err;
		}
		if (!s)
			return 0;
		*s = '/';
	}
}

/* Does any unit have a changed function (one the update replaces)? */
static bool replaces_any(const struct sc_manifest *m)
{
	size_t i;

	for (i = 0; i < m->nunits; i++)
		if (m->units[i].changed.n)
			return true;
	return false;
}

static int run(struct ctx *c, char **srcdir_buf)
{
	static char id[SC_ID_MAX + 1];
	int err;

	err = read_patch(c);
	if (err || c->reasons.n)
		return err;
	if (!c->changed.n)
		return 0;	/* no code: main says so */
	err = resolve_defaults(c, srcdir_buf);
	if (err)
		return err;
	err = make_outdir(c->opts.outdir);
	if (err)
		return err;
	if (c->opts.id) {
		snprintf(id, sizeof(id), "%s", c->opts.id);
	} else {
		err = random_id(id);
		if (err)
			return err;
	}
	c->manifest.id = strdup(id);
	c->manifest.splice_version = strdup(PACKAGE_VERSION);
	sc_sha256_buf(c->patch_text, c->patch_len, c->manifest.patch_sha256);
	if (!c->manifest.id || !c->manifest.splice_version)
		return -ENOMEM;
	/* a structure's layout can't change under live instances: say so before building */
	err = sc_check_layouts(c->opts.srcdir, c->patch_text, c->patch_len, &c->reasons);
	if (err || c->reasons.n)
		return err;
	err = prepare_tree(c);
	if (!err)
		err = select_units(c);
	if (err || c->reasons.n)
		return err;
	if (c->units.n)
		err = build_pre(c);
	if (err || !c->units.n)
		return err;
	err = apply_patch(c);
	if (!err)
		err = build_post(c);
	if (!err)
		err = diff_units(c);
	if (err || c->reasons.n || !c->ncode_changes)
		return err;
	/*
	 * Only new (or removed) functions: nothing that runs calls them, so
	 * the update would change nothing -- say so rather than make a package
	 * with nothing to replace.  Unless the patch has hooks: they run (a
	 * fix of data alone, splice-patch(7)).
	 */
	if (!replaces_any(&c->manifest) && !c->nhooks) {
		c->nothing_runs = true;
		return 0;
	}
	err = sc_build_modules(&c->opts, &c->manifest, c->farm.path, c->workdir, c->staging,
			       &c->reasons);
	if (err || c->reasons.n)
		return err;
	return write_package(c);
}

int main(int argc, char **argv)
{
	struct ctx c;
	char *srcdir_buf = NULL;
	size_t i;
	int err, status;

	memset(&c, 0, sizeof(c));
	c.prep.lock_fd = -1;
	install_handlers();
	/* the compilers an interrupted make leaves are reparented to us, to
	 * be waited for before the scratch directory goes (build.c) */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	err = parse_args(&c, argc, argv);
	if (err)
		return err > 0 ? SC_EXIT_OK : SC_EXIT_FAILURE;
	err = run(&c, &srcdir_buf);

	if (err == -EINTR || sc_interrupted) {
		sc_err("interrupted; cleaning up");
		status = SC_EXIT_FAILURE;
	} else if (err) {
		status = SC_EXIT_FAILURE;
	} else if (c.reasons.n) {
		for (i = 0; i < c.reasons.n; i++)
			fprintf(stderr, "splice-create: not spliceable: %s\n", c.reasons.v[i]);
		sc_err("%zu reason%s the change can't be spliced", c.reasons.n,
		       c.reasons.n == 1 ? "" : "s");
		status = SC_EXIT_UNSPLICEABLE;
	} else if (!c.package) {
		if (!c.changed.n)
			fprintf(stderr, "splice-create: no code change: the patch changes only "
				"files without kernel code (%zu)\n", c.nother);
		else if (c.nothing_runs)
			fprintf(stderr, "splice-create: no code change that runs: the patch only "
				"adds or removes functions nothing calls (%zu), and changes none "
				"that runs\n", c.ncode_changes);
		else if (!c.units.n && c.nhc)
			fprintf(stderr, "splice-create: no code change: no unit built with this "
				"configuration uses a definition the patch changes (%zu read a "
				"changed file, %zu were preprocessed)\n", c.uses.includers,
				c.pp_scanned);
		else if (!c.units.n)
			fprintf(stderr, "splice-create: no code change: no unit built with this "
				"configuration reads the changed files\n");
		else
			fprintf(stderr, "splice-create: no code change: %zu unit%s rebuilt, "
				"no function differs\n", c.units.n, c.units.n == 1 ? "" : "s");
		status = SC_EXIT_NO_CHANGE;
	} else {
		status = SC_EXIT_OK;
	}

	/* every exit path: the tree must be as we found it, the farm gone */
	sc_units_cancel = 1;
	finish_scan(&c);
	if (c.farm_made && sc_farm_check(&c.farm))
		status = SC_EXIT_FAILURE;
	if (sc_farm_unmount(&c.farm))
		status = SC_EXIT_FAILURE;
	if (c.workdir) {
		if (c.opts.keep) {
			fprintf(stderr, "splice-create: kept %s\n", c.workdir);
		} else {
			sigset_t block, old;

			/* a second Ctrl-C must not leave half a farm behind */
			sigemptyset(&block);
			sigaddset(&block, SIGINT);
			sigaddset(&block, SIGTERM);
			sigaddset(&block, SIGHUP);
			sigprocmask(SIG_BLOCK, &block, &old);
			if (sc_remove_tree(c.workdir))
				status = SC_EXIT_FAILURE;
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
	}
	for (i = 0; i < c.nhc; i++)
		sc_header_change_free(&c.hc[i]);
	free(c.hc);
	sc_names_free(&c.uses.names);
	sc_manifest_free(&c.manifest);
	sc_patch_free(&c.patch);
	sc_strv_free(&c.changed);
	sc_strv_free(&c.units);
	sc_strv_free(&c.opts.kbuild_args);
	sc_reasons_free(&c.reasons);
	sc_farm_free(&c.farm);
	free(c.patch_text);
	free(c.workdir);
	free(c.staging);
	free(c.child_tmpdir);
	free(c.patch_copy);
	sc_prep_release(&c.prep);
	sc_target_free(&c.opts.target);
	free(c.package);
	free((char *)c.opts.splice_vm);
	free(srcdir_buf);
	if (caught_signal) {
		/* die of the signal, so a calling shell loop stops too */
		signal(caught_signal, SIG_DFL);
		raise(caught_signal);
	}
	return status;
}
