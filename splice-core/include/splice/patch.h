/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <splice/patch.h>: what a patch may add to the kernel source it changes,
 * for the fixes that need a few lines of new code (splice-patch(7)).
 *
 *  - Hooks: functions splice-core runs when the update is applied and
 *    reversed.  Declared next to the code they go with, in the patched file:
 *
 *	static int check_no_users(void) { return users ? -EBUSY : 0; }
 *	splice_pre_apply(check_no_users);	// may refuse the update
 *	static void set_limit(void) { limit = 60; }
 *	splice_apply(set_limit);		// inside stop_machine
 *
 *  - Shadow data: state added to objects that already exist (a field a
 *    structure of the running kernel does not have), keyed by the object's
 *    address and an id, kept by splice-core: it outlives the update that
 *    allocated it, so a later update can use it.
 *
 * splice-create puts this header on the include path of every unit it
 * compiles; hook functions and shadow calls are new code like any other.
 * Installed as $(includedir)/splice/patch.h.
 */
#ifndef SPLICE_PATCH_H
#define SPLICE_PATCH_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/types.h>

/* ------------------------------------------------------------------ hooks */

/* When a hook runs; the stage is in the record, the order in docs/core.md. */
enum splice_hook_stage {
	SPLICE_HOOK_PRE_APPLY = 1,	/* int fn(void): 0, or refuse with -errno */
	SPLICE_HOOK_APPLY,		/* void fn(void), inside stop_machine */
	SPLICE_HOOK_POST_APPLY,		/* void fn(void) */
	SPLICE_HOOK_PRE_REVERSE,	/* int fn(void): 0, or refuse with -errno */
	SPLICE_HOOK_REVERSE,		/* void fn(void), inside stop_machine */
	SPLICE_HOOK_POST_REVERSE,	/* void fn(void) */
};

#define SPLICE_HOOK_MAGIC	0x4b4f4f48u	/* "HOOK" */

/*
 * One hook, as the macros below lay it down in section .splice.hooks of
 * the unit's object: splice-create keeps the section and the functions it
 * names in the update's new code, and splice-core finds the records
 * through the update (struct splice_update.hooks).  32 bytes, 8-aligned:
 * the section is an array of them, in whatever order the compiler put
 * them out (gcc reverses a unit's statics); @line gives the order they
 * were declared in.
 */
struct splice_hook {
	u32 magic;			/* SPLICE_HOOK_MAGIC */
	u32 stage;			/* enum splice_hook_stage */
	u32 line;			/* __LINE__ of the declaration */
	u32 reserved;			/* 0 */
	union {
		int (*check)(void);	/* the two pre stages */
		void (*run)(void);	/* the others */
	} fn;
	const char *name;		/* the function's name, for messages */
};

#define __SPLICE_HOOK(stage_, member_, fn_)					\
	static const struct splice_hook __splice_hook_##stage_##_##fn_		\
	__used __section(".splice.hooks") __aligned(8) = {			\
		.magic = SPLICE_HOOK_MAGIC,					\
		.stage = SPLICE_HOOK_##stage_,					\
		.line = __LINE__,						\
		.fn.member_ = fn_,						\
		.name = #fn_,							\
	}

/*
 * int fn(void), before anything changes, where it may sleep: 0 lets the
 * update go on; a negative errno refuses it (abort cause hook_refused, the
 * log names the hook and the errno) and nothing changes.
 */
#define splice_pre_apply(fn)	__SPLICE_HOOK(PRE_APPLY, check, fn)
/*
 * void fn(void), inside stop_machine: every other CPU waits with
 * interrupts off, after the stack check passed and right before the jumps
 * are written -- the new code and the state it sets up appear at once.
 * It must not sleep, allocate with GFP_KERNEL or take a mutex; splice-core
 * logs a hook that slept or returned with interrupts on.
 */
#define splice_apply(fn)	__SPLICE_HOOK(APPLY, run, fn)
/* void fn(void), after the jumps are written, where it may sleep. */
#define splice_post_apply(fn)	__SPLICE_HOOK(POST_APPLY, run, fn)
/* The twins for splice-undo: same rules, mirror order. */
#define splice_pre_reverse(fn)	__SPLICE_HOOK(PRE_REVERSE, check, fn)
#define splice_reverse(fn)	__SPLICE_HOOK(REVERSE, run, fn)
#define splice_post_reverse(fn)	__SPLICE_HOOK(POST_REVERSE, run, fn)

/* ------------------------------------------------------------ shadow data */

/*
 * Shadow data: @size bytes attached to @obj under @id, found again by the
 * pair (obj, id).  The same store and the same rules as the kernel's
 * klp_shadow_*() (kernel/livepatch/shadow.c), which splice-core uses:
 * get is lock-free (RCU), alloc and free take a spinlock with interrupts
 * off, so all of them work in any context, NMI excepted, given @gfp flags
 * that fit it (GFP_ATOMIC where sleeping is not allowed, and always inside
 * splice_apply()/splice_reverse() hooks).  Ids share one space with
 * livepatch's: pick one that names your fix.
 *
 * ctor runs with the store's spinlock held (interrupts off) on the new,
 * zeroed data; a non-zero return undoes the allocation.  dtor runs for
 * each freed item, also under the spinlock.
 */
typedef int (*splice_shadow_ctor_t)(void *obj, void *shadow_data, void *ctor_data);
typedef void (*splice_shadow_dtor_t)(void *obj, void *shadow_data);

/* The data of (obj, id), or NULL. */
void *splice_shadow_get(void *obj, unsigned long id);
/* New data for (obj, id); NULL if it exists (with a warning), or no memory. */
void *splice_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp,
			  splice_shadow_ctor_t ctor, void *ctor_data);
/* The data of (obj, id); allocated (and constructed) when there is none. */
void *splice_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp,
				 splice_shadow_ctor_t ctor, void *ctor_data);
/* Free the data of (obj, id), if any; dtor (may be NULL) runs first. */
void splice_shadow_free(void *obj, unsigned long id, splice_shadow_dtor_t dtor);
/* Free the data of every object under @id. */
void splice_shadow_free_all(unsigned long id, splice_shadow_dtor_t dtor);

#endif /* SPLICE_PATCH_H */
