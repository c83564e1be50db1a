// SPDX-License-Identifier: GPL-2.0
/*
 * splice-mkpre: turn one pre object into the sources of a "pre module":
 * the object made loadable (premod.c), the matcher's blob (blob.h), a stub
 * that registers both with splice-core, and a Kbuild file.
 *
 *   splice-mkpre --id ID [--target MODULE] [--name MODNAME] [--post POST.o] -f FUNC...
 *                -o DIR PRE.o
 *   make -C $KERNEL_BUILD M=DIR SPLICE_CORE_SRC=.../splice-core \
 *        KBUILD_EXTRA_SYMBOLS=.../splice-core/Module.symvers modules
 *
 * Exit: 0 done, 1 failed, 2 the new code uses a function-scope static that
 * no pre code references (run-pre matching can't find it).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blob/blobw.h"
#include "match/munit.h"
#include "mod/modsrc.h"
#include "obj/objmatch.h"
#include "mod/premod.h"
#include "mod/prelearn.h"

static void log_stderr(void *ctx, enum om_log_level level, const char *msg)
{
	fprintf(stderr, "splice-mkpre: %s\n", msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: splice-mkpre --id ID -f FUNC [-f FUNC]... -o DIR [OPTIONS] PRE.o\n"
		"Write the sources of the pre module that carries PRE.o's FUNCs to\n"
		"splice-core for run-pre matching.\n\n"
		"  -i, --id ID          update id ([a-z0-9_], at most 32 characters)\n"
		"  -t, --target MODULE  the functions live in this module (default: vmlinux)\n"
		"  -n, --name NAME      module name (default: splice_<id>_pre)\n"
		"  -f, --function FUNC  a function the update replaces (repeatable)\n"
		"  -u, --unit NAME      the unit's name, e.g. fs/proc/meminfo.o (default: PRE.o's\n"
		"                       file name); the new code names its unit the same way\n"
		"  -p, --post POST.o    the unit with the patch: also match the pre functions that\n"
		"                       reference variables the FUNCs' new code uses\n"
		"  -a, --added FUNC     with --post: a new function of the patch whose variables\n"
		"                       must be learned too (repeatable)\n"
		"  -o, --output DIR     where to write Kbuild, stub.c, unit.o_shipped, blob.bin\n"
		"  -h, --help, -V, --version\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "target", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "function", required_argument, NULL, 'f' },
		{ "unit", required_argument, NULL, 'u' },
		{ "post", required_argument, NULL, 'p' },
		{ "added", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct om_options opts = { .log = log_stderr, .log_level = OM_LOG_WARN };
	const char *id = NULL, *target = NULL, *dir = NULL;
	char name[64], path[PATH_MAX + 32], absdir[PATH_MAX], *text = NULL;
	const char *unit = NULL, *post_o = NULL;
	const char **funcs = NULL, **added = NULL;
	char **learn = NULL;
	size_t nfuncs = 0, nadded = 0, bloblen = 0, nlearn = 0, i;
	struct om_object *obj = NULL, *post = NULL;
	struct om_munit_build *mb = NULL;
	void *blob = NULL;
	int c, status = 1;

	name[0] = 0;
	while ((c = getopt_long(argc, argv, "i:t:n:f:u:p:a:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 't': target = optarg; break;
		case 'n': snprintf(name, sizeof(name), "%s", optarg); break;
		case 'f':
			funcs = realloc(funcs, (nfuncs + 1) * sizeof(*funcs));
			if (!funcs)
				return 1;
			funcs[nfuncs++] = optarg;
			break;
		case 'u': unit = optarg; break;
		case 'p': post_o = optarg; break;
		case 'a':
			added = realloc(added, (nadded + 1) * sizeof(*added));
			if (!added)
				return 1;
			added[nadded++] = optarg;
			break;
		case 'o': dir = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("splice-mkpre (splice) %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !id || !dir || !nfuncs) {
		usage(stderr);
		return 1;
	}
	if (!om_modsrc_name_ok(id, 32) || (target && !om_modsrc_name_ok(target, 55))) {
		fprintf(stderr, "splice-mkpre: id and target: [a-z0-9_] only\n");
		return 1;
	}
	if (!name[0])
		snprintf(name, sizeof(name), "splice_%s_pre", id);
	if (!om_modsrc_name_ok(name, 55)) {
		fprintf(stderr, "splice-mkpre: module name %s: [a-z0-9_], at most 55\n", name);
		return 1;
	}
	if ((c = om_modsrc_mkdir(dir))) {
		fprintf(stderr, "splice-mkpre: %s: %s\n", dir, strerror(-c));
		return 1;
	}
	if (!realpath(dir, absdir)) {
		fprintf(stderr, "splice-mkpre: %s: %s\n", dir, strerror(errno));
		return 1;
	}

	if (om_object_open(argv[optind], &opts, &obj))
		goto out;
	if (post_o) {
		const char **all;

		if (om_object_open(post_o, &opts, &post))
			goto out;
		c = om_pre_learn(obj, post, funcs, nfuncs, added, nadded, &opts, &learn, &nlearn);
		if (c == -ENOTSUP)
			status = 2;	/* can't be found in the running kernel: refused */
		if (c)
			goto out;
		all = realloc(funcs, (nfuncs + nlearn) * sizeof(*funcs));
		if (!all)
			goto out;
		funcs = all;
		for (i = 0; i < nlearn; i++)
			funcs[nfuncs + i] = learn[i];
	}
	/* the learning functions are matched, not replaced: the new code says which are */
	c = om_munit_build(obj, funcs, nfuncs + nlearn, &opts, &mb);
	if (c || om_blob_write(om_munit_get(mb), &blob, &bloblen) ||
	    om_modsrc_write("splice-mkpre", absdir, "blob.bin", blob, bloblen))
		goto out;
	snprintf(path, sizeof(path), "%s/unit.o_shipped", absdir);
	if (om_premod_rewrite(argv[optind], path, &opts))
		goto out;

	/*
	 * modpost reads every object's .cmd file (for the module's srcversion);
	 * the shipped object has no source to list.
	 */
	if (om_modsrc_write_cmd("splice-mkpre", absdir, "unit"))
		goto out;
	if (!unit)
		unit = basename(argv[optind]);
	if (strpbrk(unit, "\"\\\n")) {
		fprintf(stderr, "splice-mkpre: unit name %s: no quotes, backslashes or newlines\n", unit);
		goto out;
	}
	if (asprintf(&text,
		     "# Generated by splice-mkpre: the pre module of update %s.\n"
		     "obj-m := %s.o\n"
		     "%s-y := stub.o unit.o\n"
		     "ccflags-y := -I$(SPLICE_CORE_SRC)\n",
		     id, name, name) < 0 ||
	    om_modsrc_write("splice-mkpre", absdir, "Kbuild", text, strlen(text)))
		goto out;
	free(text);
	if (asprintf(&text,
		     "// SPDX-License-Identifier: GPL-2.0\n"
		     "/* Generated by splice-mkpre: pre code of %s for update %s.  It never runs. */\n"
		     "#include <linux/module.h>\n"
		     "#include \"splice.h\"\n\n"
		     "asm(\".pushsection .rodata.splice_pre_blob, \\\"a\\\"\\n\"\n"
		     "    \".balign 8\\n\"\n"
		     "    \"splice_pre_blob:\\n\"\n"
		     "    \".incbin \\\"%s/blob.bin\\\"\\n\"\n"
		     "    \"splice_pre_blob_end:\\n\"\n"
		     "    \".popsection\\n\");\n"
		     "extern const char splice_pre_blob[], splice_pre_blob_end[];\n\n"
		     "static struct splice_pre pre = {\n"
		     "\t.id = \"%s\",\n"
		     "\t.objname = %s%s%s,\n"
		     "\t.unit = \"%s\",\n"
		     "\t.owner = THIS_MODULE,\n"
		     "};\n\n"
		     "static int __init splice_pre_init(void)\n"
		     "{\n"
		     "\tpre.blob = splice_pre_blob;\n"
		     "\tpre.size = splice_pre_blob_end - splice_pre_blob;\n"
		     "\treturn splice_register_pre(&pre);\n"
		     "}\n\n"
		     "static void __exit splice_pre_exit(void)\n"
		     "{\n"
		     "\tsplice_unregister_pre(&pre);\n"
		     "}\n\n"
		     "module_init(splice_pre_init);\n"
		     "module_exit(splice_pre_exit);\n"
		     "MODULE_LICENSE(\"GPL\");\n"
		     "MODULE_DESCRIPTION(\"splice: pre code of update %s (never runs)\");\n",
		     unit, id, absdir, id, target ? "\"" : "", target ? target : "NULL",
		     target ? "\"" : "", unit, id) < 0 ||
	    om_modsrc_write("splice-mkpre", absdir, "stub.c", text, strlen(text)))
		goto out;
	status = 0;
out:
	free(text);
	free(blob);
	om_munit_free(mb);
	om_object_free(obj);
	om_object_free(post);
	for (i = 0; i < nlearn; i++)
		free(learn[i]);
	free(learn);
	free(funcs);
	free(added);
	return status;
}
