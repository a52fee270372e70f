/**
 * What ends a command whose agent is gone. A small POSIX sh script, run as
 * `/bin/sh -c WATCH fleet-watch PID SILENCE GRACE` beside the command, with
 * its standard input a pipe that only the agent writes to: the SSH channel's
 * stdin on a host (sshd holds the other end for the agent), a pipe from the
 * agent locally. It reads until that input ends, or, when SILENCE (seconds)
 * is above 0 and the host has `timeout`, until no byte has come for SILENCE
 * seconds (the agent writes a heartbeat byte more often than that). Then:
 *
 * - if PID (the command, which leads its process group and session) has
 *   already ended, the command ended normally and the input closed after it:
 *   it exits quietly, so that what the user left running on purpose
 *   (`nohup daemon &`) lives on, as after plain `ssh`;
 * - else the agent died or lost the connection mid-command: it sends SIGTERM
 *   to the command's group and session, then SIGKILL after GRACE seconds.
 *
 * It ignores SIGTERM, SIGINT and SIGHUP (it is in the command's group on a
 * host, so its own TERM, and a stop's, reach it), and is ended by the KILL.
 * A zombie counts as ended: sshd reaps the command before it closes the
 * channel, but nothing is lost by being sure. Its argv holds no user data.
 */
export const ORPHAN_WATCH = [
  "trap '' TERM INT HUP",
  'if [ "$2" -gt 0 ] && command -v timeout >/dev/null 2>&1; then',
  // One byte at a time: `head -c 1` exits 0 with nothing at end of input, 124 (timeout's) on silence.
  '  while fleet_beat=$(timeout "$2" head -c 1 2>/dev/null) && [ -n "$fleet_beat" ]; do :; done',
  'else',
  '  while read -r fleet_beat; do :; done',
  'fi',
  'kill -0 "$1" 2>/dev/null || exit 0',
  'fleet_stat=',
  '{ read -r fleet_stat < "/proc/$1/stat"; } 2>/dev/null',
  'set -- "$1" "$3" ${fleet_stat##*) }',
  '[ "$3" = Z ] && exit 0',
  killSession('TERM'),
  'sleep "$2"',
  // pkill first: the session can hold groups other than the command's, and the KILL to the group ends this script too.
  killSession('KILL'),
].join('\n');

/** Signals the session and group led by `$1`, or `$1` and its children where it leads none (see `buildRemoteKill`). */
function killSession(signal: 'TERM' | 'KILL'): string {
  return `pkill -${signal} -s "$1" 2>/dev/null; kill -${signal} -"$1" 2>/dev/null || { kill -${signal} "$1"; pkill -${signal} -P "$1"; } 2>/dev/null`;
}

/** The byte the agent writes on a running command's input to say it is still there. */
export const ORPHAN_HEARTBEAT = '.';

/** How a watcher is set up: seconds, as `timeout` and `sleep` take them everywhere (whole numbers: POSIX `sleep`). */
export interface OrphanWatchTimes {
  /** Silence that ends the command, 0 for end of input only. */
  silenceSeconds: number;
  /** Between the watcher's SIGTERM and SIGKILL. */
  graceSeconds: number;
}

/** Whole seconds, at least one, for `timeout` and `sleep`. */
export function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The watcher's arguments after the script: `fleet-watch PID SILENCE GRACE` (PID as a word, e.g. `"$$"`). */
export function orphanWatchArgs(pid: string, times: OrphanWatchTimes): string[] {
  return ['fleet-watch', pid, String(times.silenceSeconds), String(times.graceSeconds)];
}
