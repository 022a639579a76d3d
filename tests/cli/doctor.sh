# SPDX-License-Identifier: MIT
# tests/cli/doctor.sh SCENARIO -- `tmwatch doctor` through the real
# binary: its test crashes are real, and it must say when the chain is
# broken.
. "$(dirname "$0")/lib.sh"
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

case $1 in
doctor_all_well_counts_real_test_crashes_elsewhere)
	expect_rc 0 tm doctor
	has "$out" "^ok    wrapper .*died of SIGSEGV (as bare) and was counted"
	has "$out" "^ok    preload .*LD_PRELOAD='.*libtmwatch-preload.so' died of SIGSEGV (as bare) and was counted"
	has "$out" "^ok    debug info .*tmwatch_crashtest_fault:"
	has "$out" "^ok    uploading .*off (mode local): nothing leaves this machine"
	has "$out" "all is well"
	hasnt "$out" "^FAIL"
	# The test crashes went to a throw-away store, since removed.
	[ "$(ls -A "$TMWATCH_DIR/local")" = daily.token ] ||
		fail "the user's store changed: $(ls -A "$TMWATCH_DIR/local")"
	[ ! -e "$XDG_STATE_HOME/tmwatch/crashes" ] || fail "a crash log"
	[ -z "$(ls -A "$TMPDIR")" ] || fail "left: $(ls -A "$TMPDIR")"
	expect_rc 0 tm doctor --json
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is True, d
c = {x["check"]: x for x in d["checks"]}
assert c["wrapper"]["status"] == "ok", d
assert c["preload"]["status"] == "ok", d
' || fail "doctor --json: $out"
	;;
doctor_names_each_problem_and_exits_1)
	mkdir -p "$TMWATCH_DIR/upload.d"
	printf '{"Version": 3}' >"$TMWATCH_DIR/upload.d/bad.json"
	# A library that is not the shim: the preload test crash is not
	# counted, and doctor must say so rather than pass.
	libm=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ {print $NF; exit}')
	[ -n "$libm" ] || libm=$(ls /lib/*/libm.so.6 | head -n 1)
	expect_rc 1 env TMWATCH_TELEMETRY=bogus TMWATCH_SHIM="$libm" \
		"$TMWATCH_BIN" doctor
	has "$out" "^FAIL  mode variable  TMWATCH_TELEMETRY='bogus' is ignored"
	has "$out" "^FAIL  upload config  skipped: $TMWATCH_DIR/upload.d/bad.json: Version: .*; fix or remove it"
	has "$out" "^FAIL  preload .*was counted 0 times (expected SIGSEGV, once)"
	has "$out" "^ok    wrapper"
	has "$out" "problems found"
	expect_rc 1 env TMWATCH_DISABLE=1 "$TMWATCH_BIN" doctor
	has "$out" "^FAIL  disabled .*TMWATCH_DISABLE=1 is set"
	has "$out" "^ok    wrapper"
	expect_rc 1 env TMWATCH_SHIM=/nonexistent "$TMWATCH_BIN" doctor --json
	has "$out" '"ok":[[:space:]]*false'
	has "$out" "'/nonexistent' is missing or unreadable"
	# A store another user cannot write.
	chmod 755 "$T" "$TMWATCH_DIR"
	expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		env TMWATCH_DIR="$TMWATCH_DIR" HOME="$T/nohome" \
		XDG_STATE_HOME="$T/tmp/state" TMPDIR="$T/tmp" \
		"$TMWATCH_BIN" doctor
	has "$out" "^FAIL  store .*cannot be written .*fix its permissions or set TMWATCH_DIR"
	;;
doctor_shows_the_upload_hosts_in_mode_on)
	mkdir -p "$TMWATCH_DIR/upload.d"
	printf '%s' '{"Version":"v1","Endpoint":"http://127.0.0.1:9/up","Programs":[{"Name":"p","Versions":["*"],"Counters":[{"Name":"a"}]}]}' \
		>"$TMWATCH_DIR/upload.d/c.json"
	tm telemetry on >/dev/null || fail on
	expect_rc 0 tm doctor
	has "$out" "^ok    mode  *on, from the mode file '$TMWATCH_DIR/mode' (since "
	has "$out" "^ok    uploading  *on: weekly reports go to 127.0.0.1:9$"
	has "$out" "^ok    last upload  *never"
	expect_rc 0 env DO_NOT_TRACK=1 "$TMWATCH_BIN" doctor
	has "$out" "^ok    mode  *local, set by DO_NOT_TRACK (the mode file"
	;;
*) fail "unknown scenario '$1'" ;;
esac
echo ok
