#!/bin/sh
# SPDX-License-Identifier: MIT
# consumers.sh -- a program of a user's, built against an installed tmwatch
# three ways: pkg-config (shared), the static archive, and CMake's
# find_package(tmwatch). Each must build, run and count into the store.
# usage: consumers.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 src=$2
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
fail() { echo "consumers: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$d/p" >/dev/null || fail "install failed"
libdir=$(ls -d "$d"/p/lib*/pkgconfig "$d"/p/lib/*/pkgconfig 2>/dev/null | head -n 1)
[ -n "$libdir" ] || fail "no pkgconfig directory installed"
export PKG_CONFIG_PATH="$libdir"
export TMWATCH_DIR="$d/store" TMWATCH_QUIET=1
unset TMWATCH_BIN TMWATCH_SHIM LD_PRELOAD TMWATCH_DISABLE TMWATCH_TELEMETRY

cat > "$d/user.c" <<'C'
#include <tmwatch/tmwatch.h>
static struct tm_counter hits = TM_COUNTER_INIT("user/hit");
int main(void)
{
	tm_counter_inc("user/start");
	tm_counter_handle_inc(&hits);
	return 0;
}
C

# 1. pkg-config, shared library.
cc -o "$d/user_pc" "$d/user.c" $(pkg-config --cflags --libs tmwatch) \
	-Wl,-rpath,"$(pkg-config --variable=libdir tmwatch)" ||
	fail "pkg-config build failed"
"$d/user_pc" || fail "pkg-config build does not run"

# 2. The static archive, by pkg-config --static: libtmwatch needs nothing
# but libc, so nothing else may be named.
cc -o "$d/user_static" "$d/user.c" $(pkg-config --cflags tmwatch) \
	$(pkg-config --static --libs tmwatch | sed 's/-ltmwatch/-l:libtmwatch.a/') ||
	fail "static build failed"
"$d/user_static" || fail "static build does not run"

# 3. find_package(tmwatch) from a CMake project.
mkdir -p "$d/cm"
cat > "$d/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(user C)
find_package(tmwatch REQUIRED)
add_executable(user_cmake ../user.c)
target_link_libraries(user_cmake PRIVATE tmwatch::tmwatch)
CM
cmake -S "$d/cm" -B "$d/cm/b" -DCMAKE_PREFIX_PATH="$d/p" \
	-DCMAKE_BUILD_RPATH="$(pkg-config --variable=libdir tmwatch)" \
	>/dev/null || fail "find_package(tmwatch) failed"
cmake --build "$d/cm/b" >/dev/null || fail "CMake build failed"
"$d/cm/b/user_cmake" || fail "CMake build does not run"

# 4. A stack counter from the installed shared library: libtmwatch finds
# the symbolizer module in LIBDIR/tmwatch and names the site with +N.
cat > "$d/stack.c" <<'C'
#include <tmwatch/tmwatch.h>
__attribute__((noinline)) void user_site(void);
__attribute__((noinline)) void user_site(void)
{
	tm_stack_counter_inc("user/bug");
	__asm__ volatile("" ::: "memory");
}
int main(void)
{
	user_site();
	return 0;
}
C
cc -g -O0 -o "$d/user_stack" "$d/stack.c" $(pkg-config --cflags --libs tmwatch) \
	-Wl,-rpath,"$(pkg-config --variable=libdir tmwatch)" ||
	fail "stack counter build failed"
env -u TMWATCH_SYM_MODULE "$d/user_stack" || fail "user_stack does not run"

# Every build counted into its own program's file.
out=$("$d/p/bin/tmwatch" telemetry dump) || fail "dump failed"
for prog in user_pc user_static user_cmake; do
	echo "$out" | grep -q "^# Program: $prog$" ||
		fail "no counter file for $prog"
done
n=$(echo "$out" | grep -c "^1	user/hit$")
[ "$n" = 3 ] || fail "user/hit counted in $n files, want 3"
echo "$out" | grep -A2 "^1	user/bug$" | grep -q "user_site:+2,+0x" ||
	fail "the installed stack counter is not named by the symbolizer: $out"

# 5. Library mode from the installed, relocated prefix: tm_crash_monitor_start
# finds P/bin/tmwatch next to libtmwatch.so (shared: PATH left alone) or on
# PATH (libtmwatch.a: the program's own directory says nothing), says
# nothing on stderr (TMWATCH_QUIET unset), and the crash is counted.
cat > "$d/crash.c" <<'C'
#include <tmwatch/tmwatch.h>
int main(void)
{
	tm_crash_monitor_start();
	*(volatile int *)0 = 1;
	return 0;
}
C
cc -g -o "$d/crash_pc" "$d/crash.c" $(pkg-config --cflags --libs tmwatch) \
	-Wl,-rpath,"$(pkg-config --variable=libdir tmwatch)" ||
	fail "library-mode build failed"
cc -g -o "$d/crash_static" "$d/crash.c" $(pkg-config --cflags tmwatch) \
	"$(pkg-config --variable=libdir tmwatch)/libtmwatch.a" ||
	fail "library-mode static build failed"
for prog in crash_pc crash_static; do
	path=$PATH
	[ $prog = crash_static ] && path="$d/p/bin:$PATH"
	(cd "$d" && env -u TMWATCH_QUIET PATH="$path" "./$prog" \
		2>"$d/$prog.err"; echo $? >"$d/$prog.rc")
	[ "$(cat "$d/$prog.rc")" = 139 ] ||
		fail "$prog: status $(cat "$d/$prog.rc"), want 139 (SIGSEGV)"
	grep -q "cannot find" "$d/$prog.err" &&
		fail "$prog: $(cat "$d/$prog.err")"
	out=$("$d/p/bin/tmwatch" telemetry dump) || fail "dump failed"
	echo "$out" | awk -v p="# Program: $prog" \
		'$0 == p { on = 1; next } /^# Program:/ { on = 0 }
		 on && /crash\/crash/ { found = 1 } END { exit !found }' ||
		fail "$prog: crash not counted; stderr: $(cat "$d/$prog.err")"
done
echo "consumers: pkg-config, libtmwatch.a and find_package all count;" \
	"library mode finds the relocated tmwatch"
