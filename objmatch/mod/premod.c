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
 *  - relocations of .altinstr_replacement that point into the object's
 *    own code (a replacement's jump back into its function) are kept: the
 *    loader recomputes such a jump when it copies the replacement in (6.12:
 *    shortened to "jmp rel8" + int3), as it did for the running kernel.
 *  - 6.12's paravirt calls (alternatives with ALT_FLAG_DIRECT_CALL) keep
 *    their two relocations (pv_ops+N, BUG_func): the loader reads them.
 *  - undefined symbols become weak (nothing refers to them any more), so
 *    neither modpost nor the loader insists on finding them; so do the
 *    entry points a unit of a loadable module defines (init_module,
 *    cleanup_module), which are the stub's in the pre module.
 *  - objtool's prefix symbols (__pfx_<f>) the unit defines globally lose
 *    their first character: objtool runs on the linked pre module too and
 *    adds its own (a module of one unit had them already).
 *  - sections the loader would act on with the pre module's identity
 *    (ftrace's __mcount_loc, jump labels, static calls, exports, tracepoints,
 *    exception and bug tables, ORC, per-CPU data, ...) lose SHF_ALLOC and
 *    their first character: the loader ignores unallocated sections, and
 *    the new name keeps the linker from merging them into the stub's;
 *    hidden sections are no code and keep no relocations, and objtool's
 *    annotations lose their entries about them (om_elf_hide()).
 *
 * The matcher's input (the blob) is made from the original object, not from
 * this one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/arch.h"
#include "obj/internal.h"
#include "blob/blob.h"
#include "mod/elfraw.h"
#include "mod/premod.h"

/* Data sections whose relocations into loaded sections are kept. */
static const char *const patchers[] = {
	".altinstructions", ".parainstructions", ".smp_locks",
};

/* A relocation of code the loader reads: left as it is. */
struct live {
	size_t sec;		/* the code section */
	uint64_t off;		/* the relocation's offset in it */
};

/*
 * Add to @lv the relocation at @off of the code @at (an .altinstructions
 * relocation pointing at it, plus @delta): "call *pv_ops+N(%rip)" at a
 * site and "call BUG_func" in its replacement, which 6.12's loader reads
 * for an ALT_FLAG_DIRECT_CALL alternative (arch_alt_direct_call()): with
 * a canary there it would follow a wild pointer.  Both are exported, so
 * the loader can resolve them; anything else is refused.
 */
static int add_live(struct om_elf *e, const Elf64_Rela *at, uint64_t delta,
		    struct live *lv, size_t *nlv, const struct om_options *opts)
{
	size_t sec = om_elf_symsec(e, ELF64_R_SYM(at->r_info)), i, j, nrel;
	uint64_t off = e->syms[ELF64_R_SYM(at->r_info)].st_value + at->r_addend + delta;
	Elf64_Rela *rel;

	for (i = 1; sec && i < e->nsec; i++) {
		if (e->sh[i].sh_type != SHT_RELA || e->sh[i].sh_info != sec)
			continue;
		rel = om_elf_relas(e, i, &nrel);
		for (j = 0; j < nrel; j++) {
			const char *name = om_elf_symname(e, ELF64_R_SYM(rel[j].r_info));

			if (rel[j].r_offset != off)
				continue;
			if (strcmp(name, "pv_ops") && strcmp(name, "BUG_func")) {
				om_log(opts, OM_LOG_ERROR, "%s[%s]+0x%llx: paravirt call through %s: "
				       "the loader would read it", e->name, om_elf_secname(e, sec),
				       (unsigned long long)off, name);
				return -ENOTSUP;
			}
			lv[(*nlv)++] = (struct live){ sec, off };
			return 0;
		}
	}
	om_log(opts, OM_LOG_ERROR, "%s: paravirt call at %s+0x%llx without its relocation",
	       e->name, sec ? om_elf_secname(e, sec) : "?", (unsigned long long)off);
	return -EINVAL;
}

/* The relocations 6.12's loader reads (add_live()): malloc'ed in *@out. */
static int find_live(struct om_elf *e, struct live **out, size_t *nlv,
		     const struct om_options *opts)
{
	size_t a = 0, i, nrel = 0;
	unsigned int es, len;
	Elf64_Rela *rel = NULL;
	int ret = 0;

	*out = NULL;
	*nlv = 0;
	for (i = 1; i < e->nsec && !a; i++)
		if (!strcmp(om_elf_secname(e, i), ".altinstructions"))
			a = i;
	for (i = 1; a && i < e->nsec; i++)
		if (e->sh[i].sh_type == SHT_RELA && e->sh[i].sh_info == a)
			rel = om_elf_relas(e, i, &nrel);
	es = a ? arch_alt_entsize(e->sh[a].sh_size, nrel, NULL) : 0;
	if (!es || e->sh[a].sh_type == SHT_NOBITS)
		return 0;
	*out = calloc(nrel ? nrel : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; !ret && i < nrel; i++) {
		const unsigned char *ent;

		if (rel[i].r_offset % es != 0 && rel[i].r_offset % es != 4)
			continue;
		ent = e->buf + e->sh[a].sh_offset + rel[i].r_offset - rel[i].r_offset % es;
		if (!arch_alt_direct_call(ent, es, &len))
			continue;
		/* instr_offset: the site, its disp32 at +2; repl_offset: call's rel32 at +1 */
		ret = add_live(e, &rel[i], rel[i].r_offset % es ? 1 : 2, *out, nlv, opts);
	}
	return ret;
}

static bool is_live(const struct live *lv, size_t nlv, size_t sec, uint64_t off)
{
	size_t i;

	for (i = 0; i < nlv; i++)
		if (lv[i].sec == sec && lv[i].off == off)
			return true;
	return false;
}

/* A module's entry point, or (6.12) objtool's prefix symbol of one. */
static bool is_entry_point(const char *name)
{
	if (!strncmp(name, "__pfx_", 6))
		name += 6;
	return !strcmp(name, "init_module") || !strcmp(name, "cleanup_module");
}

/* Is @symi defined in an allocated code section of the object itself? */
static bool keeps_own_code_target(struct om_elf *e, uint32_t symi)
{
	uint16_t shndx;

	if (symi == 0 || symi >= e->nsyms)
		return false;
	shndx = e->syms[symi].st_shndx;
	return shndx != SHN_UNDEF && shndx < e->nsec && shndx < SHN_LORESERVE &&
	       (e->sh[shndx].sh_flags & SHF_ALLOC) && (e->sh[shndx].sh_flags & SHF_EXECINSTR) &&
	       strcmp(om_elf_secname(e, shndx), ".altinstr_replacement");
}

/* The rewrite itself, on the object's bytes in memory. */
static int rewrite(struct om_elf *e, const struct om_options *opts)
{
	struct live *lv;
	size_t i, j, nlv;
	int ret;

	ret = find_live(e, &lv, &nlv, opts);
	if (ret) {
		free(lv);
		return ret;
	}

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
		bool code, keep_local, replacement;

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
		replacement = !strcmp(om_elf_secname(e, rs->sh_info), ".altinstr_replacement");
		for (j = 0; j < nrel; j++) {
			uint32_t type = ELF64_R_TYPE(rel[j].r_info);
			uint32_t symi = ELF64_R_SYM(rel[j].r_info);
			int w = om_elf_reloc_width(type);

			if (w < 0 || symi >= e->nsyms) {
				om_log(opts, OM_LOG_ERROR, "%s[%s]: relocation %zu: type %u not handled",
				       e->name, om_elf_secname(e, i), j, type);
				free(lv);
				return -EINVAL;
			}
			if (!w || (code && is_live(lv, nlv, rs->sh_info, rel[j].r_offset)))
				continue;
			if (keep_local && !code) {
				uint16_t shndx = e->syms[symi].st_shndx;

				if (shndx != SHN_UNDEF && shndx < e->nsec &&
				    (e->sh[shndx].sh_flags & SHF_ALLOC))
					continue;
			}
			/*
			 * A replacement's jump into the object's own code
			 * (static_cpu_has(): "jmp %l[t_no]" back into the
			 * function): the loader copies it into the site and
			 * recomputes the jump, on 6.12 as "jmp rel8" + int3
			 * when it fits, as it did for the running kernel.
			 * With a canary for its target it did not fit, and
			 * the site ran "eb 10 cc cc cc" where the pre code
			 * had "e9 <canary+delta>" (mm/gup.c's
			 * gup_fast_fallback): kept, resolved by the loader.
			 */
			if (replacement && keeps_own_code_target(e, symi))
				continue;
			if (code) {
				if (ts->sh_type == SHT_NOBITS || rel[j].r_offset + w > ts->sh_size) {
					free(lv);
					return -EINVAL;
				}
				memset(e->buf + ts->sh_offset + rel[j].r_offset, OM_CANARY_BYTE, w);
			}
			rel[j].r_info = ELF64_R_INFO(symi, R_X86_64_NONE);
		}
	}
	free(lv);
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
		 * points (module_init()'s alias init_module, cleanup_module;
		 * on 6.12 also objtool's __pfx_ symbols of them): the pre
		 * module's are its stub's.
		 */
		if (sym->st_shndx != SHN_UNDEF && ELF64_ST_BIND(sym->st_info) != STB_LOCAL &&
		    is_entry_point(name)) {
			sym->st_shndx = SHN_UNDEF;
			sym->st_value = 0;
			sym->st_size = 0;
		}
		/*
		 * A unit that is a loadable module by itself went through
		 * objtool when it was built; with CONFIG_X86_KERNEL_IBT
		 * kbuild runs objtool again on the linked pre module, and
		 * its --prefix adds __pfx_<f> once more: two global
		 * definitions, and the .ko does not link ("multiple
		 * definition of `__pfx_l2tp_session_get'").  The unit's own
		 * become _pfx_<f>, which nothing refers to.
		 */
		if (sym->st_shndx != SHN_UNDEF && ELF64_ST_BIND(sym->st_info) != STB_LOCAL &&
		    !strncmp(name, "__pfx_", 6))
			sym->st_name++;
		if (sym->st_shndx == SHN_UNDEF && ELF64_ST_BIND(sym->st_info) == STB_GLOBAL)
			sym->st_info = ELF64_ST_INFO(STB_WEAK, ELF64_ST_TYPE(sym->st_info));
		/* no relocation of a trampoline or key is left: not one for objtool */
		if (sym->st_shndx == SHN_UNDEF && om_elf_static_call_name(name))
			sym->st_name++;
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
