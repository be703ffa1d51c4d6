#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer: builds `skav-fuzz` (release, -sanitize=fuzzer,address) in
# .build-fuzz and runs every target (scanner, command, conversation, sync, config), or the ones named:
#
#   bash Tests/fuzz-targets.sh                          # 10 s per target
#   bash Tests/fuzz-targets.sh --seconds-per-target 600 scanner sync
#   bash Tests/fuzz-targets.sh --runs 1000000 conversation
#   bash Tests/fuzz-targets.sh --unoptimized             # -Onone: builds in a third of the time
#
# Each target starts from its seed corpus Tests/Fuzz/corpus/<target> (read only) and grows a working
# corpus in .build-fuzz/corpus/<target>, kept between runs. Prints one line per target:
#   fuzz-target <target>: N executions, T s, ok
# and exits non-zero on a crash (a trap, an ASan report, a failed invariant, an input slower than 20 s),
# naming the input libFuzzer wrote; `.build/debug/skav-fuzz <target> <file>` (any build) replays it.
#
# SKAV_FUZZ_JOBS (default 1): how many targets run at once. SKAV_FUZZ_SANITIZERS (default fuzzer,address)
# is -sanitize; `fuzzer` alone (built in .build-fuzz-noasan) runs about twice as fast, for long runs on a
# small machine: Swift's own checks (overflow, bounds, unwraps) trap either way. --unoptimized builds
# with -Onone (in .build-fuzz-onone): about 80 s instead of 4 minutes here, for about 20 % fewer executions
# a second; the whole suite's short runs use it, long runs should not. ASAN_OPTIONS defaults to no leak
# checks (the Swift runtime's caches live for the process) and, for speed (Swift allocates a lot), no
# allocation stacks and a small quarantine; set ASAN_OPTIONS=detect_leaks=0 to replay a crash with full
# reports.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

limit=(-max_total_time=10)
describe="10 s per target"
targets=()
optimize=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds-per-target) limit=(-max_total_time="$2"); describe="$2 s per target"; shift 2 ;;
    --runs) limit=(-runs="$2"); describe="$2 runs per target"; shift 2 ;;
    --unoptimized) optimize=(-Xswiftc -Onone); shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "fuzz-targets: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(scanner command conversation sync config)
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
jobs="${SKAV_FUZZ_JOBS:-1}"
sanitizers="${SKAV_FUZZ_SANITIZERS:-fuzzer,address}"
# The corpus, crash inputs and logs live in .build-fuzz whichever build runs them.
scratch="$root/.build-fuzz"
build="$scratch"
if [ "$sanitizers" = fuzzer ]; then build="$root/.build-fuzz-noasan"; fi
if [ ${#optimize[@]} -gt 0 ]; then build="$build-onone"; fi
mkdir -p "$scratch" "$build"

# libFuzzer's runtime links with lld (gold fails on it); the toolchain ships ld.lld next to swift.
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
lld="$swift_bin/ld.lld"
if [ ! -x "$lld" ]; then lld="$(command -v ld.lld || true)"; fi
if [ -z "$lld" ]; then echo "fuzz-targets: ld.lld not found (it comes with the Swift toolchain)" >&2; exit 1; fi
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s" } }\n' "$lld" >"$build/toolset.json"

echo "fuzz-targets: building skav-fuzz with -sanitize=$sanitizers${optimize[*]:+ -Onone} ($describe)"
log="$(mktemp)"
if ! swift build -c release --product skav-fuzz --scratch-path "$build" --toolset "$build/toolset.json" \
  -Xswiftc -sanitize="$sanitizers" ${optimize[@]+"${optimize[@]}"} -Xcc -DSKAV_LIBFUZZER >"$log" 2>&1; then
  cat "$log" >&2
  echo "fuzz-targets: the build failed" >&2
  exit 1
fi
rm -f "$log"
binary="$build/release/skav-fuzz"

run_target() {
  local target="$1"
  local work="$scratch/corpus/$target" artifacts="$scratch/artifacts/$target"
  local out="$scratch/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$scratch/logs"
  local start status executions
  start=$(date +%s)
  status=0
  # The working corpus first: libFuzzer adds what it finds there, and only reads the seeds.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:malloc_context_size=0:quarantine_size_mb=8}" "$binary" "$target" "${limit[@]}" -timeout=20 -rss_limit_mb=2048 \
    -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "Tests/Fuzz/corpus/$target" \
    >"$out" 2>&1 || status=$?
  executions="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out" | grep -Eo '[0-9]+$' | tail -n 1 || true)"
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|invariant|runtime failure|SUMMARY|Test unit written|timeout' "$out" | head -20 >&2 || true
    echo "fuzz-target $target: CRASH after ${executions:-?} executions, $(( $(date +%s) - start )) s (log: $out)" >&2
    return 1
  fi
  echo "fuzz-target $target: ${executions:-?} executions, $(( $(date +%s) - start )) s, ok"
}

failed=0
if [ "$jobs" -le 1 ]; then
  for target in "${targets[@]}"; do run_target "$target" || failed=1; done
else
  pids=()
  for target in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    run_target "$target" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
fi
if [ "$failed" -ne 0 ]; then
  echo "fuzz-targets: a target crashed; the input is in $scratch/artifacts/<target>/" >&2
  exit 1
fi
echo "fuzz-targets: every target ran without a crash"
