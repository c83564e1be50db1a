/* SPDX-License-Identifier: GPL-2.0 */
/*
 * munit.h: turn an object of the model (struct om_object) into the
 * matcher's input (struct om_munit).  User space only.
 *
 * Which sections are to be matched is the caller's choice: the functions
 * named, or every function.  The sites the kernel rewrites at run time come
 * from the object's own special sections: __jump_table gives jump-label
 * sites, .smp_locks lock prefixes; ftrace and thunk sites the matcher finds
 * from the relocations themselves.
 */
#ifndef OBJMATCH_MUNIT_H
#define OBJMATCH_MUNIT_H

#include "match/match.h"
#include "obj/objmatch.h"

struct om_munit_build;

/*
 * Build the matcher's view of @obj.  @funcs (n of them) names the
 * functions whose sections are to be matched; NULL matches every function
 * section.  Returns 0, -ENOENT (a named function is not in @obj; logged),
 * -EINVAL (a special section the matcher can't read; logged) or -ENOMEM.
 */
int om_munit_build(const struct om_object *obj, const char *const *funcs, size_t n,
		   const struct om_options *opts, struct om_munit_build **out);
const struct om_munit *om_munit_get(const struct om_munit_build *b);
void om_munit_free(struct om_munit_build *b);

#endif /* OBJMATCH_MUNIT_H */
