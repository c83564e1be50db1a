// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/splice/: the directory every update's state will hang off.
 *
 * For now it holds only "version".  Per-update directories (stage,
 * abort_cause, conflicts, functions, ...) come with the apply engine.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include "core.h"
#include "sysfs.h"

static struct kobject *splice_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", SPLICE_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *splice_attrs[] = {
	&version_attr.attr,
	NULL,
};

static const struct attribute_group splice_group = {
	.attrs = splice_attrs,
};

int splice_sysfs_init(void)
{
	int ret;

	splice_kobj = kobject_create_and_add("splice", kernel_kobj);
	if (!splice_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(splice_kobj, &splice_group);
	if (ret) {
		kobject_put(splice_kobj);
		splice_kobj = NULL;
	}
	return ret;
}

void splice_sysfs_exit(void)
{
	sysfs_remove_group(splice_kobj, &splice_group);
	kobject_put(splice_kobj);
	splice_kobj = NULL;
}
