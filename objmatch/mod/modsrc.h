/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modsrc.h: what splice-mkpre and splice-mknew share when they write the
 * sources of a kernel module (a Kbuild file, a stub, a shipped object).
 */
#ifndef OBJMATCH_MODSRC_H
#define OBJMATCH_MODSRC_H

#include <stdbool.h>
#include <stddef.h>

/* [a-z0-9_], 1 to @max characters: update ids and module names. */
bool om_modsrc_name_ok(const char *s, size_t max);
/* mkdir -p; 0 or a negative errno. */
int om_modsrc_mkdir(const char *dir);
/*
 * Write @len bytes to @dir/@name; 0, or -EIO after printing
 * "PROG: PATH: error" to stderr (these are tools' helpers).
 */
int om_modsrc_write(const char *prog, const char *dir, const char *name,
		    const void *buf, size_t len);
/*
 * modpost reads every object's .cmd file (for the module's srcversion); a
 * shipped object has no source to list.  Writes DIR/.unit.o.cmd.
 */
int om_modsrc_write_cmd(const char *prog, const char *dir, const char *obj);

#endif /* OBJMATCH_MODSRC_H */
