# SPDX-License-Identifier: MIT
# tests/cli/crashes.sh SCENARIO -- `tmwatch crashes` through the real
# binary, on logs of real crashes.
. "$(dirname "$0")/lib.sh"
logs="$XDG_STATE_HOME/tmwatch/crashes"

case $1 in
list_shows_columns_filters_and_json)
	crash crash_null_write
	TMWATCH_PROGRAM_VERSION=1.2.3 crash crash_divzero
	expect_rc 0 tm crashes
	has "$out" "^TIME *PID SIG *PROGRAM *VERSION *FRAME *LOG"
	has "$out" "SIGSEGV crash_null_write .* write_null:"
	has "$out" "SIGFPE  crash_divzero *1.2.3 *divide:"
	expect_rc 0 tm crashes list --program crash_divzero
	hasnt "$out" crash_null_write
	expect_rc 0 tm crashes -n 1
	[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "-n 1: $out"
	expect_rc 0 tm crashes --since 1h --until 1d
	has "$out" "no crash log in '.*' matches"
	expect_rc 0 tm crashes --until 2000-01-01
	has "$out" "matches"
	expect_rc 0 tm crashes --since "2000-01-01 10:00" --json
	printf '%s' "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert len(v) == 2, v
d = {e["program"]: e for e in v}
assert d["crash_divzero"]["version"] == "1.2.3", v
assert d["crash_divzero"]["signal"] == "SIGFPE", v
assert isinstance(d["crash_null_write"]["pid"], int), v
assert d["crash_null_write"]["frame"].startswith("write_null:"), v
' || fail "bad JSON: $out"
	expect_rc 2 tm crashes --since yesterday
	has "$err" "bad time 'yesterday'"
	has "$err" "tmwatch crashes --help"
	;;
info_prints_the_whole_log_by_pid_or_name)
	crash crash_abort
	pid=$(tm crashes --json | python3 -c \
		'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
	name=$(ls "$logs")
	expect_rc 0 tm crashes info "$pid"
	[ "$out" = "$(cat "$logs/$name")" ] || fail "info $pid: $out"
	expect_rc 0 tm crashes info "$name"
	has "$out" "signal:    SIGABRT"
	expect_rc 0 tm crashes info --json "$logs/$name"
	has "$out" '"text":'
	expect_rc 1 tm crashes info 999999999
	has "$err" "no crash log matches '999999999'"
	expect_rc 1 tm crashes info /etc/passwd
	;;
clean_dry_run_older_than_and_failures)
	crash crash_null_write
	crash crash_abort
	touch -d '10 days ago' "$logs"/*crash_null_write*
	expect_rc 0 tm crashes clean --dry-run
	has "$out" "would remove 2 crash logs"
	[ "$(ls "$logs" | wc -l)" = 2 ] || fail "dry run removed files"
	expect_rc 0 tm crashes clean --older-than 5
	has "$out" "removed 1 crash log from"
	ls "$logs" | grep -q crash_abort || fail "the newer log went too"
	# Another user may read the directory but not delete from it.
	chmod 755 "$T" "$XDG_STATE_HOME" "$XDG_STATE_HOME/tmwatch" "$logs"
	expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		env XDG_STATE_HOME="$XDG_STATE_HOME" "$TMWATCH_BIN" crashes \
		clean
	has "$err" "^tmwatch: cannot remove crash log '$logs/.*crash_abort"
	has "$out" "removed 0 crash logs from .*; some could not be removed"
	expect_rc 0 tm crashes clean
	has "$out" "removed 1 crash log from"
	;;
retention_keeps_the_newest_within_the_limits)
	for i in 1 2 3; do crash crash_null_write; done
	[ "$(ls "$logs" | wc -l)" = 3 ] || fail "3 logs: $(ls "$logs")"
	TMWATCH_CRASH_LOGS_MAX=2 crash crash_abort
	[ "$(ls "$logs" | wc -l)" = 2 ] || fail "max 2: $(ls "$logs")"
	ls "$logs" | grep -q crash_abort || fail "the newest went"
	TMWATCH_CRASH_LOGS_MAX_BYTES=1K crash crash_divzero
	[ "$(ls "$logs")" = "$(ls "$logs" | grep crash_divzero)" ] ||
		fail "1K keeps only the newest: $(ls "$logs")"
	TMWATCH_CRASH_LOGS_MAX=0 TMWATCH_CRASH_LOGS_MAX_BYTES=0 \
		crash crash_abort
	[ "$(ls "$logs" | wc -l)" = 2 ] || fail "0 = no limit"
	;;
*) fail "unknown scenario '$1'" ;;
esac
echo ok
