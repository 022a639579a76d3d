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
  lld rustc                  # lld-linked and Rust crashes (test_stacks_unwind)
  g++ binutils util-linux procps tmux python3 curl
  chromium libjs-chart.js    # the collector dashboard and its browser test
  valgrind golang-go   # tests/scenarios/test_stacks_unwind.c
  strace coreutils           # relays under test (test_intake_load)
  libc6-dbg   # test_naming: the crash log's IFUNC variant and file:line
  pandoc                     # man pages generated from docs/*.md
  bash-completion dpkg-dev fakeroot  # completion; the .deb test
  clangd neovim emacs-nox elpa-eglot  # docs/editors.md recipes (tests/cli/editors.sh)
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
echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "setup: apt-get update"
$sudo apt-get update -qq
echo "setup: apt-get install (one line per package as it is set up)"
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" |
  { grep --line-buffered -E '^(Setting up|Unpacking) ' || true; }
echo "setup: done"
