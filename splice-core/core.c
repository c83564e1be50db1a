// SPDX-License-Identifier: GPL-2.0
/*
 * splice-core.ko: module entry points.
 *
 * The apply/undo engine (run-pre matching, stop_machine, stack checks) is not
 * here yet; this module only sets up /sys/kernel/splice/ and tears it down.
 */
#include <linux/module.h>
#include "core.h"
#include "sysfs.h"

static int __init splice_core_init(void)
{
	int ret;

	ret = splice_sysfs_init();
	if (ret) {
		splice_err("cannot create /sys/kernel/splice: %d\n", ret);
		return ret;
	}
	splice_info("core %s loaded\n", SPLICE_VERSION);
	return 0;
}

static void __exit splice_core_exit(void)
{
	splice_sysfs_exit();
	splice_info("core unloaded\n");
}

module_init(splice_core_init);
module_exit(splice_core_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The splice developers");
MODULE_DESCRIPTION("splice: rebootless kernel updates, core");
MODULE_VERSION(SPLICE_VERSION);
