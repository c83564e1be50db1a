// SPDX-License-Identifier: GPL-2.0
/*
 * The one diagnostic formatter of objmatch.  Every message about a place in
 * an object reads "file[section]: symbol+0xoff: message" (objtool's and
 * binutils' convention), and reaches the caller only through the log
 * callback of struct om_options.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"

static bool wanted(const struct om_options *opts, enum om_log_level level)
{
	return opts && opts->log && level <= opts->log_level;
}

static void emit(const struct om_options *opts, enum om_log_level level,
		 const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL, *full = NULL;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && prefix && asprintf(&full, "%s%s", prefix, msg) < 0)
		full = NULL;
	/* out of memory: still say something rather than nothing */
	opts->log(opts->log_ctx, level,
		  full ? full : msg ? msg : "objmatch: out of memory formatting a message");
	free(full);
	free(msg);
}

char *om_where(const struct om_object *obj, const struct om_section *sec,
	       const struct om_symbol *sym)
{
	char *s = NULL;
	int r;

	if (sym && sym->name[0] && sym->type != OM_SYM_SECTION)
		r = asprintf(&s, "%s[%s]: %s", obj ? obj->name : "?",
			     sec ? sec->name : "*UND*", sym->name);
	else
		r = asprintf(&s, "%s[%s]", obj ? obj->name : "?",
			     sec ? sec->name : "*UND*");
	return r < 0 ? NULL : s;
}

void om_diag(const struct om_options *opts, enum om_log_level level,
	     const struct om_object *obj, const struct om_section *sec,
	     const struct om_symbol *sym, uint64_t off, const char *fmt, ...)
{
	char *where, *prefix = NULL;
	va_list ap;

	if (!wanted(opts, level))
		return;
	where = om_where(obj, sec, sym);
	if (where && sym && off &&
	    asprintf(&prefix, "%s+0x%llx: ", where, (unsigned long long)off) < 0)
		prefix = NULL;
	else if (where && !prefix && asprintf(&prefix, "%s: ", where) < 0)
		prefix = NULL;
	va_start(ap, fmt);
	emit(opts, level, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
	free(where);
}

void om_log(const struct om_options *opts, enum om_log_level level,
	    const char *fmt, ...)
{
	va_list ap;

	if (!wanted(opts, level))
		return;
	va_start(ap, fmt);
	emit(opts, level, NULL, fmt, ap);
	va_end(ap);
}

char *om_strdup_printf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}
