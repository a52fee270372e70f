#!/usr/bin/env bash
# Starts a small SSH fleet on this machine for trying fleet: N OpenSSH sshd
# "hosts" on 127.0.1.1 ... 127.0.1.N, each with its own host key, logging in as
# the fleet-test user that scripts/bootstrap.sh creates. Prints what to type.
#
#   scripts/demo-fleet.sh [N]    start N hosts (default 5)
#   scripts/demo-fleet.sh stop   stop them
#
# Its files (keys, ssh_config, known_hosts) go in a private directory made
# with mktemp -d, whose path is recorded in fleet's state directory
# ($FLEET_STATE_DIR, else ~/.local/state/fleet) as demo-dir, so that a later
# start reuses it and stop finds it. Never a fixed /tmp path: another local
# user could make it first, with links that would have root write through
# them. FLEET_DEMO_DIR names the directory instead; it must be yours, not a
# link, writable by no one else, and hold no links. FLEET_DEMO_PORT (default
# 2222) moves the port. sshd needs root: sudo is used when you are not root.
set -euo pipefail
port=${FLEET_DEMO_PORT:-2222}
user=fleet-test
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
state=${FLEET_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/fleet}
record=$state/demo-dir

die() { echo "demo-fleet: $*" >&2; exit 2; }

# A directory of the user's own: no link, owned by the user, writable by no one
# else, and holding no links (nothing another user could have planted).
check_private_dir() {
  local path=$1 what=$2
  [ -L "$path" ] && die "$what $path is a symbolic link; use a directory of your own"
  [ -d "$path" ] || die "$what $path is not a directory"
  [ "$(stat -c %u "$path")" = "$(id -u)" ] || die "$what $path is owned by $(stat -c %U "$path"), not by you; use a directory of your own"
  case "$(stat -c %A "$path")" in
    ?????w???? | ????????w?) die "$what $path is writable by others; run: chmod go-w '$path'" ;;
  esac
  if [ -n "$(find "$path" -mindepth 1 -maxdepth 1 -type l -print -quit)" ]; then
    die "$what $path holds symbolic links, which the demo would write through; use an empty directory of your own"
  fi
}

# The demo's directory: FLEET_DEMO_DIR, else the one recorded by an earlier start.
known_dir() {
  if [ -n "${FLEET_DEMO_DIR:-}" ]; then
    printf '%s\n' "$FLEET_DEMO_DIR"
  elif [ -f "$record" ] && [ ! -L "$record" ]; then
    cat "$record"
  fi
}

# A listener's established sessions and what runs in them: every process
# below it, found by parent pid (the deepest first), then the listener itself.
# Killing the listener alone leaves its sessions, and their commands, running.
stop_host() {
  for child in $(pgrep -P "$1"); do stop_host "$child"; done
  $sudo kill "$1" 2>/dev/null || true
}

# The host a pid file names, if that pid is still an sshd (not a reused pid).
stop_recorded_host() {
  [ -f "$1" ] && [ ! -L "$1" ] || return 0
  pid=$(cat "$1")
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && stop_host "$pid" || true
}

if [ "${1:-}" = "stop" ]; then
  dir=$(known_dir)
  [ -n "$dir" ] || { echo "no demo fleet recorded in $record"; exit 0; }
  check_private_dir "$dir" "the demo directory"
  for pidfile in "$dir"/sshd_*.pid; do
    stop_recorded_host "$pidfile"
  done
  echo "demo fleet stopped ($dir)"
  exit 0
fi

count=${1:-5}
case "$count" in '' | *[!0-9]*) echo "usage: $0 [N | stop]" >&2; exit 2 ;; esac
if [ "$count" -lt 1 ] || [ "$count" -gt 254 ]; then echo "N is 1 to 254" >&2; exit 2; fi
id "$user" >/dev/null 2>&1 || { echo "no user $user: run scripts/bootstrap.sh first" >&2; exit 2; }

mkdir -p -m 700 "$state"
check_private_dir "$state" "fleet's state directory"
dir=$(known_dir)
if [ -n "${FLEET_DEMO_DIR:-}" ] && [ ! -e "$dir" ] && [ ! -L "$dir" ]; then
  mkdir -m 700 "$dir"
elif [ -z "$dir" ] || [ ! -d "$dir" ] || [ -L "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fleet-demo.XXXXXXXXXX")
fi
check_private_dir "$dir" "the demo directory"
[ -n "${FLEET_DEMO_DIR:-}" ] || { rm -f "$record" && printf '%s\n' "$dir" > "$record"; }
# sshd reads authorized_keys as the fleet-test user: it may pass through, not list.
chmod 711 "$dir"
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
  stop_recorded_host "$dir/sshd_$i.pid"
  $sudo /usr/sbin/sshd -f /dev/null \
    -o "ListenAddress=$address:$port" -o "HostKey=$dir/host_$i" -o "PidFile=$dir/sshd_$i.pid" \
    -o "AuthorizedKeysFile=$dir/authorized_keys" -o "AllowUsers=$user" -o StrictModes=no -o UsePAM=no \
    -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
    -o "Subsystem=sftp internal-sftp"
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

(The prefix gives the demo agents and jobs of their own. The hosts take
SFTP, so \`npx fleet deploy -f $dir/computers.txt\` puts agents on them.) Stop the hosts with: $0 stop
DONE
