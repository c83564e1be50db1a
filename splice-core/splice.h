/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splice.h: the public interface of splice-core.ko for update modules.
 *
 * An update module (the "new code") describes the functions it replaces and
 * registers with the core from its init function; it unregisters from its
 * exit function.  Registering changes nothing in the running kernel: the
 * update appears as /sys/kernel/splice/<id>/ in stage "preparing", and
 * writing "applied" to its stage file splices it in (docs/core.md,
 * docs/sysfs.md).
 *
 *	static struct splice_function funcs[] = {
 *		{ .name = "version_proc_show", .new_func = new_version_proc_show },
 *		{ .name = "foo_read", .objname = "foo", .new_func = new_foo_read },
 *	};
 *	static struct splice_update update = {
 *		.id = "cve-2024-1234", .owner = THIS_MODULE,
 *		.funcs = funcs, .nr_funcs = ARRAY_SIZE(funcs),
 *	};
 *	module_init: return splice_register_update(&update);
 *	module_exit: splice_unregister_update(&update);
 */
#ifndef SPLICE_H
#define SPLICE_H

#ifdef __KERNEL__
#include <linux/module.h>
#else
/*
 * User space: only the layouts, for the relocation-table check compiled
 * into a fuzz target (reloc-table.c, tests/fuzz/).
 */
#include <stdbool.h>
#include <stdint.h>
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
struct module;
#endif

/* <splice/patch.h>: a patch's hooks, one record each (struct splice_hook). */
struct splice_hook;

struct splice_function {
	/* Symbol of the function to replace, e.g. "version_proc_show". */
	const char *name;
	/* Module that holds it (e.g. "ext4"), or NULL for vmlinux. */
	const char *objname;
	/* The replacement; calls to the old function end up here. */
	void *new_func;
	/*
	 * Optional: the compilation unit (as its pre code registered it,
	 * struct splice_pre.unit) whose matched pre code locates the
	 * function; NULL: any of the update's pre units.
	 */
	const char *unit;
};

/*
 * Relocations of generated new code that the module loader could not
 * resolve (splice-mknew, docs/new-code.md): each field holds the canary
 * 0x77 until splice-core writes it, after run-pre matching and before the
 * switch.  Layout shared with objmatch/mod/newmod.h (docs/package-format.md).
 */
#define SPLICE_RELOCS_MAGIC	0x4c525053	/* "SPRL" */
#define SPLICE_RELOCS_VERSION	2
#define SPLICE_RELOC_NONE	0xffffffffu
#define SPLICE_RELOC_LOCAL	0x1	/* the symbol is defined in the unit */
#define SPLICE_RELOC_EARLY	0x2	/* written when the module loads, before
					 * the kernel's jump-label notifier reads
					 * it: the key of a __jump_table entry */
#define SPLICE_RELOC_VALUE	0x4	/* the field gets the value stored at
					 * the symbol (the field's width of
					 * bytes), not its address: a runtime
					 * constant's immediate (6.11+), type
					 * R_X86_64_64 or R_X86_64_8 */
/* the version of a table with VALUE records (an older core refuses it) */
#define SPLICE_RELOCS_VERSION_VALUE	3

/*
 * A new-code module with EARLY records references this symbol, which
 * splice-core exports: a splice-core that can't write them (the loader
 * would hand the kernel's jump-label code a key of 0x7777...) refuses the
 * module with "Unknown symbol".
 */
#define SPLICE_EARLY_RELOCS_SYMBOL	"splice_early_relocs"
extern const int splice_early_relocs;

struct splice_reloc {
	u64 site;	/* address of the field (filled in by the loader) */
	s64 addend;
	u32 type;	/* R_X86_64_PC32, PLT32, 32, 32S, 64, PC64; 8 (VALUE) */
	u32 flags;	/* SPLICE_RELOC_* */
	u32 name;	/* offset of the symbol's name in the strings */
	u32 pad;
};

struct splice_relocs {
	u32 magic, version;
	u32 nrelocs;
	u32 strings;	/* offset of the strings from this header */
	u32 size;	/* of the header, records and strings */
	u32 objname;	/* string offset of the target module, or NONE: vmlinux */
	u32 unit;	/* string offset of the unit (LOCAL symbols), or NONE */
	u32 pad;
	struct splice_reloc relocs[];
};

struct splice_hook_table {
	const struct splice_hook *hooks;
	unsigned int nr;
};

struct splice_update {
	/* /sys/kernel/splice/<id>: [A-Za-z0-9_.-], at most 55 characters. */
	const char *id;
	/* The module holding new_func (THIS_MODULE). */
	struct module *owner;
	struct splice_function *funcs;
	unsigned int nr_funcs;
	/*
	 * Generated new code only: the relocation tables to write, one per
	 * compilation unit the new code was made from (or NULL, 0).
	 */
	const struct splice_relocs *const *relocs;
	unsigned int nr_relocs;
	/*
	 * The patch's hooks (<splice/patch.h>, splice-patch(7)): one table
	 * per compilation unit that declares any, each the unit's
	 * .splice.hooks section (or NULL, 0).  An update with hooks may
	 * replace no function (nr_funcs 0): a fix of data alone.
	 */
	const struct splice_hook_table *hooks;
	unsigned int nr_hooks;
	/* splice-core's own state; leave NULL. */
	void *priv;
};

/*
 * The pre code of one compilation unit of an update, carried by a "pre
 * module" that splice-mkpre generates: its code loaded by the kernel's own
 * loader (so alternatives and paravirt patches are applied to it exactly as
 * to the running kernel), and the matcher's description of it (the blob,
 * objmatch/blob/blob.h).  When update <id> is applied, every function it
 * replaces must match the running kernel through its pre unit; see
 * docs/core.md, "Run-pre matching".
 */
struct splice_pre {
	const char *id;		/* the update this pre code belongs to */
	const char *objname;	/* module the unit builds into, NULL: vmlinux */
	const char *unit;	/* e.g. "fs/proc/meminfo.o": names the unit */
	const void *blob;
	unsigned long size;
	struct module *owner;	/* the pre module (THIS_MODULE) */
	/* splice-core's own state; leave NULL. */
	void *priv;
};

int splice_register_pre(struct splice_pre *pre);
void splice_unregister_pre(struct splice_pre *pre);

/* 0 or a negative errno; the update must stay valid until unregistered. */
int splice_register_update(struct splice_update *update);
void splice_unregister_update(struct splice_update *update);

#endif /* SPLICE_H */
