// SPDX-License-Identifier: GPL-2.0
/*
 * A patch that changes the layout of a structure or union: a field added,
 * removed, resized or moved inside its definition.  The running kernel
 * has instances of it with the old layout, and every function that uses it
 * would read the new one; no hook can grow the instances in place.  Found
 * from the source, before anything is compiled (a field of task_struct in
 * include/linux/sched.h would otherwise rebuild most of the kernel only to
 * be refused), and refused with what to do instead: shadow data
 * (splice-patch(7)).
 *
 * The old file is scanned once for the definitions' bodies, skipping
 * comments, strings and preprocessor lines: a "{" at file scope or inside
 * another definition whose statement so far ends in "struct NAME" or
 * "union NAME" (or an anonymous one) opens one; a type defined inside a
 * function body is the function's business.
 * A changed line counts when the old file is inside a definition at the
 * start of that line (an insertion: before the old line that follows it);
 * blank and comment-only lines don't.
 *
 *	struct foo {			<- outside at its start
 *		int a;			<- inside struct foo
 *	+	int added;		<- inserted before "};": inside
 *	};				<- inside (the body ends on it)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

#define MAX_DEPTH	64
#define STMT_MAX	256

/* Per line of the old file: the outermost definition its start is in, or NULL. */
struct layout {
	char **owner;		/* [line], 1-based; shared strings in names */
	size_t nlines;
	char **names;
	size_t nnames;
};

static void layout_free(struct layout *l)
{
	size_t i;

	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->owner);
}

/* "struct foo" / "union" (anonymous) at the end of @stmt, malloc'ed; else NULL. */
static char *definition_name(const char *stmt)
{
	const char *end = stmt + strlen(stmt), *w, *kw;
	char *out;

	while (end > stmt && isspace((unsigned char)end[-1]))
		end--;
	/* the last word: the tag, or the keyword itself */
	for (w = end; w > stmt && (isalnum((unsigned char)w[-1]) || w[-1] == '_'); w--)
		;
	if (w == end)
		return NULL;
	if ((end - w == 6 && !strncmp(w, "struct", 6)) || (end - w == 5 && !strncmp(w, "union", 5)))
		return asprintf(&out, "an anonymous %.*s", (int)(end - w), w) < 0 ? NULL : out;
	for (kw = w; kw > stmt && isspace((unsigned char)kw[-1]); kw--)
		;
	if (kw - stmt >= 6 && !strncmp(kw - 6, "struct", 6) &&
	    (kw - 6 == stmt || !(isalnum((unsigned char)kw[-7]) || kw[-7] == '_')))
		return asprintf(&out, "struct %.*s", (int)(end - w), w) < 0 ? NULL : out;
	if (kw - stmt >= 5 && !strncmp(kw - 5, "union", 5) &&
	    (kw - 5 == stmt || !(isalnum((unsigned char)kw[-6]) || kw[-6] == '_')))
		return asprintf(&out, "union %.*s", (int)(end - w), w) < 0 ? NULL : out;
	return NULL;
}

static int scan(const char *text, size_t len, struct layout *l)
{
	char stmt[STMT_MAX + 1];
	const char *stack[MAX_DEPTH];	/* per open brace: its definition, or NULL */
	size_t depth = 0, sl = 0, line = 1, i, n = 1;
	bool bol = true, in_comment = false, pp = false;
	const char *outer = NULL;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	l->owner = calloc(n + 2, sizeof(*l->owner));
	if (!l->owner)
		return -ENOMEM;
	l->nlines = n;
	l->owner[1] = NULL;
	stmt[0] = '\0';
	for (i = 0; i < len; i++) {
		char ch = text[i];

		if (ch == '\n') {
			pp = pp && i > 0 && text[i - 1] == '\\';
			bol = true;
			l->owner[++line] = (char *)outer;
			continue;
		}
		if (in_comment) {
			if (ch == '*' && i + 1 < len && text[i + 1] == '/') {
				in_comment = false;
				i++;
			}
			continue;
		}
		if (bol && !isspace((unsigned char)ch)) {
			bol = false;
			if (ch == '#')
				pp = true;
		}
		if (pp)
			continue;
		if (ch == '/' && i + 1 < len && text[i + 1] == '*') {
			in_comment = true;
			i++;
			continue;
		}
		if (ch == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
			continue;
		}
		if (ch == '"' || ch == '\'') {
			for (i++; i < len && text[i] != ch && text[i] != '\n'; i++)
				if (text[i] == '\\')
					i++;
			continue;
		}
		if (ch == '{') {
			/*
			 * a definition at file scope, or nested in one; not a
			 * type local to a function body (a stack variable's)
			 */
			bool scope = !depth || (depth <= MAX_DEPTH && stack[depth - 1]);
			char *name = scope ? definition_name(stmt) : NULL;
			char **v;

			if (name) {
				v = realloc(l->names, (l->nnames + 1) * sizeof(*v));
				if (!v) {
					free(name);
					return -ENOMEM;
				}
				l->names = v;
				l->names[l->nnames++] = name;
			}
			if (depth < MAX_DEPTH)
				stack[depth] = name;
			depth++;
			if (!outer && name)
				outer = name;
			sl = 0;
			stmt[0] = '\0';
			continue;
		}
		if (ch == '}') {
			if (depth) {
				depth--;
				if (depth < MAX_DEPTH && stack[depth] == outer)
					outer = NULL;
			}
			sl = 0;
			stmt[0] = '\0';
			continue;
		}
		if (ch == ';') {
			sl = 0;
			stmt[0] = '\0';
			continue;
		}
		if (sl == STMT_MAX) {	/* keep the end: that is what is looked at */
			memmove(stmt, stmt + STMT_MAX / 2, STMT_MAX / 2);
			sl = STMT_MAX / 2;
		}
		stmt[sl++] = ch;
		stmt[sl] = '\0';
	}
	return 0;
}

/* A changed line that can't change a layout: blank, or only a comment. */
static bool no_code(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	return !n || (n >= 2 && (!strncmp(p, "//", 2) || !strncmp(p, "/*", 2) ||
				 !strncmp(p, "*/", 2))) || *p == '*';
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	for (;;) {
		char *p;

		if (*len + 4096 > cap) {
			cap = (cap + 4096) * 2;
			p = realloc(*buf, cap);
			if (!p) {
				fclose(f);
				return -ENOMEM;
			}
			*buf = p;
		}
		n = fread(*buf + *len, 1, cap - *len - 1, f);
		*len += n;
		if (!n)
			break;
	}
	(*buf)[*len] = '\0';
	fclose(f);
	return 0;
}

/* C source or header, by name. */
static bool is_c(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h"));
}

/* One file's hunks: each changed line inside a definition of the old file. */
static int check_file(const char *tree, const char *rel, const char *hunks, const char *end,
		      struct sc_reasons *reasons)
{
	struct layout l = { 0 };
	char *path = NULL, *text = NULL, *last = NULL;
	size_t len, old = 0;
	const char *p;
	int err;

	if (asprintf(&path, "%s/%s", tree, rel) < 0)
		return -ENOMEM;
	err = read_file(path, &text, &len);
	free(path);
	if (err)
		return err == -ENOENT ? 0 : err;	/* a new file: nothing live */
	err = scan(text, len, &l);
	for (p = hunks; !err && p < end;) {
		const char *eol = memchr(p, '\n', end - p);
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		unsigned long a;

		if (n > 4 && !strncmp(p, "@@ -", 4)) {
			a = strtoul(p + 4, NULL, 10);
			old = a ? a : 1;
		} else if (old && n && (*p == '-' || *p == '+') && !no_code(p + 1, n - 1) &&
			   old <= l.nlines && l.owner[old]) {
			/* once per definition and hunk position */
			if (l.owner[old] != last)
				err = sc_reason_add(reasons, "%s:%zu: changes the layout of %s, which "
						    "the running kernel has instances of: keep the "
						    "new state in shadow data instead "
						    "(splice_shadow_get_or_alloc() where one is "
						    "created, splice_shadow_free() where it is freed; "
						    "splice-patch(7))", rel, old, l.owner[old]);
			last = l.owner[old];
		}
		if (old && n && (*p == ' ' || *p == '-'))
			old++;
		p = eol ? eol + 1 : end;
	}
	layout_free(&l);
	free(text);
	return err;
}

int sc_check_layouts(const char *tree, const char *patch, size_t len, struct sc_reasons *reasons)
{
	const char *p = patch, *end = patch + len, *file_start = NULL;
	char *rel = NULL;
	int err = 0;

	while (!err && p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n > 4 && !strncmp(p, "--- ", 4)) {
			const char *s = p + 4, *slash, *stop;

			if (rel && file_start)
				err = check_file(tree, rel, file_start, p, reasons);
			free(rel);
			rel = NULL;
			file_start = NULL;
			/* "--- a/fs/x.c\tdate": the old path, first component stripped */
			stop = s + strcspn(s, "\t\n");
			slash = memchr(s, '/', stop - s);
			if (slash && strncmp(s, "/dev/null", 9)) {
				rel = strndup(slash + 1, stop - slash - 1);
				if (!rel)
					err = -ENOMEM;
				else if (!is_c(rel) || strstr(rel, ".."))
					rel = (free(rel), NULL);
			}
		} else if (rel && !file_start && n > 4 && !strncmp(p, "@@ -", 4)) {
			file_start = p;
		}
		p = eol ? eol + 1 : end;
	}
	if (!err && rel && file_start)
		err = check_file(tree, rel, file_start, end, reasons);
	free(rel);
	return err;
}
