// SPDX-License-Identifier: GPL-2.0
/*
 * The package manifest: a line-oriented "key value" text file, described in
 * docs/package-format.md.  Values are single words (paths and symbol names
 * have no white space; format refuses any that do), so every reader --
 * splice-apply in C, a shell script with read -- can take it apart.
 *
 *	format 1
 *	id ab12cd34
 *	kernel-release 6.1.0-57-amd64
 *	splice-version 0.1.0
 *	patch-sha256 3a7bd3e2...
 *	unit fs/proc/meminfo.o
 *	changed meminfo_proc_show
 *	file patch 3a7bd3e2...
 *	file pre/fs/proc/meminfo.o 9c1185a5...
 *
 * "changed", "new" and "removed" name functions of the "unit" line above.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"

#define MANIFEST_FORMAT 1

bool sc_id_valid(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > SC_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
			return false;
	return true;
}

struct sc_manifest_unit *sc_manifest_add_unit(struct sc_manifest *m,
					      const char *name)
{
	struct sc_manifest_unit *u;

	u = realloc(m->units, (m->nunits + 1) * sizeof(*u));
	if (!u)
		return NULL;
	m->units = u;
	u = &m->units[m->nunits];
	memset(u, 0, sizeof(*u));
	u->name = strdup(name);
	if (!u->name)
		return NULL;
	m->nunits++;
	return u;
}

int sc_manifest_add_file(struct sc_manifest *m, const char *path,
			 const char sha256[SC_SHA256_HEX])
{
	struct sc_manifest_file *f;

	f = realloc(m->files, (m->nfiles + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	m->files = f;
	f = &m->files[m->nfiles];
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	memcpy(f->sha256, sha256, SC_SHA256_HEX);
	m->nfiles++;
	return 0;
}

int sc_manifest_add_module(struct sc_manifest *m, const char *name,
			   const char *role, const char *unit)
{
	struct sc_manifest_module *mod;

	mod = realloc(m->modules, (m->nmodules + 1) * sizeof(*mod));
	if (!mod)
		return -ENOMEM;
	m->modules = mod;
	mod = &m->modules[m->nmodules];
	mod->name = strdup(name);
	mod->role = strdup(role);
	mod->unit = strdup(unit);
	m->nmodules++;
	if (!mod->name || !mod->role || !mod->unit)
		return -ENOMEM;
	return 0;
}

static bool word_ok(const char *s)
{
	return s && *s && !strpbrk(s, " \t\n\r");
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

/* "key value [value2 [value3]]\n"; every value must be one word. */
static void put3(struct sbuf *b, const char *key, const char *value, const char *value2,
		 const char *value3)
{
	size_t need;

	if (b->err)
		return;
	if (!word_ok(value) || (value2 && !word_ok(value2)) || (value3 && !word_ok(value3))) {
		sc_err("manifest: %s value \"%s\" is empty or has white space",
		       key, !word_ok(value) ? (value ? value : "") :
		       value2 && !word_ok(value2) ? value2 : value3);
		b->err = -EINVAL;
		return;
	}
	need = strlen(key) + strlen(value) + (value2 ? strlen(value2) + 1 : 0) +
	       (value3 ? strlen(value3) + 1 : 0) + 3;
	if (b->len + need > b->cap) {
		size_t cap = (b->cap + need) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->err = -ENOMEM;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	b->len += (size_t)sprintf(b->s + b->len, "%s %s%s%s%s%s\n", key, value,
				  value2 ? " " : "", value2 ? value2 : "",
				  value2 && value3 ? " " : "", value2 && value3 ? value3 : "");
}

static void put(struct sbuf *b, const char *key, const char *value, const char *value2)
{
	put3(b, key, value, value2, NULL);
}

int sc_manifest_format(const struct sc_manifest *m, char **out)
{
	struct sbuf b = { 0 };
	char fmt[16];
	size_t i, j;

	snprintf(fmt, sizeof(fmt), "%d", MANIFEST_FORMAT);
	put(&b, "format", fmt, NULL);
	put(&b, "id", m->id, NULL);
	put(&b, "kernel-release", m->kernel_release, NULL);
	put(&b, "splice-version", m->splice_version, NULL);
	put(&b, "patch-sha256", m->patch_sha256, NULL);
	for (i = 0; i < m->nunits; i++) {
		const struct sc_manifest_unit *u = &m->units[i];

		put(&b, "unit", u->name, NULL);
		if (u->target)
			put(&b, "target", u->target, NULL);
		for (j = 0; j < u->changed.n; j++)
			put(&b, "changed", u->changed.v[j], NULL);
		for (j = 0; j < u->added.n; j++)
			put(&b, "new", u->added.v[j], NULL);
		for (j = 0; j < u->removed.n; j++)
			put(&b, "removed", u->removed.v[j], NULL);
		for (j = 0; j < u->hooks.n; j++)
			put(&b, "hook", u->hooks.v[j], NULL);
	}
	for (i = 0; i < m->nmodules; i++)
		put3(&b, "module", m->modules[i].name, m->modules[i].role, m->modules[i].unit);
	for (i = 0; i < m->nfiles; i++)
		put(&b, "file", m->files[i].path, m->files[i].sha256);
	if (b.err) {
		free(b.s);
		return b.err;
	}
	*out = b.s;
	return 0;
}

static bool is_sha256(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static int parse_fail(unsigned int line, const char *what, const char *word)
{
	sc_err("manifest:%u: %s%s%s", line, what, word ? ": " : "", word ? word : "");
	return -EINVAL;
}

static int set_once(char **field, const char *value, unsigned int line, const char *key)
{
	if (*field)
		return parse_fail(line, "duplicate key", key);
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

static int parse_line(struct sc_manifest *m, unsigned int lineno, char *line,
		      bool *seen_format)
{
	char *key = line, *value, *extra, *sp;
	struct sc_manifest_unit *u = m->nunits ? &m->units[m->nunits - 1] : NULL;

	sp = strchr(line, ' ');
	if (!sp)
		return parse_fail(lineno, "expected \"key value\"", line);
	*sp = '\0';
	value = sp + 1;
	extra = strchr(value, ' ');
	if (extra)
		*extra++ = '\0';
	if (!*value)
		return parse_fail(lineno, "empty value for", key);
	if (extra && strcmp(key, "file") && strcmp(key, "module"))
		return parse_fail(lineno, "more than one value for", key);
	if (!strcmp(key, "format")) {
		if (strcmp(value, "1"))
			return parse_fail(lineno, "unsupported format", value);
		*seen_format = true;
		return 0;
	}
	if (!*seen_format)
		return parse_fail(lineno, "the first line must be \"format 1\"", NULL);
	if (!strcmp(key, "id")) {
		if (!sc_id_valid(value))
			return parse_fail(lineno, "invalid id", value);
		return set_once(&m->id, value, lineno, key);
	}
	if (!strcmp(key, "kernel-release"))
		return set_once(&m->kernel_release, value, lineno, key);
	if (!strcmp(key, "splice-version"))
		return set_once(&m->splice_version, value, lineno, key);
	if (!strcmp(key, "patch-sha256")) {
		if (!is_sha256(value))
			return parse_fail(lineno, "not a sha256", value);
		memcpy(m->patch_sha256, value, SC_SHA256_HEX);
		return 0;
	}
	if (!strcmp(key, "unit"))
		return sc_manifest_add_unit(m, value) ? 0 : -ENOMEM;
	if (!strcmp(key, "changed") || !strcmp(key, "new") || !strcmp(key, "removed")) {
		if (!u)
			return parse_fail(lineno, "function before any \"unit\" line", value);
		return sc_strv_add(key[0] == 'c' ? &u->changed : key[0] == 'n' ? &u->added :
				   &u->removed, value);
	}
	if (!strcmp(key, "hook")) {
		if (!u)
			return parse_fail(lineno, "hook before any \"unit\" line", value);
		if (!strchr(value, ':'))
			return parse_fail(lineno, "hook not STAGE:FUNCTION", value);
		return sc_strv_add(&u->hooks, value);
	}
	if (!strcmp(key, "target")) {
		if (!u)
			return parse_fail(lineno, "target before any \"unit\" line", value);
		if (strlen(value) > 55 || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(value))
			return parse_fail(lineno, "invalid module name", value);
		return set_once(&u->target, value, lineno, key);
	}
	if (!strcmp(key, "module")) {
		char *unit = extra ? strchr(extra, ' ') : NULL;

		if (unit)
			*unit++ = '\0';
		if (!unit || !*unit || strchr(unit, ' ') ||
		    (strcmp(extra, "pre") && strcmp(extra, "new")))
			return parse_fail(lineno, "expected \"module NAME pre|new UNIT\"", value);
		return sc_manifest_add_module(m, value, extra, unit);
	}
	if (!strcmp(key, "file")) {
		if (!extra || strchr(extra, ' ') || !is_sha256(extra))
			return parse_fail(lineno, "expected \"file PATH SHA256\"", value);
		return sc_manifest_add_file(m, value, extra);
	}
	/* unknown keys: a newer writer; readers skip them */
	return 0;
}

int sc_manifest_parse(const char *buf, size_t len, struct sc_manifest *out)
{
	const char *p = buf, *end = buf + len;
	unsigned int lineno = 0;
	bool seen_format = false;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (!err && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char *line = strndup(p, n);

		lineno++;
		if (!line)
			err = -ENOMEM;
		else if (memchr(p, '\0', n) || strpbrk(line, "\t\r"))
			/* the writer never writes them, and a shell reader would keep them in a value */
			err = parse_fail(lineno, "a NUL, tab or carriage return in the line", NULL);
		else if (n && line[0] != '#')
			err = parse_line(out, lineno, line, &seen_format);
		free(line);
		p = nl ? nl + 1 : end;
	}
	if (!err && (!out->id || !out->kernel_release || !out->splice_version ||
		     !out->patch_sha256[0]))
		err = parse_fail(lineno, "missing id, kernel-release, splice-version or patch-sha256",
				 NULL);
	if (err)
		sc_manifest_free(out);
	return err;
}

void sc_manifest_free(struct sc_manifest *m)
{
	size_t i;

	for (i = 0; i < m->nunits; i++) {
		free(m->units[i].name);
		free(m->units[i].target);
		sc_strv_free(&m->units[i].changed);
		sc_strv_free(&m->units[i].added);
		sc_strv_free(&m->units[i].removed);
		sc_strv_free(&m->units[i].hooks);
	}
	for (i = 0; i < m->nmodules; i++) {
		free(m->modules[i].name);
		free(m->modules[i].role);
		free(m->modules[i].unit);
	}
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->modules);
	free(m->units);
	free(m->files);
	free(m->id);
	free(m->kernel_release);
	free(m->splice_version);
	memset(m, 0, sizeof(*m));
}
