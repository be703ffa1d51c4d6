#!/usr/bin/env bash
# Benchmark of the real bot on a local Synapse: reply latency (median/p95/p99), throughput, peak RSS.
# Builds a release binary first. Extra arguments go to Tests/e2e/bench.py (--people N --concurrency C).
# `--crash-guard [EVENTS]`: the happy-path cost of the quarantine's breadcrumb per handled event instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${1:-}" = "--crash-guard" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  cc -O2 -I Sources/CCrashGuard/include Tests/bench/crashguard_bench.c Sources/CCrashGuard/crashguard.c -o "$out/bench"
  # The breadcrumb lives next to the database, so measure on the disk of the working tree.
  "$out/bench" "$root/.crashguard-bench-inflight" "${2:-1000000}"
  exit 0
fi
bash Tests/install-deps.sh --e2e
swift build -c release --product skav >/dev/null
venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"
SKAV_BIN="$root/.build/release/skav" exec "$venv/bin/python" Tests/e2e/bench.py "$@"
