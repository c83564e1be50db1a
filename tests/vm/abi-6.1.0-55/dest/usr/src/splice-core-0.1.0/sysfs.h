/* SPDX-License-Identifier: GPL-2.0 */
/* /sys/kernel/splice/: the core's user-space interface (docs/sysfs.md). */
#ifndef SPLICE_SYSFS_H
#define SPLICE_SYSFS_H

int splice_sysfs_init(void);
void splice_sysfs_exit(void);

#endif /* SPLICE_SYSFS_H */
