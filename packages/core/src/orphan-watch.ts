import { readProcStatLines } from './proc-stat-shell.js';
import { killSessionLine } from './session-kill.js';

/** The PID argument that makes the watcher read the pid from its input's first line (see ORPHAN_WATCH). */
export const ORPHAN_PID_FROM_INPUT = '-';

/**
 * What ends a command whose agent is gone. A small POSIX sh script, run as
 * `/bin/sh -c WATCH fleet-watch PID SILENCE GRACE` beside the command, with
 * its standard input a pipe that only the agent writes to: the SSH channel's
 * stdin on a host (sshd holds the other end for the agent), a pipe from the
 * agent locally. It reads until that input ends, or, when SILENCE (seconds)
 * is above 0, until no byte has come for SILENCE seconds (the agent writes a
 * heartbeat byte more often than that). Then:
 *
 * - if PID (the command, which leads its process group and session) has
 *   already ended, the command ended normally and the input closed after it:
 *   it exits quietly, so that what the user left running on purpose
 *   (`nohup daemon &`) lives on, as after plain `ssh`;
 * - else the agent died or lost the connection mid-command: it sends SIGTERM
 *   to the command's group and session, then SIGKILL after GRACE seconds.
 *
 * Silence is timed with `timeout -s KILL SILENCE head -c 1`, one byte at a
 * time. KILL, not timeout's default TERM: BusyBox 1.30 and later exec the
 * program in timeout's own pid, where it would inherit this script's ignored
 * TERM and never end. The KILL's status, 137 (GNU, BusyBox and uutils
 * alike), counts as silence, as does 124 (a `timeout` that reports its
 * timeout so, as POSIX.1-2024 and FreeBSD's do) and 143 (a stop's TERM,
 * which reaches `timeout` in the command's session: the watcher then
 * follows it with its own TERM and KILL, as before). A read that ends any
 * other way, with no byte, goes on with the shell's own `read` to the end
 * of the input: at a real end that returns at once, and where the tools do
 * not work (BusyBox before 1.30 takes `timeout -t SECS` and runs `SILENCE`
 * as the program; some BusyBox builds have no `head -c`; status 127 or 1),
 * the watcher still ends the command when the input ends, and a tool's
 * failure never kills. There is no separate probe: on a host, each process
 * the watcher starts is paid by every command, however short (a fork and
 * an exec cost milliseconds on a small VM), so the first read is the probe.
 *
 * The command's start time (/proc/PID/stat field 22) is noted when the
 * watcher starts and compared before each signal, so that a pid reused by
 * another process after the command ended is never signalled (where there is
 * no /proc, `kill -0` alone decides). It ignores SIGTERM, SIGINT and SIGHUP
 * (it is in the command's group on a host, so its own TERM, and a stop's,
 * reach it), and is ended by the KILL. Under `--sudo` it runs in a session
 * of its own instead (sudo relays no signal sent from its own group), and
 * ends when the channel's input does. A zombie counts as ended: sshd reaps
 * the command before it closes the channel, but nothing is lost by being
 * sure. Its argv holds no user data.
 *
 * PID `-` (`ORPHAN_PID_FROM_INPUT`) makes the watcher read the command's pid
 * from the first line of its input instead. The agent starts a local
 * watcher that way, before the command, and writes the pid in the same
 * synchronous step that spawned it: an agent killed right after the command
 * started (before a watcher started after it could be spawned) would
 * otherwise leave the command unwatched. Input that ends before the pid
 * means no command was started: the watcher exits.
 */
export const ORPHAN_WATCH = [
  "trap '' TERM INT HUP",
  `if [ "$1" = ${ORPHAN_PID_FROM_INPUT} ]; then`,
  '  read -r fleet_pid || exit 0',
  '  set -- "$fleet_pid" "$2" "$3"',
  'fi',
  // Sets fleet_state and fleet_start of the process $1, empty where unknown.
  'fleet_proc() {',
  ...readProcStatLines('$1').map((line) => `  ${line}`),
  '  fleet_state=${1-}',
  '  fleet_start=',
  '  if [ "$#" -ge 20 ]; then shift 19; fleet_start=$1; fi',
  '}',
  // Whether $1 is still the command that was watched: alive, not a zombie, same start time.
  'fleet_same() {',
  '  kill -0 "$1" 2>/dev/null || return 1',
  '  fleet_proc "$1"',
  '  [ "$fleet_state" != Z ] && [ "$fleet_start" = "$fleet_started" ]',
  '}',
  'fleet_proc "$1"',
  'fleet_started=$fleet_start',
  // One byte at a time, each within SILENCE seconds: a byte goes on; timeout's KILL (137), a
  // timeout's 124, or a stop's TERM (143) ends the watch; anything else (end of input, or
  // tools that do not work here) goes on to the end of input.
  'fleet_silent=',
  'if [ "$2" -gt 0 ]; then',
  '  while :; do',
  '    fleet_beat=$(timeout -s KILL "$2" head -c 1 2>/dev/null)',
  '    case $? in',
  '    0) [ -n "$fleet_beat" ] || break ;;',
  '    124 | 137 | 143) fleet_silent=1; break ;;',
  '    *) break ;;',
  '    esac',
  '  done',
  'fi',
  '[ -n "$fleet_silent" ] || while read -r fleet_beat; do :; done',
  'fleet_same "$1" || exit 0',
  killSessionLine('"$1"', 'TERM'),
  'sleep "$3"',
  // Gone and its pid taken by another process since: nothing of the command is left (its group and session went with it).
  'fleet_proc "$1"',
  '[ -z "$fleet_start" ] || [ "$fleet_start" = "$fleet_started" ] || exit 0',
  killSessionLine('"$1"', 'KILL'),
].join('\n');

/**
 * The byte the agent writes on a running command's input to say it is still
 * there. Never a newline: the watcher reads each byte through `$(...)`,
 * which drops a trailing newline, and would take it for no byte at all.
 */
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
