#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh -- sets up, builds, and shows the main job: a crashing program run
# under tmwatch, and the counters recorded for it in a fresh store
# (build/demo-store, so the demo never touches your real ~/.config).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
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

log=$(ls -t "$XDG_STATE_HOME"/tmwatch/crashes/* 2>/dev/null | head -n 1)
if [ -n "$log" ]; then
  say cat "$log"
  cat "$log"
fi
