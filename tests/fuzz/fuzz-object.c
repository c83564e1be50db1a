// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: objmatch's object reader (read.c, object.c) on any bytes,
 * from memory as splice-create reads every object (om_object_open_mem),
 * then what splice-mkpre makes of an object: the matcher's view of every
 * function (munit.c), and every lookup of the model.
 */
#include <stddef.h>
#include <stdint.h>

#include "match/match.h"
#include "match/munit.h"
#include "obj/objmatch.h"
#include "obj/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct om_options opts = { .log = NULL };
	struct om_munit_build *mb = NULL;
	struct om_object *obj = NULL;
	size_t i, j;

	if (om_object_open_mem("fuzz.o", data, size, &opts, &obj))
		return 0;
	for (i = 0; i < obj->nsecs; i++) {
		const struct om_section *s = &obj->secs[i];

		om_section_by_name(obj, s->name);
		for (j = 0; j < s->nrelocs; j++)
			om_symbol_at(s, s->relocs[j].offset);
		om_reloc_lower_bound(s, s->size / 2);
	}
	for (i = 0; i < obj->nsyms; i++)
		om_symbol_by_name(obj, obj->syms[i].name);
	if (!om_munit_build(obj, NULL, 0, &opts, &mb))
		om_munit_free(mb);
	om_object_free(obj);
	return 0;
}
