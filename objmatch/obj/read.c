// SPDX-License-Identifier: GPL-2.0
/*
 * Reading an object into the model through libbfd.  The only file of objmatch
 * that sees libbfd: everything it learns is copied into plain om_* structures
 * and the bfd is closed before om_object_open*() returns.
 *
 * Files and memory buffers take the same path: a file is mapped and handed
 * to bfd_openr_iovec() like any buffer, which makes the reader fuzzable.
 * Debug sections are not loaded (their data is NULL).
 *
 * The sequence is binutils' (nm.c): bfd_openr*, bfd_check_format,
 * canonicalize the symbol table, then each section's relocations.
 */
#include "config.h"

#include <bfd.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obj/internal.h"

/* ------------------------------------------------------------ bfd plumbing */

struct membuf {
	const unsigned char *data;
	size_t len;
};

static void *mem_open(struct bfd *abfd, void *closure)
{
	return closure;
}

static file_ptr mem_pread(struct bfd *abfd, void *stream, void *buf,
			  file_ptr nbytes, file_ptr offset)
{
	const struct membuf *m = stream;

	if (offset < 0 || (size_t)offset >= m->len)
		return 0;
	if ((size_t)nbytes > m->len - (size_t)offset)
		nbytes = (file_ptr)(m->len - (size_t)offset);
	memcpy(buf, m->data + offset, (size_t)nbytes);
	return nbytes;
}

static int mem_close(struct bfd *abfd, void *stream)
{
	return 0;
}

static int mem_stat(struct bfd *abfd, void *stream, struct stat *sb)
{
	const struct membuf *m = stream;

	memset(sb, 0, sizeof(*sb));
	sb->st_size = (off_t)m->len;
	sb->st_mode = S_IFREG | 0644;
	return 0;
}

/*
 * libbfd reports problems through one process-wide handler; while a read is
 * in progress it is routed to that read's log callback.  This is the only
 * mutable global of objmatch, and it exists because libbfd's handler takes no
 * context argument.
 */
static __thread const struct om_options *bfd_log_opts;
static __thread const char *bfd_log_name;

static void bfd_message(const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	om_log(bfd_log_opts, OM_LOG_WARN, "%s: libbfd: %s",
	       bfd_log_name ? bfd_log_name : "?", buf);
}

static const char *bfd_err(void)
{
	return bfd_errmsg(bfd_get_error());
}

/* ------------------------------------------------------------ ELF sizes */

/*
 * libbfd's public interface has no symbol sizes (nm gets them from the
 * private elf-bfd.h).  The ELF symbol table is simple enough to read
 * directly: libbfd's canonical table holds the ELF symbols 1..n-1 in order,
 * which read_symbols() checks by value and name before trusting it.
 */
struct elf_syms {
	const unsigned char *sym;	/* Elf64_Sym[n], maybe unaligned */
	size_t n;
	const char *str;
	size_t strsz;
};

/* ELF structures are copied out: a buffer (or a corrupt offset) may be unaligned. */
static void get_shdr(const unsigned char *d, const Elf64_Ehdr *eh, size_t i,
		     Elf64_Shdr *out)
{
	memcpy(out, d + eh->e_shoff + i * sizeof(*out), sizeof(*out));
}

static void get_sym(const struct elf_syms *es, size_t i, Elf64_Sym *out)
{
	memcpy(out, es->sym + i * sizeof(*out), sizeof(*out));
}

static int find_elf_symtab(const unsigned char *d, size_t len, struct elf_syms *es)
{
	Elf64_Ehdr eh;
	Elf64_Shdr st, ss;
	size_t i;

	memset(es, 0, sizeof(*es));
	if (len < sizeof(eh))
		return -EINVAL;
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    eh.e_shnum > (len - eh.e_shoff) / sizeof(Elf64_Shdr))
		return -EINVAL;
	for (i = 0; i < eh.e_shnum; i++) {
		get_shdr(d, &eh, i, &st);
		if (st.sh_type != SHT_SYMTAB)
			continue;
		if (st.sh_link >= eh.e_shnum || st.sh_offset > len ||
		    st.sh_size > len - st.sh_offset)
			return -EINVAL;
		get_shdr(d, &eh, st.sh_link, &ss);
		if (ss.sh_offset > len || ss.sh_size > len - ss.sh_offset)
			return -EINVAL;
		es->sym = d + st.sh_offset;
		es->n = st.sh_size / sizeof(Elf64_Sym);
		es->str = (const char *)d + ss.sh_offset;
		es->strsz = ss.sh_size;
		return 0;
	}
	return -ENOENT;
}

/*
 * Checks libbfd would otherwise report by printing to stderr itself (2.40
 * prints some format-check warnings, e.g. "section extending past end of
 * file", without going through the error handler): done here first, so that
 * every diagnostic goes through the log callback, with clearer words.
 */
static int precheck_elf(const struct om_options *opts, const char *name,
			const unsigned char *d, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strtab;
	bool has_groups = false;
	unsigned int nsymtabs = 0;
	size_t i;

	if (len < sizeof(eh) || memcmp(d, ELFMAG, SELFMAG)) {
		om_log(opts, OM_LOG_ERROR, "%s: not an object file: not ELF", name);
		return -EINVAL;
	}
	memcpy(&eh, d, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64) {
		om_log(opts, OM_LOG_ERROR, "%s: not an x86-64 ELF object", name);
		return -EINVAL;
	}
	if (eh.e_type != ET_REL || eh.e_phnum || eh.e_phoff) {
		om_log(opts, OM_LOG_ERROR, "%s: not a relocatable object", name);
		return -EINVAL;
	}
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    eh.e_shnum > (len - eh.e_shoff) / sizeof(Elf64_Shdr)) {
		om_log(opts, OM_LOG_ERROR, "%s: section headers beyond the end of the file",
		       name);
		return -EINVAL;
	}
	if (eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum) {
		om_log(opts, OM_LOG_ERROR, "%s: no valid section name table", name);
		return -EINVAL;
	}
	get_shdr(d, &eh, eh.e_shstrndx, &strtab);
	if (strtab.sh_type != SHT_STRTAB) {
		om_log(opts, OM_LOG_ERROR, "%s: no valid section name table", name);
		return -EINVAL;
	}
	for (i = 0; i < eh.e_shnum; i++) {
		get_shdr(d, &eh, i, &sh);
		if (sh.sh_type == SHT_GROUP)
			has_groups = true;
		/*
		 * A compiler writes one symbol table.  With more, libbfd
		 * ignores the later ones and says so on stderr, past our log
		 * (bfd_check_format's warnings are printed, not handed to
		 * the error handler): refuse them here, in our words.
		 */
		if (sh.sh_type == SHT_SYMTAB && nsymtabs++) {
			om_log(opts, OM_LOG_ERROR, "%s: section %zu: a second symbol table", name, i);
			return -EINVAL;
		}
	}
	for (i = 0; i < eh.e_shnum; i++) {
		uint32_t t;

		get_shdr(d, &eh, i, &sh);
		t = sh.sh_type;
		if (sh.sh_name >= strtab.sh_size ||
		    ((sh.sh_flags & SHF_GROUP) && !has_groups)) {
			om_log(opts, OM_LOG_ERROR, "%s: section %zu is malformed", name, i);
			return -EINVAL;
		}
		if (t != SHT_NULL && t != SHT_PROGBITS && t != SHT_SYMTAB &&
		    t != SHT_STRTAB && t != SHT_RELA && t != SHT_NOBITS &&
		    t != SHT_NOTE && t != SHT_GROUP && t != SHT_SYMTAB_SHNDX &&
		    t != SHT_INIT_ARRAY && t != SHT_FINI_ARRAY &&
		    t != SHT_PREINIT_ARRAY && t != SHT_X86_64_UNWIND &&
		    !(t >= SHT_LOOS && t <= SHT_HIOS)) {
			om_log(opts, OM_LOG_ERROR, "%s: section %zu has unknown type %#x",
			       name, i, t);
			return -EINVAL;
		}
		if (t != SHT_NOBITS &&
		    (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)) {
			om_log(opts, OM_LOG_ERROR,
			       "%s: section %zu extends beyond the end of the file", name, i);
			return -EINVAL;
		}
		if ((t == SHT_SYMTAB || t == SHT_RELA) &&
		    (sh.sh_link >= eh.e_shnum ||
		     sh.sh_entsize != (t == SHT_SYMTAB ? sizeof(Elf64_Sym)
						       : sizeof(Elf64_Rela)) ||
		     (t == SHT_RELA && sh.sh_info >= eh.e_shnum))) {
			om_log(opts, OM_LOG_ERROR, "%s: section %zu is malformed", name, i);
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the reader */

struct reader {
	const struct om_options *opts;
	struct om_object *obj;
	bfd *abfd;
	asymbol **canon;
	long ncanon;
	const unsigned char *raw;
	size_t rawlen;
};

static uint32_t section_flags(const asection *s)
{
	flagword f = bfd_section_flags(s);
	uint32_t r = 0;

	if (f & SEC_ALLOC)
		r |= OM_SEC_ALLOC;
	if (f & SEC_CODE)
		r |= OM_SEC_CODE;
	if ((f & SEC_ALLOC) && !(f & SEC_READONLY))
		r |= OM_SEC_WRITE;
	if (f & SEC_MERGE)
		r |= OM_SEC_MERGE;
	if (f & SEC_STRINGS)
		r |= OM_SEC_STRINGS;
	if (!(f & SEC_HAS_CONTENTS))
		r |= OM_SEC_NOBITS;
	if (f & SEC_DEBUGGING)
		r |= OM_SEC_DEBUG;
	return r;
}

static int read_sections(struct reader *rd)
{
	struct om_object *obj = rd->obj;
	asection *s;
	size_t n = 0;

	for (s = rd->abfd->sections; s; s = s->next)
		n++;
	obj->secs = calloc(n ? n : 1, sizeof(*obj->secs));
	if (!obj->secs)
		return -ENOMEM;
	for (s = rd->abfd->sections; s; s = s->next) {
		struct om_section *sec = &obj->secs[obj->nsecs];
		unsigned char *data = NULL;

		sec->index = (uint32_t)obj->nsecs;
		obj->nsecs++;
		/* libbfd section -> model section, for symbols and relocations */
		s->userdata = sec;
		sec->name = strdup(bfd_section_name(s));
		if (!sec->name)
			return -ENOMEM;
		sec->flags = section_flags(s);
		sec->size = bfd_section_size(s);
		sec->align = (uint64_t)1 << bfd_section_alignment(s);
		sec->entsize = s->entsize;
		/* debug info is most of a kernel object and nobody reads it */
		if (sec->flags & (OM_SEC_NOBITS | OM_SEC_DEBUG) || sec->size == 0)
			continue;
		if (sec->size > rd->rawlen) {
			om_diag(rd->opts, OM_LOG_ERROR, obj, sec, NULL, 0,
				"section larger than the file");
			return -EINVAL;
		}
		data = malloc(sec->size);
		if (!data)
			return -ENOMEM;
		sec->data = data;
		if (!bfd_get_section_contents(rd->abfd, s, data, 0, sec->size)) {
			om_diag(rd->opts, OM_LOG_ERROR, obj, sec, NULL, 0,
				"cannot read contents: %s", bfd_err());
			return -EINVAL;
		}
	}
	return 0;
}

static struct om_section *om_sec_of(const asection *s)
{
	if (!s || bfd_is_und_section(s) || bfd_is_abs_section(s) ||
	    bfd_is_com_section(s))
		return NULL;
	return s->userdata;
}

static int read_symbols(struct reader *rd)
{
	struct om_object *obj = rd->obj;
	struct elf_syms es;
	bool sizes_ok;
	long storage, i;
	size_t k;

	if (!(bfd_get_file_flags(rd->abfd) & HAS_SYMS)) {
		rd->ncanon = 0;
	} else {
		storage = bfd_get_symtab_upper_bound(rd->abfd);
		if (storage < 0) {
			om_log(rd->opts, OM_LOG_ERROR, "%s: cannot read the symbol table: %s",
			       obj->name, bfd_err());
			return -EINVAL;
		}
		rd->canon = malloc((size_t)storage + sizeof(asymbol *));
		if (!rd->canon)
			return -ENOMEM;
		rd->ncanon = bfd_canonicalize_symtab(rd->abfd, rd->canon);
		if (rd->ncanon < 0) {
			om_log(rd->opts, OM_LOG_ERROR, "%s: cannot read the symbol table: %s",
			       obj->name, bfd_err());
			return -EINVAL;
		}
	}
	/* room for a synthesised section symbol per section */
	obj->syms = calloc((size_t)rd->ncanon + obj->nsecs + 1, sizeof(*obj->syms));
	if (!obj->syms)
		return -ENOMEM;

	sizes_ok = find_elf_symtab(rd->raw, rd->rawlen, &es) == 0 &&
		   es.n == (size_t)rd->ncanon + 1;
	for (i = 0; i < rd->ncanon; i++) {
		const asymbol *as = rd->canon[i];
		struct om_symbol *sym = &obj->syms[i];
		flagword f = as->flags;

		sym->index = (uint32_t)i;
		sym->name = strdup(bfd_asymbol_name(as) ? bfd_asymbol_name(as) : "");
		if (!sym->name)
			return -ENOMEM;
		sym->sec = om_sec_of(bfd_asymbol_section(as));
		sym->value = sym->sec ? (uint64_t)as->value : 0;
		if (f & BSF_SECTION_SYM)
			sym->type = OM_SYM_SECTION;
		else if (f & BSF_FILE)
			sym->type = OM_SYM_FILE;
		else if (f & BSF_FUNCTION)
			sym->type = OM_SYM_FUNC;
		else if (f & BSF_OBJECT)
			sym->type = OM_SYM_OBJECT;
		else
			sym->type = OM_SYM_NOTYPE;
		if (f & BSF_WEAK)
			sym->bind = OM_BIND_WEAK;
		else if (f & BSF_GLOBAL || !sym->sec)
			sym->bind = OM_BIND_GLOBAL;
		else
			sym->bind = OM_BIND_LOCAL;
		if (sym->type == OM_SYM_SECTION && sym->sec && !sym->sec->secsym)
			sym->sec->secsym = sym;
		if (sizes_ok) {
			Elf64_Sym e;

			get_sym(&es, (size_t)i + 1, &e);
			if (e.st_value != as->value ||
			    (sym->type != OM_SYM_SECTION &&
			     (e.st_name >= es.strsz ||
			      strncmp(es.str + e.st_name, sym->name,
				      es.strsz - e.st_name) != 0)))
				sizes_ok = false;
			else
				sym->size = e.st_size;
		}
	}
	obj->nsyms = (size_t)rd->ncanon;
	if (!sizes_ok && rd->ncanon > 0)
		om_log(rd->opts, OM_LOG_DEBUG,
		       "%s: ELF symbol table does not line up with libbfd's; sizes estimated",
		       obj->name);

	/* every section gets a section symbol, even one ELF left out */
	for (k = 0; k < obj->nsecs; k++) {
		struct om_section *sec = &obj->secs[k];
		struct om_symbol *sym;

		if (sec->secsym)
			continue;
		sym = &obj->syms[obj->nsyms];
		sym->index = (uint32_t)obj->nsyms++;
		sym->name = strdup(sec->name);
		if (!sym->name)
			return -ENOMEM;
		sym->sec = sec;
		sym->type = OM_SYM_SECTION;
		sym->bind = OM_BIND_LOCAL;
		sec->secsym = sym;
	}
	if (!sizes_ok)
		return 1;	/* caller estimates sizes after indexing */
	return 0;
}

static struct om_symbol *map_reloc_sym(struct reader *rd, asymbol **pp)
{
	const asymbol *as;
	struct om_section *sec;

	if (!pp || !*pp)
		return NULL;
	if (rd->canon && pp >= rd->canon && pp < rd->canon + rd->ncanon) {
		struct om_symbol *sym = &rd->obj->syms[pp - rd->canon];

		if (sym->type == OM_SYM_SECTION && sym->sec)
			return sym->sec->secsym;
		return sym;
	}
	as = *pp;
	sec = om_sec_of(bfd_asymbol_section(as));
	if ((as->flags & BSF_SECTION_SYM) && sec)
		return sec->secsym;
	return NULL;	/* the absolute symbol: no symbol */
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct om_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Sections whose relocations nobody looks at (and that are big). */
static bool skip_relocs(const struct om_section *sec)
{
	return !(sec->flags & OM_SEC_ALLOC) &&
	       ((sec->flags & OM_SEC_DEBUG) || strncmp(sec->name, ".debug", 6) == 0);
}

static int read_relocs(struct reader *rd)
{
	struct om_object *obj = rd->obj;
	asection *s;

	for (s = rd->abfd->sections; s; s = s->next) {
		struct om_section *sec = s->userdata;
		arelent **rel;
		long storage, n, i;

		if (!(bfd_section_flags(s) & SEC_RELOC) || skip_relocs(sec))
			continue;
		storage = bfd_get_reloc_upper_bound(rd->abfd, s);
		if (storage < 0) {
			om_diag(rd->opts, OM_LOG_ERROR, obj, sec, NULL, 0,
				"cannot read relocations: %s", bfd_err());
			return -EINVAL;
		}
		rel = malloc((size_t)storage + sizeof(*rel));
		if (!rel)
			return -ENOMEM;
		n = bfd_canonicalize_reloc(rd->abfd, s, rel, rd->canon);
		if (n < 0) {
			om_diag(rd->opts, OM_LOG_ERROR, obj, sec, NULL, 0,
				"cannot read relocations: %s", bfd_err());
			free(rel);
			return -EINVAL;
		}
		sec->relocs = calloc((size_t)n + 1, sizeof(*sec->relocs));
		if (!sec->relocs) {
			free(rel);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++) {
			struct om_reloc *r = &sec->relocs[i];

			r->offset = rel[i]->address;
			r->addend = (int64_t)rel[i]->addend;
			/* an unknown type has no howto: keep it as ~0 so that
			 * arch code reports it instead of ignoring it */
			r->type = rel[i]->howto ? rel[i]->howto->type : UINT32_MAX;
			r->sym = map_reloc_sym(rd, rel[i]->sym_ptr_ptr);
		}
		sec->nrelocs = (size_t)n;
		free(rel);
		qsort(sec->relocs, sec->nrelocs, sizeof(*sec->relocs), cmp_reloc);
	}
	return 0;
}

/*
 * Without ELF sizes, a function or object extends to the next symbol of its
 * section (or the section end).  Only used if read_symbols() could not line
 * up the ELF symbol table with libbfd's.
 */
static void estimate_sizes(struct om_object *obj)
{
	size_t i, j;

	for (i = 0; i < obj->nsecs; i++) {
		struct om_section *sec = &obj->secs[i];

		for (j = 0; j < sec->nsyms; j++) {
			struct om_symbol *sym = sec->syms[j];
			uint64_t end = sec->size;

			if (j + 1 < sec->nsyms && sec->syms[j + 1]->value > sym->value)
				end = sec->syms[j + 1]->value;
			if (sym->size == 0 && end >= sym->value)
				sym->size = end - sym->value;
		}
	}
}

/*
 * The model promises that every symbol lies within its section and every
 * relocation's offset within the section it applies to, so that nothing
 * downstream indexes out of bounds on a corrupt object.
 */
static int validate(struct reader *rd)
{
	const struct om_object *obj = rd->obj;
	size_t i, k;

	for (i = 0; i < obj->nsyms; i++) {
		const struct om_symbol *sym = &obj->syms[i];

		if (!sym->sec || sym->type == OM_SYM_SECTION)
			continue;
		if (sym->value > sym->sec->size ||
		    sym->size > sym->sec->size - sym->value) {
			om_diag(rd->opts, OM_LOG_ERROR, obj, sym->sec, sym, 0,
				"symbol extends beyond its section");
			return -EINVAL;
		}
	}
	for (i = 0; i < obj->nsecs; i++) {
		const struct om_section *sec = &obj->secs[i];

		for (k = 0; k < sec->nrelocs; k++) {
			if (sec->relocs[k].offset >= sec->size) {
				om_diag(rd->opts, OM_LOG_ERROR, obj, sec, NULL, 0,
					"relocation at 0x%llx beyond the section",
					(unsigned long long)sec->relocs[k].offset);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int check_target(struct reader *rd)
{
	bfd *abfd = rd->abfd;

	if (!bfd_check_format(abfd, bfd_object)) {
		om_log(rd->opts, OM_LOG_ERROR, "%s: not an object file: %s",
		       rd->obj->name, bfd_err());
		return -EINVAL;
	}
	if (bfd_get_flavour(abfd) != bfd_target_elf_flavour ||
	    bfd_get_arch(abfd) != bfd_arch_i386 ||
	    bfd_get_arch_size(abfd) != 64) {
		om_log(rd->opts, OM_LOG_ERROR, "%s: not an x86-64 ELF object (%s)",
		       rd->obj->name, bfd_get_target(abfd));
		return -EINVAL;
	}
	if (bfd_get_file_flags(abfd) & (EXEC_P | DYNAMIC)) {
		om_log(rd->opts, OM_LOG_ERROR, "%s: not a relocatable object",
		       rd->obj->name);
		return -EINVAL;
	}
	return 0;
}

int om_object_open_mem(const char *name, const void *buf, size_t len,
		       const struct om_options *opts, struct om_object **out)
{
	struct reader rd = { .opts = opts };
	struct membuf mb = { .data = buf, .len = len };
	const struct om_options *saved_opts = bfd_log_opts;
	const char *saved_name = bfd_log_name;
	int err, est;

	*out = NULL;
	rd.raw = buf;
	rd.rawlen = len;
	rd.obj = calloc(1, sizeof(*rd.obj));
	if (!rd.obj)
		return -ENOMEM;
	rd.obj->name = strdup(name ? name : "<memory>");
	if (!rd.obj->name) {
		om_object_free(rd.obj);
		return -ENOMEM;
	}

	err = precheck_elf(opts, rd.obj->name, buf, len);
	if (err) {
		om_object_free(rd.obj);
		return err;
	}
	bfd_init();
	bfd_set_error_handler(bfd_message);
	bfd_log_opts = opts;
	bfd_log_name = rd.obj->name;

	rd.abfd = bfd_openr_iovec(rd.obj->name, "elf64-x86-64", mem_open, &mb,
				  mem_pread, mem_close, mem_stat);
	if (!rd.abfd) {
		om_log(opts, OM_LOG_ERROR, "%s: cannot open: %s", rd.obj->name, bfd_err());
		err = -EINVAL;
		goto out;
	}
	err = check_target(&rd);
	if (err)
		goto out;
	err = read_sections(&rd);
	if (err)
		goto out;
	est = read_symbols(&rd);
	if (est < 0) {
		err = est;
		goto out;
	}
	err = read_relocs(&rd);
	if (err)
		goto out;
	err = om_object_index(rd.obj);
	if (err)
		goto out;
	if (est)
		estimate_sizes(rd.obj);
	err = validate(&rd);
out:
	free(rd.canon);
	if (rd.abfd && !bfd_close(rd.abfd) && !err) {
		om_log(opts, OM_LOG_ERROR, "%s: %s", rd.obj->name, bfd_err());
		err = -EIO;
	}
	bfd_log_opts = saved_opts;
	bfd_log_name = saved_name;
	if (err) {
		om_object_free(rd.obj);
		return err;
	}
	*out = rd.obj;
	return 0;
}

int om_object_open(const char *path, const struct om_options *opts,
		   struct om_object **out)
{
	struct stat st;
	void *map;
	int fd, err;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		om_log(opts, OM_LOG_ERROR, "%s: cannot open: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		om_log(opts, OM_LOG_ERROR, "%s: not a regular file", path);
		close(fd);
		return err;
	}
	if (st.st_size == 0) {
		close(fd);
		return om_object_open_mem(path, "", 0, opts, out);
	}
	/* mapped, not read: only the pages of the sections used are touched */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = map == MAP_FAILED ? -errno : 0;
	close(fd);
	if (err) {
		om_log(opts, OM_LOG_ERROR, "%s: cannot map: %s", path, strerror(-err));
		return err;
	}
	err = om_object_open_mem(path, map, (size_t)st.st_size, opts, out);
	munmap(map, (size_t)st.st_size);
	return err;
}
