/* SPDX-License-Identifier: GPL-2.0 */
/* blobw.h: writing pre blobs (user space). */
#ifndef OBJMATCH_BLOBW_H
#define OBJMATCH_BLOBW_H

#include <stddef.h>

#include "match/match.h"

/* Serialise @u; *out is malloc'ed.  0 or -ENOMEM. */
int om_blob_write(const struct om_munit *u, void **out, size_t *outlen);

#endif /* OBJMATCH_BLOBW_H */
