// SPDX-License-Identifier: GPL-2.0
/*
 * splice-objdiff PRE.o POST.o: what changed between two builds of one
 * compilation unit, and whether it can be spliced.  The output format and
 * the exit statuses are an interface: see splice-objdiff(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/objmatch.h"

enum {
	EXIT_CHANGES = 0,	/* changes found, all spliceable */
	EXIT_TOOL = 1,		/* the tool failed */
	EXIT_REFUSED = 2,	/* unspliceable changes */
	EXIT_NO_CHANGE = 3,	/* no code change at all */
};

struct tool_options {
	int verbose;
	const char *pre, *post;
};

static const char *prog = "splice-objdiff";

static void log_stderr(void *ctx, enum om_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "refuse", "info", "debug" };

	(void)ctx;
	fprintf(stderr, "%s: %s: %s\n", prog, names[level], msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] PRE.o POST.o\n"
		"Compare two builds of one kernel compilation unit and list what changed.\n"
		"\n"
		"Output, one line per finding:\n"
		"  changed FUNC | new FUNC | removed FUNC | data-changed OBJ | new-data OBJ\n"
		"  new-export SYMBOL (EXPORT_SYMBOL added; not a code change)\n"
		"  refuse SYMBOL: reason\n"
		"\n"
		"Options:\n"
		"  -v, --verbose   say why each function changed (on stderr; twice: debug)\n"
		"  -h, --help      show this help and exit\n"
		"  -V, --version   show the version and exit\n"
		"\n"
		"Exit status: 0 changes found, all spliceable; 1 error; 2 unspliceable\n"
		"changes (each reported); 3 no code change at all.\n", prog);
}

static int parse_args(int argc, char **argv, struct tool_options *o)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_CHANGES);
		case 'V':
			printf("%s (%s) %s\n", prog, PACKAGE_NAME, PACKAGE_VERSION);
			exit(EXIT_CHANGES);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: expected two object files\n", prog);
		usage(stderr);
		return -EINVAL;
	}
	o->pre = argv[optind];
	o->post = argv[optind + 1];
	return 0;
}

static void print_findings(const struct om_diff *diff)
{
	size_t i;

	for (i = 0; i < diff->nfindings; i++) {
		const struct om_finding *f = &diff->findings[i];

		if (f->kind == OM_F_REFUSE)
			printf("refuse %s: %s\n", f->name, f->reason);
		else
			printf("%s %s\n", om_finding_kind_name(f->kind), f->name);
	}
}

int main(int argc, char **argv)
{
	struct tool_options o = { 0 };
	struct om_options opts = { .log = log_stderr, .log_level = OM_LOG_WARN };
	struct om_object *pre = NULL, *post = NULL;
	struct om_diff *diff = NULL;
	int err, status;

	if (parse_args(argc, argv, &o))
		return EXIT_TOOL;
	if (o.verbose)
		opts.log_level = o.verbose > 1 ? OM_LOG_DEBUG : OM_LOG_INFO;

	/* phases: read, diff, print */
	err = om_object_open(o.pre, &opts, &pre);
	if (!err)
		err = om_object_open(o.post, &opts, &post);
	if (!err)
		err = om_diff(pre, post, &opts, &diff);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-err));
		status = EXIT_TOOL;
		goto out;
	}
	print_findings(diff);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the output\n", prog);
		status = EXIT_TOOL;
	} else if (diff->nrefusals) {
		fprintf(stderr, "%s: %zu unspliceable change%s\n", prog,
			diff->nrefusals, diff->nrefusals == 1 ? "" : "s");
		status = EXIT_REFUSED;
	} else if (diff->ncode_changes) {
		status = EXIT_CHANGES;
	} else {
		status = EXIT_NO_CHANGE;
	}
out:
	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
	return status;
}
