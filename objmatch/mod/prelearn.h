/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prelearn.h: which functions of a pre object run-pre matching must match,
 * besides the replaced ones, so that it learns every variable of the unit
 * that the replaced functions' new code uses (splice-mkpre --post).
 */
#ifndef OBJMATCH_PRELEARN_H
#define OBJMATCH_PRELEARN_H

#include <stddef.h>

#include "obj/objmatch.h"

/*
 * The new code of @funcs (in @post; and of @added, new functions of the
 * patch, which have no pre code) reaches writable data of the unit
 * (statics, function-scope statics) that run-pre matching learns only from
 * pre code that references it.  For each such variable no replaced
 * function's pre code references, one pre function that does is named in
 * *@learn (malloc'ed array of malloc'ed names, *@nlearn of them).  Returns
 * 0; -ENOTSUP when a function-scope static is referenced by no pre
 * function at all (logged, naming it: nothing in the running kernel leads
 * to it); -ENOMEM.
 */
int om_pre_learn(const struct om_object *pre, const struct om_object *post,
		 const char *const *funcs, size_t n, const char *const *added, size_t nadded,
		 const struct om_options *opts, char ***learn, size_t *nlearn);

#endif
