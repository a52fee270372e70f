#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for fleet: the system packages the
# CLI and the tests use (installed only when missing), then the npm packages,
# which also builds every workspace. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server: fleet's embedded default and every integration test.
# util-linux: unshare, which the embedded-Redis test runs fleet under.
packages=(redis-server util-linux)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
npm ci --no-audit --no-fund
