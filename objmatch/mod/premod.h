/* SPDX-License-Identifier: GPL-2.0 */
/* premod.h: make a pre object loadable as a kernel module (premod.c). */
#ifndef OBJMATCH_PREMOD_H
#define OBJMATCH_PREMOD_H

#include "obj/objmatch.h"

/*
 * Write to @out a copy of the relocatable object @in that the kernel's
 * module loader accepts and never executes: relocations in code become
 * canaries, undefined symbols weak, special sections unallocated.
 * 0, or a negative errno (logged).
 */
int om_premod_rewrite(const char *in, const char *out, const struct om_options *opts);

#endif /* OBJMATCH_PREMOD_H */
