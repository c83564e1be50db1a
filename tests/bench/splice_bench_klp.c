// SPDX-License-Identifier: GPL-2.0
/*
 * scripts/bench-callcost's livepatch: the kernel's own livepatching replaces
 * jiffies_to_msecs() with an identical body.  Loading the module enables the
 * patch; "echo 0 > /sys/kernel/livepatch/splice_bench_klp/enabled" and,
 * once its transition is over, rmmod take it out.
 */
#include <linux/jiffies.h>
#include <linux/livepatch.h>
#include <linux/module.h>

static noinline unsigned int klp_jiffies_to_msecs(const unsigned long j)
{
	return (MSEC_PER_SEC / HZ) * j;
}

static struct klp_func funcs[] = {
	{ .old_name = "jiffies_to_msecs", .new_func = klp_jiffies_to_msecs },
	{ }
};

static struct klp_object objs[] = {
	{ .funcs = funcs },	/* .name NULL: vmlinux */
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init bench_klp_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit bench_klp_exit(void)
{
}

module_init(bench_klp_init);
module_exit(bench_klp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
