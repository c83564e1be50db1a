// SPDX-License-Identifier: GPL-2.0
/*
 * nr kthreads "splice_bench/N", each asleep until the module is removed:
 * threads whose stacks splice-core must walk under stop_machine.
 *
 *   insmod splice_bench_threads.ko nr=1000
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

static unsigned int nr = 100;
module_param(nr, uint, 0444);

static struct task_struct **threads;
static unsigned int started;

static int sleeper(void *unused)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void stop_all(void)
{
	while (started)
		kthread_stop(threads[--started]);
	kvfree(threads);
}

static int __init threads_init(void)
{
	struct task_struct *t;

	threads = kvcalloc(nr, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;
	while (started < nr) {
		t = kthread_run(sleeper, NULL, "splice_bench/%u", started);
		if (IS_ERR(t)) {
			pr_err("splice_bench: thread %u: %ld\n", started, PTR_ERR(t));
			stop_all();
			return PTR_ERR(t);
		}
		threads[started++] = t;
	}
	pr_info("splice_bench: %u sleeping threads\n", started);
	return 0;
}

static void __exit threads_exit(void)
{
	stop_all();
}

module_init(threads_init);
module_exit(threads_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice bench: sleeping kthreads");
