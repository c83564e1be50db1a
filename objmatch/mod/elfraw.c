// SPDX-License-Identifier: GPL-2.0
/* elfraw.c: relocatable ELF objects edited in place (elfraw.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/arch.h"
#include "mod/elfraw.h"
#include "obj/internal.h"

const char *const om_loader_sections[] = {
	"__mcount_loc", ".retpoline_sites", ".return_sites", "__jump_table",
	".static_call_sites", ".static_call_tramp_key", "__ksymtab*", "__kcrctab*",
	"___ksymtab*",	/* "___ksymtab+foo": modpost takes its symbols for exports */
	"_ftrace_events", "_ftrace_eval_map", "__tracepoint*", "__bpf_raw_tp_map",
	"__param", ".init_array", ".ctors", "__dyndbg*", ".kunit_test_suites",
	"__bug_table", "__ex_table", ".orc_unwind", ".orc_unwind_ip", ".orc_header",
	".data..percpu", ".call_sites", ".ibt_endbr_seal", "__patchable_function_entries",
	".printk_index", "_kprobe_blacklist", "__error_injection_whitelist",
	".export_symbol",	/* 6.5+: modpost takes its entries for the module's exports */
	"___srcu_struct_ptrs", "__modver", ".static_call.text", ".BTF*", "__ex_table_end",
};
const size_t om_nloader_sections = ARRAY_SIZE(om_loader_sections);

bool om_name_in(const char *name, const char *const *list, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(list[i]);
		if (list[i][len - 1] == '*' ? !strncmp(name, list[i], len - 1)
					    : !strcmp(name, list[i]))
			return true;
	}
	return false;
}

static bool in_file(const struct om_elf *e, uint64_t off, uint64_t len)
{
	return off <= e->len && len <= e->len - off;
}

static int elf_read(struct om_elf *e, const char *path, const struct om_options *opts)
{
	FILE *f = fopen(path, "rb");
	long len;

	e->name = path;
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		om_log(opts, OM_LOG_ERROR, "%s: cannot read: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return -EIO;
	}
	e->len = len;
	e->buf = malloc(e->len ? e->len : 1);
	if (!e->buf || fread(e->buf, 1, e->len, f) != e->len) {
		om_log(opts, OM_LOG_ERROR, "%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static int elf_parse(struct om_elf *e, const struct om_options *opts)
{
	const Elf64_Shdr *ss, *st;
	size_t i;

	e->eh = (Elf64_Ehdr *)e->buf;
	if (e->len < sizeof(*e->eh) || memcmp(e->eh->e_ident, ELFMAG, SELFMAG) ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 || e->eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    e->eh->e_type != ET_REL || e->eh->e_machine != EM_X86_64 ||
	    e->eh->e_shentsize != sizeof(Elf64_Shdr) || e->eh->e_shoff % 8 ||
	    !in_file(e, e->eh->e_shoff, (uint64_t)e->eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    e->eh->e_shstrndx >= e->eh->e_shnum) {
		om_log(opts, OM_LOG_ERROR, "%s: not an x86-64 relocatable ELF object", e->name);
		return -EINVAL;
	}
	e->sh = (Elf64_Shdr *)(e->buf + e->eh->e_shoff);
	e->nsec = e->eh->e_shnum;
	for (i = 0; i < e->nsec; i++)
		if (e->sh[i].sh_type != SHT_NOBITS && e->sh[i].sh_type != SHT_NULL &&
		    !in_file(e, e->sh[i].sh_offset, e->sh[i].sh_size)) {
			om_log(opts, OM_LOG_ERROR, "%s: section %zu lies outside the file", e->name, i);
			return -EINVAL;
		}
	ss = &e->sh[e->eh->e_shstrndx];
	e->shstr = (const char *)e->buf + ss->sh_offset;
	if (!ss->sh_size || e->shstr[ss->sh_size - 1]) {
		om_log(opts, OM_LOG_ERROR, "%s: bad section name table", e->name);
		return -EINVAL;
	}
	for (i = 0; i < e->nsec; i++) {
		if (e->sh[i].sh_name >= ss->sh_size)
			return -EINVAL;
		if (e->sh[i].sh_type == SHT_SYMTAB)
			e->symtab = i;
		if (e->sh[i].sh_type == SHT_REL) {
			om_log(opts, OM_LOG_ERROR, "%s[%s]: REL relocations on x86-64", e->name,
			       om_elf_secname(e, i));
			return -EINVAL;
		}
		if (e->sh[i].sh_type == SHT_RELA &&
		    (e->sh[i].sh_info >= e->nsec || e->sh[i].sh_offset % 8))
			return -EINVAL;
	}
	if (!e->symtab || e->sh[e->symtab].sh_link >= e->nsec) {
		om_log(opts, OM_LOG_ERROR, "%s: no symbol table", e->name);
		return -EINVAL;
	}
	e->syms = (Elf64_Sym *)(e->buf + e->sh[e->symtab].sh_offset);
	e->nsyms = e->sh[e->symtab].sh_size / sizeof(Elf64_Sym);
	st = &e->sh[e->sh[e->symtab].sh_link];
	e->strtab = (const char *)e->buf + st->sh_offset;
	e->strsz = st->sh_size;
	if (!e->strsz || e->strtab[e->strsz - 1]) {
		om_log(opts, OM_LOG_ERROR, "%s: bad string table", e->name);
		return -EINVAL;
	}
	for (i = 0; i < e->nsyms; i++)
		if (e->syms[i].st_name >= e->strsz)
			return -EINVAL;
	return 0;
}

int om_elf_open(struct om_elf *e, const char *path, const struct om_options *opts)
{
	int ret;

	memset(e, 0, sizeof(*e));
	ret = elf_read(e, path, opts);
	if (!ret)
		ret = elf_parse(e, opts);
	return ret;
}

int om_elf_write(const struct om_elf *e, const char *path, const struct om_options *opts)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(e->buf, 1, e->len, f) != e->len || fclose(f)) {
		om_log(opts, OM_LOG_ERROR, "%s: cannot write: %s", path, strerror(errno));
		remove(path);
		return -EIO;
	}
	return 0;
}

void om_elf_free(struct om_elf *e)
{
	free(e->buf);
	e->buf = NULL;
}

const char *om_elf_secname(const struct om_elf *e, size_t i)
{
	return e->shstr + e->sh[i].sh_name;
}

const char *om_elf_symname(const struct om_elf *e, size_t i)
{
	return e->strtab + e->syms[i].st_name;
}

size_t om_elf_symsec(const struct om_elf *e, size_t i)
{
	uint16_t s = e->syms[i].st_shndx;

	return s != SHN_UNDEF && s < SHN_LORESERVE && s < e->nsec ? s : 0;
}

Elf64_Rela *om_elf_relas(const struct om_elf *e, size_t rs, size_t *n)
{
	*n = e->sh[rs].sh_size / sizeof(Elf64_Rela);
	return (Elf64_Rela *)(e->buf + e->sh[rs].sh_offset);
}

int om_elf_reloc_width(uint32_t type)
{
	const struct arch_reloc *r = arch_reloc(type);

	if (!r || (r->size != 0 && r->size != 4 && r->size != 8))
		return -1;
	return r->size;
}

bool om_elf_reloc_pcrel(uint32_t type)
{
	const struct arch_reloc *r = arch_reloc(type);

	return r && r->pcrel;
}

void om_elf_hide(struct om_elf *e, size_t i)
{
	size_t j;

	if (!(e->sh[i].sh_flags & SHF_ALLOC))
		return;
	/*
	 * Not code either, and no relocations (the loader never applies a
	 * hidden section's): 6.12 runs objtool on the linked module, which
	 * decodes every executable section, allocated or not, and checks the
	 * relocations of every data section it does not know by name.  Hidden
	 * code would get .return_sites, .call_sites and .ibt_endbr_seal
	 * entries, which the loader follows to nowhere (a page fault in
	 * apply_returns()); a hidden __patchable_function_entries or
	 * __mcount_loc gives "data relocation to !ENDBR".
	 */
	e->sh[i].sh_flags &= ~(uint64_t)(SHF_ALLOC | SHF_EXECINSTR);
	if (om_elf_secname(e, i)[0] && om_elf_secname(e, i)[1])
		e->sh[i].sh_name++;
	for (j = 1; j < e->nsec; j++)
		if (e->sh[j].sh_type == SHT_RELA && e->sh[j].sh_info == i)
			e->sh[j].sh_size = 0;
}

void om_elf_drop_hidden_annotations(struct om_elf *e)
{
	size_t i, j, nrel, kept;
	Elf64_Rela *rel;

	for (i = 1; i < e->nsec; i++) {
		const Elf64_Shdr *t;

		if (e->sh[i].sh_type != SHT_RELA || e->sh[i].sh_info >= e->nsec)
			continue;
		t = &e->sh[e->sh[i].sh_info];
		if ((t->sh_flags & SHF_ALLOC) ||
		    strncmp(om_elf_secname(e, e->sh[i].sh_info), ".discard.", 9))
			continue;
		rel = om_elf_relas(e, i, &nrel);
		for (j = kept = 0; j < nrel; j++) {
			size_t sym = ELF64_R_SYM(rel[j].r_info), s;

			s = sym < e->nsyms ? om_elf_symsec(e, sym) : 0;
			if (s && (e->sh[s].sh_flags & SHF_EXECINSTR))
				rel[kept++] = rel[j];
		}
		e->sh[i].sh_size = kept * sizeof(*rel);
	}
}

bool om_elf_static_call_name(const char *name)
{
	return !strncmp(name, "__SCT__", 7) || !strncmp(name, "__SCK__", 7);
}
