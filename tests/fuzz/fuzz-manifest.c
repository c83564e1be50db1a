// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: the package manifest reader (splice-create/manifest.c,
 * sc_manifest_parse).  A manifest it accepts must format (sc_manifest_format:
 * what the reader takes, the writer can write) into one it accepts again,
 * with the same id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* report.c's, quiet: a message per rejected input would be all the fuzzer does */
void sc_err(const char *fmt, ...)
{
	(void)fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_manifest m, again;
	char *text = NULL;

	if (sc_manifest_parse((const char *)data, size, &m))
		return 0;
	if (sc_manifest_format(&m, &text))
		abort();	/* the reader took a value the writer refuses */
	if (sc_manifest_parse(text, strlen(text), &again) || strcmp(m.id, again.id))
		abort();	/* what it wrote, it must read back */
	sc_manifest_free(&again);
	free(text);
	sc_manifest_free(&m);
	return 0;
}
