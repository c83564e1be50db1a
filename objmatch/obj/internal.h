/* SPDX-License-Identifier: GPL-2.0 */
/* objmatch internals shared by its files; not part of the interface. */
#ifndef SPLICE_OBJMATCH_INTERNAL_H
#define SPLICE_OBJMATCH_INTERNAL_H

#include <stdarg.h>

#include "obj/objmatch.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- log.c */

/*
 * The one diagnostic formatter: "file[section]: symbol+0xoff: message".
 * @sec, @sym may be NULL (the parts are left out); @off is printed only with
 * a symbol and when nonzero.
 */
void om_diag(const struct om_options *opts, enum om_log_level level,
	     const struct om_object *obj, const struct om_section *sec,
	     const struct om_symbol *sym, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Plain message (no location). */
void om_log(const struct om_options *opts, enum om_log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "file[section]: symbol" into a malloc'ed string (NULL on ENOMEM). */
char *om_where(const struct om_object *obj, const struct om_section *sec,
	       const struct om_symbol *sym);
char *om_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- object.c */

/* Build the lookup tables once the arrays are filled in; 0 or -ENOMEM. */
int om_object_index(struct om_object *obj);

/* A growable array of pointers. */
struct om_vec {
	void **v;
	size_t n, cap;
};
int om_vec_push(struct om_vec *vec, void *p);
void om_vec_free(struct om_vec *vec);

#endif /* SPLICE_OBJMATCH_INTERNAL_H */
