#!/usr/bin/env bash
# The production build of the README, into .build/production (its own folder: the flags differ from a plain
# release build's, and sharing one would rebuild everything at each switch): the Swift runtime and Foundation
# linked into the binary (--static-swift-stdlib), a section per function in every module, the packages' and
# the C targets' too (Package.swift asks it of Skav's Swift modules), which the release link lays out by use
# (Sources/skav/link), and the relative relocations packed when this machine's glibc can read them (2.36 or
# later; the binary then needs as much where it runs).
# Prints the binary's path; the build's output when it fails, its warnings when it does not. Extra arguments
# go to `swift build`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="$root/.build/production"
flags=(-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
if [ -n "$glibc" ] && [ "$(printf '%s\n2.36\n' "$glibc" | sort -V | head -n 1)" = 2.36 ]; then
  flags+=(-Xlinker -z -Xlinker pack-relative-relocs)
fi
# swiftc keeps an object file whose code did not change, whatever new flags say (its hash leaves out
# -function-sections): a folder built with other flags starts again from nothing.
stamp="$scratch/flags"
if [ "$(cat "$stamp" 2>/dev/null)" != "${flags[*]}" ]; then rm -rf "$scratch"; fi
mkdir -p "$scratch"
printf '%s' "${flags[*]}" > "$stamp"
# SwiftPM does not know that the link reads Sources/skav/link: a newer order links again.
binary="$scratch/release/skav"
if [ -e "$binary" ] && [ -n "$(find Sources/skav/link -newer "$binary" -print -quit)" ]; then rm -f "$binary"; fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift build -c release --product skav --static-swift-stdlib --scratch-path "$scratch" "${flags[@]}" "$@" \
  >"$log" 2>&1; then
  cat "$log" >&2
  echo "skav: the production build failed" >&2
  exit 1
fi
grep "warning:" "$log" >&2 || true
echo "$binary"
