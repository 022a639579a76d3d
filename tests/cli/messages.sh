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
*) fail "unknown scenario '$1'" ;;
esac
echo ok
