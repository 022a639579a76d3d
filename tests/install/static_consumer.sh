#!/bin/sh
# SPDX-License-Identifier: MIT
# static_consumer.sh -- a fully static program (-static) of a user's, built
# against an installed tmwatch with `pkg-config --static`: the flags name
# libtmwatch and nothing else (libc is the compiler's), the link needs
# nothing beyond libtmwatch.a and libc.a, the program counts, and with
# tm_crash_monitor_start() its crash is counted as crash/crash and it dies
# as the same program built without tmwatch does (issue 12).
# usage: static_consumer.sh BUILD_DIR
set -u
build=$1
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
fail() { echo "static_consumer: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$d/p" >/dev/null || fail "install failed"
pcdir=$(ls -d "$d"/p/lib*/pkgconfig "$d"/p/lib/*/pkgconfig 2>/dev/null | head -n 1)
[ -n "$pcdir" ] || fail "no pkgconfig directory installed"
export PKG_CONFIG_PATH="$pcdir"
export TMWATCH_DIR="$d/store" XDG_STATE_HOME="$d/state" TMWATCH_QUIET=1
unset TMWATCH_BIN TMWATCH_SHIM LD_PRELOAD TMWATCH_DISABLE TMWATCH_TELEMETRY
mkdir -p "$d/store/local" && touch "$d/store/local/daily.token"
libdir=$(pkg-config --variable=libdir tmwatch) || fail "pkg-config failed"

# The static flags: -L and -ltmwatch, nothing else.
libs=$(pkg-config --static --libs tmwatch) || fail "pkg-config --static failed"
set -- $libs
[ $# = 2 ] && [ "$2" = -ltmwatch ] && [ "${1#-L}" != "$1" ] &&
	[ "$(cd "${1#-L}" && pwd -P)" = "$(cd "$libdir" && pwd -P)" ] ||
	fail "pkg-config --static --libs tmwatch gives '$libs', want '-L$libdir -ltmwatch'"

cat > "$d/count.c" <<'C'
#include <tmwatch/tmwatch.h>
int main(void)
{
	tm_counter_inc("static/start");
	tm_counter_add("static/bytes", 5);
	return 0;
}
C
cat > "$d/crash.c" <<'C'
#include <stdlib.h>
#ifdef WITH_TMWATCH
#include <tmwatch/tmwatch.h>
#endif
int main(int argc, char **argv)
{
#ifdef WITH_TMWATCH
	tm_crash_monitor_start();
#endif
	*(volatile int *)(argc > 5 ? argv[1] : NULL) = 1;
	return 0;
}
C
# -Wl,--trace prints every input file the link uses: libtmwatch.a and the
# toolchain's own (libc.a, libgcc, crt files) only.
cc -static -o "$d/count" "$d/count.c" $(pkg-config --cflags tmwatch) $libs \
	-Wl,--trace >"$d/trace" 2>&1 || { cat "$d/trace"; fail "-static link failed"; }
grep -E '\.(a|so[.0-9]*)(\)|$)' "$d/trace" | grep -v -E \
	'libtmwatch\.a|/libc\.a|libgcc|libgcc_eh|crt[0-9a-zA-Z]*\.o|libc_nonshared' \
	&& fail "the -static link used more than libtmwatch.a and libc (above)"
file "$d/count" | grep -q 'statically linked' || fail "count is not static"
"$d/count" || fail "the static program failed"
out=$("$d/p/bin/tmwatch" telemetry dump) || fail "dump failed"
echo "$out" | grep -q "^1	static/start$" || fail "static/start not counted: $out"
echo "$out" | grep -q "^5	static/bytes$" || fail "static/bytes not counted: $out"

cc -static -g -DWITH_TMWATCH -o "$d/crash" "$d/crash.c" \
	$(pkg-config --cflags tmwatch) $libs || fail "-static crash link failed"
cc -static -g -o "$d/crash_bare" "$d/crash.c" || fail "bare link failed"
"$d/crash_bare"; b=$?
PATH="$d/p/bin:$PATH" "$d/crash"; w=$?
[ "$b" = 139 ] || fail "bare crash ended with $b, want 139"
[ "$w" = "$b" ] || fail "library-mode crash ended with $w, bare with $b"
out=$("$d/p/bin/tmwatch" telemetry dump) || fail "dump failed"
echo "$out" | awk '$0 == "# Program: crash" { on = 1; next }
	/^# Program:/ { on = 0 } on && /crash\/crash/ { f = 1 }
	END { exit !f }' || fail "the static program's crash not counted: $out"
echo "static_consumer: -static with libtmwatch.a and libc only counts;" \
	"its crash is counted (status $w, bare $b)"
