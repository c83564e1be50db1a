// SPDX-License-Identifier: GPL-2.0
/* Update "test-a": splice_test_a() returns 10, splice_test_b() 20. */
#include "splice_test_update.h"

static SPLICE_TEST_NEW int new_a(void)
{
	return 10;
}

static SPLICE_TEST_NEW int new_b(void)
{
	return 20;
}

static struct splice_function funcs[] = {
	{ .name = "splice_test_a", .objname = "splice_test_target", .new_func = new_a },
	{ .name = "splice_test_b", .objname = "splice_test_target", .new_func = new_b },
};

SPLICE_TEST_UPDATE("test-a", funcs);
