// SPDX-License-Identifier: GPL-2.0
/*
 * Update "test-named": replaces the function named by the module parameters
 * sym= and obj= (obj empty: vmlinux).  For refusals only (failed_to_find,
 * ambiguous, target_not_loaded): the replacement returns 0 whatever the
 * signature.
 */
#include "splice_test_update.h"

static char *sym = "splice_test_no_such_function";
module_param(sym, charp, 0444);
static char *obj = "";
module_param(obj, charp, 0444);

static SPLICE_TEST_NEW long new_func(void)
{
	return 0;
}

static struct splice_function funcs[] = {
	{ .new_func = new_func },
};

static struct splice_update update = {
	.id = "test-named",
	.owner = THIS_MODULE,
	.funcs = funcs,
	.nr_funcs = ARRAY_SIZE(funcs),
};

static int __init update_init(void)
{
	funcs[0].name = sym;
	funcs[0].objname = *obj ? obj : NULL;
	return splice_register_update(&update);
}

static void __exit update_exit(void)
{
	splice_unregister_update(&update);
}

module_init(update_init);
module_exit(update_exit);
MODULE_LICENSE("GPL");
