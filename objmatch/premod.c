// SPDX-License-Identifier: GPL-2.0
/*
 * premod.c: make a pre object loadable as (part of) a kernel module, so that
 * the kernel's own loader rewrites its code exactly as it rewrote the
 * running kernel at boot (alternatives, paravirt), and splice-core can match
 * what the loader made of it against what the kernel runs.
 *
 * The pre code never runs.  It references symbols the module loader can't
 * resolve (statics, unexported functions), so, in place, with no section
 * growing:
 *
 *  - every relocation in a code section becomes R_X86_64_NONE and its field
 *    is filled with the canary 0x77 bytes.  After loading, a field that no
 *    longer holds the canary was rewritten by the loader (an alternative or
 *    paravirt patch): splice-core skips it (OM_RELOC_SKIP) and matches the
 *    rest.  Example: "e8 77 77 77 77" is a call whose target is learned
 *    from the running kernel; "ff d0 90 90 90" there means the loader put
 *    an alternative in, and the call is not compared.
 *  - relocations in data sections become R_X86_64_NONE, except those of
 *    .altinstructions, .parainstructions and .smp_locks that point into
 *    the object's own loaded sections: the loader needs them to patch.
 *  - undefined symbols become weak (nothing refers to them any more), so
 *    neither modpost nor the loader insists on finding them.
 *  - sections the loader would act on with the pre module's identity
 *    (ftrace's __mcount_loc, jump labels, static calls, exports, tracepoints,
 *    exception and bug tables, ORC, per-CPU data, ...) lose SHF_ALLOC and
 *    their first character: the loader ignores unallocated sections, and
 *    the new name keeps the linker from merging them into the stub's.
 *
 * The matcher's input (the blob) is made from the original object, not from
 * this one.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "blob.h"
#include "premod.h"

/* Sections the loader must not see (prefix match where marked *). */
static const char *const hidden[] = {
	"__mcount_loc", ".retpoline_sites", ".return_sites", "__jump_table",
	".static_call_sites", ".static_call_tramp_key", "__ksymtab*", "__kcrctab*",
	"___ksymtab*",	/* "___ksymtab+foo": modpost would take them for our exports */
	"_ftrace_events", "_ftrace_eval_map", "__tracepoint*", "__bpf_raw_tp_map",
	"__param", ".init_array", ".ctors", "__dyndbg*", ".kunit_test_suites",
	"__bug_table", "__ex_table", ".orc_unwind", ".orc_unwind_ip", ".orc_header",
	".data..percpu", ".call_sites", ".ibt_endbr_seal", "__patchable_function_entries",
	".printk_index", "_kprobe_blacklist", "__error_injection_whitelist",
	"___srcu_struct_ptrs", "__modver", ".static_call.text",
	".BTF*", "__ex_table_end",
};

/* Data sections whose relocations into loaded sections are kept. */
static const char *const patchers[] = {
	".altinstructions", ".parainstructions", ".smp_locks",
};

static bool name_in(const char *name, const char *const *list, size_t n)
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

static int reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	default:
		return -1;
	}
}

struct elf {
	const char *name;
	unsigned char *buf;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;
	Elf64_Sym *syms;
	size_t nsyms;
};

static bool in_file(const struct elf *e, uint64_t off, uint64_t len)
{
	return off <= e->len && len <= e->len - off;
}

static int parse(struct elf *e, const struct om_options *opts)
{
	Elf64_Shdr *ss;
	size_t i;

	e->eh = (Elf64_Ehdr *)e->buf;
	if (e->len < sizeof(*e->eh) || memcmp(e->eh->e_ident, ELFMAG, SELFMAG) ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 || e->eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    e->eh->e_type != ET_REL || e->eh->e_machine != EM_X86_64 ||
	    e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(e, e->eh->e_shoff, (uint64_t)e->eh->e_shnum * sizeof(Elf64_Shdr)) ||
	    e->eh->e_shstrndx >= e->eh->e_shnum) {
		om_log(opts, OM_LOG_ERROR, "%s: not an x86-64 relocatable ELF object", e->name);
		return -EINVAL;
	}
	e->sh = (Elf64_Shdr *)(e->buf + e->eh->e_shoff);
	for (i = 0; i < e->eh->e_shnum; i++)
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
	for (i = 0; i < e->eh->e_shnum; i++) {
		if (e->sh[i].sh_name >= ss->sh_size)
			return -EINVAL;
		if (e->sh[i].sh_type == SHT_SYMTAB) {
			e->syms = (Elf64_Sym *)(e->buf + e->sh[i].sh_offset);
			e->nsyms = e->sh[i].sh_size / sizeof(Elf64_Sym);
		}
	}
	if (!e->syms) {
		om_log(opts, OM_LOG_ERROR, "%s: no symbol table", e->name);
		return -EINVAL;
	}
	return 0;
}

static const char *secname(const struct elf *e, size_t i)
{
	return e->shstr + e->sh[i].sh_name;
}

/* The rewrite itself, on the object's bytes in memory. */
static int rewrite(struct elf *e, const struct om_options *opts)
{
	size_t i, j;

	for (i = 1; i < e->eh->e_shnum; i++) {
		/*
		 * Unallocated, and renamed by dropping the first character
		 * ("__mcount_loc" -> "_mcount_loc"): linked with the stub,
		 * a section of the same name would be merged into the stub's
		 * allocated one and processed after all.
		 */
		if ((e->sh[i].sh_flags & SHF_ALLOC) &&
		    name_in(secname(e, i), hidden, ARRAY_SIZE(hidden))) {
			e->sh[i].sh_flags &= ~(uint64_t)SHF_ALLOC;
			e->sh[i].sh_name++;
		}
		/* the unit's built-in module info is not the pre module's */
		if (!strcmp(secname(e, i), ".modinfo"))
			e->sh[i].sh_size = 0;
	}

	for (i = 1; i < e->eh->e_shnum; i++) {
		Elf64_Shdr *rs = &e->sh[i], *ts;
		Elf64_Rela *rel;
		bool code, keep_local;

		if (rs->sh_type == SHT_REL) {
			om_log(opts, OM_LOG_ERROR, "%s[%s]: REL relocations on x86-64", e->name,
			       secname(e, i));
			return -EINVAL;
		}
		if (rs->sh_type != SHT_RELA)
			continue;
		if (rs->sh_info >= e->eh->e_shnum)
			return -EINVAL;
		ts = &e->sh[rs->sh_info];
		if (!(ts->sh_flags & SHF_ALLOC)) {
			/* hidden or never loaded: apply nothing */
			rel = (Elf64_Rela *)(e->buf + rs->sh_offset);
			for (j = 0; j < rs->sh_size / sizeof(*rel); j++)
				rel[j].r_info = ELF64_R_INFO(ELF64_R_SYM(rel[j].r_info), R_X86_64_NONE);
			continue;
		}
		code = ts->sh_flags & SHF_EXECINSTR;
		keep_local = name_in(secname(e, rs->sh_info), patchers, ARRAY_SIZE(patchers));
		rel = (Elf64_Rela *)(e->buf + rs->sh_offset);
		for (j = 0; j < rs->sh_size / sizeof(*rel); j++) {
			uint32_t type = ELF64_R_TYPE(rel[j].r_info);
			uint32_t symi = ELF64_R_SYM(rel[j].r_info);
			int w = reloc_width(type);

			if (w < 0 || symi >= e->nsyms) {
				om_log(opts, OM_LOG_ERROR, "%s[%s]: relocation %zu: type %u not handled",
				       e->name, secname(e, i), j, type);
				return -EINVAL;
			}
			if (!w)
				continue;
			if (keep_local && !code) {
				uint16_t shndx = e->syms[symi].st_shndx;

				if (shndx != SHN_UNDEF && shndx < e->eh->e_shnum &&
				    (e->sh[shndx].sh_flags & SHF_ALLOC))
					continue;
			}
			if (code) {
				if (ts->sh_type == SHT_NOBITS || rel[j].r_offset + w > ts->sh_size)
					return -EINVAL;
				memset(e->buf + ts->sh_offset + rel[j].r_offset, OM_CANARY_BYTE, w);
			}
			rel[j].r_info = ELF64_R_INFO(symi, R_X86_64_NONE);
		}
	}

	/*
	 * Weak: modpost and the loader accept a weak symbol nobody exports,
	 * and a strong reference from the stub (to __fentry__, say) still
	 * binds to the kernel's, not to anything of ours.
	 */
	for (i = 1; i < e->nsyms; i++)
		if (e->syms[i].st_shndx == SHN_UNDEF &&
		    ELF64_ST_BIND(e->syms[i].st_info) == STB_GLOBAL)
			e->syms[i].st_info = ELF64_ST_INFO(STB_WEAK,
							   ELF64_ST_TYPE(e->syms[i].st_info));
	return 0;
}

int om_premod_rewrite(const char *in, const char *out, const struct om_options *opts)
{
	struct elf e = { .name = in };
	FILE *f;
	long len;
	int ret = -EIO;

	f = fopen(in, "rb");
	if (!f) {
		ret = -errno;
		om_log(opts, OM_LOG_ERROR, "%s: %s", in, strerror(errno));
		return ret;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto read_fail;
	e.len = len;
	e.buf = malloc(e.len ? e.len : 1);
	if (!e.buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(e.buf, 1, e.len, f) != e.len)
		goto read_fail;
	fclose(f);
	f = NULL;

	ret = parse(&e, opts);
	if (!ret)
		ret = rewrite(&e, opts);
	if (ret)
		goto out;

	f = fopen(out, "wb");
	if (!f || fwrite(e.buf, 1, e.len, f) != e.len || fclose(f)) {
		ret = -EIO;
		om_log(opts, OM_LOG_ERROR, "%s: cannot write: %s", out, strerror(errno));
		f = NULL;
		remove(out);
		goto out;
	}
	f = NULL;
	ret = 0;
	goto out;
read_fail:
	om_log(opts, OM_LOG_ERROR, "%s: cannot read: %s", in, strerror(errno));
	ret = -EIO;
out:
	if (f)
		fclose(f);
	free(e.buf);
	return ret;
}
