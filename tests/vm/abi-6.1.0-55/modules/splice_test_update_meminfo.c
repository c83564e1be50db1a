// SPDX-License-Identifier: GPL-2.0
/*
 * Update replacing /proc/meminfo (vmlinux's meminfo_proc_show), used with
 * pre modules made by splice-mkpre from Debian's real fs/proc/meminfo.o:
 * the old function is found by run-pre matching, not by its name.  The id
 * is a parameter so that one module serves a matching and a mismatching
 * pre unit (tests/vm/match.vm).
 */
#include <linux/seq_file.h>
#include "splice_test_update.h"

static char *id = "meminfo";
module_param(id, charp, 0444);

static SPLICE_TEST_NEW int new_meminfo_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "spliced meminfo\n");
	return 0;
}

static struct splice_function funcs[] = {
	{ .name = "meminfo_proc_show", .new_func = new_meminfo_proc_show },
};

static struct splice_update update = {
	.owner = THIS_MODULE,
	.funcs = funcs,
	.nr_funcs = ARRAY_SIZE(funcs),
};

static int __init update_init(void)
{
	update.id = id;
	return splice_register_update(&update);
}

static void __exit update_exit(void)
{
	splice_unregister_update(&update);
}

module_init(update_init);
module_exit(update_exit);
MODULE_LICENSE("GPL");
