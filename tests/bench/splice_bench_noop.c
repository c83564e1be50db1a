// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of splice's pause: stop_machine() with an empty callback, timed
 * the way splice-core times its own (ktime_get_ns() around the call), runs
 * times.  On every online CPU (cpus=all, as splice-core calls it) or on one
 * (cpus=one, stop_machine's default: the others only run its state machine).
 * Loading prints the result (back to back, so both CPUs stay busy):
 *
 *   splice_bench: noop stop_machine cpus=all work_us 0 runs 200: min N median N max N ns
 *
 * and /proc/splice_bench_noop does one at a time, as splice-apply does its
 * one from a shell: writing runs one no-op stop_machine on every CPU,
 * reading gives its ns.  That is the floor to compare splice's pause with:
 * a CPU that was idle before must be woken first (under QEMU TCG on a
 * loaded host, by the host's scheduler).
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
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

static u64 last_ns;
static struct proc_dir_entry *entry;

static ssize_t one_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct run r = { .cpus = ATOMIC_INIT(0) };
	u64 t0 = ktime_get_ns();
	int ret = stop_machine(noop, &r, cpu_online_mask);

	WRITE_ONCE(last_ns, ktime_get_ns() - t0);
	return ret ? ret : count;
}

static int one_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%llu\n", READ_ONCE(last_ns));
	return 0;
}

static int one_open(struct inode *inode, struct file *file)
{
	return single_open(file, one_show, NULL);
}

static const struct proc_ops one_ops = {
	.proc_open = one_open,
	.proc_read = seq_read,
	.proc_write = one_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

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
	if (ret)
		return ret;
	entry = proc_create("splice_bench_noop", 0600, NULL, &one_ops);
	return entry ? 0 : -ENOMEM;
}

static void __exit bench_exit(void)
{
	proc_remove(entry);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice bench: the cost of a no-op stop_machine");
