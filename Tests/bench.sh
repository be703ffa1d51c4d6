#!/usr/bin/env bash
# Benchmark of the real bot on a local Synapse: reply latency (median/p95/p99), throughput, peak RSS.
# Builds a release binary first. Extra arguments go to Tests/e2e/bench.py (--people N --concurrency C).
# `--crash-guard [EVENTS]`: the happy-path cost of the quarantine's breadcrumb per handled event instead.
# `--scale N [skav-bench options]`: Skav at the size of the customer: seeds an organisation of N ideas (30,000
# people, 40 units) through the store's own code, cached under ~/.cache/skav/bench, and prints the similar-idea
# lookup, the reply after `klar`, `skav digest --print` for a week and four weeks, the CSV export (time and
# peak memory) and the database size per table. `--parts lookup,reply` (any of sizes, lookup, reply, digest,
# export) prints only those figures.
# `--fake [options]`: the real bot against the fake homeserver of Tests/bench/fake_homeserver.py (no Synapse):
# replies/s, CPU per message, reply latency and peak RSS for N people; an announcement to N followers; one
# rate-limited room. Options go to Tests/bench/fake_bench.py (--people --followers --announcements --latency-ms --bursts
# --parallel-sends --think-ms --duration --scenario). SKAV_BIN runs another binary (no build then).
# `--callgrind [options]`: the same fake homeserver, the bot under valgrind's callgrind: instructions per message
# answered (stable on a busy machine, unlike CPU time). Options go to Tests/bench/callgrind_fake.py (--people
# --messages --warmup --think-ms --text --out).
# `--link-order`: rewrites Sources/skav/link/hot.order and hot-unnamed.ld from a profile of the production build
# (Tests/bench/link_order.py; about five minutes).
# The --fake and --callgrind modes build the production configuration of the README (Tests/build-production.sh:
# static Swift libraries, a section per function, into .build/production) unless SKAV_BIN names a binary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${1:-}" = "--link-order" ]; then
  shift
  bash Tests/install-deps.sh --e2e
  exec "${SKAV_VENV:-$HOME/.cache/skav/venv}/bin/python" Tests/bench/link_order.py "$@"
fi
if [ "${1:-}" = "--crash-guard" ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  cc -O2 -I Sources/CCrashGuard/include Tests/bench/crashguard_bench.c Sources/CCrashGuard/crashguard.c -o "$out/bench"
  # The breadcrumb lives next to the database, so measure on the disk of the working tree.
  "$out/bench" "$root/.crashguard-bench-inflight" "${2:-1000000}"
  exit 0
fi
if [ "${1:-}" = "--scale" ]; then
  ideas="${2:?usage: Tests/bench.sh --scale N}"
  shift 2
  bash Tests/install-deps.sh
  swift build -c release --product skav >/dev/null
  swift build -c release --product skav-bench >/dev/null
  exec "$root/.build/release/skav-bench" scale --ideas "$ideas" --skav "$root/.build/release/skav" \
    --cache "${XDG_CACHE_HOME:-$HOME/.cache}/skav/bench" "$@"
fi
if [ "${1:-}" = "--fake" ] || [ "${1:-}" = "--callgrind" ]; then
  script=Tests/bench/fake_bench.py
  [ "$1" = "--callgrind" ] && script=Tests/bench/callgrind_fake.py
  shift
  venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"
  if [ -z "${SKAV_BIN:-}" ]; then
    bash Tests/install-deps.sh --e2e
    SKAV_BIN="$(bash Tests/build-production.sh)"
    export SKAV_BIN
  fi
  exec "$venv/bin/python" "$script" "$@"
fi
bash Tests/install-deps.sh --e2e
swift build -c release --product skav >/dev/null
venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"
SKAV_BIN="$root/.build/release/skav" exec "$venv/bin/python" Tests/e2e/bench.py "$@"
