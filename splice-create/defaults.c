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
 * The kbuild arguments a tree was prepared with, from the stamp `splice-vm`
 * leaves in the trees it prepares: "KERNELRELEASE=R KCFLAGS=FLAGS...".
 */
static char *prepared_args(const char *tree)
{
	char path[4096], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/.splice-prepared", tree);
	if (read_whole(path, &buf, &len))
		return NULL;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
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

/*
 * Can the tree be built in as it is?  Only when it was prepared for exactly
 * this target with exactly these arguments: the stamp of splice-vm's trees
 * says the arguments, UTS_RELEASE the release, and its .config must be the
 * target's in every symbol that changes code.  Anything else -- a fresh
 * tree, one prepared the ordinary way ("6.1.192"), or for another
 * configuration -- is prepared for the target once, apart (prep.c).
 */
static bool tree_ready(const struct sc_opts *o, const char **why)
{
	char *stamp = prepared_args(o->srcdir), *want = NULL, *rel = sc_uts_release(o->srcdir);
	char cfg[4096], *first = NULL;
	size_t i, len = 0, ndiff = 1;
	bool ready = false;
	FILE *f = open_memstream(&want, &len);

	for (i = 0; f && i < o->kbuild_args.n; i++)
		fprintf(f, "%s%s", i ? " " : "", o->kbuild_args.v[i]);
	if (f)
		fclose(f);
	snprintf(cfg, sizeof(cfg), "%s/.config", o->srcdir);
	if (!rel)
		*why = "it is not prepared";
	else if (strcmp(rel, o->target.release))
		*why = "its release is not the target's";
	else if (!stamp || !want || strcmp(stamp, want))
		*why = "it was not prepared with splice's kbuild arguments";
	else if (!config_current(o->srcdir))
		*why = "its .config changed after it was prepared";
	else if (sc_config_files_compare(cfg, o->target.config, &ndiff, &first) || ndiff)
		*why = "its .config is not the target's";
	else
		ready = true;
	free(first);
	free(stamp);
	free(want);
	free(rel);
	return ready;
}

int resolve_defaults(struct ctx *c, char **srcdir_buf)
{
	struct sc_opts *o = &c->opts;
	char *vm_argv[4], *kr;
	const char *why = NULL;
	struct stat st;
	int err;

	if (!o->srcdir) {
		o->splice_vm = find_splice_vm();
		if (!o->splice_vm)
			return -ENOMEM;
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
	if (stat(o->srcdir, &st) || !S_ISDIR(st.st_mode)) {
		sc_err("-s %s: %s", o->srcdir, errno ? strerror(errno) : "not a directory");
		return -ENOTDIR;
	}
	err = sc_target_resolve(o, o->srcdir, &o->target);
	if (err)
		return err;
	c->manifest.kernel_release = strdup(o->target.release);
	if (!c->manifest.kernel_release)
		return -ENOMEM;
	/*
	 * How every make in the scratch tree is called: the target's release
	 * (UTS_RELEASE and vermagic are compiled in), and the function and data
	 * sections splice compares.
	 */
	if (asprintf(&kr, "KERNELRELEASE=%s", o->target.release) < 0)
		return -ENOMEM;
	err = sc_strv_add(&o->kbuild_args, kr);
	free(kr);
	if (!err)
		err = sc_strv_add(&o->kbuild_args, "KCFLAGS=" SC_KCFLAGS);
	if (err)
		return err;
	o->prepared = tree_ready(o, &why);
	if (o->prepared)
		sc_verbose(&o->log, "%s is prepared for %s: built in as it is", o->srcdir,
			   o->target.release);
	else
		sc_verbose(&o->log, "%s is prepared apart for %s: %s", o->srcdir,
			   o->target.release, why);
	c->needs_prep = !o->prepared;
	/* the patch must apply to the tree as it is, before anything is built */
	{
		char *abs = realpath(o->patch, NULL);

		if (!abs) {
			sc_err("%s: %s", o->patch, strerror(errno));
			return -errno;
		}
		err = sc_apply_patch(o, o->srcdir, abs, true);
		free(abs);
	}
	return err;
}
