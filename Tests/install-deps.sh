#!/usr/bin/env bash
# Installs what Skav needs on a fresh Debian machine and is missing: the libcurl and SQLite development
# files (Debian packages) and, with --e2e, a Python venv with Synapse, matrix-nio, mattermostautodriver and
# pytest for the end-to-end tests. Safe to run again: it only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need=()
for package in libcurl4-openssl-dev libsqlite3-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "skav: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${1:-}" = "--e2e" ]; then
  venv="${SKAV_VENV:-$HOME/.cache/skav/venv}"
  requirements="$here/e2e/requirements.txt"
  stamp="$venv/.skav-requirements"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
    echo "skav: preparing the test venv at $venv (Synapse, matrix-nio, mattermostautodriver, pytest)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip >/dev/null
    "$venv/bin/pip" install -q -r "$requirements"
    cp "$requirements" "$stamp"
  fi
fi
