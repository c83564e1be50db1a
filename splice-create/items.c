// SPDX-License-Identifier: GPL-2.0
/*
 * C text cut into its top-level items, for deciding what a header change
 * can affect (headers.c, units.c).  The text is a header or .c file as
 * written, or a unit's preprocessed output (gcc -E); both are read the same
 * way:
 *
 *  - a directive line (`#define F(x) ...`, `#if ...`, a line marker
 *    `# 12 "file"` of -E output) is one item, continuation lines and
 *    comments included;
 *  - a declaration is the tokens up to a ';' outside brackets:
 *    `struct s { ... };`, `extern int x;`, `static const int t[] = {...};`,
 *    `DECLARE_PER_CPU(struct kernel_stat, kstat);`;
 *  - a function definition ends with the '}' of its body.
 *
 * Each item gets a hash of its tokens (comments, spacing and line breaks
 * don't count), the names it defines (the function, macro, tag,
 * enumerators, typedef or variable names), and whether it "emits": makes
 * code or data of its own in every unit that reads it (a function that is
 * not inline, a variable definition).  Which identifiers an item mentions
 * is its identifier tokens.
 *
 * This is not a C parser: it knows brackets, keywords and the shapes of
 * declarations, and where it can't tell (a macro invocation at top level:
 * an identifier without lower-case letters before a '(') it takes every
 * identifier argument for a defined name -- more names only ever mean more
 * units looked at, never fewer.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "create.h"

/* ------------------------------------------------------------ name sets */

static uint64_t fnv(const char *s, size_t n, uint64_t h)
{
	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

#define FNV_INIT 1469598103934665603ull

static size_t names_slot(const struct sc_names *s, const char *name, size_t len)
{
	size_t j = fnv(name, len, FNV_INIT) & (s->size - 1);

	while (s->keys[j] && (strlen(s->keys[j]) != len || memcmp(s->keys[j], name, len)))
		j = (j + 1) & (s->size - 1);
	return j;
}

bool sc_names_has(const struct sc_names *s, const char *name, size_t len)
{
	if (!s->n || len < s->minlen || len > s->maxlen)
		return false;
	return s->keys[names_slot(s, name, len)] != NULL;
}

static int names_grow(struct sc_names *s)
{
	struct sc_names n = *s;
	size_t i;

	n.size = s->size ? s->size * 2 : 64;
	n.keys = calloc(n.size, sizeof(*n.keys));
	if (!n.keys)
		return -ENOMEM;
	for (i = 0; i < s->size; i++)
		if (s->keys[i])
			n.keys[names_slot(&n, s->keys[i], strlen(s->keys[i]))] = s->keys[i];
	free(s->keys);
	*s = n;
	return 0;
}

int sc_names_add(struct sc_names *s, const char *name, size_t len)
{
	size_t j;
	int err;

	if (!len)
		return 0;
	if ((s->n + 1) * 2 > s->size) {
		err = names_grow(s);
		if (err)
			return err;
	}
	j = names_slot(s, name, len);
	if (s->keys[j])
		return 0;
	s->keys[j] = strndup(name, len);
	if (!s->keys[j])
		return -ENOMEM;
	err = sc_strv_add(&s->list, s->keys[j]);
	if (err) {
		free(s->keys[j]);
		s->keys[j] = NULL;
		return err;
	}
	s->n++;
	if (s->n == 1 || len < s->minlen)
		s->minlen = len;
	if (len > s->maxlen)
		s->maxlen = len;
	return 1;
}

void sc_names_free(struct sc_names *s)
{
	size_t i;

	for (i = 0; i < s->size; i++)
		free(s->keys[i]);
	free(s->keys);
	sc_strv_free(&s->list);
	memset(s, 0, sizeof(*s));
}

/* Identifier characters (bytes from 0x80 up: UTF-8 in identifiers). */
static bool ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
	       c >= 0x80;
}

static bool ident_char(unsigned char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * Struct, union and enum tags are names of their own namespace: `struct
 * kstat` is no use of the per-CPU variable `kstat`.  A tag is kept as
 * "#name" (no identifier has a '#').
 */
static bool tag_has(const struct sc_names *s, const char *name, size_t len)
{
	char buf[256];

	if (len + 1 >= sizeof(buf))
		return false;
	buf[0] = '#';
	memcpy(buf + 1, name, len);
	return sc_names_has(s, buf, len + 1);
}

/* @name (@n bytes) in @text as a whole identifier? */
static bool has_word(const char *text, size_t len, const char *name, size_t n)
{
	const char *p = text, *end = text + len;

	while ((p = memmem(p, (size_t)(end - p), name, n))) {
		if ((p == text || !ident_char((unsigned char)p[-1])) &&
		    (p + n == end || !ident_char((unsigned char)p[n])))
			return true;
		p++;
	}
	return false;
}

bool sc_names_mentioned(const struct sc_names *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t i;

	if (!s->n)
		return false;
	/* a few names: memmem runs at memory speed */
	if (s->n <= 8) {
		for (i = 0; i < s->list.n; i++) {
			const char *name = s->list.v[i] + (s->list.v[i][0] == '#');

			if (has_word(text, len, name, strlen(name)))
				return true;
		}
		return false;
	}
	while (p < end) {
		const char *q;

		if (!ident_start((unsigned char)*p)) {
			/* a number's letters are not an identifier */
			if (isdigit((unsigned char)*p))
				while (p < end && ident_char((unsigned char)*p))
					p++;
			else
				p++;
			continue;
		}
		q = p;
		while (q < end && ident_char((unsigned char)*q))
			q++;
		if (sc_names_has(s, p, (size_t)(q - p)) || tag_has(s, p, (size_t)(q - p)))
			return true;
		p = q;
	}
	return false;
}

/* ------------------------------------------------------------ tokens */

struct lexer {
	const char *p, *end;
	bool bol;		/* the next token starts a line */
	struct sc_items *it;
};

static const char *const puncts3[] = { "<<=", ">>=", "..." };
static const char *const puncts2[] = {
	"->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=",
	"%=", "+=", "-=", "&=", "^=", "|=", "##",
};

/* Skip spaces, comments and spliced line breaks; note real line breaks. */
static void skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\n') {
			lx->bol = true;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->p++;
		} else if (c == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p += 2;
		} else if (c == '\\' && lx->p + 2 < lx->end && lx->p[1] == '\r' && lx->p[2] == '\n') {
			lx->p += 3;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			const char *e = lx->p + 2;

			/* a comment is one space, line breaks in it included */
			while (e + 1 < lx->end && !(e[0] == '*' && e[1] == '/'))
				e++;
			lx->p = e + 1 < lx->end ? e + 2 : lx->end;
		} else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else {
			break;
		}
	}
}

static int add_tok(struct sc_items *it, size_t off, size_t len, enum sc_tok_kind kind, bool bol)
{
	if (it->ntoks == it->tokcap) {
		size_t cap = it->tokcap ? it->tokcap * 2 : 4096;
		struct sc_tok *t = realloc(it->toks, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		it->toks = t;
		it->tokcap = cap;
	}
	it->toks[it->ntoks].off = (uint32_t)off;
	it->toks[it->ntoks].len = (uint32_t)len;
	it->toks[it->ntoks].kind = (uint8_t)kind;
	it->toks[it->ntoks].bol = bol;
	it->ntoks++;
	return 0;
}

static int lex(struct sc_items *it)
{
	struct lexer lx = { .p = it->text, .end = it->text + it->len, .bol = true, .it = it };
	int err = 0;

	if (it->len > UINT32_MAX)
		return -EFBIG;
	for (;;) {
		const char *s;
		enum sc_tok_kind kind;
		bool bol;
		size_t i;

		skip_space(&lx);
		if (lx.p >= lx.end)
			break;
		s = lx.p;
		bol = lx.bol;
		lx.bol = false;
		if (ident_start((unsigned char)*s)) {
			while (lx.p < lx.end && ident_char((unsigned char)*lx.p))
				lx.p++;
			kind = SC_TOK_IDENT;
		} else if (isdigit((unsigned char)*s) ||
			   (*s == '.' && s + 1 < lx.end && isdigit((unsigned char)s[1]))) {
			lx.p++;
			while (lx.p < lx.end) {
				char c = *lx.p;

				if ((c == '+' || c == '-') && strchr("eEpP", lx.p[-1]))
					lx.p++;
				else if (ident_char((unsigned char)c) || c == '.')
					lx.p++;
				else
					break;
			}
			kind = SC_TOK_NUMBER;
		} else if (*s == '"' || *s == '\'') {
			char q = *s;

			lx.p++;
			while (lx.p < lx.end && *lx.p != q && *lx.p != '\n') {
				if (*lx.p == '\\' && lx.p + 1 < lx.end)
					lx.p++;
				lx.p++;
			}
			if (lx.p < lx.end && *lx.p == q)
				lx.p++;
			kind = SC_TOK_STRING;
		} else {
			size_t left = (size_t)(lx.end - s);

			kind = SC_TOK_PUNCT;
			lx.p++;
			for (i = 0; i < sizeof(puncts3) / sizeof(puncts3[0]); i++)
				if (left >= 3 && !memcmp(s, puncts3[i], 3))
					lx.p = s + 3;
			if (lx.p == s + 1)
				for (i = 0; i < sizeof(puncts2) / sizeof(puncts2[0]); i++)
					if (left >= 2 && !memcmp(s, puncts2[i], 2))
						lx.p = s + 2;
		}
		err = add_tok(it, (size_t)(s - it->text), (size_t)(lx.p - s), kind, bol);
		if (err)
			break;
	}
	return err;
}

/* ------------------------------------------------------------ items */

static bool tok_is(const struct sc_items *it, size_t t, const char *s)
{
	size_t n = strlen(s);

	return t < it->ntoks && it->toks[t].len == n && !memcmp(it->text + it->toks[t].off, s, n);
}

static bool tok_ident(const struct sc_items *it, size_t t)
{
	return t < it->ntoks && it->toks[t].kind == SC_TOK_IDENT;
}

static bool in_list(const struct sc_items *it, size_t t, const char *const *list)
{
	for (; *list; list++)
		if (tok_is(it, t, *list))
			return true;
	return false;
}

static const char *const c_keywords[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
	"else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
	"register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
	"switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
	"_Complex", "_Noreturn", "_Thread_local", "_Alignas", "_Alignof", "_Atomic",
	"_Static_assert", "_Generic", "__inline", "__inline__", "__restrict", "__restrict__",
	"__volatile__", "__const", "__const__", "__signed__", "__extension__", "__typeof__",
	"__typeof", "typeof", "__attribute__", "__attribute", "asm", "__asm__", "__asm",
	"__builtin_offsetof", "__label__", "__thread", "__int128", "bool", NULL,
};

/* Before a '(': not a declarator, an operator or attribute. */
static const char *const not_declarators[] = {
	"__attribute__", "__attribute", "__typeof__", "__typeof", "typeof", "asm", "__asm__",
	"__asm", "_Alignas", "alignas", "__declspec", "_Static_assert", "static_assert",
	"sizeof", "__alignof__", "_Alignof", "__builtin_offsetof", "_Generic", NULL,
};

/* Attribute macros that take arguments: `int x __aligned(8);` */
static const char *const attributes_with_args[] = {
	"__attribute__", "__attribute", "__aligned", "__section", "__printf", "__scanf",
	"__alloc_size", "__realloc_size", "__counted_by", "__diagnose_as", "__cleanup",
	"__acquires", "__releases", "__must_hold", "__assume_aligned", "__designated_init",
	"__no_sanitize_or_inline", "__nonstring", NULL,
};

/*
 * inline, __inline__, __always_inline, nokprobe_inline, __FORTIFY_INLINE:
 * a word with "inline" in it, but not noinline.
 */
static bool inline_word(const struct sc_items *it, size_t t)
{
	const char *s = it->text + it->toks[t].off;
	size_t n = it->toks[t].len, i;

	if (it->toks[t].kind != SC_TOK_IDENT || n < 6)
		return false;
	for (i = 0; i + 6 <= n; i++)
		if (!strncasecmp(s + i, "inline", 6))
			return !(i >= 2 && !strncasecmp(s + i - 2, "no", 2));
	return false;
}

/* A macro's name, by the kernel's convention: no lower-case letter. */
static bool macro_like(const struct sc_items *it, size_t t)
{
	const char *s = it->text + it->toks[t].off;
	size_t i, letters = 0;

	for (i = 0; i < it->toks[t].len; i++) {
		if (islower((unsigned char)s[i]))
			return false;
		letters += isupper((unsigned char)s[i]) != 0;
	}
	return letters > 0;
}

static int add_name(struct sc_items *it, struct sc_item *item, size_t t)
{
	size_t i;

	if (in_list(it, t, c_keywords))
		return 0;
	for (i = item->name; i < it->nnames; i++)
		if (it->names[i] == t)
			return 0;
	if (it->nnames == it->namecap) {
		size_t cap = it->namecap ? it->namecap * 2 : 1024;
		size_t *v = realloc(it->names, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->names = v;
		it->namecap = cap;
	}
	it->names[it->nnames++] = t;
	item->nname++;
	return 0;
}

/* The token after the bracket group opening at @o (index into @ix). */
static size_t skip_group(const struct sc_items *it, const size_t *ix, size_t n, size_t o)
{
	int depth = 0;
	size_t i;

	for (i = o; i < n; i++) {
		const char *c = it->text + it->toks[ix[i]].off;

		if (it->toks[ix[i]].kind != SC_TOK_PUNCT || it->toks[ix[i]].len != 1)
			continue;
		if (*c == '(' || *c == '[' || *c == '{')
			depth++;
		else if (*c == ')' || *c == ']' || *c == '}')
			if (--depth == 0)
				return i + 1;
	}
	return n;
}

/* Every identifier inside the group opening at @o (macro arguments). */
static int add_group_idents(struct sc_items *it, struct sc_item *item, const size_t *ix,
			    size_t n, size_t o)
{
	size_t e = skip_group(it, ix, n, o), i;
	int err = 0;

	for (i = o + 1; !err && i < e; i++)
		if (tok_ident(it, ix[i]))
			err = add_name(it, item, ix[i]);
	return err;
}

/* An attribute macro by the kernel's convention: __read_mostly, __packed. */
static bool underscored(const struct sc_items *it, size_t t)
{
	return it->toks[t].kind == SC_TOK_IDENT && it->toks[t].len > 2 &&
	       !memcmp(it->text + it->toks[t].off, "__", 2);
}

/* Past attribute words (and their argument groups) from @i on. */
static size_t skip_attributes(const struct sc_items *it, const size_t *ix, size_t n, size_t i)
{
	while (i < n) {
		bool args = in_list(it, ix[i], attributes_with_args);

		if (!args && (!underscored(it, ix[i]) || in_list(it, ix[i], c_keywords)))
			break;
		/* `u32 __skb_hash(...);`: a function, not an attribute */
		if (!args && i + 1 < n && tok_is(it, ix[i + 1], "("))
			break;
		i++;
		if (args && i < n && tok_is(it, ix[i], "("))
			i = skip_group(it, ix, n, i);
	}
	return i;
}

/*
 * Token @i (an identifier before ';', ',', '=', ...) is an attribute, not
 * a declarator: `} __randomize_layout;`, `int x __read_mostly;`.  (A
 * variable named __x after a typedef'd type, `pid_t __x;`, is taken for an
 * attribute too; an item left without a name is then "unknown".)
 */
static bool attribute_word(const struct sc_items *it, const size_t *ix, size_t i)
{
	if (!underscored(it, ix[i]) || i == 0)
		return false;
	if (tok_is(it, ix[i - 1], ")") || tok_is(it, ix[i - 1], "}") || tok_is(it, ix[i - 1], "]"))
		return true;
	return tok_ident(it, ix[i - 1]) && !in_list(it, ix[i - 1], c_keywords);
}

/* Is @i the item's first token, storage-class words aside (a macro call)? */
static bool starts_item(const struct sc_items *it, const size_t *ix, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!tok_is(it, ix[k], "static") && !tok_is(it, ix[k], "extern"))
			return false;
	return true;
}

/*
 * The names a C item defines and whether it emits (file comment).  @ix are
 * its tokens' indexes, @n of them.
 */
static int name_c_item(struct sc_items *it, struct sc_item *item, const size_t *ix, size_t n)
{
	bool is_typedef = false, is_extern = false, inits = false, vars = false, funcs = false;
	bool is_inline = false, macro_call = false, aggregate = false, tagged_only = false;
	size_t i, body = n, after;
	bool tagged = false, has_init = false;
	int depth = 0, err = 0;

	/* first pass: the body's '{' at depth 0 and the words before it */
	for (i = 0; i < n; i++) {
		const struct sc_tok *t = &it->toks[ix[i]];
		char c = t->kind == SC_TOK_PUNCT && t->len == 1 ? it->text[t->off] : 0;

		if (depth == 0 && c == '{') {
			body = i;
			break;
		}
		if (c == '(' || c == '[')
			depth++;
		else if ((c == ')' || c == ']') && depth > 0)
			depth--;
		if (depth == 0 && t->kind == SC_TOK_IDENT) {
			if (tok_is(it, ix[i], "typedef"))
				is_typedef = true;
			else if (tok_is(it, ix[i], "extern"))
				is_extern = true;
			else if (inline_word(it, ix[i]))
				is_inline = true;
		}
	}
	/* struct/union/enum X { ... }: the tag, and an enum's constants */
	if (body < n) {
		size_t k = body;

		/* back over the tag and attribute groups to the keyword */
		while (k > 0) {
			size_t p = k - 1;

			if (tok_is(it, ix[p], ")")) {
				int d = 0;

				while (p > 0) {
					if (tok_is(it, ix[p], ")"))
						d++;
					else if (tok_is(it, ix[p], "(") && --d == 0)
						break;
					p--;
				}
				k = p;	/* at the '(': the attribute word before it next */
				continue;
			}
			if (tok_is(it, ix[p], "struct") || tok_is(it, ix[p], "union") ||
			    tok_is(it, ix[p], "enum")) {
				bool is_enum = tok_is(it, ix[p], "enum");
				size_t t;

				aggregate = !is_enum;
				item->aggregate = aggregate ? (tok_is(it, ix[p], "union") ? 'u' : 's') : 0;
				/* the tag: the identifier right before '{', if any */
				if (tok_ident(it, ix[body - 1]) && body - 1 > p) {
					err = add_name(it, item, ix[body - 1]);
					tagged = true;
				}
				if (is_enum) {
					size_t e = skip_group(it, ix, n, body);
					int d = 0;
					bool entry = true;

					for (t = body + 1; !err && t + 1 < e; t++) {
						const char *c = it->text + it->toks[ix[t]].off;

						if (entry && d == 0 && tok_ident(it, ix[t]))
							err = add_name(it, item, ix[t]);
						entry = false;
						if (it->toks[ix[t]].kind == SC_TOK_PUNCT &&
						    it->toks[ix[t]].len == 1) {
							if (strchr("([{", *c))
								d++;
							else if (strchr(")]}", *c))
								d--;
							else if (*c == ',' && d == 0)
								entry = true;
						}
					}
				}
				break;
			}
			if (!tok_ident(it, ix[p]))
				break;
			k = p;
		}
		if (err)
			return err;
	}
	/* second pass, depth 0 outside the body: declarators and calls */
	depth = 0;
	for (i = 0; !err && i < n; i++) {
		const struct sc_tok *t = &it->toks[ix[i]];
		char c = t->kind == SC_TOK_PUNCT && t->len == 1 ? it->text[t->off] : 0;

		if (i == body) {
			i = skip_group(it, ix, n, body) - 1;
			continue;
		}
		if (depth == 0 && c == '=') {
			inits = has_init = true;
			continue;
		}
		if (depth == 0 && c == ',') {
			inits = false;
			continue;
		}
		if (c == '(' && depth == 0 && i + 3 < n && tok_ident(it, ix[i + 1]) &&
		    tok_is(it, ix[i + 2], ")") && tok_is(it, ix[i + 3], "(") &&
		    !in_list(it, ix[i + 1], c_keywords)) {
			/* typedef int (name)(...): a function type's name */
			err = add_name(it, item, ix[i + 1]);
		}
		if (c == '(' && depth == 0 && i + 2 < n && tok_is(it, ix[i + 1], "*")) {
			/* (*name)(...): a function pointer's name */
			size_t k = i + 2;

			while (k < n && (tok_is(it, ix[k], "const") || tok_is(it, ix[k], "*")))
				k++;
			if (k + 1 < n && tok_ident(it, ix[k]) && tok_is(it, ix[k + 1], ")")) {
				err = add_name(it, item, ix[k]);
				vars = true;
			}
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth > 0)
			depth--;
		if (depth != 0 || inits || t->kind != SC_TOK_IDENT)
			continue;
		after = skip_attributes(it, ix, n, i + 1);
		if (after == n || tok_is(it, ix[after], ";") || tok_is(it, ix[after], ",") ||
		    tok_is(it, ix[after], "=") || tok_is(it, ix[after], "[") ||
		    tok_is(it, ix[after], ":")) {
			if (in_list(it, ix[i], c_keywords) || attribute_word(it, ix, i))
				continue;
			/* `struct foo;`: a tag, not a variable */
			if (i > 0 && (tok_is(it, ix[i - 1], "struct") || tok_is(it, ix[i - 1], "union") ||
				      tok_is(it, ix[i - 1], "enum"))) {
				tagged_only = true;
			} else {
				vars = true;
			}
			err = add_name(it, item, ix[i]);
		} else if (tok_is(it, ix[i + 1], "(") && in_list(it, ix[i], attributes_with_args)) {
			i = skip_group(it, ix, n, i + 1) - 1;
		} else if (tok_is(it, ix[i + 1], "(") && !in_list(it, ix[i], not_declarators) &&
			   !in_list(it, ix[i], c_keywords)) {
			if (macro_like(it, ix[i]) && starts_item(it, ix, i)) {
				/* DECLARE_PER_CPU(struct kernel_stat, kstat): the arguments */
				macro_call = true;
				err = add_group_idents(it, item, ix, n, i + 1);
			} else {
				err = add_name(it, item, ix[i]);
			}
			if (item->kind == SC_ITEM_FUNC)
				break;	/* the function's name: the rest is parameters */
			funcs = true;
			/* the parameters are no declarators of ours */
			i = skip_group(it, ix, n, i + 1) - 1;
		}
	}
	if (err)
		return err;
	item->macro_call = macro_call;
	if (item->kind == SC_ITEM_FUNC)
		item->emits = !is_inline;
	else if (is_typedef || is_extern || macro_call)
		item->emits = false;
	else if (aggregate && tagged && !has_init && !it->preprocessed)
		/*
		 * `struct page {...} _struct_page_alignment;`: a word after a
		 * tagged definition is an attribute macro (a variable defined in
		 * a header would be defined in every unit); preprocessed text
		 * has no such macros left
		 */
		item->emits = false;
	else if (vars)
		item->emits = true;
	else if (aggregate || tagged_only || funcs || body < n)
		item->emits = false;	/* a type, a prototype, an enum */
	else
		item->emits = item->nname == 0 && n > 1;	/* _Static_assert, asm(...) */
	(void)tagged_only;
	return 0;
}

static int add_item(struct sc_items *it, const struct sc_item *item)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 1024;
		struct sc_item *v = realloc(it->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->v = v;
		it->cap = cap;
	}
	it->v[it->n++] = *item;
	return 0;
}

static int push_ix(struct sc_items *it, size_t t)
{
	if (it->nix == it->ixcap) {
		size_t cap = it->ixcap ? it->ixcap * 2 : 4096;
		size_t *v = realloc(it->ix, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->ix = v;
		it->ixcap = cap;
	}
	it->ix[it->nix++] = t;
	return 0;
}

static uint64_t hash_tokens(const struct sc_items *it, const size_t *ix, size_t n)
{
	uint64_t h = FNV_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		h = fnv(it->text + it->toks[ix[i]].off, it->toks[ix[i]].len, h);
		h = fnv(" ", 1, h);
	}
	return h;
}

/* A directive from token @t (the '#') to the end of its line. */
static int directive(struct sc_items *it, size_t t, size_t *next)
{
	struct sc_item item = { .kind = SC_ITEM_OTHER, .tok = it->nix, .name = it->nnames };
	size_t e = t + 1;
	int err = 0;

	while (e < it->ntoks && !it->toks[e].bol)
		e++;
	*next = e;
	item.start = it->toks[t].off;
	item.end = it->toks[e - 1].off + it->toks[e - 1].len;
	for (size_t i = t; !err && i < e; i++)
		err = push_ix(it, i);
	if (err)
		return err;
	item.ntok = e - t;
	if (t + 1 < e && it->toks[t + 1].kind == SC_TOK_NUMBER) {
		item.kind = SC_ITEM_LINE;
	} else if (tok_is(it, t + 1, "define") || tok_is(it, t + 1, "undef")) {
		item.kind = tok_is(it, t + 1, "define") ? SC_ITEM_DEFINE : SC_ITEM_UNDEF;
		if (tok_ident(it, t + 2) && t + 2 < e)
			err = add_name(it, &item, t + 2);
	} else if (tok_is(it, t + 1, "if") || tok_is(it, t + 1, "ifdef") ||
		   tok_is(it, t + 1, "ifndef")) {
		item.kind = SC_ITEM_COND;
		item.cond = 1;
	} else if (tok_is(it, t + 1, "elif") || tok_is(it, t + 1, "else") ||
		   tok_is(it, t + 1, "elifdef") || tok_is(it, t + 1, "elifndef")) {
		item.kind = SC_ITEM_COND;
		item.cond = 0;
	} else if (tok_is(it, t + 1, "endif")) {
		item.kind = SC_ITEM_COND;
		item.cond = -1;
	} else if (tok_is(it, t + 1, "include") || tok_is(it, t + 1, "include_next")) {
		item.kind = SC_ITEM_INCLUDE;
	}
	item.hash = hash_tokens(it, it->ix + item.tok, item.ntok);
	/* `#define F(x)` and `#define F (x)` differ: function-like or not */
	if (item.kind == SC_ITEM_DEFINE && t + 3 < e &&
	    it->toks[t + 3].off == it->toks[t + 2].off + it->toks[t + 2].len &&
	    tok_is(it, t + 3, "("))
		item.hash = fnv("(", 1, item.hash);
	return err ? err : add_item(it, &item);
}

int sc_items_parse(const char *text, size_t len, bool preprocessed, struct sc_items *it)
{
	size_t *pend = NULL, npend = 0, pendcap = 0, t = 0;
	size_t start = 0;
	int depth = 0, err;
	bool body = false, saw_paren = false, saw_eq = false, saw_agg = false;

	memset(it, 0, sizeof(*it));
	it->text = text;
	it->len = len;
	it->preprocessed = preprocessed;
	err = lex(it);
	while (!err && t <= it->ntoks) {
		bool end_item = false;

		if (t < it->ntoks && it->toks[t].bol && tok_is(it, t, "#")) {
			size_t next;

			err = directive(it, t, &next);
			t = next;
			continue;
		}
		if (t < it->ntoks) {
			const struct sc_tok *tk = &it->toks[t];
			char c = tk->kind == SC_TOK_PUNCT && tk->len == 1 ? text[tk->off] : 0;

			if (npend == pendcap) {
				size_t cap = pendcap ? pendcap * 2 : 1024;
				size_t *v = realloc(pend, cap * sizeof(*v));

				if (!v) {
					err = -ENOMEM;
					break;
				}
				pend = v;
				pendcap = cap;
			}
			if (!npend) {
				start = tk->off;
				depth = 0;
				body = saw_paren = saw_eq = saw_agg = false;
			}
			if (c == '}' && depth == 0) {
				t++;	/* a stray '}' (extern "C" { ... }): not an item */
				continue;
			}
			pend[npend++] = t;
			if (depth == 0 && tk->kind == SC_TOK_IDENT &&
			    (tok_is(it, t, "struct") || tok_is(it, t, "union") || tok_is(it, t, "enum")))
				saw_agg = true;
			if (c == '(' && depth == 0)
				saw_paren = true;
			if (c == '=' && depth == 0)
				saw_eq = true;
			if (c == '{' && depth == 0) {
				bool after_paren = npend >= 2 && tok_is(it, pend[npend - 2], ")");

				body = after_paren || (saw_paren && !saw_eq && !saw_agg);
			}
			if (c == '(' || c == '[' || c == '{')
				depth++;
			else if (c == ')' || c == ']' || c == '}')
				depth--;
			if (depth < 0)
				depth = 0;
			if (c == ';' && depth == 0)
				end_item = true;
			else if (c == '}' && depth == 0 && body)
				end_item = true;
		} else {
			end_item = npend > 0;	/* the text ended inside an item */
		}
		if (end_item) {
			struct sc_item item = {
				.kind = body ? SC_ITEM_FUNC : SC_ITEM_DECL,
				.tok = it->nix, .ntok = npend, .name = it->nnames,
				.start = start,
			};
			size_t i;

			item.end = it->toks[pend[npend - 1]].off + it->toks[pend[npend - 1]].len;
			for (i = 0; !err && i < npend; i++)
				err = push_ix(it, pend[i]);
			if (!err)
				err = name_c_item(it, &item, it->ix + item.tok, item.ntok);
			item.hash = hash_tokens(it, it->ix + item.tok, item.ntok);
			if (!err)
				err = add_item(it, &item);
			npend = 0;
		}
		t++;
	}
	free(pend);
	if (err)
		sc_items_free(it);
	return err;
}

void sc_items_free(struct sc_items *it)
{
	free(it->toks);
	free(it->v);
	free(it->ix);
	free(it->names);
	memset(it, 0, sizeof(*it));
}

const char *sc_item_name(const struct sc_items *it, const struct sc_item *item, size_t k,
			 size_t *len)
{
	const struct sc_tok *t = &it->toks[it->names[item->name + k]];

	*len = t->len;
	return it->text + t->off;
}

/* Is token @t a tag: right after struct, union or enum? */
static bool is_tag(const struct sc_items *it, size_t t)
{
	return t > 0 && (tok_is(it, t - 1, "struct") || tok_is(it, t - 1, "union") ||
			 tok_is(it, t - 1, "enum"));
}

bool sc_item_mentions(const struct sc_items *it, const struct sc_item *item,
		      const struct sc_names *names)
{
	size_t i;

	if (!names->n)
		return false;
	for (i = 0; i < item->ntok; i++) {
		size_t ti = it->ix[item->tok + i];
		const struct sc_tok *t = &it->toks[ti];

		if (t->kind != SC_TOK_IDENT || t->len < names->minlen - 1 || t->len > names->maxlen)
			continue;
		if (is_tag(it, ti) ? tag_has(names, it->text + t->off, t->len) :
				     sc_names_has(names, it->text + t->off, t->len))
			return true;
	}
	return false;
}

int sc_item_add_names(const struct sc_items *it, const struct sc_item *item,
		      struct sc_names *names)
{
	size_t k, len;
	int added = 0;

	for (k = 0; k < item->nname; k++) {
		const char *s = sc_item_name(it, item, k, &len);
		char buf[256];
		int r;

		if (is_tag(it, it->names[item->name + k]) && len + 1 < sizeof(buf)) {
			buf[0] = '#';
			memcpy(buf + 1, s, len);
			r = sc_names_add(names, buf, len + 1);
		} else {
			r = sc_names_add(names, s, len);
		}
		if (r < 0)
			return r;
		added += r;
	}
	return added;
}
