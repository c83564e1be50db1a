// SPDX-License-Identifier: GPL-2.0
/*
 * Update "test-sleep": replaces splice_test_sleep() and splice_test_b();
 * refused (code_busy) while the sleeper kthread is inside the old one.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include "splice_test_update.h"

static SPLICE_TEST_NEW int new_sleep(void)
{
	while (!kthread_should_stop())
		msleep(20);
	return 30;
}

static SPLICE_TEST_NEW int new_b(void)
{
	return 22;
}

static struct splice_function funcs[] = {
	{ .name = "splice_test_b", .objname = "splice_test_target", .new_func = new_b },
	{ .name = "splice_test_sleep", .objname = "splice_test_target", .new_func = new_sleep },
};

SPLICE_TEST_UPDATE("test-sleep", funcs);
