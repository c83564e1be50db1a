// SPDX-License-Identifier: GPL-2.0
/*
 * splice-mknew's rewrite (objmatch/mod/newmod.c) of new code that uses static
 * keys and pr_debug() (fixtures/objmatch/keys.c, docs/new-code.md "Static
 * keys"): the jump label of a key nobody exports becomes a record flagged
 * EARLY (site: the jump label's code; the key field the canary; the
 * entry's flag bits kept in the addend), an exported key stays the
 * loader's, and the pr_debug() descriptors the kept code uses are kept,
 * moved to the front of __dyndbg, with every reference following them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "test-objmatch-fixture.h"
#include "mod/elfraw.h"
#include "blob/blob.h"
#include "mod/newmod.h"

#define DDEBUG_SIZE	56
#define DDEBUG_FORMAT	24
#define DDEBUG_KEY	40

static const char *symvers(void)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keys.symvers", test_tmpdir());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "0x00000000\texported_key\tvmlinux\tEXPORT_SYMBOL\t\n"
		   "0x00000000\tdynamic_pr_debug\tvmlinux\tEXPORT_SYMBOL\t\n");
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/*
 * Rewrite @fixture-post.o keeping @changed: the result; 0: opened into @e.
 * @expect: an error the rewrite is to log, or NULL.
 */
static int try_rewrite(const char *fixture, const char *const *changed, size_t n,
		       struct om_elf *e, const char *expect)
{
	static char out[4096], unit[256];
	const char *sv[1] = { symvers() };
	struct om_newmod_opts o = {
		.post = fixture_obj(fixture, true), .pre = fixture_obj(fixture, false),
		.out = out, .changed = changed, .nchanged = n, .symvers = sv, .nsymvers = 1,
		.unit = unit,
	};
	int ret;

	fixture_build(fixture);
	snprintf(unit, sizeof(unit), "%s.o", fixture);
	snprintf(out, sizeof(out), "%s/%s-new.o", test_tmpdir(), fixture);
	log_reset();
	if (expect)
		log_expect_error(expect);
	ret = om_newmod_rewrite(&o, test_log_options());
	if (!ret)
		ck_assert_int_eq(om_elf_open(e, out, test_log_options()), 0);
	return ret;
}

/*
 * No relocation of kept code names a static of a hidden section: objtool,
 * run on the linked module on 6.12, would look for the jump's target
 * there and give up on the whole module (newmod-reloc.c,
 * unname_hidden_targets()).
 */
static void assert_no_hidden_targets(const struct om_elf *e)
{
	size_t s, i, nr, symi, t;
	const Elf64_Rela *r;

	for (s = 1; s < e->nsec; s++) {
		const Elf64_Shdr *sh = &e->sh[s];

		if (sh->sh_type != SHT_RELA || sh->sh_info >= e->nsec ||
		    (e->sh[sh->sh_info].sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
		    (SHF_ALLOC | SHF_EXECINSTR))
			continue;
		r = om_elf_relas((struct om_elf *)e, s, &nr);
		for (i = 0; i < nr; i++) {
			symi = ELF64_R_SYM(r[i].r_info);
			t = symi ? om_elf_symsec(e, symi) : 0;
			ck_assert_msg(!t || (e->sh[t].sh_flags & SHF_ALLOC) ||
				      (ELF64_ST_TYPE(e->syms[symi].st_info) != STT_SECTION &&
				       ELF64_ST_BIND(e->syms[symi].st_info) != STB_LOCAL),
				      "%s+0x%llx names %s of hidden %s",
				      om_elf_secname(e, sh->sh_info),
				      (unsigned long long)r[i].r_offset, om_elf_symname(e, symi),
				      om_elf_secname(e, t));
		}
	}
}

static void rewrite_fixture(const char *fixture, const char *const *changed, size_t n,
			    struct om_elf *e)
{
	ck_assert_int_eq(try_rewrite(fixture, changed, n, e, NULL), 0);
	assert_no_hidden_targets(e);
}

static void rewrite(const char *const *changed, size_t n, struct om_elf *e)
{
	rewrite_fixture("keys", changed, n, e);
}

static size_t section(const struct om_elf *e, const char *name)
{
	size_t i;

	for (i = 1; i < e->nsec; i++)
		if (!strcmp(om_elf_secname(e, i), name))
			return i;
	ck_abort_msg("no section %s", name);
	return 0;
}

static size_t rela_of(const struct om_elf *e, size_t s)
{
	size_t i;

	for (i = 1; i < e->nsec; i++)
		if (e->sh[i].sh_type == SHT_RELA && e->sh[i].sh_info == s)
			return i;
	ck_abort_msg("no relocations for %s", om_elf_secname(e, s));
	return 0;
}

static size_t symbol(const struct om_elf *e, const char *name)
{
	size_t i;

	for (i = 1; i < e->nsyms; i++)
		if (!strcmp(om_elf_symname(e, i), name))
			return i;
	return 0;
}

/* The string a relocation points to (a merged string section's bytes). */
static const char *target_string(const struct om_elf *e, const Elf64_Rela *r)
{
	size_t k = ELF64_R_SYM(r->r_info), s = om_elf_symsec(e, k);

	ck_assert_uint_ne(s, 0);
	return (const char *)e->buf + e->sh[s].sh_offset + e->syms[k].st_value + r->r_addend;
}

/* The format of kept descriptor @k, from its format pointer's relocation. */
static const char *descriptor_format(const struct om_elf *e, size_t k)
{
	size_t dd = section(e, "__dyndbg"), i, nr;
	Elf64_Rela *r = om_elf_relas(e, rela_of(e, dd), &nr);

	for (i = 0; i < nr; i++)
		if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE &&
		    r[i].r_offset == k * DDEBUG_SIZE + DDEBUG_FORMAT)
			return target_string(e, &r[i]);
	ck_abort_msg("descriptor %zu has no format", k);
	return NULL;
}

START_TEST(dyndbg_kept_and_compacted)
{
	static const char *const changed[] = { "chatty" };
	struct om_elf e;
	size_t dd, s, i, nr, seen = 0, k;
	Elf64_Rela *r;

	rewrite(changed, 1, &e);
	/* quiet's descriptor (first in the post object) is gone, chatty's two moved */
	dd = section(&e, "__dyndbg");
	ck_assert(e.sh[dd].sh_flags & SHF_ALLOC);
	ck_assert_uint_eq(e.sh[dd].sh_size, 2 * DDEBUG_SIZE);
	ck_assert_str_eq(descriptor_format(&e, 0), "chatty two, spliced %d\n");
	ck_assert_str_eq(descriptor_format(&e, 1), "chatty one %d\n");
	/* the named descriptors moved with them; quiet's is no longer in __dyndbg */
	k = symbol(&e, "__UNIQUE_ID_ddebug1.3");
	ck_assert_uint_eq(om_elf_symsec(&e, k), dd);
	ck_assert_uint_eq(e.syms[k].st_value, 0);
	k = symbol(&e, "__UNIQUE_ID_ddebug0.4");
	ck_assert_uint_eq(e.syms[k].st_value, DDEBUG_SIZE);
	k = symbol(&e, "__UNIQUE_ID_ddebug2.2");
	ck_assert_uint_eq(e.syms[k].st_shndx, SHN_ABS);

	/* chatty passes each descriptor: "mov $__dyndbg+0x38, %rdi" became +0 ... */
	s = section(&e, ".text.chatty");
	r = om_elf_relas(&e, rela_of(&e, s), &nr);
	for (i = 0; i < nr; i++)
		if (ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE &&
		    om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info)) == dd) {
			ck_assert_msg(r[i].r_addend == 0 || r[i].r_addend == DDEBUG_SIZE,
				      "chatty+0x%llx: __dyndbg%+lld",
				      (unsigned long long)r[i].r_offset, (long long)r[i].r_addend);
			seen |= 1u << (r[i].r_addend / DDEBUG_SIZE);
		}
	ck_assert_uint_eq(seen, 3);
	/* ... and its jump labels' keys are the moved descriptors' (flag bit 1 kept) */
	seen = 0;
	s = section(&e, "__jump_table");
	ck_assert_uint_eq(e.sh[s].sh_size, 2 * 16);
	r = om_elf_relas(&e, rela_of(&e, s), &nr);
	for (i = 0; i < nr; i++)
		if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_PC64) {
			ck_assert_uint_eq(om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info)), dd);
			ck_assert_msg(r[i].r_addend == DDEBUG_KEY + 2 ||
				      r[i].r_addend == DDEBUG_SIZE + DDEBUG_KEY + 2,
				      "key __dyndbg%+lld", (long long)r[i].r_addend);
			seen |= 1u << (r[i].r_addend / DDEBUG_SIZE);
		}
	ck_assert_uint_eq(seen, 3);
	/* no record needed, so no reference to splice-core's marker */
	ck_assert_uint_eq(symbol(&e, OM_NEWREL_EARLY_SYMBOL), 0);
	om_elf_free(&e);
}
END_TEST

struct rec {
	const struct om_newrel *r;
	const char *name;
	const Elf64_Rela *site;		/* the relocation filling r->site */
};

/* The record for symbol @name in the rewritten object's table. */
static struct rec find_record(const struct om_elf *e, const char *name)
{
	size_t t = section(e, ".splice.relocs"), i, nr;
	const unsigned char *p = e->buf + e->sh[t].sh_offset;
	const struct om_newrel_hdr *h = (const void *)p;
	const Elf64_Rela *rr = om_elf_relas(e, rela_of(e, t), &nr);
	struct rec out = { NULL, NULL, NULL };

	ck_assert_uint_eq(h->magic, OM_NEWREL_MAGIC);
	for (i = 0; i < h->nrelocs; i++) {
		const struct om_newrel *r = (const void *)(p + sizeof(*h) + i * sizeof(*r));
		size_t j;

		if (strcmp((const char *)p + h->strings + r->name, name))
			continue;
		out.r = r;
		out.name = name;
		for (j = 0; j < nr; j++)
			if (rr[j].r_offset == sizeof(*h) + i * sizeof(*r))
				out.site = &rr[j];
	}
	ck_assert_msg(out.r && out.site, "no record for %s", name);
	return out;
}

/* The __jump_table entry whose code relocation points at @sec+@off. */
static size_t jump_entry_at(const struct om_elf *e, size_t sec, int64_t off)
{
	size_t jt = section(e, "__jump_table"), i, nr;
	Elf64_Rela *r = om_elf_relas(e, rela_of(e, jt), &nr);

	for (i = 0; i < nr; i++)
		if (r[i].r_offset % 16 == 0 && ELF64_R_TYPE(r[i].r_info) == R_X86_64_PC32 &&
		    om_elf_symsec(e, ELF64_R_SYM(r[i].r_info)) == sec &&
		    (int64_t)e->syms[ELF64_R_SYM(r[i].r_info)].st_value + r[i].r_addend == off)
			return r[i].r_offset / 16;
	ck_abort_msg("no jump entry for code at +0x%llx", (unsigned long long)off);
	return 0;
}

static void check_early(const struct om_elf *e, const char *key, uint32_t flags, int64_t addend)
{
	static const unsigned char nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	struct rec rec = find_record(e, key);
	size_t code = section(e, ".text.uses_keys"), jt = section(e, "__jump_table");
	size_t s = om_elf_symsec(e, ELF64_R_SYM(rec.site->r_info)), k, i, nr;
	int64_t off = (int64_t)e->syms[ELF64_R_SYM(rec.site->r_info)].st_value + rec.site->r_addend;
	const unsigned char *field;
	Elf64_Rela *r;

	ck_assert_uint_eq(rec.r->type, R_X86_64_PC64);
	ck_assert_uint_eq(rec.r->flags, flags);
	ck_assert_int_eq(rec.r->addend, addend);
	/* the site is the jump label's code ... */
	ck_assert_uint_eq(ELF64_R_TYPE(rec.site->r_info), R_X86_64_64);
	ck_assert_uint_eq(s, code);
	ck_assert_mem_eq(e->buf + e->sh[code].sh_offset + off, nop5, sizeof(nop5));
	/* ... whose entry's key field is the canary, no longer relocated */
	k = jump_entry_at(e, code, off);
	field = e->buf + e->sh[jt].sh_offset + k * 16 + 8;
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(field[i], OM_CANARY_BYTE);
	r = om_elf_relas(e, rela_of(e, jt), &nr);
	for (i = 0; i < nr; i++)
		if (r[i].r_offset == k * 16 + 8)
			ck_assert_uint_eq(ELF64_R_TYPE(r[i].r_info), R_X86_64_NONE);
}

START_TEST(keys_early_records)
{
	static const char *const changed[] = { "uses_keys", "chatty" };
	struct om_elf e;
	size_t jt, i, nr, k, exported = 0;
	Elf64_Rela *r;

	rewrite(changed, 2, &e);
	/* unlikely (branch 0) on a key nobody exports; likely (1) on the unit's static */
	check_early(&e, "ext_key", OM_NEWREL_EARLY, 2);
	check_early(&e, "local_key", OM_NEWREL_EARLY | OM_NEWREL_LOCAL, 3);
	/* the exported key stays the loader's */
	jt = section(&e, "__jump_table");
	ck_assert_uint_eq(e.sh[jt].sh_size, 5 * 16);
	r = om_elf_relas(&e, rela_of(&e, jt), &nr);
	for (i = 0; i < nr; i++)
		if (ELF64_R_TYPE(r[i].r_info) == R_X86_64_PC64 &&
		    !strcmp(om_elf_symname(&e, ELF64_R_SYM(r[i].r_info)), "exported_key")) {
			ck_assert_int_eq(r[i].r_addend, 2);
			exported++;
		}
	ck_assert_uint_eq(exported, 1);
	/* a splice-core that can't write EARLY records refuses the module */
	k = symbol(&e, OM_NEWREL_EARLY_SYMBOL);
	ck_assert_uint_ne(k, 0);
	ck_assert_uint_eq(e.syms[k].st_shndx, SHN_UNDEF);
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_GLOBAL);
	om_elf_free(&e);
}
END_TEST

/*
 * sched_second shares .sched.text with sched_first and the static
 * sched_helper (fixtures/objmatch/sched.c).  The section is kept whole:
 * sched_second's call to sched_helper has no relocation (the assembler
 * resolved it), so sched_helper's bytes must be where it lands.  The
 * others are ballast: not defined by the module (sched_first a weak
 * undefined symbol, sched_helper an absolute zero), and sched_second's
 * call to sched_first by name is a record for the running kernel's.
 */
START_TEST(shared_section_kept_whole)
{
	static const char *const changed[] = { "sched_second" };
	struct om_elf e, post;
	size_t s, ps, k, pk, first, helper, same = 0;
	uint64_t i;
	struct rec rec;

	rewrite_fixture("sched", changed, 1, &e);
	s = section(&e, ".sched.text");
	ck_assert(e.sh[s].sh_flags & SHF_ALLOC);
	k = symbol(&e, "sched_second");
	ck_assert_uint_eq(om_elf_symsec(&e, k), s);
	ck_assert_uint_eq(ELF64_ST_TYPE(e.syms[k].st_info), STT_FUNC);
	first = symbol(&e, "sched_first");
	ck_assert_uint_eq(e.syms[first].st_shndx, SHN_UNDEF);
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[first].st_info), STB_WEAK);
	helper = symbol(&e, "sched_helper");
	ck_assert_uint_eq(e.syms[helper].st_shndx, SHN_ABS);
	rec = find_record(&e, "sched_first");
	ck_assert_uint_eq(rec.r->flags, 0);	/* a global: the running kernel's */
	ck_assert_uint_eq(rec.r->type, R_X86_64_PLT32);
	/* the whole section's bytes are there, sched_helper's included */
	ck_assert_int_eq(om_elf_open(&post, fixture_obj("sched", true), test_log_options()), 0);
	ps = section(&post, ".sched.text");
	pk = symbol(&post, "sched_helper");
	ck_assert_uint_eq(e.sh[s].sh_size, post.sh[ps].sh_size);
	ck_assert_uint_gt(post.syms[pk].st_size, 5);
	for (i = 0; i < post.syms[pk].st_size; i++) {
		uint64_t at = post.syms[pk].st_value + i;
		unsigned char a = e.buf[e.sh[s].sh_offset + at];

		/* equal but where a relocation became a record's canary */
		ck_assert_msg(a == post.buf[post.sh[ps].sh_offset + at] || a == OM_CANARY_BYTE,
			      "sched_helper+0x%llx: %02x", (unsigned long long)i, a);
		same += a == post.buf[post.sh[ps].sh_offset + at];
	}
	ck_assert_uint_gt(same, post.syms[pk].st_size / 2);
	/* lonely is not kept */
	ck_assert(!(e.sh[section(&e, "text.lonely")].sh_flags & SHF_ALLOC));
	om_elf_free(&post);
	om_elf_free(&e);
}
END_TEST

/* The record for symbol @name, or NULL. */
static const struct om_newrel *record_named(const struct om_elf *e, const char *name)
{
	size_t t = section(e, ".splice.relocs"), i;
	const unsigned char *p = e->buf + e->sh[t].sh_offset;
	const struct om_newrel_hdr *h = (const void *)p;

	for (i = 0; i < h->nrelocs; i++) {
		const struct om_newrel *r = (const void *)(p + sizeof(*h) + i * sizeof(*r));

		if (!strcmp((const char *)p + h->strings + r->name, name))
			return r;
	}
	return NULL;
}

/*
 * fixtures/objmatch/alt-dead.c: alt_user and the unchanged static
 * alt_helper each have an alternative whose replacement jumps back into
 * its function.  The new code keeps .altinstr_replacement whole; the
 * fragment of alt_user's alternative keeps its relocation (the loader
 * resolves it within the module), alt_helper's never runs and gets
 * neither a relocation nor a record (a record would name the running
 * kernel's alt_helper, which may have namesakes in other units).  The
 * call of alt_helper from alt_user is a record, as every call of an
 * unchanged function is.
 */
START_TEST(dead_alternative_fragment)
{
	static const char *const changed[] = { "alt_user" };
	struct om_elf e;
	size_t repl, rs, relocs, i, nr, user = 0, helper = 0, dead = 0;
	Elf64_Rela *r;

	rewrite_fixture("alt-dead", changed, 1, &e);
	repl = section(&e, ".altinstr_replacement");
	ck_assert(e.sh[repl].sh_flags & SHF_ALLOC);
	rs = rela_of(&e, repl);
	r = om_elf_relas(&e, rs, &nr);
	for (i = 0; i < nr; i++) {
		size_t t = om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info));
		const char *tn = t ? om_elf_secname(&e, t) : "";

		if (!strcmp(tn, ".text.alt_user") && ELF64_R_TYPE(r[i].r_info) != R_X86_64_NONE)
			user++;
		/* a hidden section loses its name's dot (om_elf_hide()) */
		if (!strcmp(tn + (tn[0] == '.'), "text.alt_helper"))
			helper++;
		/* the dead one names nothing (for objtool: unname_hidden_targets()) */
		dead += ELF64_R_TYPE(r[i].r_info) == R_X86_64_NONE && !ELF64_R_SYM(r[i].r_info);
	}
	ck_assert_uint_eq(user, 1);
	ck_assert_uint_eq(helper, 0);
	ck_assert_uint_eq(dead, 1);
	/* no record fills a field of .altinstr_replacement */
	relocs = section(&e, ".splice.relocs");
	r = om_elf_relas(&e, rela_of(&e, relocs), &nr);
	for (i = 0; i < nr; i++)
		ck_assert_msg(om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info)) != repl,
			      "a record for .altinstr_replacement+0x%llx",
			      (unsigned long long)r[i].r_addend);
	/* the call of alt_helper from alt_user is one */
	ck_assert_ptr_nonnull(record_named(&e, "alt_helper"));
	om_elf_free(&e);
}
END_TEST

/*
 * fixtures/objmatch/runtime-const.c: rc_user's two runtime constants
 * become VALUE records (64 for the pointer, 8 for the shift's byte), named
 * by the constant's variable (a static: LOCAL), each field the canary; the
 * table is of version 3, which an older splice-core refuses; rc_other
 * (not kept) gets none, and the runtime_* tables are not kept.
 */
START_TEST(runtime_constants_are_value_records)
{
	static const char *const changed[] = { "rc_user" };
	struct om_elf e;
	struct rec ptr, sh;
	size_t t, code, i, n = 0;
	const unsigned char *p;
	const struct om_newrel_hdr *h;

	rewrite_fixture("runtime-const", changed, 1, &e);
	ptr = find_record(&e, "rc_table");
	sh = find_record(&e, "rc_shift");
	ck_assert_uint_eq(ptr.r->flags, OM_NEWREL_VALUE | OM_NEWREL_LOCAL);
	ck_assert_uint_eq(ptr.r->type, R_X86_64_64);
	ck_assert_uint_eq(sh.r->flags, OM_NEWREL_VALUE);
	ck_assert_uint_eq(sh.r->type, R_X86_64_8);
	ck_assert_int_eq(ptr.r->addend, 0);
	code = section(&e, ".text.rc_user");
	p = e.buf + e.sh[code].sh_offset;
	/* the sites: in rc_user's code, after "mov $imm64" and "shr $imm8" */
	ck_assert_uint_eq(om_elf_symsec(&e, ELF64_R_SYM(ptr.site->r_info)), code);
	ck_assert_uint_eq(om_elf_symsec(&e, ELF64_R_SYM(sh.site->r_info)), code);
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(p[ptr.site->r_addend + i], OM_CANARY_BYTE);
	ck_assert_uint_eq(p[ptr.site->r_addend - 1] & 0xf8, 0xb8);	/* movabs */
	ck_assert_uint_eq(p[sh.site->r_addend], OM_CANARY_BYTE);
	ck_assert_uint_eq(p[sh.site->r_addend - 2], 0xc1);		/* shr $imm8 */
	t = section(&e, ".splice.relocs");
	h = (const void *)(e.buf + e.sh[t].sh_offset);
	ck_assert_uint_eq(h->version, OM_NEWREL_VERSION_VALUE);
	for (i = 0; i < h->nrelocs; i++)
		n += !!(((const struct om_newrel *)(h + 1))[i].flags & OM_NEWREL_VALUE);
	ck_assert_uint_eq(n, 2);	/* rc_other's constant is not new code */
	for (i = 1; i < e.nsec; i++)
		ck_assert_msg(!(e.sh[i].sh_flags & SHF_ALLOC) ||
			      strncmp(om_elf_secname(&e, i), "runtime_", 8),
			      "%s kept", om_elf_secname(&e, i));
	om_elf_free(&e);
}
END_TEST

/*
 * ro_user publishes the unchanged file-scope table ro_table
 * (fixtures/objmatch/ro-table.c): the new code gets a record naming the
 * running kernel's ro_table, whose section stays hidden, because code may
 * compare the table's address (a copy broke tmpfs: mm_shmem, 6.12's
 * sample in docs/coverage.md).  __func__.0, a constant the compiler
 * named, is still copied.
 */
START_TEST(unchanged_named_constant_is_the_kernels)
{
	static const char *const changed[] = { "ro_user" };
	const struct om_newrel *r;
	struct om_elf e;
	size_t i, func = 0;

	rewrite_fixture("ro-table", changed, 1, &e);
	r = record_named(&e, "ro_table");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->flags, OM_NEWREL_LOCAL);
	ck_assert(!(e.sh[section(&e, "rodata.ro_table")].sh_flags & SHF_ALLOC));
	for (i = 1; i < e.nsec; i++)
		if (!strncmp(om_elf_secname(&e, i), ".rodata.__func__.", 17) &&
		    (e.sh[i].sh_flags & SHF_ALLOC))
			func++;
	ck_assert_uint_eq(func, 1);
	ck_assert_ptr_null(record_named(&e, "__func__.0"));
	om_elf_free(&e);
}
END_TEST

/*
 * uses_statics prints its statics (fixtures/objmatch/static-local.c); a new
 * function's statics of the same names renumbered them in the post object
 * (stfu.2 -> stfu.4, inited.1 -> inited.3).  The records name the pre
 * object's symbols, which run-pre matching learns, and the writable
 * sections stay hidden: the new code uses the running kernel's variables,
 * not fresh copies.  The read-only one is a constant: copied.
 */
START_TEST(static_locals_renumbered)
{
	static const char *const changed[] = { "uses_statics" };
	const struct om_newrel *r;
	struct om_elf e;

	rewrite_fixture("static-local", changed, 1, &e);
	r = record_named(&e, "stfu.2");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->flags, OM_NEWREL_LOCAL);
	ck_assert_ptr_nonnull(record_named(&e, "inited.1"));
	ck_assert_ptr_null(record_named(&e, "stfu.4"));
	ck_assert_ptr_null(record_named(&e, "inited.3"));
	ck_assert(!(e.sh[section(&e, "bss.stfu.4")].sh_flags & SHF_ALLOC));
	ck_assert(!(e.sh[section(&e, "data.inited.3")].sh_flags & SHF_ALLOC));
	ck_assert(e.sh[section(&e, ".rodata.limits.2")].sh_flags & SHF_ALLOC);
	ck_assert_ptr_null(record_named(&e, "limits.2"));
	ck_assert_ptr_null(record_named(&e, "limits.0"));
	om_elf_free(&e);
}
END_TEST

/*
 * 6.12's struct alt_instr is 14 bytes (u32 ft_flags): alt_change's one
 * alternative (fixtures/objmatch/special.c, built as for 6.12) stays whole,
 * the others' entries go.
 */
START_TEST(alt_instr_612_kept)
{
	static const char *const changed[] = { "alt_change" };
	const unsigned char *ent;
	struct om_elf e, post;
	size_t alt, nr, i, text;
	Elf64_Rela *r;

	rewrite_fixture("special-612", changed, 1, &e);
	ck_assert_int_eq(om_elf_open(&post, fixture_obj("special-612", true), test_log_options()), 0);
	/* first_locker's and alt_change's */
	ck_assert_uint_eq(post.sh[section(&post, ".altinstructions")].sh_size, 2 * 14);
	om_elf_free(&post);
	alt = section(&e, ".altinstructions");
	text = section(&e, ".text.alt_change");
	ck_assert(e.sh[alt].sh_flags & SHF_ALLOC);
	ck_assert_uint_eq(e.sh[alt].sh_size, 14);
	ent = e.buf + e.sh[alt].sh_offset;
	ck_assert_uint_eq(ent[8] | ent[9] << 8 | ent[10] << 16 | ent[11] << 24, 0x55);
	ck_assert_uint_eq(ent[12], 3);	/* instrlen: nop; nop; nop */
	ck_assert_uint_eq(ent[13], 3);	/* replacementlen: lfence */
	/*
	 * the dropped entry's relocations are gone, not left behind on the
	 * kept one's offsets, where 6.12's objtool took them for its own
	 */
	r = om_elf_relas(&e, rela_of(&e, alt), &nr);
	ck_assert_uint_eq(nr, 2);
	for (i = 0; i < nr; i++) {
		ck_assert_uint_ne(ELF64_R_TYPE(r[i].r_info), R_X86_64_NONE);
		ck_assert_uint_lt(r[i].r_offset, 14);
		if (r[i].r_offset == 0)
			ck_assert_uint_eq(om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info)), text);
		else
			ck_assert_uint_eq(om_elf_symsec(&e, ELF64_R_SYM(r[i].r_info)),
					  section(&e, ".altinstr_replacement"));
	}
	ck_assert(e.sh[section(&e, ".altinstr_replacement")].sh_flags & SHF_ALLOC);
	/*
	 * hidden code is no code for objtool (6.12 runs it on the module:
	 * loader tables for it crashed the loader), and keeps no relocations
	 */
	i = section(&e, "text.locker");
	ck_assert(!(e.sh[i].sh_flags & (SHF_ALLOC | SHF_EXECINSTR)));
	for (nr = 1; nr < e.nsec; nr++)
		if (e.sh[nr].sh_type == SHT_RELA && e.sh[nr].sh_info == i)
			ck_assert_uint_eq(e.sh[nr].sh_size, 0);
	om_elf_free(&e);
}
END_TEST

/*
 * The hooks of <splice/patch.h> (fixtures/objmatch/hooks.c): .splice.hooks
 * stays allocated with every function it names, even one nobody listed
 * (other_reverse), and the global splice_new_hooks covers it; the hooks'
 * references to the running kernel's data become records.
 */
START_TEST(hooks_kept)
{
	static char out[4096];
	const char *added[] = { "limit_apply" };
	const char *sv[1] = { symvers() };
	struct om_newmod_opts o = {
		.post = fixture_obj("hooks", true), .pre = fixture_obj("hooks", false),
		.out = out, .added = added, .nadded = 1, .symvers = sv, .nsymvers = 1,
		.unit = "hooks.o",
	};
	struct om_elf e;
	size_t hs, k, f;

	fixture_build("hooks");
	snprintf(out, sizeof(out), "%s/hooks-new.o", test_tmpdir());
	log_reset();
	ck_assert_int_eq(om_newmod_rewrite(&o, test_log_options()), 0);
	ck_assert_int_eq(om_elf_open(&e, out, test_log_options()), 0);
	hs = section(&e, OM_NEWMOD_HOOKS);
	ck_assert(e.sh[hs].sh_flags & SHF_ALLOC);
	ck_assert_uint_eq(e.sh[hs].sh_size, 2 * OM_NEWMOD_HOOK_SIZE);
	k = symbol(&e, "splice_new_hooks");
	ck_assert_uint_ne(k, 0);
	ck_assert_uint_eq(e.syms[k].st_shndx, hs);
	ck_assert_uint_eq(e.syms[k].st_value, 0);
	ck_assert_uint_eq(e.syms[k].st_size, 2 * OM_NEWMOD_HOOK_SIZE);
	ck_assert_uint_eq(ELF64_ST_BIND(e.syms[k].st_info), STB_GLOBAL);
	/* both hook functions are kept: listed (-a) or not */
	f = symbol(&e, "other_reverse");
	ck_assert_uint_ne(f, 0);
	ck_assert(e.sh[om_elf_symsec(&e, f)].sh_flags & SHF_ALLOC);
	f = symbol(&e, "limit_apply");
	ck_assert(e.sh[om_elf_symsec(&e, f)].sh_flags & SHF_ALLOC);
	/* no EARLY marker: the hooks symbol did not take its place */
	ck_assert_uint_eq(symbol(&e, "splice_early_relocs"), 0);
	om_elf_free(&e);
}
END_TEST

/*
 * fixtures/objmatch/data-shared.c: warns() gains a once-flag in .data.once,
 * which then comes along (kept, no record); uses_new() reads a new
 * variable in .data..read_mostly, which also holds one the running kernel
 * has: refused, named.
 */
START_TEST(new_variable_in_shared_section)
{
	static const char *const once[] = { "warns" }, *const shared[] = { "uses_new" };
	struct om_elf e;

	rewrite_fixture("data-shared", once, 1, &e);
	ck_assert(e.sh[section(&e, ".data.once")].sh_flags & SHF_ALLOC);
	ck_assert_ptr_null(record_named(&e, "done_new.0"));
	om_elf_free(&e);

	ck_assert_int_eq(try_rewrite("data-shared", shared, 1, &e,
				     "places can't be loaded as new code"), -ENOTSUP);
	ck_assert(log_contains("uses_new+0x7: new variable shares its section with the "
			       "running kernel's variables, so it can't get a copy of its own "
			       "(a hook would have to allocate it): new_tunable"));
}
END_TEST

static Suite *objmatch_newmod_suite(void)
{
	Suite *s = suite_create("objmatch-newmod");
	TCase *tc = tcase_create("keys");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dyndbg_kept_and_compacted);
	tcase_add_test(tc, keys_early_records);
	tcase_add_test(tc, hooks_kept);
	suite_add_tcase(s, tc);
	tc = tcase_create("shared-sections");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shared_section_kept_whole);
	tcase_add_test(tc, dead_alternative_fragment);
	tcase_add_test(tc, runtime_constants_are_value_records);
	suite_add_tcase(s, tc);
	tc = tcase_create("static-locals");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, static_locals_renumbered);
	tcase_add_test(tc, unchanged_named_constant_is_the_kernels);
	tcase_add_test(tc, new_variable_in_shared_section);
	tcase_add_test(tc, alt_instr_612_kept);
	suite_add_tcase(s, tc);
	return s;
}

TEST_SUITE(objmatch_newmod_suite)
