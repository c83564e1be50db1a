// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of splice's pause: stop_machine() with an empty callback, timed
 * the way splice-core times its own (ktime_get_ns() around the call), runs
 * times.  On every online CPU (cpus=all, as splice-core calls it) or on one
 * (cpus=one, stop_machine's default: the others only run its state machine).
 * Loading prints the result and fails with -EAGAIN, so nothing stays loaded:
 *
 *   splice_bench: noop stop_machine cpus=all runs 200: min N median N max N ns
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stop_machine.h>

static unsigned int runs = 200;
module_param(runs, uint, 0444);
static char *cpus = "all";
module_param(cpus, charp, 0444);

/* > 0: the first CPU in the callback is busy that long, the others spin */
static unsigned int work_us;
module_param(work_us, uint, 0444);

struct run {
	atomic_t cpus;
	int done;
};

static int noop(void *data)
{
	struct run *r = data;

	if (!work_us)
		return 0;
	if (atomic_inc_return(&r->cpus) == 1) {
		udelay(work_us);
		smp_store_release(&r->done, 1);
	} else {
		while (!smp_load_acquire(&r->done))
			cpu_relax();
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int __init bench_init(void)
{
	const struct cpumask *mask = strcmp(cpus, "one") ? cpu_online_mask : NULL;
	unsigned int i;
	u64 *ns, t0;
	int ret = 0;

	if (!runs)
		return -EINVAL;
	ns = kcalloc(runs, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < runs && !ret; i++) {
		struct run r = { .cpus = ATOMIC_INIT(0) };

		t0 = ktime_get_ns();
		ret = stop_machine(noop, &r, mask);
		ns[i] = ktime_get_ns() - t0;
	}
	if (!ret) {
		sort(ns, runs, sizeof(*ns), cmp_u64, NULL);
		pr_info("splice_bench: noop stop_machine cpus=%s work_us %u runs %u: min %llu median %llu max %llu ns\n",
			mask ? "all" : "one", work_us, runs, ns[0], ns[runs / 2],
			ns[runs - 1]);
	}
	kfree(ns);
	return ret ? ret : -EAGAIN;
}

module_init(bench_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice bench: the cost of a no-op stop_machine");
