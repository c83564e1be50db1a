// SPDX-License-Identifier: GPL-2.0
/*
 * New code of an update spanning several units (docs/new-code.md, "Several
 * units in one module"): the rewrite of each unit (om_newmod_rewrite,
 * om_newmod_kept_globals) and splice-mknew's command line with one option
 * group per unit.
 *
 * Fixtures: units-a.c (a changed function calling a new global helper) and
 * units-b.c (a changed function calling unit A's helper), compiled with the
 * kernel's flags; a Module.symvers that exports what the kernel would
 * (printk, __fentry__) and nothing of the units.  The rewritten objects are
 * read back as raw ELF: what the module loader and splice-core will see.
 */
#include "config.h"

#include <check.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob/blob.h"
#include "mod/elfraw.h"
#include "mod/newmod.h"
#include "runner.h"
#include "test-objmatch-fixture.h"

struct unit_objs {
	char pre[1024], post[1024];	/* in test_tmpdir() */
};

static struct unit_objs unit_a, unit_b;
static char symvers_path[4096];
static const char *symvers[] = { symvers_path };

static const char *const a_changed[] = { "a_changed" };
static const char *const a_added[] = { "units_helper" };
static const char *const b_changed[] = { "b_changed" };
static const char *const a_kept[] = { "units_helper", "a_changed" };

static void build_unit(const char *name, struct unit_objs *u)
{
	fixture_build(name);
	snprintf(u->pre, sizeof(u->pre), "%s", fixture_obj(name, false));
	snprintf(u->post, sizeof(u->post), "%s", fixture_obj(name, true));
}

/* Per test (Check forks each): the fixtures and a kernel's Module.symvers. */
static void setup(void)
{
	FILE *f;

	log_reset();
	build_unit("units-a", &unit_a);
	build_unit("units-b", &unit_b);
	snprintf(symvers_path, sizeof(symvers_path), "%s/Module.symvers", test_tmpdir());
	f = fopen(symvers_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n"
	      "0x00000000\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n", f);
	ck_assert_int_eq(fclose(f), 0);
}

/* What splice-mknew passes for unit A (-f a_changed -a units_helper). */
static struct om_newmod_opts opts_a(void)
{
	return (struct om_newmod_opts){
		.post = unit_a.post, .pre = unit_a.pre,
		.changed = a_changed, .nchanged = 1, .added = a_added, .nadded = 1,
		.symvers = symvers, .nsymvers = 1 };
}

/* ... and for unit B (-f b_changed), the second unit of the module. */
static struct om_newmod_opts opts_b(void)
{
	return (struct om_newmod_opts){
		.post = unit_b.post, .pre = unit_b.pre,
		.changed = b_changed, .nchanged = 1,
		.symvers = symvers, .nsymvers = 1 };
}

static const char *out_path(const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", test_tmpdir(), name);
	return p;
}

/* Rewrite with @o into <tmp>/@name and read the result back into @e. */
static void rewrite(struct om_newmod_opts *o, const char *name, struct om_elf *e)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", out_path(name));
	o->out = path;
	ck_assert_int_eq(om_newmod_rewrite(o, test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(e, path, test_log_options()), 0);
	e->name = name;	/* @path goes out of scope; @name is a literal */
}

/* ------------------------------------------------------------ reading ELF */

/* The first of indexes 1..@n-1 that @name_of calls @name, or 0. */
static size_t index_named(const struct om_elf *e, size_t n,
			  const char *(*name_of)(const struct om_elf *, size_t), const char *name)
{
	size_t i;

	for (i = 1; i < n && strcmp(name_of(e, i), name); i++)
		;
	return i < n ? i : 0;
}

static size_t sym_named(const struct om_elf *e, const char *name)
{
	return index_named(e, e->nsyms, om_elf_symname, name);
}

static size_t sec_named(const struct om_elf *e, const char *name)
{
	return index_named(e, e->nsec, om_elf_secname, name);
}

/* The relocations of section @sec (by index); NULL if it has none. */
static Elf64_Rela *relas_of(const struct om_elf *e, size_t sec, size_t *n)
{
	size_t i;

	for (i = 1; i < e->nsec; i++)
		if (e->sh[i].sh_type == SHT_RELA && e->sh[i].sh_info == sec)
			return om_elf_relas(e, i, n);
	*n = 0;
	return NULL;
}

/* The relocation of section @secname against the symbol @symname. */
static const Elf64_Rela *reloc_against(const struct om_elf *e, const char *secname,
				       const char *symname)
{
	size_t s = sec_named(e, secname), n, i;
	Elf64_Rela *r;

	ck_assert_msg(s, "no section %s", secname);
	r = relas_of(e, s, &n);
	for (i = 0; i < n; i++)
		if (!strcmp(om_elf_symname(e, ELF64_R_SYM(r[i].r_info)), symname))
			return &r[i];
	ck_abort_msg("%s: no relocation against %s", secname, symname);
	return NULL;
}

/* Section @secname's relocation against @symname has type @type. */
static void assert_reloc_type(const struct om_elf *e, const char *secname, const char *symname,
			      unsigned int type, const char *what)
{
	unsigned int t = ELF64_R_TYPE(reloc_against(e, secname, symname)->r_info);

	ck_assert_msg(t == type, "%s[%s] -> %s: relocation type %u, expected %u (%s)",
		      e->name, secname, symname, t, type, what);
}

static const unsigned char *field(const struct om_elf *e, const char *secname,
				  const Elf64_Rela *r)
{
	return e->buf + e->sh[sec_named(e, secname)].sh_offset + r->r_offset;
}

/* The record table (.splice.relocs) as splice-core reads it. */
static const unsigned char *table(const struct om_elf *e, struct om_newrel_hdr *hdr)
{
	size_t s = sec_named(e, ".splice.relocs");
	const unsigned char *t;

	ck_assert_msg(s, "no .splice.relocs");
	t = e->buf + e->sh[s].sh_offset;
	memcpy(hdr, t, sizeof(*hdr));
	ck_assert_uint_eq(hdr->magic, OM_NEWREL_MAGIC);
	ck_assert_uint_eq(hdr->size, e->sh[s].sh_size);
	ck_assert_uint_eq(hdr->strings, sizeof(*hdr) + hdr->nrelocs * sizeof(struct om_newrel));
	/* never an empty string area: splice-core wants a last NUL */
	ck_assert_uint_lt(hdr->strings, hdr->size);
	ck_assert_uint_eq(t[hdr->size - 1], 0);
	return t;
}

static const char *table_string(const unsigned char *t, const struct om_newrel_hdr *hdr,
				uint32_t off)
{
	ck_assert_uint_lt(off, hdr->size - hdr->strings);
	return (const char *)t + hdr->strings + off;
}

/* ------------------------------------------------------------ the rewrite */

START_TEST(kept_globals_list_the_new_helper)
{
	struct om_newmod_opts o = opts_a();
	char **names = NULL;
	size_t n = 0, i, j;

	ck_assert_int_eq(om_newmod_kept_globals(&o, test_log_options(), &names, &n), 0);
	for (j = 0; j < sizeof(a_kept) / sizeof(a_kept[0]); j++) {
		for (i = 0; i < n && strcmp(names[i], a_kept[j]); i++)
			;
		ck_assert_msg(i < n, "%s not among unit A's kept globals", a_kept[j]);
	}
	/* a_stays is hidden: the other units must not be told it is there */
	for (i = 0; i < n; i++)
		ck_assert_str_ne(names[i], "a_stays");
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
END_TEST

START_TEST(provided_call_stays_a_relocation)
{
	struct om_newmod_opts o = opts_b();
	struct om_newrel_hdr hdr;
	const Elf64_Rela *r;
	const unsigned char *f;
	struct om_elf e;
	size_t k;

	o.provided = a_kept;
	o.nprovided = 2;
	rewrite(&o, "b-provided.o", &e);
	/* the link of the module binds it to unit A's copy */
	assert_reloc_type(&e, ".text.b_changed", "units_helper", R_X86_64_PLT32,
			  "the module's link resolves it");
	r = reloc_against(&e, ".text.b_changed", "units_helper");
	f = field(&e, ".text.b_changed", r);
	ck_assert_msg(f[0] != OM_CANARY_BYTE, "a canary where the call's relocation stays");
	k = sym_named(&e, "units_helper");
	ck_assert_uint_eq(e.syms[k].st_shndx, SHN_UNDEF);
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_GLOBAL);
	/* nothing for splice-core to resolve */
	table(&e, &hdr);
	ck_assert_uint_eq(hdr.nrelocs, 0);
	om_elf_free(&e);
}
END_TEST

START_TEST(unprovided_call_becomes_a_record)
{
	struct om_newmod_opts o = opts_b();
	struct om_newrel_hdr hdr;
	struct om_newrel rec;
	const unsigned char *t, *f;
	const Elf64_Rela *r, *site;
	size_t n, k;
	Elf64_Rela *rr;
	struct om_elf e;
	uint64_t off;

	rewrite(&o, "b-alone.o", &e);
	assert_reloc_type(&e, ".text.b_changed", "units_helper", R_X86_64_NONE,
			  "a record, splice-core writes it");
	r = reloc_against(&e, ".text.b_changed", "units_helper");
	off = r->r_offset;
	f = field(&e, ".text.b_changed", r);
	for (k = 0; k < 4; k++)
		ck_assert_uint_eq(f[k], OM_CANARY_BYTE);
	/* the unexported name nobody else needs: weak, modpost won't insist */
	k = sym_named(&e, "units_helper");
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_WEAK);
	/* exported calls stay the loader's */
	assert_reloc_type(&e, ".text.b_changed", "__fentry__", R_X86_64_PLT32, "exported");

	t = table(&e, &hdr);
	ck_assert_uint_eq(hdr.nrelocs, 1);
	memcpy(&rec, t + sizeof(hdr), sizeof(rec));
	ck_assert_uint_eq(rec.type, R_X86_64_PLT32);
	ck_assert_int_eq(rec.addend, -4);
	ck_assert_uint_eq(rec.flags, 0);	/* a global name */
	ck_assert_str_eq(table_string(t, &hdr, rec.name), "units_helper");
	ck_assert_uint_eq(rec.site, 0);		/* the loader writes it ... */
	rr = relas_of(&e, sec_named(&e, ".splice.relocs"), &n);
	ck_assert_uint_eq(n, 1);
	site = &rr[0];				/* ... from this relocation */
	ck_assert_uint_eq(site->r_offset, sizeof(hdr));
	ck_assert_uint_eq(ELF64_R_TYPE(site->r_info), R_X86_64_64);
	k = ELF64_R_SYM(site->r_info);
	ck_assert_uint_eq(om_elf_symsec(&e, k), sec_named(&e, ".text.b_changed"));
	ck_assert_uint_eq(e.syms[k].st_value + site->r_addend, off);
	om_elf_free(&e);
}
END_TEST

START_TEST(hidden_global_becomes_weak_undefined)
{
	struct om_newmod_opts o = opts_b();
	struct om_elf e;
	size_t k, s;

	o.provided = a_kept;
	o.nprovided = 2;
	rewrite(&o, "b-hidden.o", &e);
	/* b_stays' section is hidden, so b_stays is defined nowhere in the module */
	s = sec_named(&e, "text.b_stays");
	ck_assert_msg(s, "b_stays' section is not hidden as text.b_stays");
	ck_assert_uint_eq(e.sh[s].sh_flags & SHF_ALLOC, 0);
	k = sym_named(&e, "b_stays");
	ck_assert_uint_eq(e.syms[k].st_shndx, SHN_UNDEF);
	ck_assert_uint_eq(e.syms[k].st_value, 0);
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_WEAK);
	/* the kept function stays a definition */
	k = sym_named(&e, "b_changed");
	ck_assert_uint_eq(om_elf_symsec(&e, k), sec_named(&e, ".text.b_changed"));
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_GLOBAL);
	ck_assert(e.sh[om_elf_symsec(&e, k)].sh_flags & SHF_ALLOC);
	om_elf_free(&e);
}
END_TEST

/* A defined global symbol @name in section @secname. */
static void assert_table_symbol(const struct om_elf *e, const char *name, const char *secname)
{
	size_t k = sym_named(e, name);

	ck_assert_msg(k, "no symbol %s", name);
	ck_assert_uint_eq(ELF64_ST_BIND(e->syms[k].st_info), STB_GLOBAL);
	ck_assert_uint_eq(om_elf_symsec(e, k), sec_named(e, secname));
}

START_TEST(second_unit_symbols_and_header)
{
	struct om_newmod_opts o = opts_b();
	struct om_newrel_hdr hdr;
	const unsigned char *t;
	struct om_elf e;

	o.provided = a_kept;
	o.nprovided = 2;
	o.unit = "fs/units-b.o";
	o.suffix = "_1";
	rewrite(&o, "b-second.o", &e);
	assert_table_symbol(&e, "splice_new_funcs_1", ".splice.funcs");
	assert_table_symbol(&e, "splice_new_relocs_1", ".splice.relocs");
	/* the first unit's names are the first unit's */
	ck_assert_uint_eq(sym_named(&e, "splice_new_funcs"), 0);
	ck_assert_uint_eq(sym_named(&e, "splice_new_relocs"), 0);
	t = table(&e, &hdr);
	ck_assert_uint_eq(hdr.version, 2);
	ck_assert_uint_ne(hdr.unit, OM_NEWREL_NONE);
	ck_assert_str_eq(table_string(t, &hdr, hdr.unit), "fs/units-b.o");
	ck_assert_uint_eq(hdr.objname, OM_NEWREL_NONE);	/* vmlinux */
	om_elf_free(&e);
}
END_TEST

START_TEST(first_unit_of_a_module_target)
{
	struct om_newmod_opts o = opts_a();
	struct om_newrel_hdr hdr;
	const unsigned char *t;
	struct om_elf e;

	o.target = "units_mod";
	rewrite(&o, "a-first.o", &e);
	assert_table_symbol(&e, "splice_new_funcs", ".splice.funcs");
	assert_table_symbol(&e, "splice_new_relocs", ".splice.relocs");
	t = table(&e, &hdr);
	ck_assert_uint_eq(hdr.version, 2);
	ck_assert_uint_eq(hdr.unit, OM_NEWREL_NONE);	/* no --unit */
	ck_assert_str_eq(table_string(t, &hdr, hdr.objname), "units_mod");
	/* one address per replaced function, not per new one */
	ck_assert_uint_eq(e.sh[sec_named(&e, ".splice.funcs")].sh_size, 8);
	/* the call to the unit's own new helper is the link's */
	assert_reloc_type(&e, ".text.a_changed", "units_helper", R_X86_64_PLT32,
			  "a kept function of the unit");
	om_elf_free(&e);
}
END_TEST

/* ------------------------------------------------------------ splice-mknew */

static char out[16384], err[16384], text[65536];

/* splice-mknew --id two ... with @groups, output in <tmp>/@dir */
static int mknew(const char *dir, const char *groups)
{
	char args[16384];

	snprintf(args, sizeof(args), "--id two --symvers '%s' -o '%s' %s", symvers_path,
		 out_path(dir), groups);
	return run_tool("splice-mknew", args, out, sizeof(out), err, sizeof(err));
}

static void assert_file_has(const char *dir, const char *file, const char *what)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", out_path(dir), file);
	ck_assert_msg(read_text(path, text, sizeof(text)), "%s not written", file);
	ck_assert_msg(strstr(text, what), "%s has no \"%s\":\n%s", file, what, text);
}

START_TEST(tool_two_units)
{
	char groups[16384], path[4200];
	struct om_elf e;

	snprintf(groups, sizeof(groups),
		 "--pre '%s' --unit fs/units-a.o -f a_changed -a units_helper '%s' "
		 "--pre '%s' --unit fs/units-b.o -f b_changed '%s'",
		 unit_a.pre, unit_a.post, unit_b.pre, unit_b.post);
	ck_assert_msg(mknew("two", groups) == 0, "stderr: %s", err);

	assert_file_has("two", "Kbuild", "obj-m := splice_two_new.o\n");
	assert_file_has("two", "Kbuild", "splice_two_new-y := stub.o unit.o unit1.o\n");
	assert_file_has("two", ".unit.o.cmd", "savedcmd_unit.o := cp unit.o_shipped unit.o\n");
	assert_file_has("two", ".unit1.o.cmd", "savedcmd_unit1.o := cp unit1.o_shipped unit1.o\n");
	/* every unit's functions, each naming its unit; every unit's table */
	assert_file_has("two", "stub.c", "extern const u64 splice_new_funcs[];\n");
	assert_file_has("two", "stub.c", "extern const u64 splice_new_funcs_1[];\n");
	assert_file_has("two", "stub.c",
			"\t{ .name = \"a_changed\", .objname = NULL, .unit = \"fs/units-a.o\" },\n"
			"\t{ .name = \"b_changed\", .objname = NULL, .unit = \"fs/units-b.o\" },\n");
	assert_file_has("two", "stub.c",
			"static const struct splice_relocs *const relocs[] = {\n"
			"\t&splice_new_relocs,\n"
			"\t&splice_new_relocs_1,\n"
			"};\n");
	assert_file_has("two", "stub.c",
			"funcs[0].new_func = (void *)(unsigned long)splice_new_funcs[0];\n"
			"\tfuncs[1].new_func = (void *)(unsigned long)splice_new_funcs_1[0];\n");
	assert_file_has("two", "stub.c", ".nr_relocs = ARRAY_SIZE(relocs),");

	/* unit B was told unit A keeps units_helper: the link resolves the call */
	snprintf(path, sizeof(path), "%s/unit1.o_shipped", out_path("two"));
	ck_assert_int_eq(om_elf_open(&e, path, test_log_options()), 0);
	e.name = "unit1.o_shipped";
	assert_reloc_type(&e, ".text.b_changed", "units_helper", R_X86_64_PLT32,
			  "unit A's kept global, provided to unit B");
	assert_table_symbol(&e, "splice_new_relocs_1", ".splice.relocs");
	om_elf_free(&e);
}
END_TEST

START_TEST(tool_usage_errors)
{
	char groups[16384], path[4200];

	/* the last group's POST.o is missing */
	snprintf(groups, sizeof(groups),
		 "--pre '%s' -f a_changed -a units_helper '%s' --pre '%s' -f b_changed",
		 unit_a.pre, unit_a.post, unit_b.pre);
	ck_assert_int_eq(mknew("trailing", groups), 1);
	ck_assert_msg(strstr(err, "Usage: splice-mknew"), "stderr: %s", err);

	/* new functions only: nothing replaced, no update */
	snprintf(groups, sizeof(groups), "--pre '%s' -a units_helper '%s' --pre '%s' '%s'",
		 unit_a.pre, unit_a.post, unit_b.pre, unit_b.post);
	ck_assert_int_eq(mknew("no-f", groups), 1);
	ck_assert_msg(strstr(err, "needs --pre and at least one -f or -a"), "stderr: %s", err);
	snprintf(groups, sizeof(groups), "--pre '%s' -a units_helper '%s'", unit_a.pre,
		 unit_a.post);
	ck_assert_int_eq(mknew("no-f", groups), 1);
	ck_assert_msg(strstr(err, "no function to replace (-f)"), "stderr: %s", err);

	/* a group without --pre */
	snprintf(groups, sizeof(groups), "--pre '%s' -f a_changed '%s' -f b_changed '%s'",
		 unit_a.pre, unit_a.post, unit_b.post);
	ck_assert_int_eq(mknew("no-pre", groups), 1);
	ck_assert_msg(strstr(err, "units-b-post.o: needs --pre"), "stderr: %s", err);

	/* none of them wrote a module */
	snprintf(path, sizeof(path), "%s/stub.c", out_path("trailing"));
	ck_assert(!read_text(path, text, sizeof(text)));
	snprintf(path, sizeof(path), "%s/stub.c", out_path("no-f"));
	ck_assert(!read_text(path, text, sizeof(text)));
	snprintf(path, sizeof(path), "%s/stub.c", out_path("no-pre"));
	ck_assert(!read_text(path, text, sizeof(text)));
}
END_TEST

static Suite *objmatch_mknew_suite(void)
{
	Suite *s = suite_create("objmatch-mknew");
	TCase *lib = fixture_tcase("rewrite", setup), *tool = fixture_tcase("tool", setup);

	tcase_add_test(lib, kept_globals_list_the_new_helper);
	tcase_add_test(lib, provided_call_stays_a_relocation);
	tcase_add_test(lib, unprovided_call_becomes_a_record);
	tcase_add_test(lib, hidden_global_becomes_weak_undefined);
	tcase_add_test(lib, second_unit_symbols_and_header);
	tcase_add_test(lib, first_unit_of_a_module_target);
	suite_add_tcase(s, lib);
	tcase_add_test(tool, tool_two_units);
	tcase_add_test(tool, tool_usage_errors);
	suite_add_tcase(s, tool);
	return s;
}

TEST_SUITE(objmatch_mknew_suite)
