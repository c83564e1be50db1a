/* SPDX-License-Identifier: GPL-2.0 */
/* Boilerplate of the VM tests' update modules. */
#include <linux/module.h>
#include <splice.h>

#define SPLICE_TEST_NEW noinline __attribute__((__noipa__))

#define SPLICE_TEST_UPDATE(update_id, func_array)			\
	static struct splice_update update = {				\
		.id = update_id,					\
		.owner = THIS_MODULE,					\
		.funcs = func_array,					\
		.nr_funcs = ARRAY_SIZE(func_array),			\
	};								\
	static int __init update_init(void)				\
	{								\
		return splice_register_update(&update);			\
	}								\
	static void __exit update_exit(void)				\
	{								\
		splice_unregister_update(&update);			\
	}								\
	module_init(update_init);					\
	module_exit(update_exit);					\
	MODULE_LICENSE("GPL")
