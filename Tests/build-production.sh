#!/usr/bin/env bash
# The production build of the README, into .build/production (its own folder: the flags differ from a plain
# release build's, and sharing one would rebuild everything at each switch): the Swift runtime and Foundation
# linked into the binary (--static-swift-stdlib), a section per function in every module, the packages'
# too (Package.swift asks it of Skav's own), which the release link lays out by use (Sources/skav/link).
# Prints the binary's path; the build's output only when it fails. Extra arguments go to `swift build`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift build -c release --product skav --static-swift-stdlib --scratch-path "$root/.build/production" \
  -Xswiftc -Xfrontend -Xswiftc -function-sections "$@" >"$log" 2>&1; then
  cat "$log" >&2
  echo "skav: the production build failed" >&2
  exit 1
fi
echo "$root/.build/production/release/skav"
