/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Update "bench-<NR>": replaces splice_bench_fn0() .. splice_bench_fn<NR-1>()
 * of splice_bench_target.ko; the new code returns n + 1000.  Included by
 * splice_bench_update_<NR>.c after defining NR.
 */
#include <linux/module.h>
#include <splice.h>
#include "splice_bench_funcs.h"

#define SPLICE_BENCH_NEW(n) \
	noinline __attribute__((__noipa__)) int splice_bench_new##n(void) \
	{ return n + 1000; }
SPLICE_BENCH_FUNCS(SPLICE_BENCH_NEW)

#define SPLICE_BENCH_ENTRY(n) \
	{ .name = "splice_bench_fn" #n, .objname = "splice_bench_target", \
	  .new_func = splice_bench_new##n },
static struct splice_function funcs[] = { SPLICE_BENCH_FUNCS(SPLICE_BENCH_ENTRY) };

#define STR_(x) #x
#define STR(x) STR_(x)
static struct splice_update update = {
	.id = "bench-" STR(NR),
	.owner = THIS_MODULE,
	.funcs = funcs,
	.nr_funcs = NR,
};

static int __init update_init(void)
{
	BUILD_BUG_ON(NR > ARRAY_SIZE(funcs));
	return splice_register_update(&update);
}

static void __exit update_exit(void)
{
	splice_unregister_update(&update);
}

module_init(update_init);
module_exit(update_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice bench: an update of NR functions");
