// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks a patched unit declares with <splice/patch.h> (splice-patch(7)):
 * the records of its post object's .splice.hooks section, 32 bytes each,
 *
 *	u32 magic ("HOOK"), u32 stage, u32 line, u32 0, u64 fn (R_X86_64_64),
 *	u64 name
 *
 * in declaration order (by line: gcc puts a unit's statics out in reverse),
 * read back as "STAGE:FUNCTION" for the manifest (`hook` lines) and for
 * the differ's question which unit carries which hook.  A record that is
 * not one of these is a reason the update can't be made, not a crash.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/objmatch.h"
#include "run.h"

#define HOOK_SECTION	".splice.hooks"
#define HOOK_SIZE	32
#define HOOK_MAGIC	0x4b4f4f48u

static const char *const stage_names[] = {
	NULL, "pre_apply", "apply", "post_apply", "pre_reverse", "reverse", "post_reverse",
};

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The function a record's fn field names: its symbol, or section + addend. */
static const char *hook_function(const struct om_section *sec, uint64_t off)
{
	size_t k = om_reloc_lower_bound(sec, off);
	const struct om_reloc *r;
	const struct om_symbol *s;

	if (k >= sec->nrelocs || sec->relocs[k].offset != off || !sec->relocs[k].sym)
		return NULL;
	r = &sec->relocs[k];
	if (r->sym->type == OM_SYM_FUNC)
		return r->addend ? NULL : r->sym->name;
	if (r->sym->type != OM_SYM_SECTION || !r->sym->sec || r->addend < 0)
		return NULL;
	s = om_symbol_at(r->sym->sec, (uint64_t)r->addend);
	return s && s->type == OM_SYM_FUNC && s->value == (uint64_t)r->addend ? s->name : NULL;
}

struct hook_rec {
	uint32_t line;
	char *text;
};

static int by_line(const void *a, const void *b)
{
	const struct hook_rec *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

int sc_unit_hooks(const char *unit, const struct om_object *post, struct sc_strv *hooks,
		  struct sc_reasons *reasons)
{
	const struct om_section *sec = om_section_by_name(post, HOOK_SECTION);
	struct hook_rec *rec;
	size_t i, n = 0;
	uint64_t off;
	int err = 0;

	if (!sec)
		return 0;
	if (!sec->data || sec->size % HOOK_SIZE)
		return sc_reason_add(reasons, "%s[%s]: %llu bytes, not an array of %d-byte hook "
				     "records (<splice/patch.h>'s macros make them)", unit,
				     HOOK_SECTION, (unsigned long long)sec->size, HOOK_SIZE);
	rec = calloc(sec->size / HOOK_SIZE + 1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	for (off = 0; !err && off < sec->size; off += HOOK_SIZE) {
		uint32_t magic = le32(sec->data + off), stage = le32(sec->data + off + 4);
		const char *fn = hook_function(sec, off + 16);

		if (magic != HOOK_MAGIC || !stage || stage > 6 || !fn) {
			err = sc_reason_add(reasons, "%s[%s]+0x%llx: not a hook record of "
					    "<splice/patch.h> (magic 0x%x, stage %u, function %s)",
					    unit, HOOK_SECTION, (unsigned long long)off, magic,
					    stage, fn ? fn : "none");
			continue;
		}
		rec[n].line = le32(sec->data + off + 8);
		if (asprintf(&rec[n].text, "%s:%s", stage_names[stage], fn) < 0) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	qsort(rec, n, sizeof(*rec), by_line);
	for (i = 0; i < n; i++) {
		if (!err)
			err = sc_strv_add(hooks, rec[i].text);
		free(rec[i].text);
	}
	free(rec);
	return err;
}
