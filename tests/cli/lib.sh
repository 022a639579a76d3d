# SPDX-License-Identifier: MIT
# tests/cli/lib.sh -- sourced by the shell tests of tests/cli: a fresh
# store, state and HOME per test (never the real ones), the binaries from
# the test environment, and loud failures.
set -u
: "${TMWATCH_BIN:?TMWATCH_BIN is not set: run through ctest}"
: "${TMWATCH_EXAMPLES:?TMWATCH_EXAMPLES is not set: run through ctest}"
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
export TMWATCH_DIR="$T/store" XDG_STATE_HOME="$T/state" HOME="$T/home"
export XDG_CONFIG_HOME="$T/config" TMWATCH_QUIET=1
unset TMWATCH_TELEMETRY DO_NOT_TRACK TMWATCH_DISABLE LD_PRELOAD \
	TMWATCH_CRASH_LOGS_MAX TMWATCH_CRASH_LOGS_MAX_BYTES
mkdir -p "$HOME" "$TMWATCH_DIR/local"
# A fresh daily token: no report job outliving the test's directory.
touch "$TMWATCH_DIR/local/daily.token"
tm() { "$TMWATCH_BIN" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_rc WANT CMD...: runs CMD, output in $out/$err, checks the status.
expect_rc() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	out=$(cat "$T/out"); err=$(cat "$T/err")
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, not $want; stdout: \
$out; stderr: $err"
}
has() { printf '%s\n' "$1" | grep -q -- "$2" || fail "no '$2' in: $1"; }
hasnt() { printf '%s\n' "$1" | grep -q -- "$2" && fail "'$2' in: $1"; true; }
# crash NAME: runs the example under tmwatch and bare; both must die
# alike (the wrapper mirrors the status).
crash() {
	"$TMWATCH_BIN" "$TMWATCH_EXAMPLES/$1" >/dev/null 2>&1; w=$?
	TMWATCH_DISABLE=1 "$TMWATCH_EXAMPLES/$1" >/dev/null 2>&1; b=$?
	[ "$w" = "$b" ] && [ "$w" -gt 128 ] ||
		fail "$1: wrapped $w, bare $b"
}
