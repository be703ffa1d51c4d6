#!/usr/bin/env bash
# Benchmark of the real bot on a local Synapse: reply latency (median/p95/p99), throughput, peak RSS.
# Builds a release binary first. Extra arguments go to Tests/e2e/bench.py (--people N --concurrency C).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash Tests/install-deps.sh --e2e
swift build -c release --product skav >/dev/null
venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"
SKAV_BIN="$root/.build/release/skav" exec "$venv/bin/python" Tests/e2e/bench.py "$@"
