#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test.sh -- sets up, builds and runs the whole test suite through ctest:
#   1. build/        gcc, RelWithDebInfo: every test but the fuzzers;
#   2. build-asan/   gcc with ASan+UBSan: the unit tests;
#   3. build-fuzz/   clang libFuzzer targets, each for a bounded time.
# Exits non-zero if anything fails. TMWATCH_FUZZ_SECONDS (default 20)
# bounds each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs=$(nproc)
# Tests must never touch the real store: any test that forgets its own
# TMWATCH_DIR lands in this throw-away home instead of ~/.config/tmwatch.
# Toolchains installed per user (rustup) stay where they are.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
  CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
HOME=$(mktemp -d "${TMPDIR:-/tmp}/tmwatch-test-home.XXXXXX")
export HOME
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_CACHE_HOME
trap 'rm -rf "$HOME"' EXIT

echo "== build (gcc) and all tests but fuzz"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -LE fuzz -j"$jobs" --timeout 600

echo "== build with ASan+UBSan and unit tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTMWATCH_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -L unit -j"$jobs" --timeout 600

echo "== fuzz targets (clang, libFuzzer), ${TMWATCH_FUZZ_SECONDS:-20}s each"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DTMWATCH_FUZZ=ON \
  -DTMWATCH_FUZZ_SECONDS="${TMWATCH_FUZZ_SECONDS:-20}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$jobs" --target tmwatch_fuzz_all
ctest --test-dir build-fuzz --output-on-failure -L fuzz --timeout 900
