#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors (Package.swift treats
# every warning of ours as an error), runs the Swift unit tests, every libFuzzer target briefly (a crash
# fails the suite) and the end-to-end tests against a real Synapse on 127.0.0.1 driven by matrix-nio and
# against a fake Mattermost driven by mattermostautodriver (the same scenarios on both servers), four at a
# time (pytest-xdist), then the few that compare timings alone; then the production build, and a part of the
# end-to-end tests against it. Prints how long each part took; exits
# non-zero on any failure. SKAV_E2E_WORKERS (default 4: the tests mostly wait) sets how many end-to-end tests run at once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start=$(date +%s)
# How long each part took, printed at the end.
parts=()
mark=$start
part() { local now; now=$(date +%s); parts+=("$1 $(( now - mark )) s"); mark=$now; }

bash Tests/install-deps.sh --e2e
part "set-up"
venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"

echo "== build (warnings are errors)"
log="$(mktemp)"
if ! swift build --build-tests >"$log" 2>&1; then
  cat "$log" >&2
  echo "skav: the build failed" >&2
  exit 1
fi
if grep -q "warning:" "$log"; then
  grep "warning:" "$log" >&2
  echo "skav: the build has warnings" >&2
  exit 1
fi
tail -n 1 "$log"
test -x .build/debug/skav
part "build"

echo "== unit tests"
swift test --skip-build
part "unit tests"

echo "== fuzz targets (libFuzzer, about 10 s each; bash Tests/fuzz.sh runs them long)"
# Unoptimized: a short run loses little to -Onone, and the build takes a third of the time.
bash Tests/fuzz-targets.sh --unoptimized --seconds-per-target "${SKAV_FUZZ_SECONDS:-10}"
part "fuzz targets"

echo "== end-to-end tests (Synapse with matrix-nio, and a fake Mattermost with mattermostautodriver, on 127.0.0.1)"
# Each worker has its own Synapse and fake Mattermost; the tests marked `serial` compare timings and run
# alone afterwards, so another test's load moves neither of their figures.
export SKAV_BIN="$root/.build/debug/skav"
"$venv/bin/python" -m pytest Tests/e2e -q -p no:cacheprovider -n "${SKAV_E2E_WORKERS:-4}" --dist worksteal -m "not serial"
"$venv/bin/python" -m pytest Tests/e2e -q -p no:cacheprovider -m serial
part "end-to-end tests"

echo "== the production build (Tests/build-production.sh), and the capture, crash and Mattermost tests against it"
# Its link differs (lld, the code laid out by use, only main exported; the Swift libraries linked in): what
# the README tells operators to run passes the tests that kill it mid-batch and drive both servers.
SKAV_BIN="$(bash Tests/build-production.sh)"
export SKAV_BIN
"$venv/bin/python" -m pytest Tests/e2e/test_capture.py Tests/e2e/test_crash.py Tests/e2e/test_mattermost.py -q \
  -p no:cacheprovider -n "${SKAV_E2E_WORKERS:-4}" --dist worksteal -m "not serial"
part "production build"
echo "skav: ${parts[*]/%/,}" | sed 's/,$//'

echo "skav: the whole suite passed in $(( $(date +%s) - start )) s"
