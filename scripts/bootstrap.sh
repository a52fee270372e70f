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
# sudo: invoke --sudo's tests run the real one on the loopback hosts (the
#   sudoers rules below let the test users become fleet-test-dash, never root).
# chromium: the browser test/serve-page.test.ts drives with playwright-core
#   (Playwright's own browser download is not reachable from CI).
packages=(redis-server openssh-server openssh-client util-linux procps openssl zsh clustershell ansible-core iproute2 dropbear-bin busybox sudo chromium)

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
# fleet-test-sudo and fleet-test-nopasswd are invoke --sudo's: see the sudoers
# rules below. The --sudo test gives fleet-test-sudo a fresh random password
# each run.
for user_shell in fleet-test:/bin/bash fleet-test-dash:/bin/dash fleet-test-zsh:/bin/zsh fleet-test-sudo:/bin/bash fleet-test-nopasswd:/bin/bash; do
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

# The --sudo tests' rules: each lets one test user run commands as the
# unprivileged fleet-test-dash only, never as root, so that the tests give
# this machine no new way to root. fleet-test gets no rule (the "not allowed"
# case). fleet-test-sudo's attempts are logged to /var/log/fleet-test-sudo.log,
# one line each, so that a test can count the failed attempts a wrong
# password makes. Checked with visudo before it goes in: a broken drop-in
# would break every sudo on the machine.
sudoers_rules='# Written by fleet'"'"'s scripts/bootstrap.sh for its --sudo tests.
Defaults:fleet-test-sudo logfile=/var/log/fleet-test-sudo.log, loglinelen=0
fleet-test-sudo ALL=(fleet-test-dash) ALL
fleet-test-nopasswd ALL=(fleet-test-dash) NOPASSWD: ALL'
if [ "$(cat /etc/sudoers.d/fleet-test 2>/dev/null)" != "$sudoers_rules" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: writing the sudoers rules of the --sudo tests (/etc/sudoers.d/fleet-test)" >&2
  rules_file=$(mktemp)
  printf '%s\n' "$sudoers_rules" > "$rules_file"
  visudo -cqf "$rules_file"
  $sudo install -m 0440 -o root -g root "$rules_file" /etc/sudoers.d/fleet-test
  rm -f "$rules_file"
fi
# sudo creates its log mode 0600; made first, readable, so a test run as another user can read it.
if [ ! -e /var/log/fleet-test-sudo.log ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo install -m 0644 -o root -g root /dev/null /var/log/fleet-test-sudo.log
fi

export TURBO_TELEMETRY_DISABLED=1
npm ci --no-audit --no-fund
