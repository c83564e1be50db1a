// SPDX-License-Identifier: GPL-2.0
/* newmod-emit.c: the new object written out (newmod.c). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obj/internal.h"
#include "blob/blob.h"
#include "mod/elfraw.h"
#include "mod/newmod.h"
#include "mod/newmod-internal.h"

/* ------------------------------------------------------------ output */

struct obuf {
	unsigned char *p;
	size_t len, cap;
};

static int ob_put(struct obuf *b, const void *data, size_t len, size_t align, size_t *off)
{
	size_t start = (b->len + align - 1) / align * align;

	if (start + len > b->cap) {
		size_t cap = (start + len) * 2;
		unsigned char *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memset(b->p + b->len, 0, start - b->len);
	if (len)
		memcpy(b->p + start, data, len);
	b->len = start + len;
	if (off)
		*off = start;
	return 0;
}

enum { NS_FUNCS, NS_RELA_FUNCS, NS_RELOCS, NS_RELA_RELOCS, NS_COUNT };

static const char *const new_names[NS_COUNT] = {
	".splice.funcs", ".rela.splice.funcs", ".splice.relocs", ".rela.splice.relocs",
};

/*
 * Append the two tables, their relocations, the grown symbol, string and
 * section name tables and a new section header table; write the file.
 */
int nm_emit(struct nm *n)
{
	struct om_elf *e = &n->e;
	size_t nf = n->o->nchanged, nsec = e->nsec + NS_COUNT, i;
	/*
	 * appended symbols: the two tables, the hook records if any, and the
	 * reference to splice-core's marker
	 */
	size_t nadd = 2 + !!n->hooks + !!n->nearly, early_at = 2 + !!n->hooks;
	size_t off_sym, off_str, off_shstr, off_sh, off[NS_COUNT], tsize, strbase;
	size_t shstr_len = e->sh[e->eh->e_shstrndx].sh_size;
	size_t strtab_idx = e->sh[e->symtab].sh_link;
	uint32_t name_off[NS_COUNT], sym_name[4];
	struct obuf b = { 0 }, strtab = { 0 }, shstr = { 0 }, tab = { 0 };
	Elf64_Rela *fr = NULL, *rr = NULL;
	Elf64_Sym *syms = NULL;
	Elf64_Shdr *sh = NULL;
	uint64_t *funcs = NULL;
	struct om_newrel_hdr hdr = { .magic = OM_NEWREL_MAGIC, .version = OM_NEWREL_VERSION,
				     .objname = OM_NEWREL_NONE, .unit = OM_NEWREL_NONE };
	const char *suffix = n->o->suffix ? n->o->suffix : "";
	char fname[128], rname[128], hname[128];
	FILE *f;
	int ret = -ENOMEM;

	/* the record table: header, records, strings */
	if (n->o->target && nm_add_string(n, n->o->target, &hdr.objname))
		goto out;
	if (n->o->unit && nm_add_string(n, n->o->unit, &hdr.unit))
		goto out;
	/* the string area is never empty: its last byte is a NUL (splice-core checks) */
	if (!n->strslen) {
		uint32_t empty;

		if (nm_add_string(n, "", &empty))
			goto out;
	}
	if (n->nvalue)
		hdr.version = OM_NEWREL_VERSION_VALUE;
	hdr.nrelocs = n->nrecs;
	hdr.strings = sizeof(hdr) + n->nrecs * sizeof(struct om_newrel);
	tsize = hdr.strings + n->strslen;
	hdr.size = tsize;
	rr = calloc(n->nrecs ? n->nrecs : 1, sizeof(*rr));
	if (!rr || ob_put(&tab, &hdr, sizeof(hdr), 8, NULL))
		goto out;
	for (i = 0; i < n->nrecs; i++) {
		struct om_newrel rec = n->recs[i];
		size_t s = n->recsec[i], ss = n->secsym[s];

		if (!ss) {
			om_log(n->opts, OM_LOG_ERROR, "%s[%s]: no symbol to address the section",
			       e->name, om_elf_secname(e, s));
			ret = -EINVAL;
			goto out;
		}
		rr[i].r_offset = sizeof(hdr) + i * sizeof(rec);
		rr[i].r_info = ELF64_R_INFO(ss, R_X86_64_64);
		rr[i].r_addend = rec.site - e->syms[ss].st_value;
		rec.site = 0;
		if (ob_put(&tab, &rec, sizeof(rec), 8, NULL))
			goto out;
	}
	if (ob_put(&tab, n->strs, n->strslen, 1, NULL))
		goto out;

	/* the function table */
	funcs = calloc(nf ? nf : 1, sizeof(*funcs));
	fr = calloc(nf ? nf : 1, sizeof(*fr));
	if (!funcs || !fr)
		goto out;
	for (i = 0; i < nf; i++) {
		fr[i].r_offset = i * sizeof(*funcs);
		fr[i].r_info = ELF64_R_INFO(n->funcsym[i], R_X86_64_64);
		fr[i].r_addend = 0;
	}

	/* strings: old + the two symbol names; section names: old + ours */
	strbase = e->strsz;
	snprintf(fname, sizeof(fname), "splice_new_funcs%s", suffix);
	snprintf(rname, sizeof(rname), "splice_new_relocs%s", suffix);
	snprintf(hname, sizeof(hname), "splice_new_hooks%s", suffix);
	if (ob_put(&strtab, e->strtab, e->strsz, 1, NULL) ||
	    ob_put(&strtab, fname, strlen(fname) + 1, 1, NULL) ||
	    ob_put(&strtab, rname, strlen(rname) + 1, 1, NULL) ||
	    ob_put(&strtab, hname, strlen(hname) + 1, 1, NULL) ||
	    ob_put(&strtab, OM_NEWREL_EARLY_SYMBOL, sizeof(OM_NEWREL_EARLY_SYMBOL), 1, NULL) ||
	    ob_put(&shstr, e->shstr, shstr_len, 1, NULL))
		goto out;
	sym_name[0] = strbase;
	sym_name[1] = strbase + strlen(fname) + 1;
	sym_name[2] = sym_name[1] + strlen(rname) + 1;
	sym_name[3] = sym_name[2] + strlen(hname) + 1;
	for (i = 0; i < NS_COUNT; i++) {
		name_off[i] = shstr.len;
		if (ob_put(&shstr, new_names[i], strlen(new_names[i]) + 1, 1, NULL))
			goto out;
	}

	/*
	 * symbols: old + two globals (after every local: the order rule
	 * holds), + the hook records' global (splice_new_hooks, at the start
	 * of the kept .splice.hooks), + with EARLY records an undefined
	 * reference to splice-core's marker (newmod.h)
	 */
	syms = calloc(e->nsyms + 4, sizeof(*syms));
	if (!syms)
		goto out;
	memcpy(syms, e->syms, e->nsyms * sizeof(*syms));
	syms[e->nsyms] = (Elf64_Sym){ .st_name = sym_name[0],
				      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				      .st_shndx = e->nsec + NS_FUNCS, .st_size = nf * 8 };
	syms[e->nsyms + 1] = (Elf64_Sym){ .st_name = sym_name[1],
					  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
					  .st_shndx = e->nsec + NS_RELOCS, .st_size = tsize };
	if (n->hooks)
		syms[e->nsyms + 2] = (Elf64_Sym){ .st_name = sym_name[2],
						  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
						  .st_shndx = n->hooks,
						  .st_size = e->sh[n->hooks].sh_size };
	syms[e->nsyms + early_at] = (Elf64_Sym){ .st_name = sym_name[3],
						 .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE),
						 .st_shndx = SHN_UNDEF };

	if (ob_put(&b, e->buf, e->len, 1, NULL) ||
	    ob_put(&b, syms, (e->nsyms + nadd) * sizeof(*syms), 8, &off_sym) ||
	    ob_put(&b, strtab.p, strtab.len, 1, &off_str) ||
	    ob_put(&b, funcs, nf * sizeof(*funcs), 8, &off[NS_FUNCS]) ||
	    ob_put(&b, fr, nf * sizeof(*fr), 8, &off[NS_RELA_FUNCS]) ||
	    ob_put(&b, tab.p, tab.len, 8, &off[NS_RELOCS]) ||
	    ob_put(&b, rr, n->nrecs * sizeof(*rr), 8, &off[NS_RELA_RELOCS]) ||
	    ob_put(&b, shstr.p, shstr.len, 1, &off_shstr))
		goto out;

	sh = calloc(nsec, sizeof(*sh));
	if (!sh)
		goto out;
	memcpy(sh, e->sh, e->nsec * sizeof(*sh));
	sh[e->symtab].sh_offset = off_sym;
	sh[e->symtab].sh_size = (e->nsyms + nadd) * sizeof(*syms);
	sh[strtab_idx].sh_offset = off_str;
	sh[strtab_idx].sh_size = strtab.len;
	sh[e->eh->e_shstrndx].sh_offset = off_shstr;
	sh[e->eh->e_shstrndx].sh_size = shstr.len;
	for (i = 0; i < NS_COUNT; i++) {
		Elf64_Shdr *h = &sh[e->nsec + i];
		bool rela = i == NS_RELA_FUNCS || i == NS_RELA_RELOCS;

		h->sh_name = name_off[i];
		h->sh_offset = off[i];
		h->sh_addralign = 8;
		if (rela) {
			h->sh_type = SHT_RELA;
			h->sh_flags = SHF_INFO_LINK;
			h->sh_link = e->symtab;
			h->sh_info = e->nsec + i - 1;
			h->sh_entsize = sizeof(Elf64_Rela);
			h->sh_size = (i == NS_RELA_FUNCS ? nf : n->nrecs) * sizeof(Elf64_Rela);
		} else {
			h->sh_type = SHT_PROGBITS;
			h->sh_flags = SHF_ALLOC;
			h->sh_size = i == NS_FUNCS ? nf * sizeof(*funcs) : tab.len;
		}
	}
	if (ob_put(&b, sh, nsec * sizeof(*sh), 8, &off_sh))
		goto out;
	((Elf64_Ehdr *)b.p)->e_shoff = off_sh;
	((Elf64_Ehdr *)b.p)->e_shnum = nsec;

	f = fopen(n->o->out, "wb");
	if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f)) {
		om_log(n->opts, OM_LOG_ERROR, "%s: cannot write: %s", n->o->out, strerror(errno));
		remove(n->o->out);
		ret = -EIO;
		goto out;
	}
	ret = 0;
out:
	free(b.p);
	free(strtab.p);
	free(shstr.p);
	free(tab.p);
	free(fr);
	free(rr);
	free(syms);
	free(sh);
	free(funcs);
	return ret;
}
