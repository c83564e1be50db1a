// SPDX-License-Identifier: GPL-2.0
/*
 * Reporting: errors, warnings, staged progress lines with elapsed time, and
 * the list of reasons an update can't be made.  Everything splice-create
 * prints goes through here, so its output format lives in one place.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

void sc_log_init(struct sc_log *log, enum sc_verbosity verbosity)
{
	log->verbosity = verbosity;
	clock_gettime(CLOCK_MONOTONIC, &log->start);
}

static double elapsed(const struct sc_log *log)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - log->start.tv_sec) +
	       (double)(now.tv_nsec - log->start.tv_nsec) / 1e9;
}

void sc_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("splice-create: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sc_warn(const struct sc_log *log, const char *fmt, ...)
{
	va_list ap;

	if (log->verbosity == SC_QUIET)
		return;
	fflush(stdout);
	fputs("splice-create: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sc_progress(const struct sc_log *log, const char *fmt, ...)
{
	va_list ap;

	if (log->verbosity == SC_QUIET)
		return;
	printf("[%5.1fs] ", elapsed(log));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void sc_verbose(const struct sc_log *log, const char *fmt, ...)
{
	va_list ap;

	if (log->verbosity < SC_VERBOSE)
		return;
	printf("[%5.1fs]   ", elapsed(log));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int sc_reason_add(struct sc_reasons *r, const char *fmt, ...)
{
	char **v, *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	v[r->n++] = s;
	r->v = v;
	return 0;
}

void sc_reasons_free(struct sc_reasons *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
