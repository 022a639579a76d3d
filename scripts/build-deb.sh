#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-deb.sh [WORKDIR [OUTDIR]] -- builds the Debian packages tmwatch
# and libtmwatch-dev from this tree.
#
# Configures WORKDIR (default build-deb/) for prefix /usr without tests or
# examples, builds it, installs into a staging tree and splits that into
# the two packages with dpkg-deb (no debhelper needed; dpkg-shlibdeps
# computes the library dependencies):
#   tmwatch         the binaries, shim, modules, shared library, man pages
#                   (1, 8), bash completion, systemd user units (disabled),
#                   docs and the example upload config;
#   libtmwatch-dev  headers, static library, libtmwatch.so, pkg-config
#                   and CMake files, libtmwatch(3).
# Writes OUTDIR/tmwatch_VERSION_ARCH.deb and libtmwatch-dev_...deb
# (default OUTDIR: WORKDIR) and prints their paths.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${1:-$src/build-deb}")
out=$(realpath -m "${2:-$work}")
say() { printf 'build-deb: %s\n' "$*" >&2; }

say "configuring $work (prefix /usr)"
cmake -S "$src" -B "$work" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX=/usr -DTMWATCH_TESTS=OFF -DTMWATCH_EXAMPLES=OFF \
  >/dev/null
say "building with $(nproc) jobs"
cmake --build "$work" -j"$(nproc)" >/dev/null
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$work/CMakeCache.txt")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
say "installing into a staging tree"
DESTDIR="$stage/all" cmake --install "$work" >/dev/null

# Moves the files and symlinks matching the find(1) expression from all/ to PKG/.
take() {
  local pkg=$1; shift
  (cd "$stage/all" && find . \( -type f -o -type l \) \( "$@" \) -print) | while read -r f; do
    mkdir -p "$stage/$pkg/$(dirname "$f")"
    mv "$stage/all/$f" "$stage/$pkg/$f"
  done
}
take libtmwatch-dev -path './usr/include/*' -o -name 'libtmwatch.a' \
  -o -name 'libtmwatch.so' -o -path '*/pkgconfig/*' \
  -o -path '*/cmake/tmwatch/*' -o -path '*/man3/*'
take tmwatch -true
for pkg in tmwatch libtmwatch-dev; do
  doc="$stage/$pkg/usr/share/doc/$pkg"
  mkdir -p "$doc"
  cat >"$doc/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tmwatch

Files: *
License: MIT
EOT
  find "$stage/$pkg/usr/share/man" -type f -name '*.[0-9]' \
    -exec gzip -9n {} + 2>/dev/null || true
done

# dpkg-shlibdeps wants a debian/control to stand in.
deps() {
  local pkg=$1 elfs
  elfs=$(find "$stage/$pkg" -type f \( -perm -u+x -o -name '*.so*' \) \
    -exec sh -c 'head -c 4 "$1" | grep -q ELF' sh {} \; -print)
  [ -n "$elfs" ] || return 0
  mkdir -p "$stage/shl/debian"
  printf 'Source: tmwatch\n\nPackage: %s\nArchitecture: any\n' "$pkg" \
    >"$stage/shl/debian/control"
  # shellcheck disable=SC2086
  (cd "$stage/shl" && dpkg-shlibdeps -O --ignore-missing-info \
    -l"$stage/tmwatch/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)" \
    $elfs 2>/dev/null) |
    sed -n 's/^shlibs:Depends=//p'
}
control() {
  local pkg=$1 depends=$2 desc=$3
  mkdir -p "$stage/$pkg/DEBIAN"
  cat >"$stage/$pkg/DEBIAN/control" <<EOT
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: tmwatch developers <tmwatch@localhost>
Section: devel
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$stage/$pkg" | cut -f1)
Depends: $depends
Homepage: https://localhost/tmwatch
Description: $desc
EOT
}
control tmwatch "$(deps tmwatch)" "crash-reporting watchdog for Linux programs
 tmwatch runs a program under a small watchdog (or with its shim in
 LD_PRELOAD) and counts each crash as a privacy-preserving stack counter
 in a local counter store; weekly reports are uploaded only in mode on."
control libtmwatch-dev "tmwatch (= $version)" "development files for libtmwatch
 Headers, static library, pkg-config and CMake files for programs that
 count their own events and crashes with libtmwatch."
mkdir -p "$out"
for pkg in tmwatch libtmwatch-dev; do
  f="$out/${pkg}_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$stage/$pkg" "$f" >/dev/null
  say "wrote $f"
  echo "$f"
done
