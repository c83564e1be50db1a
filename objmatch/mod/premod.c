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
 *    neither modpost nor the loader insists on finding them; so do the
 *    entry points a unit of a loadable module defines (init_module,
 *    cleanup_module), which are the stub's in the pre module.
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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"
#include "blob/blob.h"
#include "mod/elfraw.h"
#include "mod/premod.h"

/* Data sections whose relocations into loaded sections are kept. */
static const char *const patchers[] = {
	".altinstructions", ".parainstructions", ".smp_locks",
};

/* The rewrite itself, on the object's bytes in memory. */
static int rewrite(struct om_elf *e, const struct om_options *opts)
{
	size_t i, j;

	for (i = 1; i < e->nsec; i++) {
		if (om_name_in(om_elf_secname(e, i), om_loader_sections, om_nloader_sections))
			om_elf_hide(e, i);
		/* the unit's built-in module info is not the pre module's */
		if (!strcmp(om_elf_secname(e, i), ".modinfo"))
			e->sh[i].sh_size = 0;
	}

	for (i = 1; i < e->nsec; i++) {
		Elf64_Shdr *rs = &e->sh[i], *ts;
		Elf64_Rela *rel;
		size_t nrel;
		bool code, keep_local;

		if (rs->sh_type != SHT_RELA)
			continue;
		ts = &e->sh[rs->sh_info];
		rel = om_elf_relas(e, i, &nrel);
		if (!(ts->sh_flags & SHF_ALLOC)) {
			/* hidden or never loaded: apply nothing */
			for (j = 0; j < nrel; j++)
				rel[j].r_info = ELF64_R_INFO(ELF64_R_SYM(rel[j].r_info), R_X86_64_NONE);
			continue;
		}
		code = ts->sh_flags & SHF_EXECINSTR;
		keep_local = om_name_in(om_elf_secname(e, rs->sh_info), patchers, ARRAY_SIZE(patchers));
		for (j = 0; j < nrel; j++) {
			uint32_t type = ELF64_R_TYPE(rel[j].r_info);
			uint32_t symi = ELF64_R_SYM(rel[j].r_info);
			int w = om_elf_reloc_width(type);

			if (w < 0 || symi >= e->nsyms) {
				om_log(opts, OM_LOG_ERROR, "%s[%s]: relocation %zu: type %u not handled",
				       e->name, om_elf_secname(e, i), j, type);
				return -EINVAL;
			}
			if (!w)
				continue;
			if (keep_local && !code) {
				uint16_t shndx = e->syms[symi].st_shndx;

				if (shndx != SHN_UNDEF && shndx < e->nsec &&
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
	om_elf_drop_hidden_annotations(e);

	/*
	 * Weak: modpost and the loader accept a weak symbol nobody exports,
	 * and a strong reference from the stub (to __fentry__, say) still
	 * binds to the kernel's, not to anything of ours.
	 */
	for (i = 1; i < e->nsyms; i++) {
		Elf64_Sym *sym = &e->syms[i];
		const char *name = om_elf_symname(e, i);

		/*
		 * A unit of a loadable module defines the module's entry
		 * points (module_init()'s alias init_module, cleanup_module):
		 * the pre module's are its stub's.
		 */
		if (sym->st_shndx != SHN_UNDEF && ELF64_ST_BIND(sym->st_info) != STB_LOCAL &&
		    (!strcmp(name, "init_module") || !strcmp(name, "cleanup_module"))) {
			sym->st_shndx = SHN_UNDEF;
			sym->st_value = 0;
			sym->st_size = 0;
		}
		if (sym->st_shndx == SHN_UNDEF && ELF64_ST_BIND(sym->st_info) == STB_GLOBAL)
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
	}
	return 0;
}

int om_premod_rewrite(const char *in, const char *out, const struct om_options *opts)
{
	struct om_elf e;
	int ret;

	ret = om_elf_open(&e, in, opts);
	if (!ret)
		ret = rewrite(&e, opts);
	if (!ret)
		ret = om_elf_write(&e, out, opts);
	om_elf_free(&e);
	return ret;
}
