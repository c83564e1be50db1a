// SPDX-License-Identifier: GPL-2.0
/*
 * splice-core.ko: module entry points.
 *
 * Loading finds the unexported kernel functions the engine needs (ksym.c),
 * registers the module notifier that writes the jump-label keys of
 * new-code modules as they load (early.c) and creates /sys/kernel/splice/.
 * Update modules then register with splice_register_update() (update.c).
 * splice-core can't be unloaded while an update module is loaded: each one
 * uses its exported symbols.
 */
#include <linux/module.h>
#include "core.h"
#include "ksym.h"
#include "sysfs.h"

static int __init splice_core_init(void)
{
	int ret;

	ret = splice_ksym_init();
	if (ret)
		return ret;
	/* before any new-code module can load: they depend on this module */
	ret = splice_early_init();
	if (ret) {
		splice_err("cannot register the module notifier: %d\n", ret);
		return ret;
	}
	ret = splice_pending_init();
	if (ret) {
		splice_err("cannot register the module notifier: %d\n", ret);
		splice_early_exit();
		return ret;
	}
	ret = splice_sysfs_init();
	if (ret) {
		splice_err("cannot create /sys/kernel/splice: %d\n", ret);
		splice_pending_exit();
		splice_early_exit();
		return ret;
	}
	splice_info("core %s loaded\n", SPLICE_VERSION);
	return 0;
}

static void __exit splice_core_exit(void)
{
	splice_sysfs_exit();
	splice_pending_exit();
	splice_early_exit();
	splice_info("core unloaded\n");
}

module_init(splice_core_init);
module_exit(splice_core_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The splice developers");
MODULE_DESCRIPTION("splice: rebootless kernel updates, core");
MODULE_VERSION(SPLICE_VERSION);
