/* SPDX-License-Identifier: GPL-2.0 */
/*
 * splice-core: the kernel side of splice.  This header is the module's
 * private interface between its files.
 */
#ifndef SPLICE_CORE_H
#define SPLICE_CORE_H

#include <linux/printk.h>

/* Every kernel message of the core starts with "splice: ". */
#define splice_info(fmt, ...)	pr_info("splice: " fmt, ##__VA_ARGS__)
#define splice_warn(fmt, ...)	pr_warn("splice: " fmt, ##__VA_ARGS__)
#define splice_err(fmt, ...)	pr_err("splice: " fmt, ##__VA_ARGS__)

#ifndef SPLICE_VERSION
#define SPLICE_VERSION "unknown"
#endif

#endif /* SPLICE_CORE_H */
