/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel series splice-core builds for differ here (and in compat.c),
 * and only here:
 * Debian 12's 6.1 (6.1.0-N) and its 6.12 (6.12.N+deb12).  Every other
 * file uses what this header defines and never tests a kernel version
 * (docs/kernel-series.md lists the differences and how they were found).
 *
 *  - module memory: 6.1 has core_layout (base, text_size); 6.4 replaced it
 *    with mem[MOD_TEXT] (base, size);
 *  - module_kallsyms_on_each_symbol(): 6.1 calls fn(data, name, mod, addr)
 *    for every module's symbols; 6.2 added a module name to filter by and
 *    dropped the module from the callback.  splice_module_symbols() gives
 *    both the 6.1 shape, finding the module with find_module() (6.12
 *    exports neither it nor __module_address(); ksym.c looks it up).
 *
 * The entry of a function (endbr64 with CONFIG_X86_KERNEL_IBT, the ftrace
 * site after it) is the same code on both: is_endbr() of <asm/ibt.h> is
 * false when IBT is not built in (patch.c, splice_entry_pad()).
 */
#ifndef SPLICE_COMPAT_H
#define SPLICE_COMPAT_H

#include <linux/module.h>
#include <linux/version.h>

#define SPLICE_MOD_MEM		(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0))
#define SPLICE_MODSYMS_BY_NAME	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0))

/* The callback splice-core's lookups use: the 6.1 shape, with the module. */
typedef int (*splice_modsym_fn)(void *data, const char *name,
				struct module *mod, unsigned long addr);

#if SPLICE_MODSYMS_BY_NAME
typedef int (*splice_kernel_modsyms_t)(const char *modname,
				       int (*fn)(void *, const char *,
						 unsigned long),
				       void *data);
/* 6.12 needs find_module() to hand the module to the callback. */
#define SPLICE_COMPAT_KSYMS	SPLICE_KSYM(find_module),
#define SPLICE_COMPAT_KSYM_FIELDS \
	struct module *(*find_module)(const char *name);
#else
typedef int (*splice_kernel_modsyms_t)(splice_modsym_fn fn, void *data);
#define SPLICE_COMPAT_KSYMS
#define SPLICE_COMPAT_KSYM_FIELDS
#endif

/* [*start, *end): @mod's core text (not its init text). */
static inline void splice_module_text(const struct module *mod,
				      unsigned long *start, unsigned long *end)
{
#if SPLICE_MOD_MEM
	*start = (unsigned long)mod->mem[MOD_TEXT].base;
	*end = *start + mod->mem[MOD_TEXT].size;
#else
	*start = (unsigned long)mod->core_layout.base;
	*end = *start + mod->core_layout.text_size;
#endif
}

/*
 * Calls @fn for every symbol of module @modname, with module_mutex held
 * (@mod can't go away during the call), until @fn returns nonzero; returns
 * that.  compat.c.
 */
int splice_module_symbols(const char *modname, splice_modsym_fn fn,
			  void *data);

#endif /* SPLICE_COMPAT_H */
