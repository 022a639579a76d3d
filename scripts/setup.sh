#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# setup.sh -- installs the Debian 12 packages tmwatch needs to build and test.
# Installs only what is missing; uses sudo when not root. Safe to re-run.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libunwind-dev libcurl4-openssl-dev libcjson-dev libdw-dev libelf-dev
  libcmocka-dev libmicrohttpd-dev
  libpq-dev postgresql-15     # the collector's PostgreSQL store and its tests
  clang libclang-rt-14-dev   # libFuzzer targets
  g++ binutils util-linux procps tmux python3 curl
  chromium libjs-chart.js    # the collector dashboard and its browser test
  valgrind golang-go   # tests/scenarios/test_stacks_unwind.c
  strace coreutils           # relays under test (test_intake_load)
  libc6-dbg   # test_naming: the crash log's IFUNC variant and file:line
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
