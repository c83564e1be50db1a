// SPDX-License-Identifier: GPL-2.0
/*
 * The module scripts/bench-pause patches: 100 small functions
 * splice_bench_fn<n>() returning n.  /proc/splice_bench_sum prints the sum
 * of their results (4950 unpatched; each replaced function returns
 * n + 1000, see splice_bench_update.h).
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include "splice_bench_funcs.h"

/* noipa: callers must not learn the return value and skip the call. */
#define SPLICE_BENCH_FN(n) \
	noinline __attribute__((__noipa__)) int splice_bench_fn##n(void) \
	{ return n; }
SPLICE_BENCH_FUNCS(SPLICE_BENCH_FN)

#define SPLICE_BENCH_PTR(n) splice_bench_fn##n,
static int (*const bench_fns[])(void) = { SPLICE_BENCH_FUNCS(SPLICE_BENCH_PTR) };

static int sum_show(struct seq_file *m, void *v)
{
	unsigned int i;
	int sum = 0;

	for (i = 0; i < ARRAY_SIZE(bench_fns); i++)
		sum += bench_fns[i]();
	seq_printf(m, "%d\n", sum);
	return 0;
}

static struct proc_dir_entry *entry;

static int __init target_init(void)
{
	entry = proc_create_single("splice_bench_sum", 0444, NULL, sum_show);
	return entry ? 0 : -ENOMEM;
}

static void __exit target_exit(void)
{
	proc_remove(entry);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice bench: 100 functions to patch");
