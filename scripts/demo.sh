#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh -- sets up, builds, and shows the main job: a crashing program run
# under tmwatch, and the counters recorded for it in a fresh store
# (build/demo-store, so the demo never touches your real ~/.config).
set -euo pipefail
cd "$(dirname "$0")/.."

# Progress instead of minutes of silence: each step says what it does and
# how long it may take; the build shows its percentage as it goes.
step() { printf '\033[1mdemo: %s\033[0m\n' "$*"; }
# Reads cmake --build output and shows its "[ 42%]" lines: rewritten in
# place on a terminal, one line per 10% otherwise (logs, CI).
progress() {
  local last=-1 pct line
  while IFS= read -r line; do
    case $line in
      "["*"%]"*) pct=${line#[}; pct=${pct%%%]*}; pct=${pct// /} ;;
      *) continue ;;
    esac
    if [ -t 1 ]; then
      printf '\r  built %3s%%' "$pct"
    elif [ $((pct / 10)) -ne $((last / 10)) ]; then
      printf '  built %s%%\n' "$pct"
    fi
    last=$pct
  done
  [ -t 1 ] && printf '\n'
  return 0
}

step "1/3 checking the Debian packages (scripts/setup.sh; installing"\
" missing ones can take a few minutes)"
bash scripts/setup.sh
step "2/3 configuring (cmake)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
step "3/3 building with $(nproc) jobs (a few minutes on a small machine)"
log=$(mktemp)
if ! cmake --build build -j"$(nproc)" 2>"$log" | progress; then
  cat "$log" >&2
  exit 1
fi
rm -f "$log"
export PATH="$PWD/build/bin:$PATH"
export TMWATCH_DIR="$PWD/build/demo-store"
export XDG_STATE_HOME="$PWD/build/demo-state"
rm -rf "$TMWATCH_DIR" "$XDG_STATE_HOME"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say tmwatch telemetry
tmwatch telemetry

say ./build/examples/count_events 14
./build/examples/count_events 14

say tmwatch telemetry count --program demo-script demo/step 2
tmwatch telemetry count --program demo-script demo/step 2

if [ -x build/examples/crash_null_write ]; then
  say tmwatch ./build/examples/crash_null_write
  set +e
  tmwatch ./build/examples/crash_null_write
  status=$?
  set -e
  echo "(exit status $status, as without tmwatch)"
fi

say tmwatch telemetry dump
tmwatch telemetry dump

say tmwatch crashes
tmwatch crashes

say tmwatch doctor
tmwatch doctor || true

log=$(ls -t "$XDG_STATE_HOME"/tmwatch/crashes/* 2>/dev/null | head -n 1)
if [ -n "$log" ]; then
  say cat "$log"
  cat "$log"
fi
