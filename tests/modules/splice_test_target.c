// SPDX-License-Identifier: GPL-2.0
/*
 * The module the VM tests patch.  /proc/splice_test/:
 *   values  "a=<splice_test_a()> b=<splice_test_b()>"
 *   bytes   the first 16 code bytes of each patchable function, in hex
 *   sleep   write 1: start kthread "splice_sleeper", asleep inside
 *           splice_test_sleep(); write 0: stop it
 *   indirect  "a=<a> b=<b>", called through function pointers (indirect
 *           calls land on the entry: endbr64 where IBT is built in)
 *   peek    write a kernel text address (hex, e.g. from /proc/kallsyms);
 *           read: the 32 bytes from 16 before it, "<before> <from it>"
 *           in hex (e.g. a function's __pfx_ padding, then its entry)
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

/* noipa: callers must not learn the return value and skip the call. */
#define SPLICE_TEST_FN noinline __attribute__((__noipa__))

/* global (kallsyms 'T'), declared for -Wmissing-prototypes (6.12's kbuild) */
int splice_test_a(void);
int splice_test_b(void);
int splice_test_sleep(void);

SPLICE_TEST_FN int splice_test_a(void)
{
	return 1;
}

SPLICE_TEST_FN int splice_test_b(void)
{
	return 2;
}

SPLICE_TEST_FN int splice_test_sleep(void)
{
	while (!kthread_should_stop())
		msleep(20);
	return 3;
}

/* volatile: the compiler must not turn these calls into direct ones */
static int (*volatile indirect_a)(void) = splice_test_a;
static int (*volatile indirect_b)(void) = splice_test_b;
static unsigned long peek_addr;

static struct task_struct *sleeper;
static DEFINE_MUTEX(sleeper_lock);

static int sleeper_fn(void *unused)
{
	return splice_test_sleep();
}

static int values_show(struct seq_file *m, void *v)
{
	seq_printf(m, "a=%d b=%d\n", splice_test_a(), splice_test_b());
	return 0;
}

static int indirect_show(struct seq_file *m, void *v)
{
	seq_printf(m, "a=%d b=%d\n", indirect_a(), indirect_b());
	return 0;
}

static int peek_show(struct seq_file *m, void *v)
{
	u8 buf[32];

	if (!peek_addr)
		return -EINVAL;
	if (copy_from_kernel_nofault(buf, (void *)(peek_addr - 16), sizeof(buf)))
		return -EFAULT;
	seq_printf(m, "%16phN %16phN\n", buf, buf + 16);
	return 0;
}

static ssize_t peek_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	unsigned long addr;
	int ret;

	ret = kstrtoul_from_user(ubuf, count, 16, &addr);
	if (ret)
		return ret;
	if (!addr)
		return -EINVAL;
	WRITE_ONCE(peek_addr, addr);
	return count;
}

static int peek_open(struct inode *inode, struct file *file)
{
	return single_open(file, peek_show, NULL);
}

static const struct proc_ops peek_ops = {
	.proc_open = peek_open,
	.proc_read = seq_read,
	.proc_write = peek_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int bytes_show(struct seq_file *m, void *v)
{
	seq_printf(m, "splice_test_a %16phN\n", (void *)splice_test_a);
	seq_printf(m, "splice_test_b %16phN\n", (void *)splice_test_b);
	seq_printf(m, "splice_test_sleep %16phN\n", (void *)splice_test_sleep);
	return 0;
}

static ssize_t sleep_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &on);
	if (ret)
		return ret;
	mutex_lock(&sleeper_lock);
	if (on && !sleeper) {
		sleeper = kthread_run(sleeper_fn, NULL, "splice_sleeper");
		if (IS_ERR(sleeper)) {
			ret = PTR_ERR(sleeper);
			sleeper = NULL;
		}
	} else if (!on && sleeper) {
		kthread_stop(sleeper);
		sleeper = NULL;
	}
	mutex_unlock(&sleeper_lock);
	return ret ? ret : count;
}

static const struct proc_ops sleep_ops = {
	.proc_write = sleep_write,
	.proc_lseek = noop_llseek,
};

static struct proc_dir_entry *dir;

static int __init target_init(void)
{
	dir = proc_mkdir("splice_test", NULL);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_single("values", 0444, dir, values_show) ||
	    !proc_create_single("bytes", 0444, dir, bytes_show) ||
	    !proc_create("sleep", 0200, dir, &sleep_ops) ||
	    !proc_create_single("indirect", 0444, dir, indirect_show) ||
	    !proc_create("peek", 0600, dir, &peek_ops)) {
		proc_remove(dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit target_exit(void)
{
	proc_remove(dir);
	if (sleeper)
		kthread_stop(sleeper);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("splice VM tests: functions to patch");
