# SPDX-License-Identifier: MIT
# tests/package/deb.sh SRC BUILD -- the Debian packages: built by
# scripts/build-deb.sh, installed with dpkg -i, exercised (a crash under
# tmwatch and under the shim, man -w, a pkg-config consumer, doctor) and
# removed cleanly.
#
# The machine is shared, so dpkg runs in a private mount namespace where
# /usr, /etc and /var are overlays on a throw-away directory: the install
# is a real one (dpkg's database, triggers, ldconfig), seen by this test
# alone and gone when it ends.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "${1:-}" != --inner ]; then
	src=$1 build=$2
	T=$(mktemp -d) || exit 1
	trap 'rm -rf "$T"' EXIT
	# The package tree is kept in BUILD: later runs are incremental.
	bash "$src/scripts/build-deb.sh" "$build/deb-build" "$T/debs" \
		>"$T/debs.txt" || fail "build-deb.sh"
	unshare -m --propagation private bash "$0" --inner "$T" "$build"
	exit $?
fi

T=$2 build=$3
for d in usr etc var; do
	mkdir -p "$T/ov/$d/up" "$T/ov/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/ov/$d/up,workdir=$T/ov/$d/work" "/$d" ||
		fail "cannot overlay /$d (need root and overlayfs)"
done
export TMWATCH_DIR="$T/store" XDG_STATE_HOME="$T/state" HOME="$T/home"
export TMPDIR="$T/tmp" TMWATCH_QUIET=1
unset TMWATCH_BIN TMWATCH_SHIM LD_PRELOAD TMWATCH_TELEMETRY DO_NOT_TRACK \
	TMWATCH_DISABLE
mkdir -p "$HOME" "$TMPDIR" "$TMWATCH_DIR/local"
touch "$TMWATCH_DIR/local/daily.token"
command -v tmwatch >/dev/null && fail "tmwatch already in PATH"

mapfile -t debs <"$T/debs.txt"
[ "${#debs[@]}" = 2 ] || fail "expected 2 packages: ${debs[*]}"
# No package is pinned to one glibc release (a GLIBC_PRIVATE symbol in
# libtmwatch.so made dpkg-shlibdeps write "libc6 (<< 2.37)").
for deb in "${debs[@]}"; do
	dep=$(dpkg-deb -f "$deb" Depends) || fail "dpkg-deb -f $deb"
	case $dep in
	*"<<"*) fail "$(basename "$deb") is pinned: Depends: $dep" ;;
	esac
done
dpkg -i "${debs[@]}" >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i"; }
[ "$(command -v tmwatch)" = /usr/bin/tmwatch ] || fail "tmwatch not in /usr/bin"
dpkg -L tmwatch libtmwatch-dev >"$T/files" || fail "dpkg -L"

crasher="$build/examples/crash_null_write"
"$crasher" 2>/dev/null; bare=$?
tmwatch "$crasher" 2>/dev/null; wrapped=$?
shim=$(grep '/tmwatch/libtmwatch-preload\.so$' "$T/files")
LD_PRELOAD="$shim" "$crasher" 2>/dev/null; preloaded=$?
[ "$bare" = 139 ] && [ "$wrapped" = 139 ] && [ "$preloaded" = 139 ] ||
	fail "bare $bare, tmwatch $wrapped, LD_PRELOAD $preloaded"
n=$(tmwatch telemetry dump | grep -c "^2	crash/crash$")
[ "$n" = 1 ] || fail "crash/crash not counted twice: $(tmwatch telemetry dump)"
tmwatch crashes | grep -q "SIGSEGV crash_null_write" || fail "crashes"

[ "$(man -w tmwatch)" = /usr/share/man/man1/tmwatch.1.gz ] ||
	fail "man -w tmwatch: $(man -w tmwatch 2>&1)"
man -w 3 libtmwatch >/dev/null || fail "man -w 3 libtmwatch"
man -w 8 tmwatch-collector >/dev/null || fail "man -w 8 tmwatch-collector"
[ -s /usr/share/bash-completion/completions/tmwatch ] || fail "completion"
[ -s /usr/lib/systemd/user/tmwatch-upload.timer ] || fail "timer"
grep -q "^ExecStart=/usr/bin/tmwatch telemetry upload$" \
	/usr/lib/systemd/user/tmwatch-upload.service || fail "ExecStart"

cat >"$T/consumer.c" <<'EOC'
#include <tmwatch/tmwatch.h>
int main(void)
{
	tm_counter_add("consumer/ran", 3);
	return 0;
}
EOC
cc -o "$T/consumer" "$T/consumer.c" $(pkg-config --cflags --libs tmwatch) ||
	fail "pkg-config consumer does not build"
"$T/consumer" || fail "consumer"
tmwatch telemetry dump | grep -q "^3	consumer/ran$" || fail "consumer count"

tmwatch doctor >"$T/doctor" 2>&1 || { cat "$T/doctor"; fail "doctor"; }

# The view from the package: its page, chart.js from libjs-chart.js, the
# counts just made.
mkfifo "$T/view.fifo"
tmwatch telemetry view --addr 127.0.0.1:0 >"$T/view.fifo" 2>"$T/view.err" &
view=$!
# Its first line names the URL: wait on it, bounded, never on a clock.
read -r -t 60 line <"$T/view.fifo"
url=$(printf '%s' "${line:-}" | sed -n 's/.* at \(http:[^ ]*\) .*/\1/p')
[ -n "$url" ] || { kill "$view"; fail "view: ${line:-} $(cat "$T/view.err")"; }
curl -sf "${url}data.json" | grep -q '"consumer/ran":3' ||
	{ kill "$view"; fail "view data.json"; }
curl -sf "${url}static/chart.js" | head -c 200 | grep -q "Chart.js" ||
	{ kill "$view"; fail "view chart.js"; }
kill "$view"
wait "$view" 2>/dev/null

dpkg -r libtmwatch-dev tmwatch >"$T/dpkg.log" 2>&1 ||
	{ cat "$T/dpkg.log"; fail "dpkg -r"; }
dpkg -s tmwatch >/dev/null 2>&1 && fail "tmwatch still installed"
while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] || [ -L "$f" ] && fail "left after dpkg -r: $f"
done <"$T/files"
hash -r
command -v tmwatch >/dev/null && fail "tmwatch still in PATH"
echo ok
