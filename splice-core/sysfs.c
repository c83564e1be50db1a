// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/splice/: "version", and one directory per registered update
 * with its state (docs/sysfs.md).  Reads and writes of an update's state
 * take splice_mutex; writes need CAP_SYS_MODULE.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
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

static ssize_t applied_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return splice_applied_ids(buf);
}

static struct kobj_attribute applied_attr = __ATTR_RO(applied);

static struct attribute *splice_attrs[] = {
	&version_attr.attr,
	&applied_attr.attr,
	NULL,
};

static const struct attribute_group splice_group = {
	.attrs = splice_attrs,
};

/* ------------------------------------------------ /sys/kernel/splice/<id> */

static struct splice_upd *to_upd(struct kobject *kobj)
{
	return container_of(kobj, struct splice_upd, kobj);
}

static ssize_t stage_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	ssize_t n;

	mutex_lock(&splice_mutex);
	n = sysfs_emit(buf, "%s\n", splice_stage_name(u->stage));
	mutex_unlock(&splice_mutex);
	return n;
}

static ssize_t stage_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	int ret;

	if (!capable(CAP_SYS_MODULE))
		return -EPERM;
	if (sysfs_streq(buf, "applied"))
		ret = splice_request_stage(to_upd(kobj), SPLICE_APPLIED);
	else if (sysfs_streq(buf, "reversed"))
		ret = splice_request_stage(to_upd(kobj), SPLICE_REVERSED);
	else
		ret = -EINVAL;
	return ret ? ret : count;
}

/* Writing 1 runs run-pre matching and resolution only (splice-apply --check). */
static ssize_t check_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	int ret;

	if (!capable(CAP_SYS_MODULE))
		return -EPERM;
	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	ret = splice_request_check(to_upd(kobj));
	return ret ? ret : count;
}

static ssize_t abort_cause_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	ssize_t n;

	mutex_lock(&splice_mutex);
	n = sysfs_emit(buf, "%s\n", splice_cause_name(u->cause));
	mutex_unlock(&splice_mutex);
	return n;
}

static ssize_t conflicts_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	ssize_t n;

	mutex_lock(&splice_mutex);
	n = sysfs_emit(buf, "%s", u->conflicts);
	mutex_unlock(&splice_mutex);
	return n;
}

/*
 * One line per function:
 *   NAME OBJECT OLD_ADDR -> NEW_ADDR [site +OFF saved BYTES jump BYTES now BYTES]
 * OLD_ADDR is "-" and the site part absent while not resolved (not applied).
 */
static ssize_t functions_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	u8 now[SPLICE_JMP_SIZE];
	unsigned int i;
	ssize_t n = 0;

	mutex_lock(&splice_mutex);
	for (i = 0; i < u->nr_funcs; i++) {
		const struct splice_func *f = &u->funcs[i];
		const struct splice_function *d = f->desc;

		n += sysfs_emit_at(buf, n, "%s %s ", d->name,
				   d->objname ? d->objname : "vmlinux");
		if (f->old_addr)
			n += sysfs_emit_at(buf, n, "0x%lx", f->old_addr);
		else
			n += sysfs_emit_at(buf, n, "-");
		n += sysfs_emit_at(buf, n, " -> 0x%lx", (unsigned long)d->new_func);
		if (f->waiting)
			n += sysfs_emit_at(buf, n, " pending");
		if (f->site) {
			splice_site_bytes(f, now);
			n += sysfs_emit_at(buf, n, " site +%lu saved %5phN jump %5phN now %5phN",
					   f->site - f->old_addr, f->saved, f->jmp,
					   now);
		}
		n += sysfs_emit_at(buf, n, "\n");
	}
	mutex_unlock(&splice_mutex);
	return n;
}

static ssize_t pause_ns_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	ssize_t n;

	mutex_lock(&splice_mutex);
	n = sysfs_emit(buf, "%llu\n", u->pause_ns);
	mutex_unlock(&splice_mutex);
	return n;
}

/* Where the last pause went: docs/sysfs.md, struct splice_pause_detail. */
static ssize_t pause_detail_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	const struct splice_pause_detail *d = &u->pause_detail;
	ssize_t n;

	mutex_lock(&splice_mutex);
	n = sysfs_emit(buf, "threads %u walk_ns %llu compare_ns %llu write_ns %llu sync_ns %llu callback_ns %llu enter_ns %llu leave_ns %llu pause_ns %llu\n",
		       d->threads, d->walk_ns, d->compare_ns, d->write_ns,
		       d->sync_ns, d->callback_ns, d->enter_ns, d->leave_ns,
		       u->pause_ns);
	mutex_unlock(&splice_mutex);
	return n;
}

static ssize_t debug_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_upd(kobj)->debug));
}

static ssize_t debug_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct splice_upd *u = to_upd(kobj);
	bool val;

	if (!capable(CAP_SYS_MODULE))
		return -EPERM;
	/* exactly 0 or 1 (kstrtobool would take "yes please" and "1junk") */
	if (sysfs_streq(buf, "1"))
		val = true;
	else if (sysfs_streq(buf, "0"))
		val = false;
	else
		return -EINVAL;
	mutex_lock(&splice_mutex);
	u->debug = val;
	mutex_unlock(&splice_mutex);
	return count;
}

/*
 * The modules a pending update, or the waiting part of an applied one,
 * waits for (pending.c), separated by blanks, or nothing.
 */
static ssize_t pending_module_show(struct kobject *kobj, struct kobj_attribute *attr,
				   char *buf)
{
	struct splice_upd *u = to_upd(kobj);
	unsigned int nmods;
	ssize_t n = 0;

	mutex_lock(&splice_mutex);
	if (u->stage == SPLICE_PENDING || (u->stage == SPLICE_APPLIED && u->nr_waiting)) {
		splice_waiting_names(u, buf, PAGE_SIZE - 1, &nmods);
		n = strlen(buf);
		n += sysfs_emit_at(buf, n, "\n");
	}
	mutex_unlock(&splice_mutex);
	return n;
}

static struct kobj_attribute stage_attr = __ATTR_RW(stage);
static struct kobj_attribute pending_module_attr = __ATTR_RO(pending_module);
static struct kobj_attribute abort_cause_attr = __ATTR_RO(abort_cause);
static struct kobj_attribute conflicts_attr = __ATTR_RO(conflicts);
/* kernel addresses: root only */
static struct kobj_attribute functions_attr = __ATTR_RO_MODE(functions, 0400);
static struct kobj_attribute pause_ns_attr = __ATTR_RO(pause_ns);
static struct kobj_attribute pause_detail_attr = __ATTR_RO(pause_detail);
static struct kobj_attribute debug_attr = __ATTR_RW(debug);
static struct kobj_attribute check_attr = __ATTR_WO(check);

static struct attribute *splice_upd_attrs[] = {
	&stage_attr.attr,
	&abort_cause_attr.attr,
	&conflicts_attr.attr,
	&functions_attr.attr,
	&pause_ns_attr.attr,
	&pause_detail_attr.attr,
	&debug_attr.attr,
	&check_attr.attr,
	&pending_module_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(splice_upd);

static void splice_upd_release(struct kobject *kobj)
{
	struct splice_upd *u = to_upd(kobj);

	free_page((unsigned long)u->conflicts);
	splice_hooks_free(u);
	kfree(u);
}

const struct kobj_type splice_upd_ktype = {
	.release = splice_upd_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = splice_upd_groups,
};

int splice_sysfs_add(struct splice_upd *u)
{
	return kobject_add(&u->kobj, splice_kobj, "%s", u->pub->id);
}

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
