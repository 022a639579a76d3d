# SPDX-License-Identifier: MIT
# tests/cli/messages.sh SCENARIO -- the messages of issue 11 item 7
# through the real binary: each says the reason and the fix.
. "$(dirname "$0")/lib.sh"
local="$TMWATCH_DIR/local"

case $1 in
clean_reports_failures_dry_run_dot_files_and_all)
	tm telemetry count --program .hidden a || fail "count .hidden"
	tm telemetry count --program p a || fail "count p"
	ls -A "$local" | grep -q '^\.hidden.*\.v1\.count$' ||
		fail "no dot counter file: $(ls -A "$local")"
	crash crash_null_write
	[ -n "$(ls "$XDG_STATE_HOME/tmwatch/crashes")" ] || fail "no log"
	# Another user cannot delete root's files: exit 1, each file named.
	chmod 755 "$T" "$TMWATCH_DIR" "$local"
	expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		env TMWATCH_DIR="$TMWATCH_DIR" HOME="$HOME" \
		"$TMWATCH_BIN" telemetry clean
	has "$err" "^tmwatch: cannot remove '$local/p@.*\.v1\.count': permission denied; fix the permissions of '$local'"
	has "$err" "could not be cleaned"
	has "$out" "removed 0 files"
	before=$(ls -A "$local")
	expect_rc 0 tm telemetry clean --dry-run
	has "$out" "would remove '$local/\.hidden"
	# .hidden, p, crash_null_write's counter files and daily.token.
	has "$out" "would remove 4 files"
	[ "$(ls -A "$local")" = "$before" ] || fail "dry run removed"
	expect_rc 0 tm telemetry clean --all
	has "$out" "removed [5-9][0-9]* files from '$TMWATCH_DIR' and '$XDG_STATE_HOME/tmwatch'"
	[ "$(ls -A "$local")" = weekends ] || fail "left: $(ls -A "$local")"
	[ -z "$(ls "$XDG_STATE_HOME/tmwatch/crashes")" ] || fail "log left"
	[ -z "$(ls "$XDG_STATE_HOME/tmwatch/symcache" 2>/dev/null)" ] ||
		fail "symcache left"
	;;
tmwatch_dir_at_a_file_or_relative_is_named)
	: >"$T/afile"
	expect_rc 1 env TMWATCH_DIR="$T/afile" "$TMWATCH_BIN" telemetry local
	has "$err" "^tmwatch: TMWATCH_DIR='$T/afile' is not a directory; point it at a directory"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "one line: $err"
	mkdir "$T/wd"
	cd "$T/wd" || fail cd
	expect_rc 0 env TMWATCH_DIR=rel "$TMWATCH_BIN" telemetry status
	has "$err" "^tmwatch: TMWATCH_DIR='rel' is a relative path: each working directory gets a store of its own; set it to an absolute path"
	;;
bogus_telemetry_variable_is_named)
	expect_rc 0 env TMWATCH_TELEMETRY=bogus "$TMWATCH_BIN" telemetry
	[ "$out" = local ] || fail "mode: $out"
	has "$err" "^tmwatch: ignoring TMWATCH_TELEMETRY='bogus': not a mode; set it to off or local, or unset it"
	expect_rc 0 env TMWATCH_TELEMETRY=on "$TMWATCH_BIN" telemetry status
	has "$err" "TMWATCH_TELEMETRY=on: the variable can only lower the mode"
	;;
directory_as_program_says_is_a_directory_like_a_shell)
	mkdir "$T/adir"
	cd "$T" || fail cd
	bash -c ./adir 2>"$T/sh_err"; b=$?
	expect_rc "$b" tm ./adir
	has "$(cat "$T/sh_err")" "Is a directory"
	has "$err" "^tmwatch: cannot run './adir': is a directory$"
	;;
count_from_a_descriptor_script_names_the_shell)
	printf '"$TMWATCH_BIN" telemetry count fromfd\n' >"$T/s.sh"
	bash /dev/fd/3 3<"$T/s.sh" || fail "bash /dev/fd/3"
	expect_rc 0 tm telemetry dump
	has "$out" "^# Program: bash$"
	hasnt "$out" "^# Program: 3$"
	;;
status_lists_upload_configs_and_why_one_is_skipped)
	mkdir -p "$TMWATCH_DIR/upload.d"
	printf '%s' '{"Version":"v1","Endpoint":"http://127.0.0.1:9/up","Programs":[{"Name":"p","Versions":["*"],"Counters":[{"Name":"a"}]}]}' \
		>"$TMWATCH_DIR/upload.d/good.json"
	printf '{"Version": 3}' >"$TMWATCH_DIR/upload.d/bad.json"
	tm telemetry count --program q a || fail count
	printf 'garbage' >"$(ls "$TMWATCH_DIR"/local/q@*.v1.count)"
	expect_rc 0 tm telemetry status
	has "$out" "^upload config: $TMWATCH_DIR/upload.d/good.json: endpoint http://127.0.0.1:9/up, programs p$"
	has "$out" "^upload config skipped: $TMWATCH_DIR/upload.d/bad.json: Version: .*; fix or remove it$"
	has "$out" "^corrupt counter file: '$TMWATCH_DIR/local/q@"
	expect_rc 0 tm telemetry status --json
	printf '%s' "$out" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["mode"]["effective"] == "local", s
assert len(s["upload_configs"]["found"]) == 1, s
assert "bad.json" in s["upload_configs"]["skipped"][0], s
assert s["counter_files"]["corrupt"][0]["path"].endswith(".v1.count"), s
assert s["crashes_this_week"] == 0, s
' || fail "status --json: $out"
	expect_rc 0 tm telemetry env --json
	printf '%s' "$out" | python3 -c '
import json, sys, os
e = json.load(sys.stdin)
assert e["environment"]["TMWATCH_DIR"] == os.environ["TMWATCH_DIR"], e
assert e["store_directory"] == os.environ["TMWATCH_DIR"], e
assert e["environment"]["DO_NOT_TRACK"] is None, e
' || fail "env --json: $out"
	;;
dump_json_counts_are_exact_integers)
	tm telemetry count --program p a 9007199254740993 || fail count
	expect_rc 0 tm telemetry dump --json
	has "$out" '"a":[[:space:]]*9007199254740993$'
	printf '%s' "$out" | python3 -c '
import json, sys
assert json.load(sys.stdin)[0]["Count"]["a"] == 2**53 + 1
' || fail "dump --json: $out"
	;;
saturated_counter_keeps_the_week_readable)
	# The report of a week with a counter at its cap (INT64_MAX in a
	# report) must stay readable: pending upload, not rejected.
	mkdir -p "$TMWATCH_DIR/upload.d"
	printf '%s' '{"Version":"v1","Endpoint":"http://127.0.0.1:9/up","Programs":[{"Name":"p","Versions":["*"],"Counters":[{"Name":"big"}]}]}' \
		>"$TMWATCH_DIR/upload.d/c.json"
	TMWATCH_NOW=2026-11-20 tm telemetry on >/dev/null || fail on
	TMWATCH_NOW=2026-11-25 tm telemetry count --program p big \
		18446744073709551615 || fail count
	export TMWATCH_NOW=2026-12-08T12:00:00Z
	expect_rc 1 tm telemetry upload
	has "$err" "1 reports built, 0 sent, 0 rejected, 1 to retry later"
	expect_rc 0 tm telemetry status
	has "$out" "^reports: 1 pending upload, 0 rejected"
	;;
*) fail "unknown scenario '$1'" ;;
esac
echo ok
