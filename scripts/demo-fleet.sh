#!/usr/bin/env bash
# Starts a small SSH fleet on this machine for trying fleet: N OpenSSH sshd
# "hosts" on 127.0.1.1 ... 127.0.1.N, each with its own host key, logging in as
# the fleet-test user that scripts/bootstrap.sh creates. Prints what to type.
#
#   scripts/demo-fleet.sh [N]    start N hosts (default 5)
#   scripts/demo-fleet.sh stop   stop them
#
# FLEET_DEMO_DIR (default /tmp/fleet-demo) and FLEET_DEMO_PORT (default 2222)
# move it elsewhere. sshd needs root: sudo is used when you are not root.
set -euo pipefail
dir=${FLEET_DEMO_DIR:-/tmp/fleet-demo}
port=${FLEET_DEMO_PORT:-2222}
user=fleet-test
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

if [ "${1:-}" = "stop" ]; then
  for pidfile in "$dir"/sshd_*.pid; do
    [ -e "$pidfile" ] && $sudo kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  echo "demo fleet stopped"
  exit 0
fi

count=${1:-5}
case "$count" in '' | *[!0-9]*) echo "usage: $0 [N | stop]" >&2; exit 2 ;; esac
if [ "$count" -lt 1 ] || [ "$count" -gt 254 ]; then echo "N is 1 to 254" >&2; exit 2; fi
id "$user" >/dev/null 2>&1 || { echo "no user $user: run scripts/bootstrap.sh first" >&2; exit 2; }

mkdir -p "$dir"
chmod 755 "$dir"
[ -e "$dir/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C fleet-demo -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
chmod 644 "$dir/authorized_keys"
$sudo mkdir -p /run/sshd
: > "$dir/known_hosts"
: > "$dir/computers.txt"
for i in $(seq 1 "$count"); do
  address=127.0.1.$i
  [ -e "$dir/host_$i" ] || ssh-keygen -q -t ed25519 -N '' -C '' -f "$dir/host_$i"
  echo "[$address]:$port $(cut -d' ' -f1,2 "$dir/host_$i.pub")" >> "$dir/known_hosts"
  echo "$address" >> "$dir/computers.txt"
  [ -e "$dir/sshd_$i.pid" ] && $sudo kill "$(cat "$dir/sshd_$i.pid")" 2>/dev/null || true
  $sudo /usr/sbin/sshd -f /dev/null \
    -o "ListenAddress=$address:$port" -o "HostKey=$dir/host_$i" -o "PidFile=$dir/sshd_$i.pid" \
    -o "AuthorizedKeysFile=$dir/authorized_keys" -o "AllowUsers=$user" -o StrictModes=no -o UsePAM=no \
    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
done
cat > "$dir/ssh_config" <<CONFIG
Host 127.0.1.*
  Port $port
  User $user
  IdentityFile $dir/client_key
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
CONFIG

cat <<DONE
$count sshd hosts on 127.0.1.1-$count:$port. In this shell:

  export FLEET_SSH_CONFIG=$dir/ssh_config FLEET_PREFIX='{fleet-demo}'
  npx fleet invoke -f $dir/computers.txt -- uname -a

(Agents read FLEET_SSH_CONFIG when they start; the prefix gives the demo
agents and jobs of their own.) Stop the hosts with: $0 stop
DONE
