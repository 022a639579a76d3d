#!/bin/sh
# SPDX-License-Identifier: MIT
# run_fuzz.sh -- run one libFuzzer target for a bounded time over a copy of
# its seed corpus, failing on any crash, leak, timeout or OOM.
# Usage: run_fuzz.sh TARGET CORPUSDIR SECONDS
# The seed corpus is copied so new inputs found by the run never land in the
# source tree; crash artifacts are kept in the temporary directory, whose
# path is printed.
set -eu
if [ $# -ne 3 ]; then
	echo "usage: run_fuzz.sh TARGET CORPUSDIR SECONDS" >&2
	exit 2
fi
target=$1 corpus=$2 seconds=$3
if [ ! -x "$target" ]; then
	echo "run_fuzz.sh: no fuzz target '$target'" >&2
	exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tmwatch-fuzz.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$corpus" ]; then
	cp -R "$corpus/." "$work/corpus/"
fi
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" || status=$?
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
	echo "run_fuzz.sh: $(basename "$target") failed (status $status);" \
	     "artifacts in $work/artifacts" >&2
	exit 1
fi
rm -rf "$work"
