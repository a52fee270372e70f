#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for fleet: the system packages the
# CLI and the tests use (installed only when missing), then the npm packages,
# which also builds every workspace. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# redis-server: fleet's embedded default and every integration test.
# openssh-server, openssh-client: the tests' loopback fleet of sshd hosts.
# util-linux, procps: unshare and pgrep, which the tests use.
# openssl: the TLS test makes its own CA.
# zsh: the login shell of the third test user (below).
# clustershell: clush, which the --group test runs to hold fleet to clush -b,
#   and nodeset, which holds ranges and @groups to ClusterShell's.
# ansible-core: ansible-inventory, which holds --inventory to Ansible's reading.
# iproute2: ip netns, the network namespaces the jump-host tests hide targets in.
# dropbear-bin: Dropbear, the sshd of OpenWrt and embedded boards, which the
#   stop and timeout tests run beside OpenSSH (test/support/dropbear-host.ts).
# busybox: the shell and tools of the same small hosts, which the orphan
#   watcher's tests run under (packages/core/src/orphan-watch.test.ts).
packages=(redis-server openssh-server openssh-client util-linux procps openssl zsh clustershell ansible-core iproute2 dropbear-bin busybox)

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

# The tests' sshd hosts log in as these unprivileged users, one per login
# shell (bash, dash, zsh), so that commands are tested under each, as ssh
# would run them there.
for user_shell in fleet-test:/bin/bash fleet-test-dash:/bin/dash fleet-test-zsh:/bin/zsh; do
  test_user=${user_shell%%:*}
  if ! id "$test_user" >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bootstrap: creating the test login user $test_user" >&2
    $sudo useradd --create-home --shell "${user_shell#*:}" "$test_user"
    # "*" (no password) rather than the locked "!": sshd without PAM refuses locked accounts.
    $sudo usermod -p "*" "$test_user"
  fi
done

export TURBO_TELEMETRY_DISABLED=1
npm ci --no-audit --no-fund
