# SPDX-License-Identifier: MIT
# tests/package/installed_prefix.sh BUILD -- what `cmake --install` gives a
# user: man pages `man` finds and renders, --help pointing at them, no
# shipped page citing a design document the user lacks, a working
# `tmwatch doctor` from the prefix, and an uninstall that leaves nothing.
set -u
build=$1
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export TMWATCH_DIR="$T/store" XDG_STATE_HOME="$T/state" HOME="$T/home"
export TMPDIR="$T/tmp" TMWATCH_QUIET=1
unset TMWATCH_BIN TMWATCH_SHIM LD_PRELOAD TMWATCH_TELEMETRY DO_NOT_TRACK
mkdir -p "$HOME" "$TMPDIR" "$TMWATCH_DIR/local"
touch "$TMWATCH_DIR/local/daily.token"
p="$T/prefix"
cmake --install "$build" --prefix "$p" >/dev/null || fail "install"

for page in man1/tmwatch.1 man1/tmwatch-telemetry.1 man1/tmwatch-crashes.1 \
	man8/tmwatch-collector.8 man3/libtmwatch.3; do
	[ -s "$p/share/man/$page" ] || fail "no $page in $p/share/man"
	# Wide tables wrap badly at 80 columns but render; anything else
	# (a syntax error of the generated troff) fails.
	w=$(MANWIDTH=80 man -l "$p/share/man/$page" 2>&1 >/dev/null |
		grep -v "table wider than line width" |
		grep -v "^warning: file '<standard input>', around line")
	[ -z "$w" ] || fail "man -l $page warns: $w"
	# whatis/apropos can read its NAME line.
	lexgrog "$p/share/man/$page" >/dev/null 2>&1 ||
		fail "lexgrog cannot parse $page's NAME"
done
found=$(MANPATH="$p/share/man" man -w tmwatch-crashes) ||
	fail "man -w tmwatch-crashes"
[ "$found" = "$p/share/man/man1/tmwatch-crashes.1" ] || fail "man -w: $found"
MANWIDTH=80 man -l "$p/share/man/man1/tmwatch.1" | grep -q "tmwatch doctor" ||
	fail "tmwatch(1) lacks doctor"
"$p/bin/tmwatch" --help | grep -q "man tmwatch" || fail "--help"
"$p/bin/tmwatch" --help | grep -q "docs/" && fail "--help cites docs/"
bad=$(grep -rl "DESIGN" "$p/share" "$p/include" 2>/dev/null)
[ -z "$bad" ] || fail "shipped files cite DESIGN: $bad"
[ -e "$p/share/doc/tmwatch/architecture.md" ] && fail "architecture.md shipped"
[ -s "$p/share/doc/tmwatch/upload.md" ] || fail "no upload.md (privacy)"

"$p/bin/tmwatch" doctor >"$T/doctor" 2>&1 || {
	cat "$T/doctor"; fail "doctor from the prefix"; }
grep -q "^ok    preload .*$p/lib.*/tmwatch/libtmwatch-preload.so" \
	"$T/doctor" || { cat "$T/doctor"; fail "doctor's shim"; }

cmake -P "$build/cmake_uninstall.cmake" >/dev/null || fail "uninstall"
left=$(find "$p" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo ok
