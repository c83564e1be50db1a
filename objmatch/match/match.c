// SPDX-License-Identifier: GPL-2.0
/*
 * match.c: run-pre matching (see match.h for the rules).
 *
 * Deductions are kept per key.  A key is what a relocation's target is
 * relative to:
 *   - an undefined symbol:             target = key + addend
 *   - a section of the unit:           target = key + sym.value + addend
 *     (a section symbol, or a symbol defined in that section)
 *   - one item of a merged section:    target = key
 *     (a string, or an entsize constant)
 * so "every reference to the same thing deduces the same address" becomes
 * "a key is set at most once".  Keys set during a candidate's trial are
 * logged and rolled back when the candidate fails.
 */
#include "match/match-compat.h"
#include "match/match.h"
#include "match/match-arch.h"

#define NO_KEY		((u32)-1)
#define DIAG_MAX	240

enum sec_state { SEC_PENDING, SEC_MATCHED, SEC_FAILED, SEC_AMBIGUOUS };

struct strkey {
	u32 section;
	u64 offset;
	u32 key;
};

struct om_match {
	const struct om_munit *unit;
	const struct om_env *env;	/* &envcopy: the caller's may be gone */
	struct om_env envcopy;
	int debug;

	u32 nkeys;
	u64 *kval;
	u8 *kknown;
	u32 *seckey;		/* section -> key */
	u32 *symkey;		/* undefined symbol -> key */
	struct strkey *strkeys;	/* sorted by (section, offset) */
	u32 nstrkeys;
	u32 *primary;		/* section -> symbol naming it, NO_KEY if none */
	u8 *symcall;		/* symbol -> enum om_march_callsite */
	u8 *symreg;		/* symbol -> retpoline thunk register */

	u32 *undo;		/* keys set in the current trial */
	u32 nundo;

	u8 *state;		/* section -> enum sec_state */
	u8 *rodone;		/* read-only section compared */
	u8 *run;		/* running bytes buffer, largest section */
	u32 runsize;
	u32 nmatched;

	/* first mismatch of the current trial */
	char diag[DIAG_MAX];
};

/* ------------------------------------------------------------ messages */

static void logf_(const struct om_match *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(const struct om_match *m, int level, const char *fmt, ...)
{
	char line[DIAG_MAX + 160];
	va_list ap;

	if (!m->env->log || (level == OM_MLOG_DEBUG && !m->debug))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->env->log(m->env->ctx, level, line);
}

static const char *sec_name(const struct om_match *m, u32 s)
{
	return m->unit->sections[s].name;
}

/* "name" of the section's own symbol, or the section's name. */
static const char *sec_label(const struct om_match *m, u32 s)
{
	u32 p = m->primary[s];

	return p == NO_KEY ? sec_name(m, s) : m->unit->syms[p].name;
}

static void hexbytes(char *out, u32 outsz, const u8 *b, u32 n)
{
	static const char hex[] = "0123456789abcdef";
	u32 i, o = 0;

	for (i = 0; i < n && o + 4 < outsz; i++) {
		if (i)
			out[o++] = ' ';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = 0;
}

/* Records the first mismatch of a trial: where, and what differed. */
static void mismatch_bytes(struct om_match *m, u32 s, u32 off, const u8 *pre,
			   const u8 *run, u32 n)
{
	char e[40], r[40];

	if (m->diag[0])
		return;
	if (n > 8)
		n = 8;
	hexbytes(e, sizeof(e), pre, n);
	hexbytes(r, sizeof(r), run, n);
	snprintf(m->diag, sizeof(m->diag), "%s+0x%x: expected %s, running %s",
		 sec_label(m, s), off, e, r);
}

/* ------------------------------------------------------------ keys */

static int key_set(struct om_match *m, u32 k, u64 v, u32 s, u32 off, const char *what)
{
	if (m->kknown[k]) {
		if (m->kval[k] == v)
			return 0;
		if (!m->diag[0])
			snprintf(m->diag, sizeof(m->diag),
				 "%s+0x%x: reference to %s deduces 0x%llx, earlier deduced 0x%llx",
				 sec_label(m, s), off, what, (unsigned long long)v,
				 (unsigned long long)m->kval[k]);
		return -ESRCH;
	}
	m->kknown[k] = 1;
	m->kval[k] = v;
	m->undo[m->nundo++] = k;
	logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: %s = 0x%llx", m->unit->name,
	      sec_label(m, s), off, what, (unsigned long long)v);
	return 0;
}

static void trial_rollback(struct om_match *m)
{
	while (m->nundo)
		m->kknown[m->undo[--m->nundo]] = 0;
}

static void trial_commit(struct om_match *m)
{
	m->nundo = 0;
}

static u32 strkey_find(const struct om_match *m, u32 section, u64 offset)
{
	u32 lo = 0, hi = m->nstrkeys;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct strkey *k = &m->strkeys[mid];

		if (k->section == section && k->offset == offset)
			return k->key;
		if (k->section < section || (k->section == section && k->offset < offset))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NO_KEY;
}

/*
 * The item of a merged section that a relocation is about.  An absolute
 * reference names it: "mov $.LC0, %rdi" is R_X86_64_32S .rodata.str1.1+off.
 * A PC-relative one from code names the end of its displacement field:
 * "lea .LC0(%rip), %rsi" is R_X86_64_PC32 .rodata.str1.1+off-4, and
 * "cmpw $1, .LC1(%rip)" is .rodata.cst2+off-6 (an immediate follows).  So
 * the item is at value + addend + 4 + n, n the immediate's size (0..4):
 * the first string that starts there, or the next constant.  Keying such
 * a reference at value + addend would compare the bytes before the item,
 * which the linker's merging replaced with another unit's strings.
 */
static u64 merged_item(const struct om_msection *sec, u64 off, int pcrel_code)
{
	u64 k;

	if (!pcrel_code)
		return off;
	off += 4;
	if (!sec->data || off >= sec->size)
		return off;
	if (sec->flags & OM_MSEC_STRINGS) {
		for (k = 0; k <= 4 && off + k < sec->size; k++)
			if (off + k == 0 || !sec->data[off + k - 1])
				return off + k;
		return off;
	}
	if (sec->entsize > 1 && off % sec->entsize)
		off += sec->entsize - off % sec->entsize;
	return off;
}

/* Is relocation r of section s PC-relative from code (a displacement)? */
static int reloc_pcrel_code(const struct om_match *m, u32 s, const struct om_mreloc *r)
{
	struct om_march_reloc info;

	return s < m->unit->nsections && (m->unit->sections[s].flags & OM_MSEC_CODE) &&
	       !om_march_reloc_info(r->type, &info) && info.pcrel && info.width == 4;
}

/*
 * The key a relocation's target hangs off, and the target's delta from it.
 * s: the relocation's section (NO_KEY: not in code).
 */
static u32 reloc_key(const struct om_match *m, u32 s, const struct om_mreloc *r, s64 *delta)
{
	const struct om_msym *sym = &m->unit->syms[r->sym];
	const struct om_msection *sec;

	if (sym->section < 0) {
		*delta = r->addend;
		return m->symkey[r->sym];
	}
	sec = &m->unit->sections[sym->section];
	if (sec->flags & OM_MSEC_MERGED) {
		u64 at = sym->value + (u64)r->addend;
		u64 item = merged_item(sec, at, reloc_pcrel_code(m, s, r));

		*delta = (s64)(at - item);
		return strkey_find(m, sym->section, item);
	}
	/* in u64: a blob's value and addend may be anything, and wrap, never overflow */
	*delta = (s64)(sym->value + (u64)r->addend);
	return m->seckey[sym->section];
}

static const char *reloc_what(const struct om_match *m, const struct om_mreloc *r)
{
	const struct om_msym *sym = &m->unit->syms[r->sym];

	if (sym->kind == OM_MSYM_SECTION && sym->section >= 0)
		return sec_name(m, sym->section);
	return sym->name;
}

/* Deduce from the running bytes at a relocation site. */
static int deduce(struct om_match *m, u32 s, u64 base, const struct om_mreloc *r,
		  const u8 *run)
{
	struct om_march_reloc info;
	s64 delta;
	u32 k;
	u64 target;

	if (om_march_reloc_info(r->type, &info))
		return -EINVAL;
	k = reloc_key(m, s, r, &delta);
	if (k == NO_KEY)
		return -EINVAL;
	target = om_march_reloc_value(&info, run, base + r->offset);
	return key_set(m, k, target - (u64)delta, s, r->offset, reloc_what(m, r));
}

/* ------------------------------------------------------------ setup */

static int cmp_strkey(const struct strkey *a, const struct strkey *b)
{
	if (a->section != b->section)
		return a->section < b->section ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/* Insertion sort keeps this freestanding; string references are few. */
static void sort_strkeys(struct strkey *k, u32 n)
{
	u32 i, j;

	for (i = 1; i < n; i++) {
		struct strkey t = k[i];

		for (j = i; j > 0 && cmp_strkey(&k[j - 1], &t) > 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static int validate(const struct om_munit *u)
{
	u32 s, i;

	for (i = 0; i < u->nsyms; i++)
		if (u->syms[i].section >= (s32)u->nsections || !u->syms[i].name)
			return -EINVAL;
	for (s = 0; s < u->nsections; s++) {
		const struct om_msection *sec = &u->sections[s];

		for (i = 0; i < sec->nrelocs; i++) {
			struct om_march_reloc info;
			const struct om_mreloc *r = &sec->relocs[i];

			if (r->sym >= u->nsyms || om_march_reloc_info(r->type, &info) ||
			    r->offset + info.width > sec->size ||
			    (i && r->offset < sec->relocs[i - 1].offset))
				return -EINVAL;
		}
		for (i = 0; i < sec->nsites; i++)
			if (sec->sites[i].offset + sec->sites[i].len > sec->size ||
			    (i && sec->sites[i].offset < sec->sites[i - 1].offset))
				return -EINVAL;
		if ((sec->flags & (OM_MSEC_CODE | OM_MSEC_RODATA)) && sec->size && !sec->data)
			return -EINVAL;
	}
	return 0;
}

static void *zalloc(const struct om_env *env, size_t n)
{
	return env->zalloc(env->ctx, n ? n : 1);
}

static int setup(struct om_match *m)
{
	const struct om_munit *u = m->unit;
	const struct om_env *env = m->env;
	u32 s, i, nrel = 0, nstr = 0, maxsize = 0;

	for (s = 0; s < u->nsections; s++) {
		nrel += u->sections[s].nrelocs;
		/*
		 * merged sections with bytes too (only those are compared): a
		 * referenced string is read whole
		 */
		if (((u->sections[s].flags & (OM_MSEC_CODE | OM_MSEC_RODATA)) ||
		     ((u->sections[s].flags & OM_MSEC_MERGED) && u->sections[s].data)) &&
		    u->sections[s].size > maxsize)
			maxsize = u->sections[s].size;
	}

	m->seckey = zalloc(env, u->nsections * sizeof(u32));
	m->primary = zalloc(env, u->nsections * sizeof(u32));
	m->state = zalloc(env, u->nsections);
	m->rodone = zalloc(env, u->nsections);
	m->symkey = zalloc(env, u->nsyms * sizeof(u32));
	m->symcall = zalloc(env, u->nsyms);
	m->symreg = zalloc(env, u->nsyms);
	m->strkeys = zalloc(env, nrel * sizeof(struct strkey));
	m->run = zalloc(env, maxsize);
	m->runsize = maxsize;
	if (!m->seckey || !m->primary || !m->state || !m->rodone || !m->symkey ||
	    !m->strkeys || !m->run || !m->symcall || !m->symreg)
		return -ENOMEM;

	for (s = 0; s < u->nsections; s++) {
		m->seckey[s] = m->nkeys++;
		m->primary[s] = NO_KEY;
	}
	for (i = 0; i < u->nsyms; i++) {
		const struct om_msym *sym = &u->syms[i];

		m->symkey[i] = NO_KEY;
		if (sym->section < 0) {
			int reg = 0;

			m->symkey[i] = m->nkeys++;
			m->symcall[i] = om_march_callsite(sym->name, &reg);
			m->symreg[i] = reg;
		} else if ((sym->kind == OM_MSYM_FUNC || sym->kind == OM_MSYM_OBJECT) &&
			   sym->value == 0 && sym->name[0]) {
			/* the symbol a section is known by, e.g. its function */
			if (m->primary[sym->section] == NO_KEY)
				m->primary[sym->section] = i;
		}
	}
	/* one key per distinct string referenced */
	for (s = 0; s < u->nsections; s++) {
		const struct om_msection *sec = &u->sections[s];

		for (i = 0; i < sec->nrelocs; i++) {
			const struct om_mreloc *r = &sec->relocs[i];
			const struct om_msym *sym = &u->syms[r->sym];

			if (sym->section < 0 ||
			    !(u->sections[sym->section].flags & OM_MSEC_MERGED))
				continue;
			m->strkeys[nstr].section = sym->section;
			m->strkeys[nstr].offset = merged_item(&u->sections[sym->section],
							      sym->value + (u64)r->addend,
							      reloc_pcrel_code(m, s, r));
			nstr++;
		}
	}
	sort_strkeys(m->strkeys, nstr);
	for (i = 0; i < nstr; i++) {
		if (m->nstrkeys && !cmp_strkey(&m->strkeys[m->nstrkeys - 1], &m->strkeys[i]))
			continue;
		m->strkeys[m->nstrkeys] = m->strkeys[i];
		m->strkeys[m->nstrkeys].key = m->nkeys++;
		m->nstrkeys++;
	}

	m->kval = zalloc(env, m->nkeys * sizeof(u64));
	m->kknown = zalloc(env, m->nkeys);
	m->undo = zalloc(env, m->nkeys * sizeof(u32));
	if (!m->kval || !m->kknown || !m->undo)
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------ comparison */

/* Relocation at offset off of section s, or NULL. */
static const struct om_mreloc *reloc_at(const struct om_msection *sec, u32 *ri, u32 off)
{
	while (*ri < sec->nrelocs && sec->relocs[*ri].offset < off)
		(*ri)++;
	if (*ri < sec->nrelocs && sec->relocs[*ri].offset == off)
		return &sec->relocs[*ri];
	return NULL;
}

/*
 * A call/jmp (opcode at off, relocation at off + 1) to a symbol whose site
 * the kernel rewrites.  Returns 1 if handled (accepted), 0 if it is to be
 * compared normally, negative on mismatch.
 */
static int special_call(struct om_match *m, u32 s, u64 base, u32 off,
			const struct om_mreloc *r)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const struct om_msym *sym = &m->unit->syms[r->sym];
	enum om_march_callsite kind;
	int reg = 0;
	u8 op = sec->data[off];

	if ((op != 0xe8 && op != 0xe9) || off + 5 > sec->size || sym->section >= 0)
		return 0;
	kind = m->symcall[r->sym];
	reg = m->symreg[r->sym];
	if (kind == OM_CALL_PLAIN)
		return 0;
	if (kind == OM_CALL_FENTRY) {
		/* whatever ftrace made of it; __fentry__ itself is not learned */
		if (op == 0xe8 && om_march_callsite_rewritten(kind, reg, op, m->run + off, 5)) {
			logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: ftrace site", m->unit->name,
			      sec_label(m, s), off);
			return 1;
		}
		mismatch_bytes(m, s, off, sec->data + off, m->run + off, 5);
		return -ESRCH;
	}
	if (om_march_callsite_rewritten(kind, reg, op, m->run + off, 5)) {
		logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: rewritten call to %s", m->unit->name,
		      sec_label(m, s), off, sym->name);
		return 1;
	}
	(void)base;
	return 0;
}

/*
 * A tail call the running kernel's assembler shortened.  The kernel was
 * built without -ffunction-sections, so a function and the one it
 * tail-calls often share .text, and gas relaxes "jmp kernel_restart"
 * (e9 <rel32>) into "jmp rel8" (eb xx) when the target is near; the pre
 * object, built with a section per function, has to keep the 5-byte form
 * with a relocation.  Debian's deferred_cad() is "xor %edi,%edi; jmp
 * kernel_restart": e9 77777777 in the pre code, eb 97 and alignment
 * padding in the kernel.  Accepted only as the function's last
 * instruction (nothing after it moves), and the target it reaches is
 * deduced as the relocation's would be.  Returns 1 if handled, 0 if not
 * this case, negative on a mismatch.
 */
static int relaxed_tail_jump(struct om_match *m, u32 s, u64 base, u32 off,
			     const struct om_mreloc *r)
{
	const struct om_msection *sec = &m->unit->sections[s];
	struct om_march_reloc info;
	u8 rel32[4];
	s64 rel;
	u64 target;
	u32 i;
	int ret;

	if (sec->data[off] != 0xe9 || m->run[off] != 0xeb || r->offset != off + 1 ||
	    off + 5 != sec->size || om_march_reloc_info(r->type, &info) ||
	    !info.pcrel || info.width != 4)
		return 0;
	target = base + off + 2 + (u64)(s64)(s8)m->run[off + 1];
	/* the rel32 the 5-byte form would hold for that target */
	rel = (s64)(target - (base + off + 5));
	for (i = 0; i < 4; i++)
		rel32[i] = (u8)((u64)rel >> (8 * i));
	logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: tail jump shortened by the assembler",
	      m->unit->name, sec_label(m, s), off);
	ret = deduce(m, s, base, r, rel32);
	return ret ? ret : 1;
}

static u64 rel32_target(const u8 *call, u64 at)
{
	s32 rel = (s32)((u32)call[1] | (u32)call[2] << 8 | (u32)call[3] << 16 |
			(u32)call[4] << 24);

	return at + 5 + (u64)(s64)rel;
}

/*
 * A paravirt site: "call *pv_ops+N(%rip)" in the object, which the
 * kernel's loader (apply_paravirt()) made into "call <pv_ops' function>"
 * plus NOPs, in the kernel at boot and in the pre module at load.  The two
 * copies' rel32 differ (they are far apart); what the call reaches must
 * not: set_tsc_mode+0x39 is "e8 <rel32> 90" in both, calling the same
 * native function.  Returns 0 equal, 1 not rewritten into a call here
 * (compared as ordinary code), -ESRCH differ.
 */
static int compare_paravirt(struct om_match *m, u32 s, u64 base, const struct om_msite *site)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data + site->offset, *run = m->run + site->offset;
	u64 pre_to, run_to;

	if (!sec->addr || site->len < 5 || pre[0] != 0xe8)
		return 1;
	if (run[0] != 0xe8 || memcmp(pre + 5, run + 5, site->len - 5)) {
		mismatch_bytes(m, s, site->offset, pre, run, site->len);
		return -ESRCH;
	}
	pre_to = rel32_target(pre, sec->addr + site->offset);
	run_to = rel32_target(run, base + site->offset);
	if (pre_to != run_to) {
		if (!m->diag[0])
			snprintf(m->diag, sizeof(m->diag),
				 "%s+0x%x: paravirt call to 0x%llx, running calls 0x%llx",
				 sec_label(m, s), site->offset, (unsigned long long)pre_to,
				 (unsigned long long)run_to);
		return -ESRCH;
	}
	logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: paravirt call to 0x%llx", m->unit->name,
	      sec_label(m, s), site->offset, (unsigned long long)run_to);
	return 0;
}

/* 0 accepted, 1 to be compared as ordinary code, negative on a mismatch. */
static int compare_site(struct om_match *m, u32 s, u64 base, const struct om_msite *site,
			u32 *ri)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data + site->offset, *run = m->run + site->offset;
	const struct om_mreloc *r;
	u64 addr = base + site->offset;
	int ret;

	switch (site->kind) {
	case OM_SITE_SMP_LOCK:
		if (site->len == 1 && om_march_is_lock_alt(pre[0], run[0]))
			return 0;
		break;
	case OM_SITE_JUMP_LABEL:
		/* either state of the key: a NOP, or the jump to the target */
		if (om_march_is_nop(run, site->len))
			return 0;
		r = reloc_at(sec, ri, site->offset + 1);
		if (r && r->offset < site->offset + site->len) {
			/* target in another section: the jump's reloc tells */
			if (run[0] == 0xe9 && site->len == 5) {
				ret = deduce(m, s, base, r, run + 1);
				return ret;
			}
		} else if (om_march_is_jump_to(run, site->len, addr, base + site->target)) {
			return 0;
		}
		break;
	case OM_SITE_PARAVIRT:
		return compare_paravirt(m, s, base, site);
	default:
		return -EINVAL;
	}
	mismatch_bytes(m, s, site->offset, pre, run, site->len);
	return -ESRCH;
}

/*
 * The first difference of plain bytes [from, to) of section s is at i: if
 * i lies in the first 4 bytes of a function of the section and those are
 * endbr64 on one side and its seal on the other, return the offset after
 * them (accepted); else 0.  Only at a function's entry: objtool seals
 * nothing else.
 */
static u32 entry_sealed(struct om_match *m, u32 s, u32 from, u32 i, u32 to)
{
	const struct om_msection *sec = &m->unit->sections[s];
	u32 k, e;

	for (k = 0; k < m->unit->nsyms; k++) {
		const struct om_msym *sym = &m->unit->syms[k];

		if (sym->kind != OM_MSYM_FUNC || sym->section != (s32)s ||
		    sym->value > i || sym->value + 4 <= i || sym->value < from)
			continue;
		e = (u32)sym->value;
		if (om_march_entry_sealed(sec->data + e, m->run + e, to - e)) {
			logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: endbr64 sealed on one side",
			      m->unit->name, sec_label(m, s), e);
			return e + 4;
		}
	}
	return 0;
}

/* Compare section s, placed at base, with the running bytes in m->run. */
static int compare_section(struct om_match *m, u32 s, u64 base)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data, *run = m->run;
	int code = sec->flags & OM_MSEC_CODE;
	u32 off = 0, ri = 0, si = 0;
	int ret;

	while (off < sec->size) {
		const struct om_mreloc *r;
		u32 next = sec->size, i;

		/*
		 * Plain bytes up to the next event: a site, a relocation, or
		 * the byte before a relocation (maybe a call/jmp opcode).
		 */
		if (si < sec->nsites && sec->sites[si].offset < next)
			next = sec->sites[si].offset;
		while (ri < sec->nrelocs && sec->relocs[ri].offset < off)
			ri++;
		if (ri < sec->nrelocs) {
			u32 ro = sec->relocs[ri].offset;
			u32 ev = code && ro > off ? ro - 1 : ro;

			if (ev < next)
				next = ev;
		}
		if (next > off) {
			if (memcmp(pre + off, run + off, next - off)) {
				u32 after;

				for (i = off; pre[i] == run[i]; i++)
					;
				after = code ? entry_sealed(m, s, off, i, next) : 0;
				if (after) {
					off = after;
					continue;
				}
				mismatch_bytes(m, s, i, pre + i, run + i, sec->size - i);
				return -ESRCH;
			}
			off = next;
			continue;
		}

		if (si < sec->nsites && sec->sites[si].offset == off) {
			ret = compare_site(m, s, base, &sec->sites[si], &ri);
			if (ret < 0)
				return ret;
			if (ret == 0)
				off += sec->sites[si].len;
			si++;	/* 1: left as it was, compared as code */
			continue;
		}
		r = reloc_at(sec, &ri, off);
		if (r && (r->flags & OM_RELOC_SKIP)) {
			struct om_march_reloc info;

			om_march_reloc_info(r->type, &info);
			logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: skipped (rewritten by the loader)",
			      m->unit->name, sec_label(m, s), off);
			off += info.width;
			continue;
		}
		if (r && !(r->flags & OM_RELOC_BYTES_ONLY)) {
			struct om_march_reloc info;

			om_march_reloc_info(r->type, &info);
			ret = deduce(m, s, base, r, run + off);
			if (ret)
				return ret;
			off += info.width;
			continue;
		}
		if (code && off + 1 < sec->size && !r) {
			u32 ri2 = ri;
			const struct om_mreloc *nr = reloc_at(sec, &ri2, off + 1);

			if (nr && !(nr->flags & (OM_RELOC_BYTES_ONLY | OM_RELOC_SKIP))) {
				ret = relaxed_tail_jump(m, s, base, off, nr);
				if (ret < 0)
					return ret;
				if (ret) {
					off = sec->size;
					continue;
				}
				ret = special_call(m, s, base, off, nr);
				if (ret < 0)
					return ret;
				if (ret) {
					off += 5;
					continue;
				}
			}
		}
		/* a byte-only relocation, or a byte before one: plain compare */
		if (pre[off] != run[off]) {
			mismatch_bytes(m, s, off, pre + off, run + off, sec->size - off);
			return -ESRCH;
		}
		off++;
	}
	return 0;
}

/* Try section s at addr: read, compare, deduce.  Keys are left set. */
static int try_at(struct om_match *m, u32 s, u64 addr)
{
	const struct om_msection *sec = &m->unit->sections[s];
	int ret;

	m->diag[0] = 0;
	ret = m->env->read(m->env->ctx, addr, m->run, sec->size);
	if (ret) {
		snprintf(m->diag, sizeof(m->diag), "%s: cannot read running memory at 0x%llx (%d)",
			 sec_label(m, s), (unsigned long long)addr, ret);
		return -ESRCH;
	}
	ret = key_set(m, m->seckey[s], addr, s, 0, sec_label(m, s));
	if (ret)
		return ret;
	return compare_section(m, s, addr);
}

/* Match one section flagged for matching.  Returns 0, or a negative errno. */
static int match_code_section(struct om_match *m, u32 s, int allow_ambiguous)
{
	u64 cand[OM_MAX_CANDIDATES], ok_addr = 0;
	int n, i, nok = 0, ret;
	const char *label = sec_label(m, s);
	char first[DIAG_MAX];

	if (m->kknown[m->seckey[s]]) {
		/* another match already told where this section is */
		cand[0] = m->kval[m->seckey[s]];
		n = 1;
	} else {
		if (m->primary[s] == NO_KEY) {
			logf_(m, OM_MLOG_ERROR, "%s[%s]: no symbol names this section; cannot find it",
			      m->unit->name, sec_name(m, s));
			return -ENOENT;
		}
		n = m->env->candidates(m->env->ctx, label, cand, OM_MAX_CANDIDATES);
		if (n < 0)
			return n;
		if (n == 0) {
			logf_(m, OM_MLOG_ERROR, "%s[%s]: %s: no symbol of that name in the running kernel",
			      m->unit->name, sec_name(m, s), label);
			return -ENOENT;
		}
		if (n > OM_MAX_CANDIDATES) {
			logf_(m, OM_MLOG_ERROR, "%s[%s]: %s: %d candidates, more than %d",
			      m->unit->name, sec_name(m, s), label, n, OM_MAX_CANDIDATES);
			return -E2BIG;
		}
	}

	first[0] = 0;
	for (i = 0; i < n; i++) {
		ret = try_at(m, s, cand[i]);
		if (ret == -EINVAL)
			return ret;
		logf_(m, OM_MLOG_DEBUG, "%s: %s: candidate 0x%llx: %s%s", m->unit->name, label,
		      (unsigned long long)cand[i], ret ? "no match: " : "match", ret ? m->diag : "");
		if (ret) {
			if (!first[0])
				memcpy(first, m->diag, sizeof(first));
			if (n > 1)
				logf_(m, OM_MLOG_INFO, "%s[%s]: candidate 0x%llx: %s", m->unit->name,
				      sec_name(m, s), (unsigned long long)cand[i], m->diag);
		} else {
			nok++;
			ok_addr = cand[i];
		}
		trial_rollback(m);
	}
	if (nok == 0) {
		logf_(m, OM_MLOG_ERROR, "%s[%s]: no match (%d candidate%s): %s", m->unit->name,
		      sec_name(m, s), n, n == 1 ? "" : "s", first);
		return -ESRCH;
	}
	if (nok > 1) {
		if (allow_ambiguous)
			return -EEXIST;
		logf_(m, OM_MLOG_ERROR, "%s[%s]: %s: %d of %d candidates match; cannot tell which runs",
		      m->unit->name, sec_name(m, s), label, nok, n);
		return -EEXIST;
	}
	/* exactly one: redo it for real and keep its deductions */
	ret = try_at(m, s, ok_addr);
	if (ret)
		return ret;	/* cannot happen: same bytes, same keys */
	trial_commit(m);
	logf_(m, OM_MLOG_DEBUG, "%s: %s: matched at 0x%llx", m->unit->name, label,
	      (unsigned long long)ok_addr);
	return 0;
}

/* Compare read-only data whose address a match deduced. */
static int match_rodata(struct om_match *m, u32 s)
{
	const struct om_msection *sec = &m->unit->sections[s];
	int ret;

	ret = try_at(m, s, m->kval[m->seckey[s]]);
	if (ret) {
		logf_(m, OM_MLOG_ERROR, "%s[%s]: read-only data differs: %s", m->unit->name,
		      sec_name(m, s), m->diag);
		trial_rollback(m);
		return ret;
	}
	trial_commit(m);
	(void)sec;
	return 0;
}

/* Compare each referenced merged item (string, constant) whose address was learned. */
static int match_merged(struct om_match *m)
{
	u32 i;
	int ret = 0;

	for (i = 0; i < m->nstrkeys; i++) {
		const struct strkey *k = &m->strkeys[i];
		const struct om_msection *sec = &m->unit->sections[k->section];
		u32 len = 0;

		if (!m->kknown[k->key] || !sec->data || k->offset >= sec->size)
			continue;
		if (sec->flags & OM_MSEC_STRINGS) {
			while (k->offset + len < sec->size && sec->data[k->offset + len])
				len++;
			len++;	/* the NUL */
		} else {
			len = sec->entsize ? sec->entsize : 1;
			if (k->offset + len > sec->size)
				len = sec->size - k->offset;
		}
		if (len > m->runsize || m->env->read(m->env->ctx, m->kval[k->key], m->run, len) ||
		    memcmp(m->run, sec->data + k->offset, len)) {
			if (sec->flags & OM_MSEC_STRINGS)
				logf_(m, OM_MLOG_ERROR, "%s[%s]: string at +0x%llx (\"%.40s\") differs at 0x%llx",
				      m->unit->name, sec->name, (unsigned long long)k->offset,
				      (const char *)sec->data + k->offset,
				      (unsigned long long)m->kval[k->key]);
			else
				logf_(m, OM_MLOG_ERROR, "%s[%s]: constant at +0x%llx differs at 0x%llx",
				      m->unit->name, sec->name, (unsigned long long)k->offset,
				      (unsigned long long)m->kval[k->key]);
			ret = -ESRCH;
		}
	}
	return ret;
}

int om_match_run(const struct om_munit *unit, const struct om_env *env, int debug,
		 struct om_match **out)
{
	struct om_match *m;
	u32 s;
	int ret, err = 0, progress, pending;

	*out = NULL;
	if (!unit || !env || !env->read || !env->candidates || !env->zalloc || !env->free)
		return -EINVAL;
	ret = validate(unit);
	if (ret)
		return ret;
	m = env->zalloc(env->ctx, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->unit = unit;
	m->envcopy = *env;
	m->env = &m->envcopy;
	m->debug = debug;
	ret = setup(m);
	if (ret) {
		om_match_free(m);
		return ret;
	}

	/*
	 * Flood fill: match what is unambiguous, which may pin down what was
	 * not (a call from a matched function tells where a same-named static
	 * is), until nothing moves; then what is still ambiguous is an error.
	 */
	do {
		progress = 0;
		pending = 0;
		for (s = 0; s < unit->nsections; s++) {
			const struct om_msection *sec = &unit->sections[s];

			if (!(sec->flags & OM_MSEC_MATCH) || !(sec->flags & OM_MSEC_CODE) ||
			    (m->state[s] != SEC_PENDING && m->state[s] != SEC_AMBIGUOUS))
				continue;
			ret = match_code_section(m, s, 1);
			if (ret == -EEXIST) {
				m->state[s] = SEC_AMBIGUOUS;
				pending++;
				continue;
			}
			if (ret == -ENOMEM || ret == -EINVAL) {
				om_match_free(m);
				return ret;
			}
			if (ret) {
				m->state[s] = SEC_FAILED;
				if (!err)
					err = ret;
				continue;
			}
			m->state[s] = SEC_MATCHED;
			m->nmatched++;
			progress = 1;
		}
		for (s = 0; s < unit->nsections; s++) {
			const struct om_msection *sec = &unit->sections[s];

			if (!(sec->flags & OM_MSEC_RODATA) || m->rodone[s] ||
			    !m->kknown[m->seckey[s]])
				continue;
			m->rodone[s] = 1;
			progress = 1;
			ret = match_rodata(m, s);
			if (ret && !err)
				err = ret;
		}
	} while (progress && pending);

	for (s = 0; s < unit->nsections; s++) {
		if (m->state[s] == SEC_AMBIGUOUS) {
			ret = match_code_section(m, s, 0);	/* logs the error */
			if (!err)
				err = ret ? ret : -EEXIST;
		}
	}
	ret = match_merged(m);
	if (ret && !err)
		err = ret;
	*out = m;
	return err;
}

void om_match_free(struct om_match *m)
{
	const struct om_env *env;

	if (!m)
		return;
	env = m->env;
	env->free(env->ctx, m->seckey);
	env->free(env->ctx, m->primary);
	env->free(env->ctx, m->state);
	env->free(env->ctx, m->rodone);
	env->free(env->ctx, m->symkey);
	env->free(env->ctx, m->symcall);
	env->free(env->ctx, m->symreg);
	env->free(env->ctx, m->strkeys);
	env->free(env->ctx, m->run);
	env->free(env->ctx, m->kval);
	env->free(env->ctx, m->kknown);
	env->free(env->ctx, m->undo);
	env->free(env->ctx, m);
}

int om_match_section_addr(const struct om_match *m, u32 section, u64 *addr)
{
	if (section >= m->unit->nsections || !m->kknown[m->seckey[section]])
		return -ENOENT;
	*addr = m->kval[m->seckey[section]];
	return 0;
}

int om_match_symbol_addr(const struct om_match *m, u32 symi, s64 addend, u64 *addr)
{
	const struct om_msym *sym;
	struct om_mreloc r;
	s64 delta;
	u32 k;

	if (symi >= m->unit->nsyms)
		return -ENOENT;
	sym = &m->unit->syms[symi];
	r = (struct om_mreloc){ .sym = symi, .addend = addend };
	k = reloc_key(m, NO_KEY, &r, &delta);
	if (k == NO_KEY || !m->kknown[k])
		return -ENOENT;
	*addr = m->kval[k] + (u64)delta;
	(void)sym;
	return 0;
}

int om_match_section_matched(const struct om_match *m, u32 section)
{
	return section < m->unit->nsections && m->state[section] == SEC_MATCHED;
}

u32 om_match_nmatched(const struct om_match *m)
{
	return m->nmatched;
}
