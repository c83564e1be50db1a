// SPDX-License-Identifier: GPL-2.0
/*
 * The update's kernel modules (docs/package-format.md, "Modules"): for the
 * unit whose functions changed, the pre module (splice-mkpre: the changed
 * functions' pre code, for run-pre matching) and the new-code module
 * (splice-mknew: the changed and new functions of the post object), each
 * built with kbuild against the target kernel's headers and splice-core's
 * Module.symvers, copied to STAGING/modules/<name>.ko.
 *
 * Where things are found (docs/tools.md):
 *   splice-mkpre, splice-mknew: next to splice-create's own binary
 *     (../objmatch/ in the build tree, or the same directory once
 *     installed), else SPLICE_BINDIR, else $PATH;
 *   the kernel build directory and splice-core (splice.h and its
 *     Module.symvers): decided before the run (target.c).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create.h"
#include "mod/elfraw.h"

#ifndef SPLICE_BINDIR
#define SPLICE_BINDIR "/usr/local/bin"
#endif

static char *find_tool(const char *name)
{
	char *dir = sc_exe_dir(), *path = NULL;

	if (dir) {
		if (asprintf(&path, "%s/../objmatch/%s", dir, name) > 0 && !access(path, X_OK))
			goto out;
		free(path);
		if (asprintf(&path, "%s/%s", dir, name) > 0 && !access(path, X_OK))
			goto out;
		free(path);
	}
	if (asprintf(&path, "%s/%s", SPLICE_BINDIR, name) > 0 && !access(path, X_OK))
		goto out;
	free(path);
	path = strdup(name);
out:
	free(dir);
	return path;
}

/*
 * The module a unit is built into, from its kbuild command file in the
 * build copy (-DMODULE ... -D__KBUILD_MODNAME=kmod_NAME): NULL for vmlinux.
 */
static int unit_target(const char *farm, const char *unit, char **target)
{
	char *path, *buf = NULL, *p, *slash;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	*target = NULL;
	slash = strrchr(unit, '/');
	if (asprintf(&path, "%s/%.*s%s.%s.cmd", farm, slash ? (int)(slash - unit + 1) : 0, unit,
		     slash ? "" : "", slash ? slash + 1 : unit) < 0)
		return -ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		/* no command file: kbuild did not say, assume vmlinux */
		free(path);
		return 0;
	}
	if (getdelim(&buf, &cap, '\0', f) > 0 && strstr(buf, " -DMODULE ") &&
	    (p = strstr(buf, "-D__KBUILD_MODNAME=kmod_"))) {
		p += strlen("-D__KBUILD_MODNAME=kmod_");
		*target = strndup(p, strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_"));
		if (!*target)
			err = -ENOMEM;
	}
	free(buf);
	fclose(f);
	free(path);
	return err;
}

/* argv helper */
struct argv {
	char **v;
	size_t n;
	int err;
};

static void arg(struct argv *a, const char *s)
{
	char **v;

	if (a->err)
		return;
	v = realloc(a->v, (a->n + 2) * sizeof(*v));
	if (!v || !(v[a->n] = strdup(s))) {
		a->err = -ENOMEM;
		if (v)
			a->v = v;
		return;
	}
	a->v = v;
	a->v[++a->n] = NULL;
}

static void argv_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Run a generator; exit 2 of splice-mknew is a reason, not a failure. */
static int run_tool(const struct sc_opts *opts, struct argv *a, struct sc_reasons *reasons,
		    const char *unit)
{
	char *out = NULL, *line, *save = NULL;
	int code, err;

	if (a->err)
		return a->err;
	err = sc_run_status(opts, NULL, a->v, &out, &code);
	if (err == -ECHILD && code == 2) {
		err = 0;
		for (line = strtok_r(out, "\n", &save); !err && line;
		     line = strtok_r(NULL, "\n", &save))
			err = sc_reason_add(reasons, "%s: %s", unit, line);
		if (!err && !reasons->n)
			err = sc_reason_add(reasons, "%s: the new code can't be made", unit);
	} else if (err == -ECHILD) {
		fputs(out ? out : "", stderr);
		sc_err("%s failed (exit status %d)", a->v[0], code);
	} else if (!err && out && *out) {
		sc_verbose(&opts->log, "%s", out);
	}
	free(out);
	return err;
}

static void kbuild_argv(struct argv *a, const char *kb, const char *core,
			const char *core_symvers, const char *dir)
{
	char *s;

	/* make's jobserver and flags of a calling make must not reach kbuild */
	arg(a, "env");
	arg(a, "-u");
	arg(a, "MAKEFLAGS");
	arg(a, "-u");
	arg(a, "MFLAGS");
	arg(a, "-u");
	arg(a, "MAKELEVEL");
	arg(a, "make");
	arg(a, "-C");
	arg(a, kb);
	if (asprintf(&s, "M=%s", dir) > 0) {
		arg(a, s);
		free(s);
	} else {
		a->err = -ENOMEM;
	}
	if (asprintf(&s, "SPLICE_CORE_SRC=%s", core) > 0) {
		arg(a, s);
		free(s);
	} else {
		a->err = -ENOMEM;
	}
	if (asprintf(&s, "KBUILD_EXTRA_SYMBOLS=%s", core_symvers) > 0) {
		arg(a, s);
		free(s);
	} else {
		a->err = -ENOMEM;
	}
	arg(a, "modules");
}

/*
 * Both modules in one kbuild run: M= names a directory whose Kbuild lists
 * the two modules' directories, so the headers' Makefiles are read, and
 * modpost runs, once; the two compile in parallel.
 */
static int kbuild(const struct sc_opts *opts, const char *kb, const char *core,
		  const char *core_symvers, const char *dir, char **outp)
{
	struct argv a = { 0 };
	char *out = NULL, jobs[32];
	int code, err;

	kbuild_argv(&a, kb, core, core_symvers, dir);
	snprintf(jobs, sizeof(jobs), "-j%u", opts->jobs);
	arg(&a, jobs);
	if (a.err) {
		err = a.err;
		argv_free(&a);
		return err;
	}
	err = sc_run_status(opts, NULL, a.v, &out, &code);
	if (err == -ECHILD) {
		fputs(out ? out : "", stderr);
		sc_err("building the modules in %s failed (kbuild exit status %d)", dir, code);
	} else if (!err && out) {
		sc_verbose(&opts->log, "%s", out);
	}
	*outp = out;
	argv_free(&a);
	return err;
}

/* Does the kernel build directory's .config set @line (e.g. "CONFIG_X=y")? */
static bool config_has(const char *kb, const char *line)
{
	struct sc_strv lines = { 0 };
	char *path = NULL;
	bool found;

	if (asprintf(&path, "%s/.config", kb) < 0)
		return false;
	found = !sc_config_read(path, &lines) && sc_strv_has(&lines, line);
	sc_strv_free(&lines);
	free(path);
	return found;
}

static void elf_log(void *ctx, enum om_log_level level, const char *msg)
{
	(void)ctx;
	if (level == OM_LOG_ERROR)
		sc_err("%s", msg);
}

/*
 * objtool, which kbuild runs on the module (6.12: on the linked module,
 * with --orc, --rethunk, --ibt), gives up on code it can't follow ("can't
 * find jump dest instruction") and then writes none of its tables: no ORC
 * (a task in the new code can't be unwound reliably, so no stack check can
 * pass it), no .return_sites (the new code's returns would go through the
 * kernel's unpatched __x86_return_thunk), no .call_sites.  With
 * CONFIG_UNWINDER_ORC, a new-code module without ORC is such a failure:
 * refused as a tool failure, naming objtool's complaint.
 */
static int check_objtool(const char *kb, const char *ko, const char *name,
			 const char *kbuild_out)
{
	struct om_options o = { .log = elf_log, .log_level = OM_LOG_ERROR };
	struct om_elf e;
	const char *p, *nl;
	bool orc = false;
	size_t i;
	int err;

	if (!config_has(kb, "CONFIG_UNWINDER_ORC=y"))
		return 0;
	err = om_elf_open(&e, ko, &o);
	if (err)
		return err;
	for (i = 1; i < e.nsec; i++)
		if (!strcmp(om_elf_secname(&e, i), ".orc_unwind_ip") && e.sh[i].sh_size)
			orc = true;
	om_elf_free(&e);
	if (orc)
		return 0;
	for (p = kbuild_out; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strstr(p, "objtool") && (!nl || strstr(p, "objtool") < nl))
			fprintf(stderr, "%.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
	sc_err("new-code module %s.ko: no ORC unwind data: objtool gave up on the new code "
	       "(above); such a module could not be unwound, and its returns would skip the "
	       "return thunk", name);
	return -EPROTO;
}

static int write_kbuild(const char *dir, size_t npre)
{
	char *path;
	size_t i;
	FILE *f;
	int err = 0;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		sc_err("%s: %s", dir, strerror(errno));
		return err;
	}
	if (asprintf(&path, "%s/Kbuild", dir) < 0)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f || fputs("# splice-create: the pre and new modules of one update\nobj-m :=", f) < 0)
		err = -EIO;
	for (i = 0; !err && i < npre; i++)
		if ((i ? fprintf(f, " pre%zu/", i) : fputs(" pre/", f)) < 0)
			err = -EIO;
	if (!err && fputs(" new/\n", f) < 0)
		err = -EIO;
	if (f && fclose(f) && !err)
		err = -errno;
	if (err)
		sc_err("%s: cannot write", path);
	free(path);
	return err;
}

static int copy_ko(const struct sc_opts *opts, const char *dir, const char *name,
		   const char *staging, struct sc_manifest *m)
{
	char *from = NULL, *to = NULL, *rel = NULL, sum[SC_SHA256_HEX];
	int err = -ENOMEM;

	if (asprintf(&from, "%s/%s.ko", dir, name) < 0 ||
	    asprintf(&rel, "modules/%s.ko", name) < 0 ||
	    asprintf(&to, "%s/%s", staging, rel) < 0)
		goto out;
	{
		char *argv[] = { "cp", from, to, NULL };

		err = sc_run(opts, NULL, argv);
	}
	if (!err) {
		err = sc_sha256_file(to, sum);
		if (err)
			sc_err("%s: %s", to, strerror(-err));
	}
	if (!err)
		err = sc_manifest_add_file(m, rel, sum);
out:
	free(from);
	free(to);
	free(rel);
	return err;
}

/* The pre module of unit @u: its changed functions' pre code. */
static int make_pre(const struct sc_opts *opts, const char *mkpre, const struct sc_manifest *m,
		    const struct sc_manifest_unit *u, const char *name, const char *dir,
		    const char *staging, struct sc_reasons *reasons)
{
	struct argv a = { 0 };
	char *pre_o = NULL, *post_o = NULL;
	size_t j;
	int err;

	if (asprintf(&pre_o, "%s/pre/%s", staging, u->name) < 0)
		return -ENOMEM;
	if (asprintf(&post_o, "%s/post/%s", staging, u->name) < 0) {
		free(pre_o);
		return -ENOMEM;
	}
	arg(&a, mkpre);
	arg(&a, "--id");
	arg(&a, m->id);
	arg(&a, "--name");
	arg(&a, name);
	arg(&a, "--unit");
	arg(&a, u->name);
	if (u->target) {
		arg(&a, "--target");
		arg(&a, u->target);
	}
	for (j = 0; j < u->changed.n; j++) {
		arg(&a, "-f");
		arg(&a, u->changed.v[j]);
	}
	/* pre functions that lead to variables the new code uses are matched too */
	arg(&a, "--post");
	arg(&a, post_o);
	for (j = 0; j < u->added.n; j++) {
		arg(&a, "-a");
		arg(&a, u->added.v[j]);
	}
	arg(&a, "-o");
	arg(&a, dir);
	arg(&a, pre_o);
	err = run_tool(opts, &a, reasons, u->name);
	argv_free(&a);
	free(pre_o);
	free(post_o);
	return err;
}

/* splice-mknew's options for unit @u (one UNIT group of its command line). */
static void mknew_unit(struct argv *a, const struct sc_manifest_unit *u, const char *staging)
{
	char *s;
	size_t j;

	if (asprintf(&s, "%s/pre/%s", staging, u->name) < 0) {
		a->err = -ENOMEM;
		return;
	}
	arg(a, "--pre");
	arg(a, s);
	free(s);
	arg(a, "--unit");
	arg(a, u->name);
	if (u->target) {
		arg(a, "--target");
		arg(a, u->target);
	}
	for (j = 0; j < u->changed.n; j++) {
		arg(a, "-f");
		arg(a, u->changed.v[j]);
	}
	for (j = 0; j < u->added.n; j++) {
		arg(a, "-a");
		arg(a, u->added.v[j]);
	}
	if (asprintf(&s, "%s/post/%s", staging, u->name) < 0) {
		a->err = -ENOMEM;
		return;
	}
	arg(a, s);
	free(s);
}

int sc_build_modules(const struct sc_opts *opts, struct sc_manifest *m,
		     const char *farm, const char *workdir, const char *staging,
		     struct sc_reasons *reasons)
{
	char *mkpre = NULL, *mknew = NULL, *core = NULL, *kb = NULL;
	char *symvers = NULL, *core_symvers = NULL, *moddir = NULL, *new_dir = NULL;
	char *mods_dir = NULL;
	char *units = NULL, new_name[64], *kbuild_out = NULL;
	char (*pre_name)[64] = NULL;
	size_t *pre_unit = NULL;
	struct argv a = { 0 };
	size_t i, npre = 0, nhooks = 0;
	int err = -ENOMEM;

	/* every unit with a replaced function has pre code; the new code is one module */
	for (i = 0; i < m->nunits; i++) {
		if (m->units[i].changed.n)
			npre++;
		nhooks += m->units[i].hooks.n;
	}
	/* only new or removed functions, and no hook runs them: nothing to do */
	if (!npre && !nhooks)
		return 0;

	sc_progress(&opts->log, "building modules");
	mkpre = find_tool("splice-mkpre");
	mknew = find_tool("splice-mknew");
	core = strdup(opts->target.core);
	kb = strdup(opts->target.kernel_build);
	pre_name = calloc(npre + 1, sizeof(*pre_name));
	pre_unit = calloc(npre + 1, sizeof(*pre_unit));
	if (!mkpre || !mknew || !core || !kb || !pre_name || !pre_unit)
		goto out;
	sc_verbose(&opts->log, "kernel build %s, splice-core %s, %s, %s", kb, core, mkpre, mknew);

	err = -ENOMEM;
	snprintf(new_name, sizeof(new_name), "splice_%s_new", m->id);
	if (asprintf(&symvers, "%s/Module.symvers", kb) < 0 ||
	    !(core_symvers = strdup(opts->target.core_symvers)) ||
	    asprintf(&moddir, "%s/modules", staging) < 0 ||
	    asprintf(&mods_dir, "%s/mod", workdir) < 0 ||
	    asprintf(&new_dir, "%s/new", mods_dir) < 0)
		goto out;
	err = write_kbuild(mods_dir, npre);
	if (err)
		goto out;

	/* the pre modules: one per unit with replaced functions */
	for (i = 0, npre = 0; !err && i < m->nunits; i++) {
		struct sc_manifest_unit *u = &m->units[i];
		char *dir = NULL;

		if (!u->changed.n)
			continue;
		err = unit_target(farm, u->name, &u->target);
		if (err)
			break;
		if (u->target)
			sc_progress(&opts->log, "%s is built into module %s: the update targets it",
				    u->name, u->target);
		if (npre)
			snprintf(pre_name[npre], sizeof(pre_name[npre]), "splice_%s_pre%zu", m->id, npre);
		else
			snprintf(pre_name[npre], sizeof(pre_name[npre]), "splice_%s_pre", m->id);
		if (asprintf(&dir, npre ? "%s/pre%zu" : "%s/pre", mods_dir, npre) < 0) {
			err = -ENOMEM;
			break;
		}
		err = make_pre(opts, mkpre, m, u, pre_name[npre], dir, staging, reasons);
		free(dir);
		pre_unit[npre++] = i;
	}
	if (err || reasons->n)
		goto out;

	/* the new-code module: changed and new functions of every post object */
	arg(&a, mknew);
	arg(&a, "--id");
	arg(&a, m->id);
	arg(&a, "--name");
	arg(&a, new_name);
	arg(&a, "--symvers");
	arg(&a, symvers);
	/* splice-core's exports (splice_shadow_*) are the loader's to resolve */
	arg(&a, "--symvers");
	arg(&a, core_symvers);
	arg(&a, "-o");
	arg(&a, new_dir);
	for (i = 0; !err && i < m->nunits; i++) {
		struct sc_manifest_unit *u = &m->units[i];

		if (!u->changed.n && !u->added.n)
			continue;
		/* a unit with pre code knows its target; one with only hooks asks now */
		if (!u->changed.n)
			err = unit_target(farm, u->name, &u->target);
		if (!err)
			mknew_unit(&a, u, staging);
	}
	if (err)
		goto out;
	err = run_tool(opts, &a, reasons, npre == 1 ? m->units[pre_unit[0]].name : "new code");
	argv_free(&a);
	if (err || reasons->n)
		goto out;

	err = kbuild(opts, kb, core, core_symvers, mods_dir, &kbuild_out);
	if (!err) {
		char *ko = NULL;

		if (asprintf(&ko, "%s/%s.ko", new_dir, new_name) < 0)
			err = -ENOMEM;
		else
			err = check_objtool(kb, ko, new_name, kbuild_out);
		free(ko);
	}
	if (!err && mkdir(moddir, 0755)) {
		err = -errno;
		sc_err("%s: %s", moddir, strerror(errno));
	}
	for (i = 0; !err && i < npre; i++) {
		char *dir = NULL;

		if (asprintf(&dir, i ? "%s/pre%zu" : "%s/pre", mods_dir, i) < 0)
			err = -ENOMEM;
		if (!err)
			err = copy_ko(opts, dir, pre_name[i], staging, m);
		if (!err)
			err = sc_manifest_add_module(m, pre_name[i], "pre", m->units[pre_unit[i]].name);
		free(dir);
	}
	if (!err)
		err = copy_ko(opts, new_dir, new_name, staging, m);
	/* the new module's units: comma-separated */
	units = strdup("");
	for (i = 0; !err && units && i < m->nunits; i++) {
		char *p = NULL;

		if (!m->units[i].changed.n && !m->units[i].added.n)
			continue;
		if (asprintf(&p, "%s%s%s", units, *units ? "," : "", m->units[i].name) < 0)
			p = NULL;
		free(units);
		units = p;
	}
	if (!err && !units)
		err = -ENOMEM;
	if (!err)
		err = sc_manifest_add_module(m, new_name, "new", units);
	if (!err && npre)
		sc_progress(&opts->log, "modules: %s.ko%s (pre code), %s.ko (new code)",
			    pre_name[0], npre > 1 ? " and more, one per unit" : "", new_name);
	else if (!err)
		sc_progress(&opts->log, "modules: %s.ko (new code: hooks, no function replaced)",
			    new_name);
out:
	argv_free(&a);
	free(mkpre);
	free(mknew);
	free(core);
	free(kb);
	free(symvers);
	free(core_symvers);
	free(moddir);
	free(new_dir);
	free(mods_dir);
	free(units);
	free(kbuild_out);
	free(pre_name);
	free(pre_unit);
	return err;
}
