// SPDX-License-Identifier: GPL-2.0
/* Update "test-version": /proc/version (vmlinux's version_proc_show). */
#include <linux/seq_file.h>
#include "splice_test_update.h"

static SPLICE_TEST_NEW int new_version_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "spliced version\n");
	return 0;
}

static struct splice_function funcs[] = {
	{ .name = "version_proc_show", .new_func = new_version_proc_show },
};

SPLICE_TEST_UPDATE("test-version", funcs);
