/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splice-core: the kernel side of splice.  This header is the module's
 * private interface between its files (docs/core.md describes the design).
 */
#ifndef SPLICE_CORE_H
#define SPLICE_CORE_H

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/list.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/types.h>
#include "splice.h"
#include "splice/patch.h"
#include "reloc-table.h"

/* Every kernel message of the core starts with "splice: ". */
#define splice_info(fmt, ...)	pr_info("splice: " fmt, ##__VA_ARGS__)
#define splice_warn(fmt, ...)	pr_warn("splice: " fmt, ##__VA_ARGS__)
#define splice_err(fmt, ...)	pr_err("splice: " fmt, ##__VA_ARGS__)

/* ...and messages about an update name it: "splice: <id>: ". */
#define upd_info(u, fmt, ...) \
	pr_info("splice: %s: " fmt, (u)->pub->id, ##__VA_ARGS__)
#define upd_err(u, fmt, ...) \
	pr_err("splice: %s: " fmt, (u)->pub->id, ##__VA_ARGS__)
#define upd_dbg(u, fmt, ...) \
	do { if ((u)->debug) upd_info(u, fmt, ##__VA_ARGS__); } while (0)

#ifndef SPLICE_VERSION
#define SPLICE_VERSION "unknown"
#endif

enum splice_stage {
	SPLICE_PREPARING,
	SPLICE_APPLIED,
	SPLICE_REVERSED,
	SPLICE_PENDING,		/* waits for its module to load (pending.c) */
};

/* The abort_cause vocabulary: docs/error-codes.md; names in update.c. */
enum splice_cause {
	SPLICE_OK,
	SPLICE_NO_MATCH,
	SPLICE_AMBIGUOUS,
	SPLICE_FAILED_TO_FIND,
	SPLICE_TARGET_NOT_LOADED,
	SPLICE_TOO_SHORT,
	SPLICE_CODE_BUSY,
	SPLICE_MODULE_BUSY,
	SPLICE_SITE_CHANGED,
	SPLICE_CODE_PROBED,
	SPLICE_NOT_LAST,
	SPLICE_OUT_OF_MEMORY,
	SPLICE_UNEXPECTED,
	SPLICE_HOOK_REFUSED,
	SPLICE_NR_CAUSES
};

#define SPLICE_JMP_SIZE		5	/* e9 <rel32> */
#define SPLICE_MAX_RANGES	6

enum splice_range_kind {
	SPLICE_RANGE_OLD,	/* the replaced function itself */
	SPLICE_RANGE_COLD,	/* its FUNC.cold part */
	SPLICE_RANGE_BELOW,	/* an earlier update's code we stack on */
};

/* Code a thread must not be inside while a site changes: [start, end). */
struct splice_range {
	unsigned long start, end;
	enum splice_range_kind kind;
};

/* One replaced function of an update. */
struct splice_func {
	const struct splice_function *desc;
	struct splice_upd *upd;

	/* Filled by splice_resolve_func(), emptied by splice_release_func(). */
	unsigned long old_addr, old_size;
	struct module *target;		/* holds a reference; NULL: vmlinux */
	unsigned int nr_ranges;
	struct splice_range ranges[SPLICE_MAX_RANGES];

	/* Filled by splice_prepare_site() (patch.c). */
	unsigned long site;		/* where the jump is written */
	u8 saved[SPLICE_JMP_SIZE];	/* the site's bytes before our jump */
	u8 jmp[SPLICE_JMP_SIZE];	/* our jump */
	struct splice_func *below;	/* applied func we stack on, or NULL */

	/*
	 * pending.c: its module is not loaded, this part of the update waits
	 * for it (not resolved, no jump); the other parts may be applied.
	 */
	bool waiting;
};

/*
 * Is @f in the part of its update a transition handles: not waiting, and
 * of module @part (NULL: of any object)?
 */
static inline bool splice_in_part(const struct splice_func *f, const char *part)
{
	return !f->waiting &&
	       (!part || (f->desc->objname && !strcmp(f->desc->objname, part)));
}

/*
 * Where the last stop_machine's time went (patch.c fills it, sysfs.c shows
 * it as pause_detail).  Phases of the callback, summed over every CPU that
 * worked in them; callback_ns is the writer CPU's wall time in the
 * callback; the rest of pause_ns is stop_machine's own cost (waking the
 * stoppers, its state machine).
 */
struct splice_pause_detail {
	u64 walk_ns;		/* stack_trace_save_tsk_reliable() */
	u64 compare_ns;		/* return addresses against the ranges */
	u64 write_ns;		/* verifying the sites, text_poke() */
	u64 sync_ns;		/* until every CPU has serialized */
	u64 callback_ns;
	u64 enter_ns;		/* stop_machine called -> last CPU in the callback */
	u64 leave_ns;		/* writer done -> stop_machine returned */
	unsigned int threads;	/* stacks walked */
};

/* The core's state for one registered update. */
struct splice_upd {
	struct splice_update *pub;
	struct kobject kobj;
	struct list_head node;		/* splice_updates */
	struct list_head applied_node;	/* splice_applied, oldest first */
	enum splice_stage stage;
	enum splice_cause cause;
	bool debug;
	bool gone;			/* unregistered, kobject dying */
	u64 pause_ns;
	struct splice_pause_detail pause_detail;
	char *conflicts;		/* PAGE_SIZE, one line per task */
	unsigned long new_start, new_end;	/* owner's core text */
	bool relocs_written;		/* reloc.c: a table of records written */
	u8 **relocs_skipped;		/* reloc.c: per table written, records not written */
	/*
	 * pending.c: the update follows the modules it waited for (or waits
	 * for them): its pre modules are held for their next load; false
	 * for any other update.
	 */
	bool follows;
	unsigned int nr_waiting;	/* funcs[] waiting for their module */
	/* hooks.c: the patch's hooks in declaration order (unit by unit) */
	const struct splice_hook **hooks;
	unsigned int nr_hooks;
	int hook_errno;			/* of the pre hook that refused */
	/* a hook inside stop_machine that slept or left interrupts on */
	const struct splice_hook *hook_fault;
	const char *hook_fault_what;
	unsigned int nr_funcs;
	struct splice_func funcs[];
};

/* update.c */
extern struct mutex splice_mutex;
extern struct list_head splice_updates;
enum splice_cause splice_do_apply(struct splice_upd *u);
enum splice_cause splice_apply_part(struct splice_upd *u, const char *part);
enum splice_cause splice_do_undo(struct splice_upd *u);
void splice_release_part(struct splice_upd *u, const char *part);
void splice_release_all(struct splice_upd *u);
const char *splice_cause_name(enum splice_cause cause);
const char *splice_stage_name(enum splice_stage stage);
int splice_request_stage(struct splice_upd *u, enum splice_stage stage);
int splice_request_check(struct splice_upd *u);
void splice_original_bytes(unsigned long addr, u8 *buf, size_t len);
ssize_t splice_applied_ids(char *buf);

/* pre.c: pre units (splice_register_pre) and run-pre matching */
bool splice_pre_present(struct splice_upd *u);
bool splice_pre_hold(struct splice_upd *u, bool get);
enum splice_cause splice_pre_match(struct splice_upd *u, const char *part);
int splice_pre_lookup(struct splice_upd *u, const char *objname, const char *unit,
		      const char *name, unsigned long *addr);
int splice_pre_symbol(struct splice_upd *u, const char *unit_name, const char *name,
		      bool local, s64 addend, unsigned long *addr);

/* reloc.c: the new code's relocation records (splice-mknew) */
enum splice_cause splice_relocs_apply(struct splice_upd *u, bool write);
bool splice_relocs_valid(struct module *owner, const struct splice_relocs *t);
bool splice_reloc_value(const struct splice_reloc *r, u64 sa, u64 *val);
unsigned int splice_ksym_count(const char *name, const char *objname, unsigned long *addr);

/* pending.c: updates of modules that are not loaded yet */
int splice_pending_init(void);
void splice_pending_exit(void);
/* a buffer for splice_waiting_names(): a few module names, then "..." */
#define SPLICE_NAMES_LEN 256
unsigned int splice_pending_modules(struct splice_upd *u);
const char *splice_waiting_names(const struct splice_upd *u, char *buf, size_t size,
				 unsigned int *count);
void splice_pending_unapplied(struct splice_upd *u);
bool splice_waits_for(const struct splice_upd *u, const char *objname);

/* reloc.c, for pending.c: the fields written back to their canary */
void splice_relocs_reset(struct splice_upd *u, const char *objname);
void splice_relocs_free(struct splice_upd *u);

/* early.c: records written when a new-code module loads (jump-label keys) */
int splice_early_init(void);
void splice_early_exit(void);

/* resolve.c: where a replaced function runs (matched pre code, or its name) */
enum splice_cause splice_resolve_func(struct splice_upd *u,
				      struct splice_func *f);
void splice_release_func(struct splice_func *f);

/* patch.c */
enum splice_cause splice_prepare_site(struct splice_upd *u,
				      struct splice_func *f,
				      struct list_head *applied);
enum splice_cause splice_switch(struct splice_upd *u, bool undo, const char *part);
void splice_site_bytes(const struct splice_func *f, u8 *buf);
unsigned int splice_entry_pad(unsigned long addr);

/* hooks.c: the patch's hooks (<splice/patch.h>) */
int splice_hooks_init(struct splice_upd *u);
void splice_hooks_free(struct splice_upd *u);
enum splice_cause splice_hooks_check(struct splice_upd *u, enum splice_hook_stage stage);
void splice_hooks_run(struct splice_upd *u, enum splice_hook_stage stage);
void splice_hooks_run_stopped(struct splice_upd *u, enum splice_hook_stage stage);
void splice_hooks_report(struct splice_upd *u);
const char *splice_hook_stage_name(enum splice_hook_stage stage);

/* sysfs.c */
int splice_sysfs_add(struct splice_upd *u);
extern const struct kobj_type splice_upd_ktype;

#endif /* SPLICE_CORE_H */
