// SPDX-License-Identifier: GPL-2.0
/* What differs between the kernel series, as code (compat.h says what). */
#include <linux/string.h>
#include "compat.h"
#include "ksym.h"

struct splice_modsyms {
	const char *modname;
	splice_modsym_fn fn;
	void *data;
	struct module *mod;
};

#if SPLICE_MODSYMS_BY_NAME
/* 6.12: the kernel filters by name; the module is found once, here. */
static int splice_modsym_one(void *p, const char *name, unsigned long addr)
{
	struct splice_modsyms *s = p;

	if (!s->mod)
		s->mod = splice_ksym.find_module(s->modname);
	if (!s->mod)	/* module_mutex is held: it was just walked */
		return -ENOENT;
	return s->fn(s->data, name, s->mod, addr);
}

int splice_module_symbols(const char *modname, splice_modsym_fn fn, void *data)
{
	struct splice_modsyms s = { .modname = modname, .fn = fn, .data = data };

	return splice_ksym.module_kallsyms_on_each_symbol(modname,
							  splice_modsym_one, &s);
}
#else
/* 6.1: every module's symbols come, with their module. */
static int splice_modsym_one(void *p, const char *name, struct module *mod,
			     unsigned long addr)
{
	struct splice_modsyms *s = p;

	if (strcmp(mod->name, s->modname))
		return 0;
	return s->fn(s->data, name, mod, addr);
}

int splice_module_symbols(const char *modname, splice_modsym_fn fn, void *data)
{
	struct splice_modsyms s = { .modname = modname, .fn = fn, .data = data };

	return splice_ksym.module_kallsyms_on_each_symbol(splice_modsym_one, &s);
}
#endif
