#!/bin/sh
# SPDX-License-Identifier: MIT
# libtmwatch_abi.sh -- what a program linking libtmwatch gets (issue 12):
#   needs     libtmwatch.so's DT_NEEDED are libc and the dynamic loader,
#             and it needs no GLIBC_PRIVATE symbol version (which would
#             pin every package of it to one glibc release);
#   exports   `nm -D` defined symbols are exactly the TM_API functions
#             declared in include/tmwatch/*.h;
#   ctors     no object of libtmwatch.a has a constructor (.init_array,
#             .ctors), and libtmwatch.so's .init_array holds only the
#             toolchain's one entry: nothing runs in a program that never
#             calls the API.
# usage: libtmwatch_abi.sh needs|exports|ctors LIBTMWATCH_SO LIBTMWATCH_A SRC
set -u
what=$1 so=$2 a=$3 src=$4
fail() { echo "libtmwatch_abi $what: $*" >&2; exit 1; }
[ -f "$so" ] && [ -f "$a" ] || fail "missing $so or $a"

case $what in
needs)
	n=$(readelf -d "$so") || fail "readelf failed"
	need=$(echo "$n" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	[ -n "$need" ] || fail "no DT_NEEDED at all (readelf output changed?)"
	bad=$(echo "$need" | grep -v -E '^(libc\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$')
	[ -z "$bad" ] || fail "libtmwatch.so needs more than libc and the loader: $bad"
	v=$(readelf -V "$so") || fail "readelf -V failed"
	echo "$v" | grep -q "Name: GLIBC_2" ||
		fail "no GLIBC_ version needs at all (readelf output changed?)"
	! echo "$v" | grep -q "GLIBC_PRIVATE" ||
		fail "libtmwatch.so needs GLIBC_PRIVATE: $(nm -D "$so" | grep GLIBC_PRIVATE)"
	echo "DT_NEEDED:" $need "(no GLIBC_PRIVATE)"
	;;
exports)
	have=$(nm -D --defined-only "$so" | awk '{ print $NF }' | sort) ||
		fail "nm failed"
	want=$(cat "$src"/include/tmwatch/*.h | grep -v "^#" | tr '\n' ' ' |
		grep -o 'TM_API[^;{(]*(' | sed 's/.*[ *]\([A-Za-z_0-9]*\)($/\1/' |
		sort -u)
	[ -n "$want" ] || fail "no TM_API declarations found in $src/include"
	if [ "$have" != "$want" ]; then
		echo "--- exported (nm -D)"; echo "$have"
		echo "--- public API (TM_API)"; echo "$want"
		fail "exported set differs from the public API"
	fi
	echo "exports:" $have
	;;
ctors)
	c=$(readelf -SW "$a" 2>/dev/null | grep -E '\.(init_array|ctors|preinit_array)')
	[ -z "$c" ] || fail "an object of libtmwatch.a has a constructor: $c"
	size=$(readelf -SW "$so" | awk '$2 == ".init_array" { print $6 }')
	[ -z "$size" ] || [ $((0x$size)) -le 8 ] ||
		fail "libtmwatch.so's .init_array is 0x$size bytes (more than frame_dummy)"
	echo "no constructors (init_array 0x${size:-0})"
	;;
*) fail "unknown check" ;;
esac
