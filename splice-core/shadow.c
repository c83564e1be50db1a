// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow data for patches (<splice/patch.h>): state attached to objects
 * the running kernel allocated before the update, keyed by (object, id).
 *
 * The store is the kernel's own, klp_shadow_*() (kernel/livepatch/shadow.c,
 * exported with CONFIG_LIVEPATCH, which Debian's 6.1 and 6.12 set): an RCU
 * hash table in vmlinux, lock-free lookups, a spinlock taken with
 * interrupts off for changes.  Being vmlinux's, it belongs to no update:
 * data an update allocated stays when that update is reversed and its
 * module unloaded (free it from a post_reverse hook if it must go), and a
 * later, stacked update finds it under the same id.
 *
 * What splice adds: an allocation that could sleep where sleeping is not
 * allowed (GFP_KERNEL inside a splice_apply() hook, under a spinlock, in
 * an interrupt) is refused -- NULL, which every caller must handle anyway
 * -- and logged with its caller, instead of sleeping with interrupts off.
 */
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include "core.h"

static bool splice_shadow_gfp_ok(gfp_t gfp, const void *caller)
{
	if (!gfpflags_allow_blocking(gfp))
		return true;
	if (!irqs_disabled() && !in_atomic() && !in_interrupt())
		return true;
	pr_err_ratelimited("splice: shadow data: allocation that may sleep (gfp %pGg) from %pS, where sleeping is not allowed: refused, use GFP_ATOMIC\n",
			   &gfp, caller);
	return false;
}

void *splice_shadow_get(void *obj, unsigned long id)
{
	return klp_shadow_get(obj, id);
}
EXPORT_SYMBOL_GPL(splice_shadow_get);

void *splice_shadow_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp,
			  splice_shadow_ctor_t ctor, void *ctor_data)
{
	if (!splice_shadow_gfp_ok(gfp, __builtin_return_address(0)))
		return NULL;
	return klp_shadow_alloc(obj, id, size, gfp, ctor, ctor_data);
}
EXPORT_SYMBOL_GPL(splice_shadow_alloc);

void *splice_shadow_get_or_alloc(void *obj, unsigned long id, size_t size, gfp_t gfp,
				 splice_shadow_ctor_t ctor, void *ctor_data)
{
	void *data = klp_shadow_get(obj, id);

	if (data)
		return data;
	if (!splice_shadow_gfp_ok(gfp, __builtin_return_address(0)))
		return NULL;
	return klp_shadow_get_or_alloc(obj, id, size, gfp, ctor, ctor_data);
}
EXPORT_SYMBOL_GPL(splice_shadow_get_or_alloc);

void splice_shadow_free(void *obj, unsigned long id, splice_shadow_dtor_t dtor)
{
	klp_shadow_free(obj, id, dtor);
}
EXPORT_SYMBOL_GPL(splice_shadow_free);

void splice_shadow_free_all(unsigned long id, splice_shadow_dtor_t dtor)
{
	klp_shadow_free_all(id, dtor);
}
EXPORT_SYMBOL_GPL(splice_shadow_free_all);
