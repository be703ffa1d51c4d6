#!/usr/bin/env bash
# Nightly fuzzing, in two parts:
# 1. coverage-guided: every libFuzzer target of Tests/fuzz-targets.sh (scanner, command, conversation,
#    sync, config) for SKAV_FUZZ_SECONDS (default 600) seconds each, growing its corpus in .build-fuzz;
# 2. property-based: every FuzzTests target (command parser, conversation, personal-data scanner, sync
#    JSON decoding) with 100,000 generated cases and a time-based seed, in a release build with testing
#    enabled. Prints one line per target:
#   fuzz <target>: N cases, seed S, F failures, T s
# and exits non-zero on any failure; each failure names its seed and case, and
#   SKAV_FUZZ_SEED=S SKAV_FUZZ_CASE=i swift test --filter FuzzTests
# replays it alone (in a debug build too).
#
# SKAV_FUZZ_CASES (default 100000), SKAV_FUZZ_SEED (default the time) and SKAV_FUZZ_CONFIG
# (release or debug, default release) change the property-based run; SKAV_FUZZ_SECONDS the libFuzzer run
# (0 skips it). Both parts run; the script fails when either fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cases="${SKAV_FUZZ_CASES:-100000}"
seed="${SKAV_FUZZ_SEED:-$(date +%s)}"
config="${SKAV_FUZZ_CONFIG:-release}"
flags=(-c "$config")
if [ "$config" = release ]; then flags+=(-Xswiftc -enable-testing); fi
start=$(date +%s)

libfuzzer_status=0
seconds="${SKAV_FUZZ_SECONDS:-600}"
if [ "$seconds" != 0 ]; then
  echo "fuzz: libFuzzer targets, $seconds s each"
  bash Tests/fuzz-targets.sh --seconds-per-target "$seconds" || libfuzzer_status=$?
fi

echo "fuzz: $cases cases per target, seed $seed, $config build"
log="$(mktemp)"
if ! swift build "${flags[@]}" --build-tests >"$log" 2>&1; then
  cat "$log" >&2
  echo "fuzz: the build failed" >&2
  exit 1
fi

status=0
SKAV_FUZZ_CASES="$cases" SKAV_FUZZ_SEED="$seed" swift test "${flags[@]}" --skip-build --filter FuzzTests >"$log" 2>&1 \
  || status=$?
grep -E '^fuzz [^ ]+: [0-9]+ cases, seed' "$log" | sort || true
if [ "$status" -ne 0 ]; then
  # The failing cases (seed, index, input), or where a crash stopped the run.
  grep -E '^↳ fuzz|^fuzz [^ ]+: starting|Fatal error|Crash|signal' "$log" | head -60 >&2 || true
  echo "fuzz: FAILED after $(( $(date +%s) - start )) s (seed $seed); the whole log: $log" >&2
  exit "$status"
fi
rm -f "$log"
if [ "$libfuzzer_status" -ne 0 ]; then
  echo "fuzz: a libFuzzer target crashed (see above); the property-based targets passed" >&2
  exit "$libfuzzer_status"
fi
echo "fuzz: all targets passed in $(( $(date +%s) - start )) s (seed $seed)"
