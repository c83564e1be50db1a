// SPDX-License-Identifier: GPL-2.0
/*
 * What splice-create's options leave open, resolved before the run: the
 * VM harness (splice-vm), the source tree it prepared, the tree's kernel
 * release, the kbuild arguments every make in the tree needs, the
 * configuration to build with, and the update's id.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "run.h"

#ifndef SPLICE_BINDIR
#define SPLICE_BINDIR "/usr/local/bin"
#endif

/* The last non-empty line a command prints. */
static int capture_line(const struct sc_opts *opts, char *const argv[], char **line)
{
	char *out = NULL, *end;
	int err = sc_run_capture(opts, NULL, argv, &out);

	if (err) {
		if (err == -ECHILD) {
			fputs(out ? out : "", stderr);
			sc_err("%s %s failed", argv[0], argv[1]);
		}
		free(out);
		return err;
	}
	end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	*line = strdup(strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out);
	free(out);
	return *line ? 0 : -ENOMEM;
}

/*
 * The VM harness: $SPLICE_VM, else scripts/splice-vm next to a build-tree
 * executable (splice-create/splice-create), else the installed one in
 * $(bindir), else splice-vm on $PATH.
 */
static char *find_splice_vm(void)
{
	char exe[PATH_MAX], *slash, *path = NULL;
	ssize_t n;

	if (getenv("SPLICE_VM") && *getenv("SPLICE_VM"))
		return strdup(getenv("SPLICE_VM"));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/../scripts/splice-vm", exe) > 0 &&
			    !access(path, X_OK))
				return path;
			free(path);
			if (asprintf(&path, "%s/splice-vm", exe) > 0 && !access(path, X_OK))
				return path;
			free(path);
		}
	}
	if (!access(SPLICE_BINDIR "/splice-vm", X_OK))
		return strdup(SPLICE_BINDIR "/splice-vm");
	return strdup("splice-vm");
}

/* UTS_RELEASE of a prepared tree. */
static int tree_release(const char *tree, char **release)
{
	char path[4096], *buf, *p, *q;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", tree);
	err = read_whole(path, &buf, &len);
	if (err) {
		sc_err("%s: %s (is the tree prepared? `make olddefconfig prepare`)",
		       path, strerror(-err));
		return err;
	}
	p = strstr(buf, "UTS_RELEASE \"");
	q = p ? strchr(p + 13, '"') : NULL;
	if (!q) {
		sc_err("%s: no UTS_RELEASE", path);
		free(buf);
		return -EINVAL;
	}
	*release = strndup(p + 13, (size_t)(q - p - 13));
	free(buf);
	return *release ? 0 : -ENOMEM;
}

/*
 * The CONFIG_ lines of a configuration, sorted, without those the toolchain
 * determines (they differ between the file Debian ships and the tree's
 * olddefconfig'ed copy without meaning a different kernel).
 */
static int config_lines(const char *path, struct sc_strv *out)
{
	static const char *const toolchain[] = {
		"CONFIG_CC_VERSION_TEXT=", "CONFIG_GCC_VERSION=", "CONFIG_CLANG_VERSION=",
		"CONFIG_AS_VERSION=", "CONFIG_LD_VERSION=", "CONFIG_LLD_VERSION=",
		"CONFIG_PAHOLE_VERSION=", "CONFIG_AS_IS_", "CONFIG_LD_IS_",
	};
	char *buf, *line, *save = NULL;
	size_t len, i;
	int err = read_whole(path, &buf, &len);

	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save)) {
		bool skip = strncmp(line, "CONFIG_", 7) != 0;

		for (i = 0; !skip && i < sizeof(toolchain) / sizeof(toolchain[0]); i++)
			skip = !strncmp(line, toolchain[i], strlen(toolchain[i]));
		if (!skip)
			err = sc_strv_add(out, line);
	}
	free(buf);
	sc_strv_sort(out);
	return err;
}

int random_id(char id[9])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), i;

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
		if (fd >= 0)
			close(fd);
		sc_err("/dev/urandom: cannot read");
		return -EIO;
	}
	close(fd);
	for (i = 0; i < 8; i++)
		id[i] = alphabet[r[i] % 36];
	id[8] = '\0';
	return 0;
}

/*
 * The kbuild arguments a tree was prepared with, one per line, from the
 * stamp `splice-vm` leaves in it: "KERNELRELEASE=R KCFLAGS=FLAGS... ".
 * Only that exact shape is trusted; anything else asks splice-vm.
 */
static int prepared_args(const char *tree, char **args)
{
	char path[4096], *buf, *kc, *end;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/.splice-prepared", tree);
	err = read_whole(path, &buf, &len);
	if (err)
		return err;
	end = buf + len;
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	kc = strstr(buf, " KCFLAGS=");
	if (strncmp(buf, "KERNELRELEASE=", 14) || !kc || strchr(buf, '\n') ||
	    memchr(buf + 14, ' ', (size_t)(kc - buf - 14)) || kc == buf + 14 ||
	    strstr(kc + 1, " KERNELRELEASE=") || strstr(kc + 1, " KCFLAGS=")) {
		free(buf);
		return -EINVAL;
	}
	*kc = '\n';
	*args = buf;
	return 0;
}

/* The tree's configuration was applied after its last change (auto.conf). */
static bool config_current(const char *tree)
{
	char path[4096];
	struct stat cfg, conf, uts;

	snprintf(path, sizeof(path), "%s/.config", tree);
	if (stat(path, &cfg))
		return false;
	snprintf(path, sizeof(path), "%s/include/config/auto.conf", tree);
	if (stat(path, &conf))
		return false;
	snprintf(path, sizeof(path), "%s/include/generated/utsrelease.h", tree);
	if (stat(path, &uts))
		return false;
	return conf.st_mtim.tv_sec > cfg.st_mtim.tv_sec ||
	       (conf.st_mtim.tv_sec == cfg.st_mtim.tv_sec &&
		conf.st_mtim.tv_nsec >= cfg.st_mtim.tv_nsec);
}

int resolve_defaults(struct ctx *c, char **srcdir_buf)
{
	struct sc_opts *o = &c->opts;
	char *vm_argv[4], *release = NULL, *args = NULL, *line, *save = NULL;
	struct utsname u;
	int err;

	o->splice_vm = find_splice_vm();
	if (!o->splice_vm)
		return -ENOMEM;
	if (!o->srcdir) {
		vm_argv[0] = (char *)o->splice_vm;
		vm_argv[1] = "path";
		vm_argv[2] = "source";
		vm_argv[3] = NULL;
		setenv("SPLICE_VM_QUIET", "1", 1);
		err = capture_line(o, vm_argv, srcdir_buf);
		if (err)
			return err;
		o->srcdir = *srcdir_buf;
	}
	err = tree_release(o->srcdir, &release);
	if (err)
		return err;
	if (!c->manifest.kernel_release)
		c->manifest.kernel_release = release;
	else
		free(release);
	/*
	 * How every make in the tree must be called: the harness stamped the
	 * tree it prepared with its kbuild-args (.splice-prepared); asking it
	 * again costs seconds (apt-cache).
	 */
	err = prepared_args(o->srcdir, &args);
	if (err) {
		vm_argv[0] = (char *)o->splice_vm;
		vm_argv[1] = "kbuild-args";
		vm_argv[2] = NULL;
		err = sc_run_capture(o, NULL, vm_argv, &args);
	} else {
		o->prepared = config_current(o->srcdir);
		sc_verbose(&o->log, "kbuild arguments from %s/.splice-prepared%s", o->srcdir,
			   o->prepared ? "; prepare is done" : "");
	}
	if (err == -EINTR) {
		free(args);
		return err;
	}
	if (!err) {
		for (line = strtok_r(args, "\n", &save); !err && line; line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, "KERNELRELEASE=", 14))
				err = sc_strv_add(&o->kbuild_args, line);
	} else {
		sc_verbose(&o->log, "%s kbuild-args failed; using splice's defaults", o->splice_vm);
		err = sc_strv_add(&o->kbuild_args, "KCFLAGS=-ffunction-sections -fdata-sections");
	}
	free(args);
	/* the objects must say what the tree says (UTS_RELEASE, vermagic) */
	if (!err) {
		char *kr;

		if (asprintf(&kr, "KERNELRELEASE=%s", c->manifest.kernel_release) < 0)
			return -ENOMEM;
		err = sc_strv_add(&o->kbuild_args, kr);
		free(kr);
	}
	if (err)
		return err;
	/* the configuration */
	if (!o->config && !uname(&u)) {
		char *boot;

		if (asprintf(&boot, "/boot/config-%s", u.release) < 0)
			return -ENOMEM;
		if (!access(boot, R_OK))
			o->config = boot;	/* leaked on purpose: lives as long as opts */
		else
			free(boot);
	}
	if (o->config) {
		struct sc_strv a = { 0 }, b = { 0 };
		char *tree_cfg;
		size_t i;
		bool same;

		if (asprintf(&tree_cfg, "%s/.config", o->srcdir) < 0)
			return -ENOMEM;
		err = config_lines(o->config, &a);
		if (err)
			sc_err("%s: %s", o->config, strerror(-err));
		if (!err) {
			err = config_lines(tree_cfg, &b);
			if (err)
				sc_err("%s: %s", tree_cfg, strerror(-err));
		}
		same = a.n == b.n;
		for (i = 0; same && i < a.n; i++)
			same = !strcmp(a.v[i], b.v[i]);
		if (!err && !same)
			c->config_src = realpath(o->config, NULL);
		sc_verbose(&o->log, "config %s: %s the tree's", o->config, same ? "same as" : "differs from");
		sc_strv_free(&a);
		sc_strv_free(&b);
		free(tree_cfg);
	}
	return err;
}
