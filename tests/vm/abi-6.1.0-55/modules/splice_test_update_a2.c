// SPDX-License-Identifier: GPL-2.0
/* Update "test-a2", stacked on test-a: splice_test_a() returns 100. */
#include "splice_test_update.h"

static SPLICE_TEST_NEW int new_a(void)
{
	return 100;
}

static struct splice_function funcs[] = {
	{ .name = "splice_test_a", .objname = "splice_test_target", .new_func = new_a },
};

SPLICE_TEST_UPDATE("test-a2", funcs);
