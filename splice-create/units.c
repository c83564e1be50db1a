// SPDX-License-Identifier: GPL-2.0
/*
 * Unit selection: which compilation units a patch affects.
 *
 * Three steps, from cheap and conservative to exact:
 *  1. sc_units_scan(): the changed .c/.S files, plus every .c/.S that
 *     #includes a changed file directly or through other files, found by
 *     reading the #include lines of the whole tree (a fresh tree has no
 *     dependency files to ask).  An include that *could* name a file is
 *     taken to name it: `#include <linux/fs.h>` is matched by path suffix,
 *     `#include "internal.h"` by the includer's directory when that file
 *     exists there, else by suffix too (kbuild adds -I flags per directory).
 *  2. sc_units_configured(): kbuild builds any object you name, configured
 *     or not (`make fs/ext2/inode.o` works with CONFIG_EXT2_FS=n), so we ask
 *     kbuild's own makefiles which objects this configuration builds: a
 *     unit must be in its directory's obj-y/obj-m/lib-y (composite objects
 *     expanded), and the directory must be reached from the top.
 *  3. sc_units_filter_deps(): after the pre build, each unit's .cmd file
 *     lists every file the compiler read; units that read no changed file
 *     are dropped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "create.h"

/* ------------------------------------------------------------ file kinds */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

enum sc_file_kind sc_file_kind(const char *path)
{
	static const char *const no_kernel_code[] = {
		"Documentation/", "LICENSES/", "tools/", "samples/", "usr/",
	};
	const char *base = base_name(path);
	size_t i;

	for (i = 0; i < sizeof(no_kernel_code) / sizeof(no_kernel_code[0]); i++)
		if (!strncmp(path, no_kernel_code[i], strlen(no_kernel_code[i])))
			return SC_KIND_OTHER;
	if (!strncmp(base, "Makefile", 8) || !strncmp(base, "Kbuild", 6) ||
	    !strncmp(base, "Kconfig", 7) || has_suffix(base, ".mk") ||
	    !strncmp(path, "scripts/", 8))
		return SC_KIND_BUILD;
	if (has_suffix(base, ".c") || has_suffix(base, ".S"))
		return SC_KIND_CODE;
	if (has_suffix(base, ".h") || has_suffix(base, ".inc"))
		return SC_KIND_HEADER;
	return SC_KIND_OTHER;
}

/* ------------------------------------------------------------ hash table */

/* Open addressing, string keys, values are indexes; power-of-two size. */
struct strmap {
	const char **keys;
	size_t *vals;
	size_t size, used;
};

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

static int strmap_grow(struct strmap *m)
{
	struct strmap n = { .size = m->size ? m->size * 2 : 1024 };
	size_t i;

	n.keys = calloc(n.size, sizeof(*n.keys));
	n.vals = calloc(n.size, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->size; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		j = hash_str(m->keys[i], strlen(m->keys[i])) & (n.size - 1);
		while (n.keys[j])
			j = (j + 1) & (n.size - 1);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.used = m->used;
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

/* The slot of @key (length @n), or of the empty slot where it would go. */
static size_t strmap_slot(const struct strmap *m, const char *key, size_t n)
{
	size_t j = hash_str(key, n) & (m->size - 1);

	while (m->keys[j] && (strlen(m->keys[j]) != n || memcmp(m->keys[j], key, n)))
		j = (j + 1) & (m->size - 1);
	return j;
}

static bool strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	size_t j;

	if (!m->size)
		return false;
	j = strmap_slot(m, key, strlen(key));
	if (!m->keys[j])
		return false;
	*val = m->vals[j];
	return true;
}

/* @key must outlive the map. */
static int strmap_put(struct strmap *m, const char *key, size_t val)
{
	size_t j;

	if ((m->used + 1) * 2 > m->size) {
		int err = strmap_grow(m);

		if (err)
			return err;
	}
	j = strmap_slot(m, key, strlen(key));
	if (!m->keys[j])
		m->used++;
	m->keys[j] = key;
	m->vals[j] = val;
	return 0;
}

static void strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ include scan */

struct incl {
	size_t from;		/* index in scan.files */
	char *name;		/* as written between the quotes or brackets */
	bool quoted;
	size_t next_same_base;	/* next include with the same basename, or SIZE_MAX */
};

struct scan {
	const char *tree;
	struct sc_strv files;		/* tree-relative paths of sources read */
	struct strmap file_index;	/* path -> index in files */
	struct incl *incls;
	size_t nincls, cap;
	struct strmap by_base;		/* include basename -> first incl */
	char *buf;			/* scan_file's */
	size_t bufsize;
	const struct sc_names *find;	/* names to look for, or NULL */
	bool *mention;			/* per file: it has one of them */
	size_t mcap;
};

/*
 * Directories with no kernel code, or only generated or host-side code that
 * no kernel unit includes; and the other architectures' (arch/um's too:
 * UML is an architecture of its own), whose units and headers an x86 build
 * never reads (sc_units_configured would drop their units anyway).
 */
static bool skip_dir(const char *rel)
{
	static const char *const skip[] = {
		".git", "Documentation", "LICENSES", "tools", "scripts", "usr",
		"include/config", ".tmp_versions",
	};
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcmp(rel, skip[i]))
			return true;
	return !strncmp(rel, "arch/", 5) && !strchr(rel + 5, '/') && strcmp(rel + 5, "x86");
}

static bool scanned_file(const char *name)
{
	return has_suffix(name, ".c") || has_suffix(name, ".h") ||
	       has_suffix(name, ".S") || has_suffix(name, ".inc");
}

static int add_incl(struct scan *s, size_t from, const char *name, size_t len,
		    bool quoted)
{
	struct incl *in;

	if (s->nincls == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;

		in = realloc(s->incls, cap * sizeof(*in));
		if (!in)
			return -ENOMEM;
		s->incls = in;
		s->cap = cap;
	}
	in = &s->incls[s->nincls];
	in->name = strndup(name, len);
	if (!in->name)
		return -ENOMEM;
	in->from = from;
	in->quoted = quoted;
	in->next_same_base = SIZE_MAX;
	s->nincls++;
	return 0;
}

/*
 * Record the #include lines of @buf (the contents of files.v[from]): lines
 * `[ \t]*#[ \t]*include[ \t]*["<]NAME[">]`, found from their '#' (memchr
 * skips the rest of the 1 GB read at memory speed).
 */
static int scan_includes(struct scan *s, size_t from, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *q;

	while ((q = memchr(p, '#', (size_t)(end - p)))) {
		const char *ls = q, *eol;

		p = q + 1;
		/* only blanks before the '#' on its line */
		while (ls > buf && (ls[-1] == ' ' || ls[-1] == '\t'))
			ls--;
		if (ls > buf && ls[-1] != '\n')
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p <= 7 || memcmp(p, "include", 7))
			continue;
		p += 7;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		q = p;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q < eol && (*q == '"' || *q == '<')) {
			char close = *q == '"' ? '"' : '>';
			const char *e = memchr(q + 1, close, (size_t)(eol - q - 1));

			if (e && e > q + 1) {
				int err = add_incl(s, from, q + 1, (size_t)(e - q - 1), close == '"');

				if (err)
					return err;
			}
		}
		p = eol;
	}
	return 0;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, *buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

/* The includes of file @idx at @path, read into the scan's buffer. */
static int scan_file(struct scan *s, size_t idx, const char *path)
{
	struct stat st;
	size_t len = 0, want;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* vanished or unreadable: nothing to include */
	if (fstat(fd, &st)) {
		close(fd);
		return 0;
	}
	want = (size_t)st.st_size;
	if (want > s->bufsize) {
		char *b = realloc(s->buf, want);

		if (!b) {
			close(fd);
			return -ENOMEM;
		}
		s->buf = b;
		s->bufsize = want;
	}
	while (len < want && (n = read(fd, s->buf + len, want - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (s->find) {
		if (idx >= s->mcap) {
			size_t cap = s->mcap ? s->mcap * 2 : 65536;
			bool *m = realloc(s->mention, cap * sizeof(*m));

			if (!m)
				return -ENOMEM;
			memset(m + s->mcap, 0, (cap - s->mcap) * sizeof(*m));
			s->mention = m;
			s->mcap = cap;
		}
		s->mention[idx] = sc_names_mentioned(s->find, s->buf, len);
	}
	return scan_includes(s, idx, s->buf, len);
}

volatile int sc_units_cancel;

static int scan_dir(struct scan *s, const char *rel)
{
	char path[8300], child[4096];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	if (sc_interrupted || sc_units_cancel)
		return -EINTR;
	snprintf(path, sizeof(path), "%s/%s", s->tree, rel);
	dir = opendir(path);
	if (!dir) {
		sc_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!err && (de = readdir(dir))) {
		const char *name = de->d_name;
		unsigned char type = de->d_type;

		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "",
				     name) >= sizeof(child))
			continue;
		if (type == DT_UNKNOWN || type == DT_LNK) {
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", s->tree, child);
			if (stat(path, &st))
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			if (!skip_dir(child))
				err = scan_dir(s, child);
		} else if (type == DT_REG && scanned_file(name)) {
			size_t idx = s->files.n;

			snprintf(path, sizeof(path), "%s/%s", s->tree, child);
			err = sc_strv_add(&s->files, child);
			if (err)
				break;
			err = scan_file(s, idx, path);
		}
	}
	closedir(dir);
	return err;
}

/* Normalise "a/b/../c/./d" to "a/c/d"; false if it climbs out of the tree. */
static bool normalize(char *path)
{
	char *out = path, *in = path;

	while (*in) {
		char *slash = strchr(in, '/');
		size_t n = slash ? (size_t)(slash - in) : strlen(in);
		char *next = in + n + (slash ? 1 : 0);

		if (n == 0 || (n == 1 && in[0] == '.')) {
			/* skip */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (out == path)
				return false;
			out--;			/* the '/' after the last component */
			while (out > path && out[-1] != '/')
				out--;
		} else {
			/* out never passes in, and the separator goes where one was */
			memmove(out, in, n);
			out += n;
			*out++ = '/';
		}
		if (!slash)
			break;		/* the '/' just written replaced the NUL */
		in = next;
	}
	if (out > path)
		out--;
	*out = '\0';
	return true;
}

/* Does include @in (in files.v[in->from]) possibly name @target? */
static bool incl_names(const struct scan *s, const struct incl *in, const char *target)
{
	size_t tn = strlen(target), nn = strlen(in->name), dummy;

	if (in->quoted) {
		const char *from = s->files.v[in->from];
		const char *slash = strrchr(from, '/');
		char rel[4096];

		snprintf(rel, sizeof(rel), "%.*s%s%s", slash ? (int)(slash - from) : 0, from,
			 slash ? "/" : "", in->name);
		if (normalize(rel) && strmap_get(&s->file_index, rel, &dummy))
			return !strcmp(rel, target);
	}
	/* through the include path: any file whose path ends in the name */
	if (tn == nn)
		return !strcmp(target, in->name);
	return tn > nn && target[tn - nn - 1] == '/' && !strcmp(target + tn - nn, in->name);
}

static void scan_free(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->nincls; i++)
		free(s->incls[i].name);
	free(s->incls);
	strmap_free(&s->by_base);
	strmap_free(&s->file_index);
	free(s->buf);
	free(s->mention);
	sc_strv_free(&s->files);
}

static int unit_of(const char *src, struct sc_strv *units)
{
	char obj[4096];
	size_t n = strlen(src);

	if (n < 3 || n >= sizeof(obj))
		return 0;
	memcpy(obj, src, n - 1);
	obj[n - 1] = 'o';
	obj[n] = '\0';
	return sc_strv_add(units, obj);
}

int sc_units_direct(const struct sc_strv *changed, struct sc_strv *units)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < changed->n; i++)
		if (has_suffix(changed->v[i], ".c") || has_suffix(changed->v[i], ".S"))
			err = unit_of(changed->v[i], units);
	if (!err)
		sc_strv_sort(units);
	return err;
}

/* Read the tree: every file's includes (and mentions, if s->find). */
static int scan_tree(struct scan *s)
{
	size_t i;
	int err;

	err = scan_dir(s, "");
	for (i = 0; !err && i < s->files.n; i++)
		err = strmap_put(&s->file_index, s->files.v[i], i);
	/* chain includes by the basename of what they name */
	for (i = s->nincls; !err && i-- > 0;) {
		const char *base = base_name(s->incls[i].name);
		size_t first;

		if (strmap_get(&s->by_base, base, &first))
			s->incls[i].next_same_base = first;
		err = strmap_put(&s->by_base, base, i);
	}
	return err;
}

/*
 * The units of @from and of every file that includes one of them, directly
 * or through other files: breadth first over "is included by".
 */
static int includers(const struct scan *s, const struct sc_strv *from, struct sc_strv *units)
{
	struct sc_strv queue = { 0 };
	struct strmap seen = { 0 };
	size_t i, q, dummy;
	int err = 0;

	for (i = 0; !err && i < from->n; i++)
		if (!sc_strv_has(&queue, from->v[i]))
			err = sc_strv_add(&queue, from->v[i]);
	for (i = 0; !err && i < queue.n; i++)
		err = strmap_put(&seen, queue.v[i], i);
	for (q = 0; !err && q < queue.n; q++) {
		const char *target = queue.v[q];
		size_t k;

		if (has_suffix(target, ".c") || has_suffix(target, ".S"))
			err = unit_of(target, units);
		if (err || !strmap_get(&s->by_base, base_name(target), &k))
			continue;
		for (; !err && k != SIZE_MAX; k = s->incls[k].next_same_base) {
			const char *f = s->files.v[s->incls[k].from];

			if (strmap_get(&seen, f, &dummy) || !incl_names(s, &s->incls[k], target))
				continue;
			err = sc_strv_add(&queue, f);
			if (!err)
				err = strmap_put(&seen, queue.v[queue.n - 1], queue.n - 1);
		}
	}
	strmap_free(&seen);
	sc_strv_free(&queue);
	if (!err)
		sc_strv_sort(units);
	return err;
}

int sc_units_scan(const char *tree, const struct sc_strv *changed,
		  struct sc_strv *units)
{
	struct scan s = { .tree = tree };
	int err;

	err = scan_tree(&s);
	if (!err)
		err = includers(&s, changed, units);
	scan_free(&s);
	return err;
}

/* ------------------------------------------------------------ uses of names */

/*
 * Which files use a changed definition, found by name (headers.c): a .c/.S
 * file that mentions a name; a header one of whose items mentions a name
 * and emits code or data (a function that isn't inline, a variable), or
 * tests it in an #if.  A header item that mentions a name without emitting
 * anything (an inline calling the changed inline, a macro expanding to it,
 * a struct holding the changed type) defines names of its own, which are
 * looked for in turn, until no new name turns up.
 */
#define USES_MAX_ROUNDS 12
#define USES_MAX_NAMES 5000

struct uses_ctx {
	struct scan *s;
	struct sc_header_change *hc;
	size_t nhc;
	struct sc_names *names;
	bool *use;		/* per file */
	bool *done;		/* per file: its items looked at for the current names */
};

/* The items of @it that mention the names: uses, or names of their own. */
static int items_uses(struct uses_ctx *u, const struct sc_items *it, const bool *skip,
		      bool code, bool *use, size_t *added)
{
	size_t i;

	for (i = 0; i < it->n; i++) {
		const struct sc_item *item = &it->v[i];
		int r;

		/* an #include's path is no use: <linux/kernel_stat.h> */
		if ((skip && skip[i]) || item->kind == SC_ITEM_LINE ||
		    item->kind == SC_ITEM_INCLUDE || !sc_item_mentions(it, item, u->names))
			continue;
		if (code || item->emits || item->kind == SC_ITEM_COND ||
		    item->kind == SC_ITEM_OTHER || !item->nname) {
			*use = true;
			continue;
		}
		r = sc_item_add_names(it, item, u->names);
		if (r < 0)
			return r;
		*added += (size_t)r;
	}
	return 0;
}

static int file_uses(struct uses_ctx *u, size_t f, size_t *added)
{
	const char *rel = u->s->files.v[f];
	char path[8300], *buf = NULL;
	struct sc_items it;
	size_t len, i;
	int err;

	for (i = 0; i < u->nhc; i++)
		if (!strcmp(u->hc[i].path, rel))
			return 0;	/* a changed header: its two texts, below */
	snprintf(path, sizeof(path), "%s/%s", u->s->tree, rel);
	if (read_file(path, &buf, &len))
		return 0;	/* vanished: no use */
	err = sc_items_parse(buf, len, false, &it);
	if (!err) {
		/* a .c/.S file's mention is code (or a macro it expands) */
		err = items_uses(u, &it, NULL, has_suffix(rel, ".c") || has_suffix(rel, ".S"),
				 &u->use[f], added);
		sc_items_free(&it);
	}
	free(buf);
	return err;
}

/* Look for the names from @from on in every file again. */
static int rescan(struct uses_ctx *u, size_t from)
{
	struct sc_names fresh = { 0 };
	size_t i;
	int err = 0;

	for (i = from; !err && i < u->names->list.n; i++) {
		int r = sc_names_add(&fresh, u->names->list.v[i], strlen(u->names->list.v[i]));

		err = r < 0 ? r : 0;
	}
	for (i = 0; !err && i < u->s->files.n; i++) {
		char path[8300], *buf = NULL;
		size_t len;

		if (sc_interrupted || sc_units_cancel) {
			err = -EINTR;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", u->s->tree, u->s->files.v[i]);
		if (read_file(path, &buf, &len))
			continue;
		if (sc_names_mentioned(&fresh, buf, len)) {
			u->s->mention[i] = true;
			u->done[i] = false;
		}
		free(buf);
	}
	sc_names_free(&fresh);
	return err;
}

int sc_units_scan_uses(const char *tree, const struct sc_strv *changed,
		       struct sc_header_change *hc, size_t nhc, struct sc_strv *units,
		       struct sc_uses *st)
{
	struct scan s = { .tree = tree };
	struct uses_ctx u = { .s = &s, .hc = hc, .nhc = nhc, .names = &st->names };
	struct sc_strv use_files = { 0 }, all = { 0 }, used = { 0 };
	bool *hc_use = NULL;
	size_t i, searched = 0;
	int err = 0;

	for (i = 0; !err && i < nhc; i++) {
		size_t k;

		for (k = 0; !err && k < hc[i].names.list.n; k++) {
			int r = sc_names_add(&st->names, hc[i].names.list.v[k],
					     strlen(hc[i].names.list.v[k]));

			err = r < 0 ? r : 0;
		}
	}
	if (err)
		return err;
	s.find = &st->names;
	err = scan_tree(&s);
	s.find = NULL;
	searched = st->names.list.n;
	if (!err) {
		u.use = calloc(s.files.n + 1, sizeof(*u.use));
		u.done = calloc(s.files.n + 1, sizeof(*u.done));
		hc_use = calloc(nhc + 1, sizeof(*hc_use));
		if (!u.use || !u.done || !hc_use)
			err = -ENOMEM;
		if (!err && s.mcap < s.files.n) {
			bool *m = realloc(s.mention, (s.files.n + 1) * sizeof(*m));

			if (!m) {
				err = -ENOMEM;
			} else {
				memset(m + s.mcap, 0, (s.files.n + 1 - s.mcap) * sizeof(*m));
				s.mention = m;
				s.mcap = s.files.n + 1;
			}
		}
	}
	for (st->rounds = 0; !err; st->rounds++) {
		size_t added = 0;

		if (st->rounds == USES_MAX_ROUNDS || st->names.n > USES_MAX_NAMES) {
			st->gave_up = true;
			break;
		}
		for (i = 0; !err && i < s.files.n && st->names.n <= USES_MAX_NAMES; i++) {
			if (!s.mention[i] || u.done[i])
				continue;
			u.done[i] = true;
			err = file_uses(&u, i, &added);
		}
		/* the changed headers: their items the patch left alone */
		for (i = 0; !err && i < nhc; i++) {
			err = items_uses(&u, &hc[i].pre_items, hc[i].pre_changed, false, &hc_use[i],
					 &added);
			if (!err)
				err = items_uses(&u, &hc[i].post_items, hc[i].post_changed, false,
						 &hc_use[i], &added);
		}
		if (err || !added)
			break;
		if (st->names.n > USES_MAX_NAMES)
			continue;	/* gives up above, without reading the tree again */
		err = rescan(&u, searched);
		searched = st->names.list.n;
	}
	/* every unit reading a changed file; of those, the ones reading a use */
	if (!err)
		err = includers(&s, changed, &all);
	for (i = 0; !err && i < changed->n; i++) {
		size_t k;
		bool header = false;

		for (k = 0; k < nhc; k++)
			if (!strcmp(hc[k].path, changed->v[i])) {
				header = true;
				if (hc[k].unknown || hc_use[k] || st->gave_up)
					err = sc_strv_add(&use_files, changed->v[i]);
			}
		if (!header && !err)
			err = sc_strv_add(&use_files, changed->v[i]);
	}
	for (i = 0; !err && i < s.files.n; i++)
		if (u.use[i]) {
			st->use_files++;
			err = sc_strv_add(&use_files, s.files.v[i]);
		}
	if (!err)
		err = includers(&s, &use_files, &used);
	for (i = 0; !err && i < all.n; i++)
		if (sc_strv_has_sorted(&used, all.v[i]))
			err = sc_strv_add(units, all.v[i]);
	st->includers = all.n;
	if (!err)
		sc_strv_sort(units);
	free(u.use);
	free(u.done);
	free(hc_use);
	sc_strv_free(&use_files);
	sc_strv_free(&all);
	sc_strv_free(&used);
	scan_free(&s);
	return err;
}

/* ------------------------------------------------------------ kbuild's view */

/*
 * Evaluated by make in the tree, with obj=DIR: kbuild's own definitions of
 * what DIR builds (scripts/Makefile.lib expands composite objects).  The
 * top Makefile adds lib/ and the arch's directories through ARCH_LIB,
 * ARCH_DRIVERS; arch/x86/Makefile sets BITS.  Those few x86-64 facts are
 * the only ones this file hard-codes (see the make invocation below).
 */
static const char query_mk[] =
	"src := $(obj)\n"
	"-include include/config/auto.conf\n"
	"include $(srctree)/scripts/Kbuild.include\n"
	"include $(srctree)/scripts/Makefile.compiler\n"
	"ARCH_LIB := lib/ arch/x86/lib/\n"
	"ARCH_DRIVERS := $(if $(CONFIG_MATH_EMULATION),arch/x86/math-emu/) "
	"$(if $(CONFIG_PCI),arch/x86/pci/) $(if $(CONFIG_PM),arch/x86/power/) "
	"$(if $(CONFIG_FB),arch/x86/video/)\n"
	"include $(or $(wildcard $(srctree)/$(src)/Kbuild),$(srctree)/$(src)/Makefile)\n"
	"include $(srctree)/scripts/Makefile.lib\n"
	"splice-units:\n"
	"\t@echo 'splice-obj: $(real-obj-y) $(real-obj-m) $(lib-y) $(extra-y)'\n"
	"\t@echo 'splice-dir: $(subdir-ym)'\n";

struct kdir {
	char *dir;
	struct sc_strv objs, subdirs;
	bool reached, reached_known;
};

struct kquery {
	const struct sc_opts *opts;
	const char *tree;
	char *mk;
	struct kdir *dirs;
	size_t ndirs;
};

static void strip_dot(char *s)
{
	while (!strncmp(s, "./", 2))
		memmove(s, s + 2, strlen(s + 2) + 1);
}

static int split_words(const char *line, struct sc_strv *out)
{
	char *copy = strdup(line), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); !err && tok; tok = strtok_r(NULL, " \t", &save)) {
		strip_dot(tok);
		err = sc_strv_add(out, tok);
	}
	free(copy);
	return err;
}

static struct kdir *kquery_dir(struct kquery *kq, const char *dir)
{
	char obj[4200], path[4200], *out = NULL, *line, *save = NULL;
	struct kdir *kd;
	size_t i;
	int err;

	for (i = 0; i < kq->ndirs; i++)
		if (!strcmp(kq->dirs[i].dir, dir))
			return &kq->dirs[i];
	kd = realloc(kq->dirs, (kq->ndirs + 1) * sizeof(*kd));
	if (!kd)
		return NULL;
	kq->dirs = kd;
	kd = &kq->dirs[kq->ndirs];
	memset(kd, 0, sizeof(*kd));
	kd->dir = strdup(dir);
	if (!kd->dir)
		return NULL;
	kq->ndirs++;
	snprintf(path, sizeof(path), "%s/%s/Makefile", kq->tree, dir);
	if (access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/%s/Kbuild", kq->tree, dir);
		if (access(path, F_OK))
			return kd;	/* no makefile: builds nothing */
	}
	snprintf(obj, sizeof(obj), "obj=%s", dir);
	{
		char *argv[] = { "make", "-s", "--no-print-directory", "-f", kq->mk,
				 "srctree=.", "objtree=.", obj, "SRCARCH=x86", "ARCH=x86",
				 "BITS=64", "CONFIG_SHELL=/bin/sh", "CC=gcc",
				 "splice-units", NULL };

		err = sc_run_capture(kq->opts, kq->tree, argv, &out);
	}
	if (err == -EINTR) {
		free(out);
		return NULL;
	}
	/* a makefile kbuild can't read this way builds nothing we can name */
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "splice-obj: ", 12))
			err = split_words(line + 12, &kd->objs);
		else if (!strncmp(line, "splice-dir: ", 12))
			err = split_words(line + 12, &kd->subdirs);
		if (err == -ENOMEM)
			break;
	}
	free(out);
	return err == -ENOMEM ? NULL : kd;
}

/* Is @dir visited by a build from the top?  1 yes, 0 no, <0 error. */
static int kquery_reached(struct kquery *kq, const char *dir)
{
	char anc[4096];
	struct kdir *kd;

	if (!strcmp(dir, "."))
		return 1;
	kd = kquery_dir(kq, dir);
	if (!kd)
		return sc_interrupted ? -EINTR : -ENOMEM;
	if (kd->reached_known)
		return kd->reached;
	snprintf(anc, sizeof(anc), "%s", dir);
	/* the directory that lists it: usually the parent, sometimes higher */
	for (;;) {
		char *slash = strrchr(anc, '/');
		struct kdir *ad;
		int r;

		if (slash)
			*slash = '\0';
		else
			strcpy(anc, ".");
		ad = kquery_dir(kq, anc);
		if (!ad)
			return sc_interrupted ? -EINTR : -ENOMEM;
		if (sc_strv_has(&ad->subdirs, dir)) {
			r = kquery_reached(kq, anc);
			if (r < 0)
				return r;
			if (r) {
				kd = kquery_dir(kq, dir);
				kd->reached = kd->reached_known = true;
				return 1;
			}
		}
		if (!strcmp(anc, "."))
			break;
	}
	kd = kquery_dir(kq, dir);
	kd->reached_known = true;
	kd->reached = false;
	return 0;
}

int sc_units_configured(const struct sc_opts *opts, const char *tree,
			struct sc_strv *units)
{
	struct kquery kq = { .opts = opts, .tree = tree };
	size_t i, n = 0;
	int err = 0;
	FILE *f;

	if (asprintf(&kq.mk, "%s/.splice-create-query.mk", tree) < 0)
		return -ENOMEM;
	f = fopen(kq.mk, "w");
	if (!f || fputs(query_mk, f) < 0 || fclose(f)) {
		err = -errno;
		sc_err("%s: %s", kq.mk, strerror(errno));
		free(kq.mk);
		return err;
	}
	for (i = 0; !err && i < units->n; i++) {
		char *unit = units->v[i], dir[4096], *slash;
		struct kdir *kd;
		int r = 0;

		snprintf(dir, sizeof(dir), "%s", unit);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(dir, ".");
		kd = kquery_dir(&kq, dir);
		if (!kd) {
			err = sc_interrupted ? -EINTR : -ENOMEM;
			break;
		}
		if (sc_strv_has(&kd->objs, unit)) {
			r = kquery_reached(&kq, dir);
			if (r < 0) {
				err = r;
				break;
			}
		}
		if (r) {
			units->v[n++] = unit;
		} else {
			sc_verbose(&opts->log, "not built with this configuration: %s", unit);
			free(unit);
		}
	}
	/* on an error, the units not looked at yet stay (the dropped ones are freed) */
	for (; err && i < units->n; i++)
		units->v[n++] = units->v[i];
	units->n = n;
	if (units->v)
		units->v[n] = NULL;
	unlink(kq.mk);
	free(kq.mk);
	for (i = 0; i < kq.ndirs; i++) {
		free(kq.dirs[i].dir);
		sc_strv_free(&kq.dirs[i].objs);
		sc_strv_free(&kq.dirs[i].subdirs);
	}
	free(kq.dirs);
	return err;
}

/* ------------------------------------------------------------ .cmd files */

/* Does the kbuild dependency file @cmd (contents) list @path? */
static bool cmd_lists(const char *cmd, const char *path)
{
	size_t n = strlen(path);
	const char *p = cmd;

	while ((p = strstr(p, path))) {
		bool start = p == cmd || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' ||
			     p[-1] == '=';
		char end = p[n];

		if (start && (end == ' ' || end == '\t' || end == '\n' || end == '\\' ||
			      end == ')' || end == '\0'))
			return true;
		p += n;
	}
	return false;
}

int sc_units_filter_deps(const struct sc_opts *opts, const char *tree,
			 const struct sc_strv *changed, struct sc_strv *units)
{
	size_t i, j, n = 0;
	int err = 0;

	for (i = 0; i < units->n; i++) {
		char *unit = units->v[i], path[4200], *buf = NULL;
		const char *base = base_name(unit);
		size_t len;
		bool keep = false;

		snprintf(path, sizeof(path), "%s/%.*s.%s.cmd", tree, (int)(base - unit), unit, base);
		err = read_file(path, &buf, &len);
		if (err) {
			/* conservative: a unit we can't check stays */
			sc_warn(&opts->log, "%s: no dependency file (%s); keeping the unit",
				unit, strerror(-err));
			err = 0;
			keep = true;
		} else {
			for (j = 0; !keep && j < changed->n; j++)
				keep = cmd_lists(buf, changed->v[j]);
			free(buf);
		}
		if (keep) {
			units->v[n++] = unit;
		} else {
			sc_verbose(&opts->log, "%s does not read a changed file", unit);
			free(unit);
		}
	}
	units->n = n;
	if (units->v)
		units->v[n] = NULL;
	return err;
}
