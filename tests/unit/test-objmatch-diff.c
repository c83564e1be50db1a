// SPDX-License-Identifier: GPL-2.0
/*
 * The pre/post differ on fixtures compiled at test time: every rule of
 * docs/objmatch.md, refusals included, through splice-objdiff's output and
 * exit status (its interface) and through the library where the API
 * carries more (states, special entries).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "test-objmatch-fixture.h"

struct expect {
	const char *fixture;
	int status;
	const char *out;
};

static const struct expect cases[] = {
	/* comment-only change: WARN_ON's line moves, nothing else */
	{ "comment", 3, "" },
	/* ... and a line number in a string, FILE ":" LINE */
	{ "comment-fileline", 3, "" },
	/* ... but a __LINE__ printed on every call is code */
	{ "comment-lineprint", 0, "changed report_place\n" },
	/* __UNIQUE_ID() counters shifted by one more use before them */
	{ "unique", 3, "" },
	{ "funcs", 0,
	  "changed checked\n"
	  "changed compute\n"
	  "new added_helper\n"
	  "removed dropped_helper\n" },
	{ "strings", 0,
	  "changed greet\n"
	  "new newcomer\n" },
	{ "inline", 0,
	  "changed user_a\n"
	  "changed user_b\n" },
	{ "statics", 0,
	  "changed counter_b\n"
	  "new another\n"
	  "new-data calls.2\n" },
	{ "clones", 0,
	  "changed guarded\n"
	  "changed guarded.cold\n"
	  "changed helper.part.4\n" },
	/* an alternative jumping back into its function: only the caller changed */
	{ "alt-dead", 0,
	  "changed alt_user\n" },
	/* runtime constants (6.11+): their tables' entries belong to the
	 * functions, rc_other's are unchanged */
	{ "runtime-const", 0,
	  "changed rc_user\n" },
	{ "special", 0,
	  "changed alt_change\n"
	  "changed keyed\n"
	  "new first_locker\n" },
	/* a changed pr_debug() format: the new code brings its own descriptor */
	{ "keys", 0,
	  "changed chatty\n"
	  "changed uses_keys\n" },
	/* a changed table of operations: refused (undo would leave it dangling) */
	{ "ops-changed", 2,
	  "changed ops_publish\n"
	  "new ops_second\n"
	  "refuse ops_table: changed constant table of operations (it holds function "
	  "pointers): objects made while the update is applied would keep the update's "
	  "copy, which an undo unloads\n" },
	/* an unchanged const table the changed function publishes */
	{ "ro-table", 0,
	  "changed ro_user\n"
	  "new-data __func__.0\n" },
	/* existing statics used in a new way, renumbered by new ones */
	{ "static-local", 0,
	  "changed uses_statics\n"
	  "new newcomer_statics\n"
	  "new-data inited.0\n"
	  "new-data stfu.1\n" },
	/* new variables next to old ones: old_once's "movb $1, done(%rip)"
	 * (an immediate after the field) still lands on its own flag */
	{ "data-shared", 0,
	  "changed uses_new\n"
	  "changed warns\n"
	  "new-data done_new.0\n"
	  "new-data new_tunable\n" },
	/* a static only another function used before */
	{ "static-learn", 0,
	  "changed reports\n"
	  "new peek\n" },
	/* the differ pairs it (through the table); splice-mkpre refuses it */
	{ "static-unreachable", 0,
	  "changed holder_user\n" },
	/* reached from f.cold in pre, from f in post: the same variable */
	{ "static-local-cold", 0,
	  "changed stfu_reader\n"
	  "changed stfu_reader.cold\n" },
	{ "static-removed", 2,
	  "changed forgetful\n"
	  "refuse forgetful: no longer references static local seen.1\n" },
	{ "data", 2,
	  "changed lookup\n"
	  "data-changed table\n"
	  "new-data extra\n"
	  "refuse limit: changed initialised data (the running kernel's copy can't be replaced): "
	  "add a splice_apply() hook that sets it (splice-patch(7))\n" },
	/* changed data an apply-side hook sets (through a helper) is no refusal */
	{ "hooks", 2,
	  "new limit_apply\n"
	  "new other_reverse\n"
	  "new set_limit\n"
	  "data-changed limit\n"
	  "new-data hook_limit_apply\n"
	  "new-data hook_other_reverse\n"
	  "refuse other: changed initialised data (the running kernel's copy can't be replaced): "
	  "add a splice_apply() hook that sets it (splice-patch(7))\n" },
	{ "init", 2,
	  "changed setup_thing\n"
	  "refuse setup_thing: changed __init code (it ran at boot and is gone)\n" },
	{ "short", 2,
	  "changed long_enough\n"
	  "changed tiny\n"
	  "changed tiny_notrace\n"
	  "refuse tiny: too short for a 5-byte jump after its ftrace site (8 bytes)\n"
	  "refuse tiny_notrace: too short for a 5-byte jump (3 bytes)\n" },
	{ "unknown-section", 2,
	  "changed marked\n"
	  "refuse .splice_unknown: section not understood has entries for changed function marked\n" },
	/* functions sharing a section, one changed: compared one by one */
	{ "sched", 0,
	  "changed sched_second\n" },
	{ "unsafe-text", 2,
	  "changed in_entry\n"
	  "changed in_idle\n"
	  "changed in_kprobes\n"
	  "changed in_noinstr\n"
	  "changed in_softirq\n"
	  "refuse in_entry: changed entry code (.entry.text) runs before the kernel can trace "
	  "or jump into module text (with the user's page tables, PTI maps only the entry text)\n"
	  "refuse in_idle: changed idle code (.cpuidle.text) runs where RCU is not watching: "
	  "a traced replacement is unsafe, and cpu_in_idle() would not know it\n"
	  "refuse in_noinstr: changed noinstr code (.noinstr.text) must not be traced or "
	  "instrumented, and a replacement in a module would be (ftrace site, kprobes)\n" },
	/* an export alone is no code change: not carried (the update calls it directly) */
	{ "export", 3,
	  "new-export free_uid\n" },
	/* 6.12: a new entry of .export_symbol, the old one shifted */
	{ "export-612", 3,
	  "new-export free_uid\n" },
	{ "unknown-reloc", 2,
	  "changed odd\n"
	  "refuse odd: relocation type 9 at +0x5 not understood\n" },
	/*
	 * 6.12's entry (name-612: 16 NOPs before each function, endbr64 at
	 * its start): the padding is no part of the function, and the jump
	 * goes after endbr64 and the ftrace site
	 */
	{ "short-612", 2,
	  "changed long_enough\n"
	  "changed tiny\n"
	  "changed tiny_notrace\n"
	  "refuse tiny: too short for a 5-byte jump after its endbr64 and ftrace site (12 bytes)\n"
	  "refuse tiny_notrace: too short for a 5-byte jump after its endbr64 (7 bytes)\n" },
	{ "comment-612", 3, "" },
	{ "funcs-612", 0,
	  "changed checked\n"
	  "changed compute\n"
	  "new added_helper\n"
	  "removed dropped_helper\n" },
	{ "statics-612", 0,
	  "changed counter_b\n"
	  "new another\n"
	  "new-data calls.2\n" },
	{ "clones-612", 0,
	  "changed guarded\n"
	  "changed guarded.cold\n"
	  "changed helper.part.4\n" },
	{ "special-612", 0,
	  "changed alt_change\n"
	  "changed keyed\n"
	  "new first_locker\n" },
	{ "sched-612", 0,
	  "changed sched_second\n" },
};

static char out[65536], err[65536];

START_TEST(tool_on_fixture)
{
	const struct expect *c = &cases[_i];
	char args[8192];
	int rc;

	fixture_build(c->fixture);
	snprintf(args, sizeof(args), "'%s' '%s'", fixture_obj(c->fixture, false),
		 fixture_obj(c->fixture, true));
	rc = run_objdiff(args, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(!strcmp(out, c->out), "%s: output\n%s\nwanted\n%s\nstderr\n%s",
		      c->fixture, out, c->out, err);
	ck_assert_msg(rc == c->status, "%s: exit %d, wanted %d; stderr:\n%s",
		      c->fixture, rc, c->status, err);
	if (c->status == 2) {
		/* every refusal named with its place, then one count line */
		const char *line = c->out;
		unsigned int n = 0;
		char count[64];

		while ((line = strstr(line, "refuse "))) {
			n++;
			line++;
		}
		snprintf(count, sizeof(count), "splice-objdiff: %u unspliceable change%s\n",
			 n, n == 1 ? "" : "s");
		ck_assert_msg(strstr(err, count), "%s: no '%s' in stderr:\n%s",
			      c->fixture, count, err);
		ck_assert_msg(strstr(err, "-post.o["), "%s: refusals without file[section]:\n%s",
			      c->fixture, err);
	} else {
		ck_assert_msg(!strstr(err, "refuse"), "%s: stderr:\n%s", c->fixture, err);
	}
}
END_TEST

/* Any object against itself: no change at all. */
START_TEST(tool_self_diff)
{
	const struct expect *c = &cases[_i];
	char args[8192];
	int rc, side;

	fixture_build(c->fixture);
	for (side = 0; side < 2; side++) {
		snprintf(args, sizeof(args), "'%s' '%s'", fixture_obj(c->fixture, side),
			 fixture_obj(c->fixture, side));
		rc = run_objdiff(args, out, sizeof(out), err, sizeof(err));
		ck_assert_msg(rc == 3 && !out[0], "%s: self diff: exit %d\n%s\n%s",
			      c->fixture, rc, out, err);
	}
}
END_TEST

static const struct om_item *find_item(const struct om_diff *diff, const char *name)
{
	size_t i;

	for (i = 0; i < diff->nitems; i++) {
		const struct om_symbol *s = diff->items[i].post ? diff->items[i].post
								 : diff->items[i].pre;

		if (!strcmp(s->name, name))
			return &diff->items[i];
	}
	ck_abort_msg("no item %s", name);
	return NULL;
}

static size_t count_entries(const struct om_item *it, const char *secname)
{
	size_t i, n = 0;

	for (i = 0; i < it->nentries; i++)
		if (!strcmp(it->entries[i].sec->name, secname))
			n++;
	return n;
}

START_TEST(states_and_entries)
{
	struct om_object *pre, *post;
	struct om_diff *diff;
	const struct om_item *it;

	log_reset();
	diff = fixture_diff("special", &pre, &post);
	ck_assert_uint_eq(diff->nrefusals, 0);
	ck_assert_uint_eq(diff->ncode_changes, 3);

	it = find_item(diff, "alt_change");
	ck_assert_int_eq(it->state, OM_CHANGED);
	ck_assert(it->is_func);
	ck_assert_ptr_nonnull(it->pre);
	ck_assert_ptr_nonnull(it->why);
	/* the entries a packager must copy along with it */
	ck_assert_uint_eq(count_entries(it, ".altinstructions"), 1);
	ck_assert_uint_eq(count_entries(it, "__mcount_loc"), 1);
	ck_assert_uint_eq(it->entries[0].size, 12);

	it = find_item(diff, "first_locker");
	ck_assert_int_eq(it->state, OM_NEW);
	ck_assert_ptr_null(it->pre);
	ck_assert_uint_eq(count_entries(it, ".smp_locks"), 1);
	ck_assert_uint_eq(count_entries(it, ".altinstructions"), 1);

	it = find_item(diff, "locker");
	ck_assert_int_eq(it->state, OM_UNCHANGED);
	ck_assert_uint_eq(count_entries(it, ".smp_locks"), 2);
	it = find_item(diff, "jumper");
	ck_assert_int_eq(it->state, OM_UNCHANGED);
	ck_assert_uint_eq(count_entries(it, "__jump_table"), 1);
	it = find_item(diff, "loader");
	ck_assert_int_eq(it->state, OM_UNCHANGED);
	ck_assert_uint_eq(count_entries(it, "__ex_table"), 1);
	/* entries of 16 bytes, the last one 10 */
	it = find_item(diff, "pv_user");
	ck_assert_int_eq(it->state, OM_UNCHANGED);
	ck_assert_uint_eq(count_entries(it, ".parainstructions"), 2);
	{
		uint64_t sum = 0;
		size_t k;

		for (k = 0; k < it->nentries; k++)
			if (!strcmp(it->entries[k].sec->name, ".parainstructions"))
				sum += it->entries[k].size;
		ck_assert_uint_eq(sum, 26);
	}
	ck_assert_uint_eq(count_entries(find_item(diff, "first_locker"), ".parainstructions"), 1);
	it = find_item(diff, "keyed");
	ck_assert_int_eq(it->state, OM_CHANGED);
	ck_assert_msg(strstr(it->why, "__jump_table"), "why: %s", it->why);

	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

START_TEST(warn_line_only)
{
	struct om_object *pre, *post;
	struct om_diff *diff;
	const struct om_item *it;
	const struct om_section *bt;

	log_reset();
	diff = fixture_diff("comment", &pre, &post);
	/* the line did change in the __bug_table entry ... */
	bt = om_section_by_name(post, "__bug_table");
	ck_assert_ptr_nonnull(bt);
	ck_assert_uint_eq(bt->size, 12);
	ck_assert_mem_ne(bt->data, om_section_by_name(pre, "__bug_table")->data, 12);
	/* ... and yet nothing changed */
	it = find_item(diff, "check_level");
	ck_assert_int_eq(it->state, OM_UNCHANGED);
	ck_assert_uint_eq(count_entries(it, "__bug_table"), 1);
	/* the same for pr_debug's descriptor */
	ck_assert_mem_ne(om_section_by_name(post, "__dyndbg")->data,
			 om_section_by_name(pre, "__dyndbg")->data, 48);
	ck_assert_int_eq(find_item(diff, "debug_user")->state, OM_UNCHANGED);
	ck_assert_uint_eq(diff->nfindings, 0);
	ck_assert_uint_eq(diff->ncode_changes, 0);
	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

START_TEST(statics_correlated)
{
	struct om_object *pre, *post;
	struct om_diff *diff;
	const struct om_item *a, *b;

	log_reset();
	diff = fixture_diff("statics", &pre, &post);
	/* counter_a's static was renumbered but is the same variable */
	a = find_item(diff, "counter_a");
	ck_assert_int_eq(a->state, OM_UNCHANGED);
	b = find_item(diff, "counter_b");
	ck_assert_int_eq(b->state, OM_CHANGED);
	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

START_TEST(refusals_logged)
{
	struct om_object *pre, *post;
	struct om_diff *diff;

	log_reset();
	diff = fixture_diff("data", &pre, &post);
	ck_assert_uint_eq(diff->nrefusals, 1);
	ck_assert_msg(log_contains("data-post.o[.data.limit]: limit: changed initialised data"),
		      "refusal not logged with file[section]: symbol");
	ck_assert_int_eq(diff->findings[diff->nfindings - 1].kind, OM_F_REFUSE);
	ck_assert_str_eq(diff->findings[diff->nfindings - 1].name, "limit");
	ck_assert_ptr_nonnull(strstr(diff->findings[diff->nfindings - 1].where, "[.data.limit]: limit"));
	om_diff_free(diff);
	om_object_free(pre);
	om_object_free(post);
}
END_TEST

static Suite *objmatch_diff_suite(void)
{
	Suite *s = suite_create("objmatch-diff");
	TCase *tc = tcase_create("fixtures");
	TCase *api = tcase_create("api");
	int n = (int)(sizeof(cases) / sizeof(cases[0]));

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, tool_on_fixture, 0, n);
	tcase_add_loop_test(tc, tool_self_diff, 0, n);
	suite_add_tcase(s, tc);
	tcase_set_timeout(api, 60);
	tcase_add_test(api, states_and_entries);
	tcase_add_test(api, warn_line_only);
	tcase_add_test(api, statics_correlated);
	tcase_add_test(api, refusals_logged);
	suite_add_tcase(s, api);
	return s;
}

TEST_SUITE(objmatch_diff_suite)
