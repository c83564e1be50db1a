// SPDX-License-Identifier: GPL-2.0
/*
 * splice-match: run-pre matching in user space, against a kernel image on
 * disk.  The same matcher splice-core.ko runs against live memory.
 *
 *   splice-match --image vmlinux --symbols kallsyms [-f FUNC]... [--learned] [--debug] PRE.o
 *
 * Exit: 0 every function matched, 1 the tool failed, 2 refused (no match,
 * several matches, or no candidate).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"
#include "match/munit.h"
#include "obj/objmatch.h"
#include "match/runimage.h"

struct tool {
	struct om_image *img;
	struct om_ksyms *ksyms;
	int verbose;
};

static void log_stderr(void *ctx, enum om_log_level level, const char *msg)
{
	fprintf(stderr, "splice-match: %s\n", msg);
}

static int env_read(void *ctx, u64 addr, void *buf, u32 len)
{
	return om_image_read(((struct tool *)ctx)->img, addr, buf, len);
}

static int env_candidates(void *ctx, const char *name, u64 *addrs, u32 max)
{
	return om_ksyms_lookup(((struct tool *)ctx)->ksyms, name, addrs, max);
}

static void *env_zalloc(void *ctx, size_t n)
{
	return calloc(1, n);
}

static void env_free(void *ctx, void *p)
{
	free(p);
}

static void env_log(void *ctx, int level, const char *line)
{
	struct tool *t = ctx;

	if (level == OM_MLOG_INFO && !t->verbose)
		return;
	fprintf(stderr, "splice-match: %s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: splice-match --image IMAGE --symbols KALLSYMS [OPTIONS] PRE.o\n"
		"Match the pre code of PRE.o against the kernel image IMAGE, whose symbol\n"
		"addresses KALLSYMS lists (/proc/kallsyms format; nm output works too).\n\n"
		"  -i, --image FILE     linked image to read as running memory (vmlinux)\n"
		"  -s, --symbols FILE   candidate addresses, /proc/kallsyms format\n"
		"  -f, --function NAME  match this function (repeatable; default: all)\n"
		"  -l, --learned        print every address learned from the match\n"
		"  -d, --debug          dump the whole comparison\n"
		"  -v, --verbose        explain every rejected candidate\n"
		"  -r, --repeat N       run the match N more times and print the CPU time\n"
		"                       of one (benchmarks)\n"
		"  -h, --help, -V, --version\n\n"
		"Exit: 0 matched, 1 tool error, 2 refused (no match, ambiguous, not found).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "symbols", required_argument, NULL, 's' },
		{ "function", required_argument, NULL, 'f' },
		{ "learned", no_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct om_options opts = { .log = log_stderr, .log_level = OM_LOG_WARN };
	const char *image = NULL, *symbols = NULL;
	const char **funcs = NULL;
	size_t nfuncs = 0;
	int c, debug = 0, learned = 0, ret, status = 1;
	long repeat = 0;
	struct tool t = { 0 };
	struct om_object *obj = NULL;
	struct om_munit_build *mb = NULL;
	struct om_match *m = NULL;
	struct om_env env = { .ctx = &t, .read = env_read, .candidates = env_candidates,
			      .zalloc = env_zalloc, .free = env_free, .log = env_log };
	const struct om_munit *u;
	u32 i;

	while ((c = getopt_long(argc, argv, "i:s:f:ldvr:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': image = optarg; break;
		case 's': symbols = optarg; break;
		case 'f':
			funcs = realloc(funcs, (nfuncs + 1) * sizeof(*funcs));
			if (!funcs)
				return 1;
			funcs[nfuncs++] = optarg;
			break;
		case 'l': learned = 1; break;
		case 'd': debug = 1; break;
		case 'v': t.verbose = 1; break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			if (repeat <= 0) {
				fprintf(stderr, "splice-match: --repeat needs a positive count\n");
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("splice-match (splice) %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !image || !symbols) {
		usage(stderr);
		return 1;
	}

	if (om_object_open(argv[optind], &opts, &obj) ||
	    om_image_open(image, &opts, &t.img) ||
	    om_ksyms_load(symbols, &opts, &t.ksyms) ||
	    om_munit_build(obj, funcs, nfuncs, &opts, &mb))
		goto out;
	u = om_munit_get(mb);
	ret = om_match_run(u, &env, debug, &m);
	if (ret == -ENOMEM || ret == -EINVAL || !m) {
		fprintf(stderr, "splice-match: %s: cannot match: %s\n", argv[optind], strerror(-ret));
		goto out;
	}
	for (i = 0; i < u->nsections; i++) {
		u64 addr;

		if (!(u->sections[i].flags & OM_MSEC_MATCH))
			continue;
		if (om_match_section_matched(m, i) && !om_match_section_addr(m, i, &addr))
			printf("match %s 0x%llx\n", u->sections[i].name, (unsigned long long)addr);
		else
			printf("refuse %s\n", u->sections[i].name);
	}
	if (learned) {
		for (i = 0; i < u->nsyms; i++) {
			u64 addr;

			if (u->syms[i].name[0] && u->syms[i].kind != OM_MSYM_SECTION &&
			    !om_match_symbol_addr(m, i, 0, &addr))
				printf("learned %s 0x%llx\n", u->syms[i].name,
				       (unsigned long long)addr);
		}
	}
	status = ret ? 2 : 0;
	if (repeat) {
		struct timespec t0, t1;
		long k;
		double us;

		/* the image's sections are cached now: this times the matcher */
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		for (k = 0; k < repeat; k++) {
			struct om_match *m2;

			om_match_run(u, &env, 0, &m2);
			om_match_free(m2);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / repeat;
		printf("cpu-per-match-us %.2f\n", us);
	}
out:
	om_match_free(m);
	om_munit_free(mb);
	om_ksyms_free(t.ksyms);
	om_image_close(t.img);
	om_object_free(obj);
	free(funcs);
	return status;
}
