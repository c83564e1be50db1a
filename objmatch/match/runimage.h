/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runimage.h: "running memory" and symbol candidates for the matcher in user
 * space.  An image is a linked ELF file (a kernel's vmlinux, or a test
 * program linked at kernel addresses) read by address; a symbol list is text
 * in /proc/kallsyms format ("ADDR TYPE NAME [MODULE]"), which is also what
 * nm prints.  Together they let splice-match and the tests run the same
 * matcher the kernel module runs, against a kernel image on disk.
 */
#ifndef OBJMATCH_RUNIMAGE_H
#define OBJMATCH_RUNIMAGE_H

#include <stdint.h>

#include "obj/objmatch.h"

struct om_image;

int om_image_open(const char *path, const struct om_options *opts, struct om_image **out);
/* 0, or -EFAULT when [addr, addr+len) is not wholly inside one loaded section. */
int om_image_read(struct om_image *img, uint64_t addr, void *buf, uint32_t len);
void om_image_close(struct om_image *img);

struct om_ksyms;

int om_ksyms_load(const char *path, const struct om_options *opts, struct om_ksyms **out);
/*
 * Addresses of every symbol called @name (up to @max into @addrs); returns
 * how many there are.  Text symbols only (types t, T, w, W).
 */
int om_ksyms_lookup(const struct om_ksyms *k, const char *name, uint64_t *addrs,
		    uint32_t max);
/* Address of the first symbol (any type) called @name; 0 or -ENOENT. */
int om_ksyms_addr(const struct om_ksyms *k, const char *name, uint64_t *addr);
void om_ksyms_free(struct om_ksyms *k);

#endif /* OBJMATCH_RUNIMAGE_H */
