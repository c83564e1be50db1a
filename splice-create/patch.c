// SPDX-License-Identifier: GPL-2.0
/*
 * The unified-diff parser: which files a patch touches and how.
 *
 * It reads what `patch -p1` reads: plain `diff -u`/`diff -urN` output and
 * git's (`diff --git` with its extended headers: new/deleted file mode,
 * rename from/to, binary markers).  Text before, between and after file
 * blocks (mail headers, a commit message, a diffstat) is skipped, as patch
 * skips it.  Hunks are checked against their headers' line counts, so a
 * truncated or hand-edited patch is reported here, with the line, instead
 * of half-applied later.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

struct parser {
	const char *name;		/* for messages */
	const char *buf, *end;
	const char *cur;		/* start of the next line */
	unsigned int lineno;		/* of the line last returned */
	struct sc_patch *patch;
};

/* The next line (without its newline) in *@line, *@len; false at EOF. */
static bool next_line(struct parser *p, const char **line, size_t *len)
{
	const char *nl;

	if (p->cur >= p->end)
		return false;
	nl = memchr(p->cur, '\n', p->end - p->cur);
	*line = p->cur;
	*len = (nl ? nl : p->end) - p->cur;
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	p->cur = nl ? nl + 1 : p->end;
	p->lineno++;
	return true;
}

/* Look at the next line without consuming it. */
static bool peek_line(const struct parser *p, const char **line, size_t *len)
{
	struct parser q = *p;

	return next_line(&q, line, len);
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(line, prefix, n);
}

static int fail(const struct parser *p, const char *what)
{
	sc_err("%s:%u: %s", p->name, p->lineno, what);
	return -EINVAL;
}

/*
 * A path as it appears after "--- ", "+++ ", "rename from " ...: maybe
 * C-quoted (git quotes unusual names), maybe followed by a tab and a
 * timestamp (diff -u).  Returns a malloc'ed copy with @strip leading
 * components removed, "/dev/null" kept as is.
 */
static int parse_path(const struct parser *p, const char *s, size_t len,
		      int strip, char **out)
{
	char *path, *w, *q;
	size_t i = 0;

	path = malloc(len + 1);
	if (!path)
		return -ENOMEM;
	w = path;
	if (len && s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] != '\\' || i + 1 >= len) {
				*w++ = s[i];
				continue;
			}
			i++;
			switch (s[i]) {
			case 'n': *w++ = '\n'; break;
			case 't': *w++ = '\t'; break;
			case '0': case '1': case '2': case '3': {
				unsigned int v = 0, k;

				for (k = 0; k < 3 && i < len && s[i] >= '0' && s[i] <= '7'; k++, i++)
					v = v * 8 + (unsigned int)(s[i] - '0');
				i--;
				*w++ = (char)v;
				break;
			}
			default: *w++ = s[i]; break;
			}
		}
	} else {
		/* the name ends at a tab (timestamp follows) or the line's end */
		for (i = 0; i < len && s[i] != '\t'; i++)
			*w++ = s[i];
		while (w > path && w[-1] == ' ')
			w--;
	}
	*w = '\0';
	if (!path[0]) {
		free(path);
		return fail(p, "empty file name");
	}
	if (!strcmp(path, "/dev/null")) {
		*out = path;
		return 0;
	}
	q = path;
	while (strip-- > 0) {
		char *slash = strchr(q, '/');

		if (!slash) {
			free(path);
			return fail(p, "file name has no directory to strip (patch -p1)");
		}
		q = slash + 1;
		while (*q == '/')
			q++;
	}
	while (!strncmp(q, "./", 2))
		q += 2;
	if (!*q || q[0] == '/' || !strcmp(q, "..") || !strncmp(q, "../", 3) ||
	    strstr(q, "/../") || (strlen(q) >= 3 && !strcmp(q + strlen(q) - 3, "/.."))) {
		free(path);
		return fail(p, "file name leaves the source tree");
	}
	memmove(path, q, strlen(q) + 1);
	*out = path;
	return 0;
}

/* Epoch timestamps mark the missing side of `diff -N` output. */
static bool epoch_stamp(const char *line, size_t len)
{
	const char *tab = memchr(line, '\t', len);
	size_t n;

	if (!tab)
		return false;
	n = len - (size_t)(tab + 1 - line);
	return (n >= 10 && !memcmp(tab + 1, "1970-01-01", 10)) ||
	       (n >= 24 && !memcmp(tab + 1, "Thu Jan  1 00:00:00 1970", 24));
}

static struct sc_patch_file *new_file(struct parser *p)
{
	struct sc_patch *patch = p->patch;
	struct sc_patch_file *v;

	v = realloc(patch->files, (patch->nfiles + 1) * sizeof(*v));
	if (!v)
		return NULL;
	patch->files = v;
	v = &patch->files[patch->nfiles++];
	memset(v, 0, sizeof(*v));
	v->status = SC_FILE_MODIFIED;
	v->hash_comments_only = true;
	v->line = p->lineno;
	return v;
}

/* "@@ -a[,b] +c[,d] @@": the old and new line counts. */
static int parse_hunk_header(const struct parser *p, const char *line, size_t len,
			     unsigned long *old_start, unsigned long *old_n,
			     unsigned long *new_n)
{
	char buf[128], *s, *e;
	unsigned long new_start;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	s = buf + 3;
	if (*s != '-')
		goto bad;
	*old_start = strtoul(s + 1, &e, 10);
	if (e == s + 1)
		goto bad;
	*old_n = 1;
	if (*e == ',') {
		s = e + 1;
		*old_n = strtoul(s, &e, 10);
		if (e == s)
			goto bad;
	}
	if (*e++ != ' ' || *e != '+')
		goto bad;
	s = e + 1;
	new_start = strtoul(s, &e, 10);
	if (e == s)
		goto bad;
	(void)new_start;
	*new_n = 1;
	if (*e == ',') {
		s = e + 1;
		*new_n = strtoul(s, &e, 10);
		if (e == s)
			goto bad;
	}
	if (strncmp(e, " @@", 3))
		goto bad;
	return 0;
bad:
	return fail(p, "malformed hunk header (expected \"@@ -a,b +c,d @@\")");
}

static bool hash_comment_or_blank(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == len || s[i] == '#';
}

/* The hunks of @f, right after its "+++" line. */
static int parse_hunks(struct parser *p, struct sc_patch_file *f,
		       bool *only_empty_new, bool *only_empty_old)
{
	const char *line;
	size_t len;
	char msg[160];

	*only_empty_new = *only_empty_old = true;
	while (peek_line(p, &line, &len) && starts(line, len, "@@ ")) {
		unsigned long old_start, old_n, new_n;
		int err;

		next_line(p, &line, &len);
		err = parse_hunk_header(p, line, len, &old_start, &old_n, &new_n);
		if (err)
			return err;
		if (old_n || old_start)
			*only_empty_old = false;
		if (new_n)
			*only_empty_new = false;
		f->nhunks++;
		while (old_n || new_n) {
			if (!next_line(p, &line, &len)) {
				snprintf(msg, sizeof(msg),
					 "patch ends inside a hunk of %s (%lu old and %lu new lines missing)",
					 sc_patch_file_path(f), old_n, new_n);
				return fail(p, msg);
			}
			/* some mailers drop the space of an empty context line */
			if (len == 0 || line[0] == ' ') {
				if (!old_n || !new_n)
					goto overrun;
				old_n--;
				new_n--;
			} else if (line[0] == '-') {
				if (!old_n)
					goto overrun;
				old_n--;
				f->removed++;
				if (!hash_comment_or_blank(line + 1, len - 1))
					f->hash_comments_only = false;
			} else if (line[0] == '+') {
				if (!new_n)
					goto overrun;
				new_n--;
				f->added++;
				if (!hash_comment_or_blank(line + 1, len - 1))
					f->hash_comments_only = false;
			} else if (line[0] == '\\') {
				continue;	/* "\ No newline at end of file" */
			} else {
				snprintf(msg, sizeof(msg),
					 "hunk of %s ends early: %lu old and %lu new lines missing",
					 sc_patch_file_path(f), old_n, new_n);
				return fail(p, msg);
			}
		}
		/* the marker may follow the hunk's last line */
		while (peek_line(p, &line, &len) && len && line[0] == '\\')
			next_line(p, &line, &len);
	}
	return 0;
overrun:
	snprintf(msg, sizeof(msg), "hunk of %s has more lines than its header says",
		 sc_patch_file_path(f));
	return fail(p, msg);
}

/* "--- OLD" (already read as @minus) "+++ NEW" and the hunks. */
static int parse_body(struct parser *p, struct sc_patch_file *f,
		      const char *minus, size_t minus_len)
{
	const char *plus;
	size_t plus_len;
	char *old_path = NULL, *new_path = NULL;
	bool empty_new, empty_old;
	int err;

	next_line(p, &plus, &plus_len);
	err = parse_path(p, minus + 4, minus_len - 4, 1, &old_path);
	if (!err)
		err = parse_path(p, plus + 4, plus_len - 4, 1, &new_path);
	if (err)
		goto out;
	if (!f->old_path && f->status != SC_FILE_NEW && strcmp(old_path, "/dev/null"))
		f->old_path = strdup(old_path);
	if (!f->new_path && f->status != SC_FILE_DELETED && strcmp(new_path, "/dev/null"))
		f->new_path = strdup(new_path);
	if (!strcmp(old_path, "/dev/null"))
		f->status = SC_FILE_NEW;
	else if (!strcmp(new_path, "/dev/null"))
		f->status = SC_FILE_DELETED;
	err = parse_hunks(p, f, &empty_new, &empty_old);
	if (err)
		goto out;
	if (!f->nhunks) {
		err = fail(p, "file header without hunks");
		goto out;
	}
	/* diff -N: the missing side is an empty file with an epoch timestamp */
	if (f->status == SC_FILE_MODIFIED && empty_old && epoch_stamp(minus, minus_len))
		f->status = SC_FILE_NEW;
	else if (f->status == SC_FILE_MODIFIED && empty_new && epoch_stamp(plus, plus_len))
		f->status = SC_FILE_DELETED;
	if (f->status == SC_FILE_NEW) {
		free(f->old_path);
		f->old_path = NULL;
	} else if (f->status == SC_FILE_DELETED) {
		free(f->new_path);
		f->new_path = NULL;
	}
	if ((f->status != SC_FILE_NEW && !f->old_path) ||
	    (f->status != SC_FILE_DELETED && !f->new_path))
		err = -ENOMEM;
out:
	free(old_path);
	free(new_path);
	return err;
}

/* "diff --git a/X b/Y" and its extended headers, up to the hunks. */
static int parse_git(struct parser *p, const char *hdr, size_t hdr_len)
{
	struct sc_patch_file *f = new_file(p);
	const char *line, *sp;
	size_t len;
	int err = 0;

	if (!f)
		return -ENOMEM;
	/* both names are in the header; "a/X b/Y" with X == Y unless renamed */
	hdr += 11;
	hdr_len -= 11;
	sp = NULL;
	if (hdr_len >= 2 && hdr[0] != '"') {
		/* split in the middle: " b/" after a name of half the length */
		size_t half = (hdr_len - 1) / 2;

		if (hdr_len % 2 && hdr[half] == ' ' && !memcmp(hdr + 2, hdr + half + 3, half - 2))
			sp = hdr + half;
		else
			sp = memmem(hdr, hdr_len, " b/", 3);
	}
	if (sp) {
		err = parse_path(p, hdr, (size_t)(sp - hdr), 1, &f->old_path);
		if (!err)
			err = parse_path(p, sp + 1, hdr_len - (size_t)(sp + 1 - hdr), 1, &f->new_path);
		if (err)
			return err;
	}
	while (peek_line(p, &line, &len)) {
		if (starts(line, len, "new file mode ")) {
			f->status = SC_FILE_NEW;
		} else if (starts(line, len, "deleted file mode ")) {
			f->status = SC_FILE_DELETED;
		} else if (starts(line, len, "rename from ") || starts(line, len, "copy from ")) {
			free(f->old_path);
			f->old_path = NULL;
			err = parse_path(p, strchr(line, ' ') + 6, len - (size_t)(strchr(line, ' ') + 6 - line), 0, &f->old_path);
			if (starts(line, len, "rename"))
				f->status = SC_FILE_RENAMED;
		} else if (starts(line, len, "rename to ") || starts(line, len, "copy to ")) {
			const char *s = strchr(line, ' ') + 4;

			free(f->new_path);
			f->new_path = NULL;
			err = parse_path(p, s, len - (size_t)(s - line), 0, &f->new_path);
		} else if (starts(line, len, "Binary files ") || starts(line, len, "GIT binary patch")) {
			f->binary = true;
		} else if (starts(line, len, "--- ")) {
			next_line(p, &line, &len);
			if (!peek_line(p, &hdr, &hdr_len) || !starts(hdr, hdr_len, "+++ "))
				return fail(p, "\"---\" line without \"+++\" line");
			return parse_body(p, f, line, len);
		} else if (!starts(line, len, "old mode ") && !starts(line, len, "new mode ") &&
			   !starts(line, len, "index ") && !starts(line, len, "similarity index ") &&
			   !starts(line, len, "dissimilarity index ")) {
			break;
		}
		if (err)
			return err;
		next_line(p, &line, &len);
	}
	if (f->status == SC_FILE_NEW) {
		free(f->old_path);
		f->old_path = NULL;
	} else if (f->status == SC_FILE_DELETED) {
		free(f->new_path);
		f->new_path = NULL;
	}
	if (!f->old_path && !f->new_path)
		return fail(p, "cannot tell the file names from the \"diff --git\" line");
	/* mode-only, rename-only or binary: no hunks */
	return 0;
}

int sc_patch_parse(const char *name, const char *buf, size_t len,
		   struct sc_patch *out)
{
	struct parser p = { .name = name, .buf = buf, .end = buf + len, .cur = buf,
			    .patch = out };
	const char *line, *next;
	size_t n, next_len;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (!err && next_line(&p, &line, &n)) {
		if (starts(line, n, "diff --git ")) {
			err = parse_git(&p, line, n);
		} else if (starts(line, n, "--- ") && peek_line(&p, &next, &next_len) &&
			   starts(next, next_len, "+++ ")) {
			struct sc_patch_file *f = new_file(&p);

			err = f ? parse_body(&p, f, line, n) : -ENOMEM;
		} else if (starts(line, n, "@@ ")) {
			err = fail(&p, "hunk without a file header (\"---\"/\"+++\" lines)");
		}
	}
	if (!err && !out->nfiles) {
		sc_err("%s: no file changes found (not a unified diff?)", name);
		err = -EINVAL;
	}
	if (err)
		sc_patch_free(out);
	return err;
}

void sc_patch_free(struct sc_patch *patch)
{
	size_t i;

	for (i = 0; i < patch->nfiles; i++) {
		free(patch->files[i].old_path);
		free(patch->files[i].new_path);
	}
	free(patch->files);
	patch->files = NULL;
	patch->nfiles = 0;
}

const char *sc_patch_file_path(const struct sc_patch_file *f)
{
	return f->new_path ? f->new_path : f->old_path;
}
