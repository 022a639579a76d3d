#!/bin/sh
# SPDX-License-Identifier: MIT
# manpage.sh IN.md OUT NAME SECTION VERSION [DESCRIPTION] -- renders one
# docs/ page as a man page with pandoc: the page's "# title" line goes,
# "## X" become sections; a page without a NAME section gets one from
# NAME and DESCRIPTION. Run by the build (docs/CMakeLists.txt).
set -eu
in=$1 out=$2 name=$3 section=$4 version=$5 desc=${6:-}
tmp=$out.md.tmp
# whatis/apropos (lexgrog) want the NAME section as "page \- what": take
# the page's own text after its dash, or DESCRIPTION.
if [ -z "$desc" ]; then
	desc=$(awk '/^## NAME/ { on = 1; next } /^## / { on = 0 }
		on && NF { printf "%s ", $0 }' "$in" |
		sed -e 's/^[^—]*— *//' -e 's/`//g' -e 's/ *$//')
fi
{
	printf '# NAME\n\n%s \\- %s\n\n' "$name" "$desc"
	awk '/^## NAME/ { skip = 1; next } /^## / { skip = 0 } !skip' "$in" |
		sed -e '1{/^# /d;}' -e 's/^##/#/'
} >"$tmp"
pandoc -s -f markdown -t man -M title="$name" -M section="$section" \
	-M header="tmwatch manual" -M footer="tmwatch $version" \
	-o "$out" "$tmp"
rm -f "$tmp"
