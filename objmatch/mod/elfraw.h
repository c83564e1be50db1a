/* SPDX-License-Identifier: GPL-2.0 */
/*
 * elfraw.h: a relocatable x86-64 ELF object as bytes in memory, checked
 * once and then edited in place (no section grows).  Used where splice
 * rewrites objects for the kernel's module loader: premod.c (pre modules)
 * and newmod.c (new-code modules).  Reading for analysis goes through the
 * model (object.h, libbfd) instead.
 */
#ifndef OBJMATCH_ELFRAW_H
#define OBJMATCH_ELFRAW_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>

#include "obj/objmatch.h"

struct om_elf {
	const char *name;
	unsigned char *buf;
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	size_t nsec;
	const char *shstr;
	size_t symtab;		/* section index of .symtab */
	Elf64_Sym *syms;
	size_t nsyms;
	const char *strtab;
	size_t strsz;
};

/* Read and check @path: 0, -EIO or -EINVAL (logged). om_elf_free() after. */
int om_elf_open(struct om_elf *e, const char *path, const struct om_options *opts);
/* Write the (edited) bytes to @path; 0 or -EIO (logged, @path removed). */
int om_elf_write(const struct om_elf *e, const char *path, const struct om_options *opts);
void om_elf_free(struct om_elf *e);

const char *om_elf_secname(const struct om_elf *e, size_t i);
const char *om_elf_symname(const struct om_elf *e, size_t i);
/* The section symbol i is defined in, or 0 (undefined, absolute, common). */
size_t om_elf_symsec(const struct om_elf *e, size_t i);
/* The entries of RELA section @rs. */
Elf64_Rela *om_elf_relas(const struct om_elf *e, size_t rs, size_t *n);

/*
 * Bytes of a relocation's field, for the types splice rewrites: 0 for
 * R_X86_64_NONE, 4 or 8, or -1 for any other type (refused).
 */
int om_elf_reloc_width(uint32_t type);
bool om_elf_reloc_pcrel(uint32_t type);

/*
 * Hide section @i from the module loader: clear SHF_ALLOC (the loader
 * ignores unallocated sections) and drop the first character of its name
 * ("__mcount_loc" -> "_mcount_loc"), so that linking with a stub does not
 * merge it into the stub's allocated section of the same name.  It is
 * no longer code (SHF_EXECINSTR) and has no relocations: nothing applies
 * them, and objtool, which 6.12 runs on the linked module, would make
 * loader tables for hidden code and check hidden data's relocations.
 */
void om_elf_hide(struct om_elf *e, size_t i);
/*
 * objtool's annotations (unallocated .discard.noendbr, .discard.reachable,
 * ...) keep only their entries about code that is still code: one about
 * hidden code (or an undefined symbol) makes objtool give up on the whole
 * module ("bad .discard.noendbr entry"), silently writing no ORC, ftrace
 * or return-thunk tables for it.  Call after hiding.
 */
void om_elf_drop_hidden_annotations(struct om_elf *e);
/*
 * A static call's trampoline or key (__SCT__NAME, __SCK__NAME)?  objtool,
 * which 6.12 runs on the linked module, makes a .static_call_sites entry
 * for every call to a trampoline, naming the key if the object has a
 * symbol of its name, else the trampoline; the loader follows the key
 * (static_call_add_module()), and one the loader could not resolve is a
 * NULL dereference.  Such a symbol that no relocation leaves to the loader
 * loses its first character (its name is in place, the string one byte
 * on), so objtool takes it for neither.
 */
bool om_elf_static_call_name(const char *name);

/*
 * Sections the loader, ftrace, modpost or another kernel subsystem acts on
 * when a module is loaded (exports, jump labels, ftrace sites, tracepoints,
 * exception tables, ORC, ...).  Names ending in '*' are prefixes.
 */
extern const char *const om_loader_sections[];
extern const size_t om_nloader_sections;
bool om_name_in(const char *name, const char *const *list, size_t n);

#endif /* OBJMATCH_ELFRAW_H */
