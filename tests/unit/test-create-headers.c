// SPDX-License-Identifier: GPL-2.0
/*
 * Header changes (splice-create/items.c, headers.c, units.c's uses): the
 * items of C text and the names they define, a header's changed
 * definitions, a unit's preprocessed text before and after, and the units
 * found by name in a small fake tree.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "create.h"

/* "name name ..." of every item of @text, items separated by " | " */
static void names_of(const char *text, char *out, size_t size)
{
	struct sc_items it;
	size_t i, k, len;

	out[0] = '\0';
	ck_assert_int_eq(sc_items_parse(text, strlen(text), false, &it), 0);
	for (i = 0; i < it.n; i++) {
		snprintf(out + strlen(out), size - strlen(out), "%s", i ? " |" : "");
		for (k = 0; k < it.v[i].nname; k++) {
			const char *s = sc_item_name(&it, &it.v[i], k, &len);

			snprintf(out + strlen(out), size - strlen(out), " %.*s", (int)len, s);
		}
		if (it.v[i].emits)
			snprintf(out + strlen(out), size - strlen(out), " +");
	}
	sc_items_free(&it);
}

#define NAMES(text, expect) do {				\
	char got_[2048];					\
	names_of(text, got_, sizeof(got_));			\
	ck_assert_str_eq(got_, expect);				\
} while (0)

/* Each kind of item: what it defines; '+' marks one that emits. */
START_TEST(item_names)
{
	NAMES("static inline unsigned long kstat_cpu_irqs_sum(unsigned int cpu)\n"
	      "{\n\treturn kstat_cpu(cpu).irqs_sum;\n}\n", " kstat_cpu_irqs_sum");
	NAMES("int show(struct seq_file *p, void *v) { return 0; }", " show +");
	NAMES("static __always_inline bool __must_check IS_ERR(const void *ptr) { return 1; }",
	      " IS_ERR");
	NAMES("struct pde_opener {\n\tstruct list_head lh;\n\tbool closing;\n} __randomize_layout;",
	      " pde_opener");
	NAMES("enum cpu_usage_stat { CPUTIME_USER, CPUTIME_NICE = 2, NR_STATS, };",
	      " cpu_usage_stat CPUTIME_USER CPUTIME_NICE NR_STATS");
	NAMES("typedef struct { int counter; } atomic_t;", " atomic_t");
	NAMES("extern unsigned long total __read_mostly;", " total");
	NAMES("extern u64 kcpustat_field(struct kernel_cpustat *kcpustat, int cpu);",
	      " kcpustat_field");
	NAMES("DECLARE_PER_CPU(struct kernel_stat, kstat);", " kernel_stat kstat");
	NAMES("static const int table[] = { 1, 2 };", " table +");
	NAMES("#define kstat_cpu(cpu) per_cpu(kstat, cpu)\n#undef X\n#ifdef CONFIG_Y\n#endif\n",
	      " kstat_cpu | X | |");
	NAMES("typedef void (*handler_t)(int);", " handler_t");
	NAMES("u32 __skb_get_hash_symmetric(const struct sk_buff *skb);",
	      " __skb_get_hash_symmetric");
	NAMES("static nokprobe_inline bool f(unsigned long a) { return a; }", " f");
	NAMES("static noinline int g(void) { return 0; }", " g +");
	NAMES("typedef void (bio_end_io_t) (struct bio *);", " bio_end_io_t");
	NAMES("struct page { long flags; } _struct_page_alignment;",
	      " page _struct_page_alignment");
	NAMES("int x __aligned(8);", " x +");
	/* comments and line breaks are nothing; directives keep their lines */
	NAMES("/* a; b; */ int x; // y;\n#define A \\\n  1\nint z;", " x + | A | z +");
}
END_TEST

/* Item hashes: comments and spacing don't count, tokens do. */
START_TEST(item_hashes)
{
	struct sc_items a, b, c;
	const char *ta = "int f(void)\n{\n\treturn 1; /* one */\n}\n";
	const char *tb = "int f(void) { return 1; }";
	const char *tc = "int f(void) { return 2; }";

	ck_assert_int_eq(sc_items_parse(ta, strlen(ta), false, &a), 0);
	ck_assert_int_eq(sc_items_parse(tb, strlen(tb), false, &b), 0);
	ck_assert_int_eq(sc_items_parse(tc, strlen(tc), false, &c), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert(a.v[0].hash == b.v[0].hash);
	ck_assert(a.v[0].hash != c.v[0].hash);
	sc_items_free(&a);
	sc_items_free(&b);
	sc_items_free(&c);
}
END_TEST

/* sc_header_diff of @pre and @post: "names / types / unknown?" */
static void hdiff(const char *pre, const char *post, const char *expect)
{
	struct sc_header_change hc;
	char got[1024] = "";
	size_t i;

	ck_assert_int_eq(sc_header_diff("h.h", strdup(pre), strlen(pre), strdup(post),
					strlen(post), &hc), 0);
	for (i = 0; i < hc.names.list.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 hc.names.list.v[i]);
	snprintf(got + strlen(got), sizeof(got) - strlen(got), " /");
	for (i = 0; i < hc.types.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s", hc.types.v[i]);
	snprintf(got + strlen(got), sizeof(got) - strlen(got), " / %s",
		 hc.unknown ? "unknown" : "known");
	ck_assert_str_eq(got, expect);
	sc_header_change_free(&hc);
}

#define HDR_BASE \
	"#define SCALE 2\n" \
	"struct st { int a; };\n" \
	"/* the sum */\n" \
	"static inline int sum(int x) { return x * SCALE; }\n" \
	"#ifdef CONFIG_X\n" \
	"static inline int other(void) { return 1; }\n" \
	"#endif\n" \
	"extern int count;\n"

START_TEST(header_diff)
{
	/* a comment, spacing: no definition changed */
	hdiff(HDR_BASE, "#define SCALE  2\nstruct st { int a; };\n/* the total */\n"
	      "static inline int sum(int x)\n{\n\treturn x * SCALE;\n}\n#ifdef CONFIG_X\n"
	      "static inline int other(void) { return 1; }\n#endif\nextern int count;\n",
	      " / / known");
	/* one inline */
	hdiff(HDR_BASE, "#define SCALE 2\nstruct st { int a; };\n"
	      "static inline int sum(int x) { return x * SCALE + 1; }\n#ifdef CONFIG_X\n"
	      "static inline int other(void) { return 1; }\n#endif\nextern int count;\n",
	      "sum / / known");
	/* a macro */
	hdiff(HDR_BASE, "#define SCALE 3\nstruct st { int a; };\n"
	      "static inline int sum(int x) { return x * SCALE; }\n#ifdef CONFIG_X\n"
	      "static inline int other(void) { return 1; }\n#endif\nextern int count;\n",
	      "SCALE / / known");
	/* a struct: its name, and a changed type */
	hdiff(HDR_BASE, "#define SCALE 2\nstruct st { int a; int b; };\n"
	      "static inline int sum(int x) { return x * SCALE; }\n#ifdef CONFIG_X\n"
	      "static inline int other(void) { return 1; }\n#endif\nextern int count;\n",
	      "#st / struct st / known");
	/* a condition: everything it encloses */
	hdiff(HDR_BASE, "#define SCALE 2\nstruct st { int a; };\n"
	      "static inline int sum(int x) { return x * SCALE; }\n#ifdef CONFIG_Y\n"
	      "static inline int other(void) { return 1; }\n#endif\nextern int count;\n",
	      "other / / known");
	/* an #include: can't be told by names */
	hdiff(HDR_BASE, "#include <linux/x.h>\n" HDR_BASE, " / / unknown");
	/* a macro invocation: what it defines (by pasting) can't be told */
	hdiff(HDR_BASE "TRACE_EVENT(foo, TP_ARGS(int a));\n",
	      HDR_BASE "TRACE_EVENT(foo, TP_ARGS(long a));\n", " / / unknown");
	/* a new function: its name; a struct that is new is no changed type */
	hdiff(HDR_BASE, HDR_BASE "struct nw { int z; };\nstatic inline int nf(void) { return 0; }\n",
	      "#nw nf / / known");
}
END_TEST

/* sc_pp_compare on small "preprocessed" texts. */
static void ppcmp(const char *pre, const char *post, const char *types, const char *expect)
{
	struct sc_pp_summary sum;
	struct sc_pp_verdict v;
	struct sc_strv ty = { 0 };
	char got[256];

	if (types)
		ck_assert_int_eq(sc_strv_add(&ty, types), 0);
	ck_assert_int_eq(sc_pp_summarize(pre, strlen(pre), &sum), 0);
	ck_assert_int_eq(sc_pp_compare(&sum, post, strlen(post), &ty, &v), 0);
	snprintf(got, sizeof(got), "%s %s%s%s", v.differs ? "differs" : "same",
		 v.uses ? "uses" : "unused", v.types.n ? " " : "", v.types.n ? v.types.v[0] : "");
	ck_assert_str_eq(got, expect);
	sc_pp_verdict_free(&v);
	sc_pp_summary_free(&sum);
	sc_strv_free(&ty);
}

START_TEST(pp_compare)
{
	const char *pre = "# 1 \"h.h\"\nstruct st { int a; };\n"
			  "static inline int sum(int x) { return x * 2; }\n"
			  "static inline int twice(int x) { return sum(x) + sum(x); }\n"
			  "# 3 \"u.c\"\n";
	char a[1024], b[1024];

	/* the same text, line markers aside */
	snprintf(a, sizeof(a), "%sint f(void) { return 1; }\n", pre);
	ppcmp(a, "# 1 \"h.h\"\n# 2 \"h.h\"\nstruct st { int a; };\n"
	      "static inline int sum(int x) { return x * 2; }\n"
	      "static inline int twice(int x) { return sum(x) + sum(x); }\n"
	      "# 9 \"u.c\"\nint f(void) { return 1; }\n", NULL, "same unused");
	/* the inline changed, and the unit's code calls it through another */
	snprintf(a, sizeof(a), "%sint f(void) { return twice(1); }\n", pre);
	snprintf(b, sizeof(b), "# 1 \"h.h\"\nstruct st { int a; };\n"
		 "static inline int sum(int x) { return x * 3; }\n"
		 "static inline int twice(int x) { return sum(x) + sum(x); }\n"
		 "# 3 \"u.c\"\nint f(void) { return twice(1); }\n");
	ppcmp(a, b, NULL, "differs uses");
	/* the inline changed, the unit's code doesn't use it */
	snprintf(a, sizeof(a), "%sint g(void) { return 1; }\n", pre);
	snprintf(b, sizeof(b), "# 1 \"h.h\"\nstruct st { int a; };\n"
		 "static inline int sum(int x) { return x * 3; }\n"
		 "static inline int twice(int x) { return sum(x) + sum(x); }\n"
		 "# 3 \"u.c\"\nint g(void) { return 1; }\n");
	ppcmp(a, b, NULL, "differs unused");
	/* a macro's expansion changed in the unit's own function */
	ppcmp("int g(void) { return 1 * 2; }\n", "int g(void) { return 1 * 3; }\n", NULL,
	      "differs uses");
	/* a struct changed, and a variable of the unit has that type */
	ppcmp("struct st { int a; };\nstatic struct st s;\n",
	      "struct st { int a; int b; };\nstatic struct st s;\n", "struct st",
	      "differs uses struct st");
	/* preprocessed, a word after a tagged struct is a variable */
	ppcmp("struct st { int a; } v;\n", "struct st { int a; int b; } v;\n", "struct st",
	      "differs uses struct st");
	/* a typedef'd struct without a tag: used by its typedef name */
	ppcmp("typedef struct { int a; } foo_t;\nfoo_t v;\n",
	      "typedef struct { int a; long b; } foo_t;\nfoo_t v;\n", "struct foo_t",
	      "differs uses struct foo_t");
	/* a tag is not a variable of the same name: struct st vs int st */
	ppcmp("struct st { int a; };\nextern int st;\nint g(void) { return st; }\n",
	      "struct st { int a; int b; };\nextern int st;\nint g(void) { return st; }\n",
	      "struct st", "differs unused");
	/* a struct changed, nothing the unit emits uses it */
	ppcmp("struct st { int a; };\nint g(void) { return 0; }\n",
	      "struct st { int a; int b; };\nint g(void) { return 0; }\n", "struct st",
	      "differs unused");
}
END_TEST

/*
 * A tree: a.h has the changed inline f and macro M; b.h an inline h calling
 * f; c.h a macro expanding to M; x.c calls h, y.c only includes a.h, z.c
 * calls f, w.c uses CM, v.c mentions f but doesn't include a.h.
 */
START_TEST(units_by_name)
{
	const char *tree = test_tmpdir();
	struct sc_strv changed = { 0 }, units = { 0 };
	struct sc_header_change hc;
	struct sc_uses uses = { 0 };
	const char *pre = "#define M 1\nstatic inline int f(void) { return M; }\n";
	const char *post = "#define M 1\nstatic inline int f(void) { return M + 1; }\n";
	char got[512] = "";
	size_t i;

	ck_assert_int_eq(test_system(
		"cd '%s' && mkdir -p include/linux d && "
		"printf '%s' >include/linux/a.h && "
		"printf '#include <linux/a.h>\\nstatic inline int h(void) { return f(); }\\n' "
		">include/linux/b.h && "
		"printf '#include <linux/a.h>\\n#define CM (M + f())\\n' >include/linux/c.h && "
		"printf '#include <linux/b.h>\\nint x(void) { return h(); }\\n' >d/x.c && "
		"printf '#include <linux/a.h>\\nint y(void) { return 0; }\\n' >d/y.c && "
		"printf '#include <linux/a.h>\\nint z(void) { return f(); }\\n' >d/z.c && "
		"printf '#include <linux/c.h>\\nint w(void) { return CM; }\\n' >d/w.c && "
		"printf 'int v(void) { return f(); }\\n' >d/v.c",
		tree, pre), 0);
	ck_assert_int_eq(sc_header_diff("include/linux/a.h", strdup(pre), strlen(pre), strdup(post),
					strlen(post), &hc), 0);
	ck_assert_int_eq(sc_strv_add(&changed, "include/linux/a.h"), 0);
	ck_assert_int_eq(sc_units_scan_uses(tree, &changed, &hc, 1, &units, &uses), 0);
	for (i = 0; i < units.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
			 units.v[i]);
	ck_assert_str_eq(got, "d/w.o d/x.o d/z.o");
	ck_assert_uint_eq(uses.includers, 4);	/* x, y, z, w; v includes nothing */
	ck_assert(!uses.gave_up);
	ck_assert(sc_names_has(&uses.names, "h", 1));
	ck_assert(sc_names_has(&uses.names, "CM", 2));
	sc_strv_free(&units);
	sc_strv_free(&changed);
	sc_names_free(&uses.names);
	sc_header_change_free(&hc);
}
END_TEST

static Suite *create_headers_suite(void)
{
	Suite *s = suite_create("create-headers");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, item_names);
	tcase_add_test(tc, item_hashes);
	tcase_add_test(tc, header_diff);
	tcase_add_test(tc, pp_compare);
	tcase_add_test(tc, units_by_name);
	suite_add_tcase(s, tc);
	return s;
}
TEST_SUITE(create_headers_suite)
