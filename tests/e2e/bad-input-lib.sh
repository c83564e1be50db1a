# bad-input-lib.sh: walk the "Bad input, tool by tool" table of
# docs/error-codes.md (sourced by e2e/e2e-bad-input.vm, under busybox sh in
# the VM, and by create/bad-input.sh).  POSIX sh.
#
# bad_input_walk DOC SCRIPT TOOL...: for each row of the table whose tool is
# one of TOOLs, in the table's order, run the function case_TOOL_CASE ("-"
# in TOOL as "_") of SCRIPT, which prints what the tool printed and returns
# its exit status; the status must be the row's, every `phrase` of the row
# must be in the output, and bad_input_state (the caller's: the state the
# case must not change) must print the same before and after.  A row
# without its function, or a function case_TOOL_* of SCRIPT without its
# row, fails.  Prints "PASS: TOOL CASE" or "FAIL: ..." per row; returns 1
# if anything failed.

bad_input_rows() {	# DOC TOOL...: "TOOL|CASE|EXIT|WORDS" per row
	doc=$1
	shift
	sed -n '/<!-- bad-input table: begin -->/,/<!-- bad-input table: end -->/p' "$doc" |
		awk -F'|' -v tools=" $* " 'NF >= 6 {
			t = $2; c = $3; e = $4; gsub(/ /, "", t); gsub(/ /, "", c); gsub(/ /, "", e)
			if (index(tools, " " t " ")) print t "|" c "|" e "|" $5 }'
}

bad_input_walk() {
	walk_doc=$1 walk_script=$2
	shift 2
	walk_rows=$(bad_input_rows "$walk_doc" "$@")
	walk_fail=0
	[ -n "$walk_rows" ] || { echo "FAIL: no rows for $* in $walk_doc"; return 1; }
	walk_fns=$(echo "$walk_rows" | awk -F'|' '{ t = $1; gsub(/-/, "_", t); print "case_" t "_" $2 }')
	for fn in $(sed -n 's/^\(case_[a-z0-9_]*\)().*/\1/p' "$walk_script"); do
		echo "$walk_fns" | grep -qx "$fn" ||
			{ echo "FAIL: $fn has no row in $walk_doc's bad-input table"; walk_fail=1; }
	done
	while IFS='|' read -r tool cas want words; do
		fn=case_$(echo "$tool" | tr - _)_$cas
		grep -q "^$fn()" "$walk_script" ||
			{ echo "FAIL: $tool $cas: the table's row has no case $fn in $walk_script"; walk_fail=1; continue; }
		echo "== $tool $cas (exit $want)"
		before=$(bad_input_state)
		out=$($fn 2>&1 </dev/null)
		rc=$?
		after=$(bad_input_state)
		echo "$out" | sed 's/^/  /'
		ok=1
		[ "$rc" = "$want" ] || { echo "FAIL: $tool $cas: exit $rc, expected $want"; ok=0; }
		phrases=$(echo "$words" | grep -o '`[^`]*`' | tr -d '`')
		while read -r phrase; do
			[ -z "$phrase" ] || echo "$out" | grep -qF -- "$phrase" ||
				{ echo "FAIL: $tool $cas: no '$phrase' in the output"; ok=0; }
		done <<EOF_PHRASES
$phrases
EOF_PHRASES
		[ "$before" = "$after" ] || {
			echo "FAIL: $tool $cas changed the state:"
			echo "$before" >/tmp/bad-input.before
			echo "$after" >/tmp/bad-input.after
			diff /tmp/bad-input.before /tmp/bad-input.after | sed 's/^/  /'
			ok=0; }
		if [ $ok = 1 ]; then echo "PASS: $tool $cas"; else walk_fail=1; fi
	done <<EOF_ROWS
$walk_rows
EOF_ROWS
	return $walk_fail
}
