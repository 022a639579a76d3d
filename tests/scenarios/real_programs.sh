#!/bin/sh
# SPDX-License-Identifier: MIT
# real_programs.sh -- tmwatch around programs no one here wrote: CPython
# (a crash through ctypes, and a clean run), and, when installed, a JVM
# whose implicit null checks fault on purpose (SIGSEGV its own handler
# repairs: never a crash) and node. Each must behave as it does bare.
# usage: real_programs.sh TMWATCH SHIM
set -u
tmwatch=$1 shim=$2
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
export TMWATCH_DIR="$d/store" XDG_STATE_HOME="$d/state" TMWATCH_QUIET=1
mkdir -p "$d/store/local" && touch "$d/store/local/daily.token"
fail() { echo "real_programs: $*" >&2; exit 1; }

crash='import ctypes; ctypes.string_at(0)'
python3 -c "$crash" 2>/dev/null; bare=$?
"$tmwatch" python3 -c "$crash" 2>/dev/null; wrapped=$?
[ "$bare" = 139 ] && [ "$wrapped" = 139 ] ||
	fail "python ctypes crash: bare $bare, under tmwatch $wrapped"
out=$("$tmwatch" python3 -c 'print("ok")') || fail "python clean run failed"
[ "$out" = ok ] || fail "python printed '$out'"
dump=$("$tmwatch" telemetry dump)
echo "$dump" | grep -q "^# Program: python3" || fail "no counter file for python"
[ "$(echo "$dump" | grep -c '^1	crash/crash$')" = 1 ] ||
	fail "python's crash not counted once:
$dump"

if command -v java >/dev/null 2>&1; then
	cat > "$d/Npe.java" <<'J'
public class Npe {
	public static void main(String[] a) {
		long s = 0;
		for (int i = 0; i < 200000; i++) {
			try {
				Object o = (i % 2 == 0) ? null : "x";
				s += o.hashCode();
			} catch (NullPointerException e) {
				s++;
			}
		}
		System.out.println("java ok " + s);
	}
}
J
	"$tmwatch" java "$d/Npe.java" >"$d/java.out" 2>&1 ||
		fail "JVM under tmwatch: $(cat "$d/java.out")"
	TMWATCH_BIN="$tmwatch" LD_PRELOAD="$shim" java "$d/Npe.java" \
		>"$d/java2.out" 2>&1 ||
		fail "JVM with the shim preloaded: $(cat "$d/java2.out")"
	"$tmwatch" telemetry dump | grep -q "^# Program: java" &&
		fail "the JVM's own SIGSEGVs were counted as crashes"
fi
if command -v node >/dev/null 2>&1; then
	out=$("$tmwatch" node -e 'console.log("ok")') || fail "node failed"
	[ "$out" = ok ] || fail "node printed '$out'"
fi
echo "real_programs: python, and java/node where installed, behave as bare"
