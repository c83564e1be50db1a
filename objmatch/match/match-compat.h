/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match-compat.h: the few library functions the freestanding matcher uses,
 * all of which the kernel offers too (memcmp, memcpy, strcmp, strncmp,
 * strlen, vsnprintf, errno values).  Included first by the matcher's files.
 */
#ifndef OBJMATCH_MATCH_COMPAT_H
#define OBJMATCH_MATCH_COMPAT_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stdarg.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#endif

#endif /* OBJMATCH_MATCH_COMPAT_H */
