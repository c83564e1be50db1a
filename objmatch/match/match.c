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

/* A relative branch of the pre code, checked once every offset is mapped. */
struct wcheck {
	u32 from;	/* the branch, pre offset */
	u32 pre_to;	/* its target, pre offset */
	s64 run_to;	/* the running branch's target, running offset */
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

	/*
	 * Comparing code whose layout differs (compare_shifted()): the
	 * running offset minus the pre offset at the instruction being
	 * compared (0 on the byte-for-byte path), and the walk's state.
	 */
	s64 shift;
	int walking;
	int wkeep;		/* the walk's diagnosis says more than the byte path's */
	u32 *wmap;		/* pre offset -> running offset, NO_KEY between instructions */
	struct wcheck *wchecks;
	u32 nwchecks;
	u32 wsize;		/* capacity: the largest code section */

	/* first mismatch of the current trial */
	char diag[DIAG_MAX];
};

/* The running bytes, and their address, that pre offset off is compared with. */
static const u8 *run_at(const struct om_match *m, u32 off)
{
	return m->run + (s64)off + m->shift;
}

static u64 run_addr(const struct om_match *m, u64 base, u32 off)
{
	return base + off + (u64)m->shift;
}

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

/*
 * For diagnostics: the function of section s that holds offset off, and
 * off from its start (6.12: a section begins with 16 bytes of padding,
 * __pfx_foo, and foo itself is at +16: "foo+0x9", not "__pfx_foo+0x19").
 * The section's label when no function symbol is at or before off.
 */
static const char *func_at(const struct om_match *m, u32 s, u32 off, u32 *rel)
{
	const struct om_msym *best = NULL;
	u32 i;

	for (i = 0; i < m->unit->nsyms; i++) {
		const struct om_msym *y = &m->unit->syms[i];

		if (y->kind != OM_MSYM_FUNC || y->section != (s32)s || y->value > off ||
		    !y->name[0] || (best && y->value < best->value))
			continue;
		if (best && y->value == best->value && !memcmp(y->name, "__pfx_", 6))
			continue;
		best = y;
	}
	*rel = best ? off - (u32)best->value : off;
	return best ? best->name : sec_label(m, s);
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
	const char *f;
	u32 rel;

	if (m->diag[0])
		return;
	if (n > 8)
		n = 8;
	hexbytes(e, sizeof(e), pre, n);
	hexbytes(r, sizeof(r), run, n);
	f = func_at(m, s, off, &rel);
	snprintf(m->diag, sizeof(m->diag), "%s+0x%x: expected %s, running %s", f, rel, e, r);
}

/* ------------------------------------------------------------ keys */

static int key_set(struct om_match *m, u32 k, u64 v, u32 s, u32 off, const char *what)
{
	if (m->kknown[k]) {
		if (m->kval[k] == v)
			return 0;
		if (!m->diag[0]) {
			u32 rel;
			const char *f = func_at(m, s, off, &rel);

			snprintf(m->diag, sizeof(m->diag),
				 "%s+0x%x: reference to %s deduces 0x%llx, earlier deduced 0x%llx",
				 f, rel, what, (unsigned long long)v,
				 (unsigned long long)m->kval[k]);
		}
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
	target = om_march_reloc_value(&info, run, run_addr(m, base, r->offset));
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

			/* in this order: offset + width may wrap */
			if (r->sym >= u->nsyms || om_march_reloc_info(r->type, &info) ||
			    r->offset > sec->size || info.width > sec->size - r->offset ||
			    (i && r->offset < sec->relocs[i - 1].offset))
				return -EINVAL;
		}
		for (i = 0; i < sec->nsites; i++)
			if (sec->sites[i].offset > sec->size ||
			    sec->sites[i].len > sec->size - sec->sites[i].offset ||
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
		if (op == 0xe8 && om_march_callsite_rewritten(kind, reg, op, run_at(m, off), 5)) {
			logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: ftrace site", m->unit->name,
			      sec_label(m, s), off);
			return 1;
		}
		mismatch_bytes(m, s, off, sec->data + off, run_at(m, off), 5);
		return -ESRCH;
	}
	if (om_march_callsite_rewritten(kind, reg, op, run_at(m, off), 5)) {
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
	const u8 *pre = sec->data + site->offset, *run = run_at(m, site->offset);
	u64 pre_to, run_to;

	if (!sec->addr || site->len < 5 || pre[0] != 0xe8)
		return 1;
	if (run[0] != 0xe8 || memcmp(pre + 5, run + 5, site->len - 5)) {
		mismatch_bytes(m, s, site->offset, pre, run, site->len);
		return -ESRCH;
	}
	pre_to = rel32_target(pre, sec->addr + site->offset);
	run_to = rel32_target(run, run_addr(m, base, site->offset));
	if (pre_to != run_to) {
		if (!m->diag[0]) {
			u32 rel;
			const char *f = func_at(m, s, site->offset, &rel);

			snprintf(m->diag, sizeof(m->diag),
				 "%s+0x%x: paravirt call to 0x%llx, running calls 0x%llx",
				 f, rel, (unsigned long long)pre_to, (unsigned long long)run_to);
		}
		return -ESRCH;
	}
	logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: paravirt call to 0x%llx", m->unit->name,
	      sec_label(m, s), site->offset, (unsigned long long)run_to);
	return 0;
}

/*
 * A relative branch inside the section, checked after the walk: the pre
 * code's target, mapped to the running layout, must be the running
 * branch's target.
 */
static void walk_check(struct om_match *m, u32 from, u32 pre_to, s64 run_to)
{
	struct wcheck *c = &m->wchecks[m->nwchecks++];

	c->from = from;
	c->pre_to = pre_to;
	c->run_to = run_to;
}

/*
 * A jump-label site with its target in the section, found to be a jump in
 * the running code during a walk: 1 if it is a jump (its target checked
 * after the walk), 0 if not.
 */
static int walk_jump_label(struct om_match *m, const struct om_msite *site, const u8 *run)
{
	struct om_march_insn in;
	s64 at = (s64)site->offset + m->shift;

	if (om_march_decode(run, site->len, &in) || in.len != site->len ||
	    in.branch != OM_BRANCH_JMP)
		return 0;
	walk_check(m, site->offset, site->target, at + in.len + in.rel);
	return 1;
}

/* 0 accepted, 1 to be compared as ordinary code, negative on a mismatch. */
static int compare_site(struct om_match *m, u32 s, u64 base, const struct om_msite *site,
			u32 *ri)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data + site->offset, *run = run_at(m, site->offset);
	const struct om_mreloc *r;
	u64 addr = run_addr(m, base, site->offset);
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
		} else if (m->walking) {
			/* the target's running offset is known once the walk is done */
			if (walk_jump_label(m, site, run))
				return 0;
		} else if (om_march_is_jump_to(run, site->len, addr, base + site->target)) {
			return 0;
		}
		break;
	case OM_SITE_PARAVIRT:
		return compare_paravirt(m, s, base, site);
	case OM_SITE_CALL_PADDING:
		/* never executed as the function: NOPs, or the call thunk */
		logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: call padding, %u bytes not compared",
		      m->unit->name, sec_label(m, s), site->offset, site->len);
		return 0;
	case OM_SITE_RUNTIME_CONST:
		/* written at boot from the constant's variable: any value */
		if (site->len != 8 && site->len != 1)
			return -EINVAL;
		logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: runtime constant, %u bytes",
		      m->unit->name, sec_label(m, s), site->offset, site->len);
		return 0;
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
		if (om_march_entry_sealed(sec->data + e, run_at(m, e), to - e)) {
			logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: endbr64 sealed on one side",
			      m->unit->name, sec_label(m, s), e);
			return e + 4;
		}
	}
	return 0;
}

/*
 * Compare bytes [from, to) of section s, placed at base, with the running
 * bytes in m->run (shifted by m->shift).  *ri and *si: the section's
 * relocations and sites before from are done.
 */
static int compare_range(struct om_match *m, u32 s, u64 base, u32 from, u32 to,
			 u32 *rip, u32 *sip)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data;
	int code = sec->flags & OM_MSEC_CODE;
	u32 off = from, ri = *rip, si = *sip;
	int ret = 0;

	while (off < to) {
		const struct om_mreloc *r;
		u32 next = to, i;

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
			const u8 *run = run_at(m, off);

			if (memcmp(pre + off, run, next - off)) {
				u32 after;

				for (i = 0; pre[off + i] == run[i]; i++)
					;
				after = code ? entry_sealed(m, s, off, off + i, next) : 0;
				if (after) {
					off = after;
					continue;
				}
				mismatch_bytes(m, s, off + i, pre + off + i, run + i, to - off - i);
				ret = -ESRCH;
				goto out;
			}
			off = next;
			continue;
		}

		if (si < sec->nsites && sec->sites[si].offset == off) {
			ret = compare_site(m, s, base, &sec->sites[si], &ri);
			if (ret < 0)
				goto out;
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
			ret = deduce(m, s, base, r, run_at(m, off));
			if (ret)
				goto out;
			off += info.width;
			continue;
		}
		if (code && off + 1 < sec->size && !r) {
			u32 ri2 = ri;
			const struct om_mreloc *nr = reloc_at(sec, &ri2, off + 1);

			if (nr && !(nr->flags & (OM_RELOC_BYTES_ONLY | OM_RELOC_SKIP))) {
				ret = m->walking ? 0 : relaxed_tail_jump(m, s, base, off, nr);
				if (ret < 0)
					goto out;
				if (ret) {
					off = sec->size;
					continue;
				}
				ret = special_call(m, s, base, off, nr);
				if (ret < 0)
					goto out;
				if (ret) {
					off += 5;
					continue;
				}
			}
		}
		/* a byte-only relocation, or a byte before one: plain compare */
		if (pre[off] != *run_at(m, off)) {
			mismatch_bytes(m, s, off, pre + off, run_at(m, off), to - off);
			ret = -ESRCH;
			goto out;
		}
		off++;
	}
	ret = 0;
out:
	*rip = ri;
	*sip = si;
	return ret;
}

/* ------------------------------------------------------------ shifted code */

/*
 * Is there a jmp/jcc rel32 with a relocation in section s, one the running
 * kernel's assembler may have shortened?  Only then is a mismatch worth a
 * walk.
 */
static int has_far_jump(const struct om_msection *sec)
{
	u32 i;

	for (i = 0; i < sec->nrelocs; i++) {
		const struct om_mreloc *r = &sec->relocs[i];
		u32 o = r->offset;

		if (r->flags & (OM_RELOC_BYTES_ONLY | OM_RELOC_SKIP))
			continue;
		if ((o >= 1 && sec->data[o - 1] == 0xe9) ||
		    (o >= 2 && sec->data[o - 2] == 0x0f && (sec->data[o - 1] & 0xf0) == 0x80))
			return 1;
	}
	return 0;
}

static u32 min_u32(u32 a, u32 b)
{
	return a < b ? a : b;
}

static void walk_refuse_decode(struct om_match *m, u32 s, u32 off, const u8 *b, u32 avail,
			       const char *side)
{
	char hex[40];
	const char *f;
	u32 rel;

	if (m->diag[0])
		return;
	f = func_at(m, s, off, &rel);
	hexbytes(hex, sizeof(hex), b, avail < 8 ? avail : 8);
	snprintf(m->diag, sizeof(m->diag), "%s+0x%x: cannot decode the %s instruction %s",
		 f, rel, side, hex);
	/* the reason the walk stopped, even where the byte path's diagnosis is kept */
	logf_(m, OM_MLOG_INFO, "%s[%s]: %s", m->unit->name, sec_name(m, s), m->diag);
}

/* The first relocation at or after off, or NULL; *ri advanced. */
static const struct om_mreloc *reloc_from(const struct om_msection *sec, u32 *ri, u32 off)
{
	while (*ri < sec->nrelocs && sec->relocs[*ri].offset < off)
		(*ri)++;
	return *ri < sec->nrelocs ? &sec->relocs[*ri] : NULL;
}

/*
 * A jmp/jcc to another function that the running kernel's assembler
 * shortened, in the middle of a function: the pre code's "e9 <rel32>" or
 * "0f 8x <rel32>" with a relocation is "eb rel8" or "7x rel8" there.  The
 * target it reaches is deduced as the relocation's would be.  1 handled,
 * 0 not this case, negative on a mismatch.
 */
static int walk_short_jump(struct om_match *m, u32 s, u64 base, u32 p, u32 q,
			   const struct om_march_insn *ip, const struct om_march_insn *ir,
			   const struct om_mreloc *r)
{
	struct om_march_reloc info;
	u8 rel32[4];
	u64 target, site;
	s64 v;
	u32 i;
	int ret;

	if ((ip->branch != OM_BRANCH_JMP && ip->branch != OM_BRANCH_JCC) ||
	    ir->branch != ip->branch || ir->cond != ip->cond || ip->rel_size != 4 ||
	    ir->rel_size != 1 || ip->npfx || ir->npfx || r->offset != p + ip->rel_off ||
	    (r->flags & (OM_RELOC_BYTES_ONLY | OM_RELOC_SKIP)) ||
	    om_march_reloc_info(r->type, &info) || !info.pcrel || info.width != 4)
		return 0;
	target = base + q + ir->len + (u64)ir->rel;
	/* the rel32 the long form would hold at the running site (m->shift: q - p) */
	site = run_addr(m, base, r->offset);
	v = (s64)(target - (site + 4));
	for (i = 0; i < 4; i++)
		rel32[i] = (u8)((u64)v >> (8 * i));
	logf_(m, OM_MLOG_DEBUG, "%s: %s+0x%x: jump to %s shortened by the assembler (%u bytes)",
	      m->unit->name, sec_label(m, s), p, reloc_what(m, r), ir->len);
	ret = deduce(m, s, base, r, rel32);
	return ret ? ret : 1;
}

/*
 * Compare section s at base instruction by instruction, for code that a
 * shortened jump to another function moved: Debian's __sk_free() is
 * "... jmp sk_destruct; <the rest>", e9 <rel32> in the pre object (a
 * section per function), eb rel8 in vmlinux (one .text), so the rest runs
 * 3 bytes earlier.  Pre offset p and running offset q advance together:
 *   - the shortened jump: its target deduced (walk_short_jump());
 *   - a relative branch within the section: same kind and condition, any
 *     length; pre target (mapped) and running target compared after the
 *     walk (in-function jumps across the shortened one have other
 *     displacements, or were shortened too);
 *   - NOPs (alignment padding, whose length moved with the code) skipped
 *     on both sides;
 *   - anything else: the same length, compared as on the byte-for-byte
 *     path (relocations, jump-label, paravirt and ftrace sites, ...).
 * An instruction the decoder does not know is refused, never guessed.
 */
static int compare_shifted(struct om_match *m, u32 s, u64 base)
{
	const struct om_msection *sec = &m->unit->sections[s];
	const u8 *pre = sec->data, *run = m->run;
	u32 size = sec->size, p = 0, q = 0, ri = 0, si = 0, i, shortened = 0;
	int ret, rdec, site_in;

	if (m->wsize < size + 1) {
		m->env->free(m->env->ctx, m->wmap);
		m->env->free(m->env->ctx, m->wchecks);
		m->wsize = 0;
		m->wmap = zalloc(m->env, (size + 1) * sizeof(u32));
		m->wchecks = zalloc(m->env, (size + 1) * sizeof(struct wcheck));
		if (!m->wmap || !m->wchecks)
			return -ENOMEM;
		m->wsize = size + 1;
	}
	for (i = 0; i <= size; i++)
		m->wmap[i] = NO_KEY;
	m->nwchecks = 0;
	m->walking = 1;
	m->wkeep = 0;

	while (p < size) {
		struct om_march_insn ip, ir;
		const struct om_mreloc *r;
		u32 end;

		if (q >= size)
			goto past_end;
		m->wmap[p] = q;
		m->shift = (s64)q - p;
		while (si < sec->nsites && sec->sites[si].offset < p)
			si++;
		if (si < sec->nsites && sec->sites[si].offset == p && !sec->sites[si].len) {
			si++;	/* empty (a malformed blob's): nothing to compare */
			continue;
		}
		/*
		 * call padding: NOPs in the pre code, skipped with the alignment
		 * NOPs around them (below); where the running padding holds a
		 * call thunk, the walk does not pair it and refuses
		 */
		if (si < sec->nsites && sec->sites[si].offset == p &&
		    sec->sites[si].kind == OM_SITE_CALL_PADDING)
			si++;
		if (si < sec->nsites && sec->sites[si].offset == p) {
			/* a site the kernel rewrites in place: as on the byte path */
			end = p + sec->sites[si].len;
			if (q + sec->sites[si].len > size)
				goto past_end;
			ret = compare_range(m, s, base, p, end, &ri, &si);
			if (ret)
				goto fail;
			q += end - p;
			p = end;
			continue;
		}
		ret = om_march_decode(pre + p, size - p, &ip);
		if (ret) {
			walk_refuse_decode(m, s, p, pre + p, size - p, "pre");
			ret = -ESRCH;
			goto fail;
		}
		/* the running side is decoded for its NOPs and branches only */
		rdec = om_march_decode(run + q, size - q, &ir);
		r = reloc_from(sec, &ri, p);
		if (r && r->offset >= p + ip.len)
			r = NULL;	/* none in this instruction */
		/* a site inside it (a LOCK prefix, or a malformed blob's) */
		site_in = si < sec->nsites && sec->sites[si].offset < p + ip.len;

		/*
		 * padding: NOPs on either side, skipped on both; not at the
		 * entry, where no padding is (munit.c strips the compiler's)
		 * and a NOP on either side may stand for a sealed endbr64
		 * (6.12: the kernel seals vmlinux, the module loader the pre
		 * module's copy), which is the entry rule's to judge
		 */
		if (p && (ip.nop || (!rdec && ir.nop)) && !r && !site_in) {
			while (p < size && !om_march_decode(pre + p, size - p, &ip) && ip.nop &&
			       !(si < sec->nsites && sec->sites[si].offset < p + ip.len) &&
			       !((r = reloc_from(sec, &ri, p)) && r->offset < p + ip.len))
				p += ip.len;
			while (q < size && !om_march_decode(run + q, size - q, &ir) && ir.nop)
				q += ir.len;
			continue;
		}

		if (ip.branch && r) {
			/* to another section: maybe shortened, else as below */
			ret = rdec ? 0 : walk_short_jump(m, s, base, p, q, &ip, &ir, r);
			if (ret < 0)
				goto fail;
			if (ret) {
				shortened++;
				p += ip.len;
				q += ir.len;
				continue;
			}
		} else if (ip.branch) {
			/* a branch within the section: by target, checked after the walk */
			u64 to = p + ip.len + (u64)ip.rel;

			if (rdec) {
				walk_refuse_decode(m, s, p, run + q, size - q, "running");
				ret = -ESRCH;
				goto fail;
			}
			if (ir.branch != ip.branch || ir.cond != ip.cond || ip.npfx != ir.npfx ||
			    memcmp(pre + p, run + q, ip.npfx) || to > size) {
				mismatch_bytes(m, s, p, pre + p, run + q, min_u32(ip.len, size - q));
				ret = -ESRCH;
				goto fail;
			}
			walk_check(m, p, (u32)to, (s64)q + ir.len + ir.rel);
			p += ip.len;
			q += ir.len;
			continue;
		}

		/*
		 * anything else: the pre instruction's bytes, compared as on the
		 * byte path, so a call or jump the kernel rewrote keeps its
		 * rules ("jmp __x86_return_thunk" running as "ret; int3 ...",
		 * a retpoline call as "call *%rax" and NOPs, the ftrace NOP)
		 */
		end = p + ip.len;
		if (q + ip.len > size)
			goto past_end;
		for (i = ri; i < sec->nrelocs && sec->relocs[i].offset < end; i++) {
			struct om_march_reloc info;

			om_march_reloc_info(sec->relocs[i].type, &info);
			if (sec->relocs[i].offset + info.width > end)
				goto desync;
		}
		for (i = si; i < sec->nsites && sec->sites[i].offset < end; i++)
			if (sec->sites[i].offset + sec->sites[i].len > end)
				goto desync;
		ret = compare_range(m, s, base, p, end, &ri, &si);
		if (ret)
			goto fail;
		q += ip.len;
		p = end;
	}
	m->wmap[size] = q;

	for (i = 0; i < m->nwchecks; i++) {
		const struct wcheck *c = &m->wchecks[i];
		u32 to = c->pre_to <= size ? m->wmap[c->pre_to] : NO_KEY;

		if (to == NO_KEY || (s64)to != c->run_to) {
			/* NO_KEY: into skipped padding, or the middle of an instruction */
			if (m->diag[0])
				;
			else if (to == NO_KEY)
				snprintf(m->diag, sizeof(m->diag),
					 "%s+0x%x: jump to +0x%x, not an instruction the walk paired",
					 sec_label(m, s), c->from, c->pre_to);
			else
				snprintf(m->diag, sizeof(m->diag),
					 "%s+0x%x: jump to +0x%x, running code jumps to +0x%llx, not to +0x%x",
					 sec_label(m, s), c->from, c->pre_to, (long long)c->run_to, to);
			ret = -ESRCH;
			goto fail;
		}
	}
	/*
	 * A symbol inside the section (a function sharing it) is found at the
	 * section's address plus its value (om_match_symbol_addr()): that
	 * only holds where nothing before it moved.
	 */
	for (i = 0; i < m->unit->nsyms; i++) {
		const struct om_msym *sym = &m->unit->syms[i];

		if (sym->section != (s32)s || sym->kind == OM_MSYM_SECTION || !sym->value ||
		    sym->value > size || m->wmap[sym->value] == sym->value)
			continue;
		if (!m->diag[0])
			snprintf(m->diag, sizeof(m->diag),
				 "%s+0x%llx: %s runs at +0x%x, moved by a shortened jump before it",
				 sec_label(m, s), (unsigned long long)sym->value, sym->name,
				 m->wmap[sym->value]);
		ret = -ESRCH;
		goto fail;
	}
	m->walking = 0;
	m->shift = 0;
	logf_(m, OM_MLOG_DEBUG, "%s: %s: matched instruction by instruction, %u shortened jump%s, running code %lld bytes %s",
	      m->unit->name, sec_label(m, s), shortened, shortened == 1 ? "" : "s",
	      (long long)((s64)size - q < 0 ? q - size : size - q),
	      q <= size ? "shorter" : "longer");
	return shortened ? 0 : -ESRCH;

past_end:
	if (!m->diag[0])
		snprintf(m->diag, sizeof(m->diag), "%s+0x%x: running code longer than the pre code",
			 sec_label(m, s), p);
	ret = -ESRCH;
	goto fail;
desync:
	if (!m->diag[0])
		snprintf(m->diag, sizeof(m->diag),
			 "%s+0x%x: a relocation or site crosses the decoded instruction's end",
			 sec_label(m, s), p);
	ret = -ESRCH;
fail:
	m->walking = 0;
	m->shift = 0;
	if (shortened)
		m->wkeep = 1;
	return ret;
}

/* Undo the deductions made after the first mark ones of the trial. */
static void trial_rollback_to(struct om_match *m, u32 mark)
{
	while (m->nundo > mark)
		m->kknown[m->undo[--m->nundo]] = 0;
}

/*
 * Compare section s, placed at base, with the running bytes in m->run:
 * byte for byte, and only if that fails and the section has a jump the
 * running kernel's assembler may have shortened, instruction by
 * instruction (compare_shifted()).  The diagnosis kept is the walk's if it
 * got past a shortened jump or could not decode, else the byte path's.
 */
static int compare_section(struct om_match *m, u32 s, u64 base)
{
	const struct om_msection *sec = &m->unit->sections[s];
	char first[DIAG_MAX];
	u32 ri = 0, si = 0, mark = m->nundo;
	int ret;

	ret = compare_range(m, s, base, 0, sec->size, &ri, &si);
	if (ret != -ESRCH || !(sec->flags & OM_MSEC_CODE) || !has_far_jump(sec))
		return ret;
	memcpy(first, m->diag, sizeof(first));
	trial_rollback_to(m, mark);
	m->diag[0] = 0;
	ret = compare_shifted(m, s, base);
	if (ret == -ESRCH && !m->wkeep)
		memcpy(m->diag, first, sizeof(first));
	return ret;
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
	env->free(env->ctx, m->wmap);
	env->free(env->ctx, m->wchecks);
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
