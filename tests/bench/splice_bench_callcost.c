// SPDX-License-Identifier: GPL-2.0
/*
 * scripts/bench-callcost's caller: times calls of jiffies_to_msecs(), a tiny
 * exported, traceable, side-effect-free function of vmlinux (with HZ=250 it
 * is "lea 0(,%rdi,4),%eax; ret" after its ftrace NOP).
 *
 * Writing a label to /proc/splice_callcost runs one round untimed, then
 * `rounds` rounds of `calls` calls each, preemption off, each timed with
 * ktime_get_ns(); reading gives one line per round of the last run:
 * "LABEL ROUND NS CALLS".  The results' sum is checked against 4 * j, so a
 * replacement that computes something else fails the write (-EIO) instead
 * of giving a number.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

static unsigned int calls = 2000000;
module_param(calls, uint, 0644);
static unsigned int rounds = 7;
module_param(rounds, uint, 0644);

#define LABEL_MAX 32
static DEFINE_MUTEX(bench_mutex);	/* guards label, nr_done and ns[] */
static char label[LABEL_MAX];
static unsigned int nr_done;
static u64 *ns;

static int bench_round(u64 *out)
{
	unsigned int i, sum = 0, want = 0;
	u64 t0, t1;

	preempt_disable();
	t0 = ktime_get_ns();
	for (i = 0; i < calls; i++)
		sum += jiffies_to_msecs(i);
	t1 = ktime_get_ns();
	preempt_enable();
	for (i = 0; i < calls; i++)
		want += (MSEC_PER_SEC / HZ) * i;
	if (sum != want)
		return -EIO;
	*out = t1 - t0;
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *pos)
{
	char l[LABEL_MAX];
	unsigned int r;
	int ret = 0;

	if (len == 0 || len >= LABEL_MAX)
		return -EINVAL;
	if (copy_from_user(l, buf, len))
		return -EFAULT;
	l[len] = 0;
	strim(l);
	mutex_lock(&bench_mutex);
	strscpy(label, l, sizeof(label));
	nr_done = 0;
	/* one round untimed: the first one of a variant also pays for QEMU's
	 * translation of the code and the cold caches */
	ret = bench_round(&ns[0]);
	for (r = 0; r < rounds && !ret; r++) {
		ret = bench_round(&ns[r]);
		if (!ret)
			nr_done++;
		cond_resched();
	}
	mutex_unlock(&bench_mutex);
	if (ret)
		pr_err("splice_bench_callcost: %s: jiffies_to_msecs() returned wrong values\n", l);
	return ret ? ret : len;
}

static int bench_show(struct seq_file *m, void *v)
{
	unsigned int r;

	mutex_lock(&bench_mutex);
	for (r = 0; r < nr_done; r++)
		seq_printf(m, "%s %u %llu %u\n", label, r, ns[r], calls);
	mutex_unlock(&bench_mutex);
	return 0;
}

static int bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_show, NULL);
}

static const struct proc_ops bench_ops = {
	.proc_open = bench_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = bench_write,
};

static int __init bench_init(void)
{
	if (!rounds || !calls)
		return -EINVAL;
	ns = kcalloc(rounds, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	if (!proc_create("splice_callcost", 0644, NULL, &bench_ops)) {
		kfree(ns);
		return -ENOMEM;
	}
	return 0;
}

static void __exit bench_exit(void)
{
	remove_proc_entry("splice_callcost", NULL);
	kfree(ns);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
