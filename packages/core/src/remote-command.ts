import { hasShebang, type HostCommandSpec, type RunSpec } from './command-spec.js';
import { ORPHAN_WATCH, orphanWatchArgs, type OrphanWatchTimes } from './orphan-watch.js';
import { readProcStatLines } from './proc-stat-shell.js';
import { encodeSetupHeader, readSetupHeader } from './remote-setup-header.js';
import { SUDO_CHECKED_MARKER, SUDO_PROMPT_MARKER, sudoInput, sudoSteps } from './remote-sudo.js';
import { killSessionLine } from './session-kill.js';
import { quoteShellWord } from './shell-quote.js';

/**
 * Lines the remote wrapper writes on stderr before the command starts. They
 * begin with the record separator (0x1e), which no one types, and are taken
 * out of the output.
 */
export const REMOTE_MARKER = '\u001efleet:';

/**
 * The line the wrapper writes first on stdout: whatever comes before it is the
 * login shell's, printed while it read its startup files (see
 * `RemoteStdoutPreambleFilter`).
 */
export const REMOTE_STDOUT_MARKER = `${REMOTE_MARKER}stdout\n`;

/**
 * The first thing the remote `/bin/sh` runs: it makes sure the wrapper leads
 * a process group (and session) of its own, so that `stop` can signal the
 * command's whole tree (see {@link buildRemoteKill}), then runs the wrapper's
 * steps (its `$1`) with the same pid. OpenSSH makes every session's shell a
 * session leader already; Dropbear without a pty does not (the shell is in
 * the group of Dropbear's own process), so there the wrapper `exec`s
 * `setsid`, which keeps the pid when the caller leads no group. Only then:
 * `setsid` forks when the caller already leads one, and would end the
 * channel at once. Who leads is read from /proc (any Linux, BusyBox
 * included); without /proc or without `setsid`, the wrapper runs where it
 * is, and the kill falls back to the pid and its children. Where it already
 * leads, the steps run in this same shell (`eval`, with no positional
 * parameters), not in a fresh `/bin/sh`: each exec on the host is paid by
 * every command, however short.
 */
const OWN_SESSION = [
  'fleet_steps=$1',
  ...readProcStatLines('$$'),
  'if [ -n "$3" ] && [ "$3" != "$$" ] && command -v setsid >/dev/null 2>&1; then exec setsid /bin/sh -c "$fleet_steps"; fi',
  'set --',
  'eval "$fleet_steps"',
].join('\n');

/**
 * The command line sent over SSH. sshd gives it to the login shell, which
 * only has to run `exec /bin/sh -c '...'` (so bash, dash, zsh and ksh logins
 * all work). That wrapper does fleet's set-up out of the user's sight: it
 * reports its pid (the leader of a session of its own, see `OWN_SESSION`, so
 * that `stop` can signal the whole session), reads the set-up header from standard input (the `--env`
 * values, which never appear on a command line), writes a script to a private
 * temporary file, changes directory and exports the environment. Then it
 * `exec`s the login shell (`$SHELL`, which sshd sets) on the user's line, as
 * sshd would have: `$SHELL -c LINE`, with `$0` the shell's base name as sshd
 * gives it, so the line parses, expands and reports errors (line numbers
 * included) as it does after `ssh host`. `exec` keeps the pid, so the pid
 * reported is still the one to signal.
 *
 * Before the command runs, the wrapper starts the orphan watcher
 * (`ORPHAN_WATCH`) in the background on the channel's stdin, which the agent
 * keeps open and writes a heartbeat on, and gives the command /dev/null
 * instead: if the agent dies or the connection is lost mid-command, the
 * watcher ends the command's session (see docs/design.md, No orphan). With
 * `--stdin` the command gets, instead of /dev/null, the input's bytes, read
 * from the channel by their length into a private temporary file whose name
 * is removed before the command starts (docs/design.md, Standard input).
 *
 * After the header, only positional parameters are used: once the user's
 * variables are exported, a wrapper variable of the same name would carry
 * their value, not the wrapper's.
 */
export function buildRemoteCommand(spec: RunSpec<HostCommandSpec>, watch: OrphanWatchTimes): string {
  const command = spec.command;
  // The script's temporary file, once made, goes with every later failure.
  let cleanup = '';
  const fail = (message: string, args = '') => `{ ${cleanup}printf '${REMOTE_MARKER}error:${message}\\n' ${args} >&2; exit 126; }`;
  const steps = [
    `printf '${REMOTE_MARKER}stdout\\n'`,
    `printf '${REMOTE_MARKER}pid:%s\\n' "$$" >&2`,
    readSetupHeader(fail('the set-up header did not arrive whole')),
  ];
  if (command.kind === 'script') {
    steps.push(`fleet_script=$(mktemp "\${TMPDIR:-/tmp}/fleet-script.XXXXXX") || ${fail('cannot create a temporary file for the script')}`);
    cleanup = 'rm -f -- "$fleet_script"; ';
    // By its length: the input stays open after it (the heartbeat). When standard input
    // follows, byte by byte: BusyBox's `head -c` reads ahead on a pipe, and would eat it.
    const take = spec.stdin === undefined ? 'head -c "$fleet_input_bytes"' : 'dd bs=1 count="$fleet_input_bytes" 2>/dev/null';
    steps.push(
      `${take} > "$fleet_script" && [ "$(($(wc -c < "$fleet_script")))" = "$fleet_input_bytes" ] && chmod 700 "$fleet_script" || ${fail('cannot write the script to %s', '"$fleet_script"')}`,
    );
  }
  if (spec.stdin !== undefined) {
    // --stdin: its bytes go to a private file whose name is removed before the first byte is
    // written: opened for writing (fd 5), for the command (fd 4) and for the size check (fd 6),
    // then unlinked, so that nothing is left behind even when a stop or a timeout KILLs the
    // session mid-transfer. The command then reads it at its own pace, to end of file.
    // `command exec`: a redirection that fails must not end the shell before it reports.
    steps.push(
      `fleet_stdin=$(mktemp "\${TMPDIR:-/tmp}/fleet-stdin.XXXXXX") || ${fail('cannot create a temporary file for standard input')}`,
      `command exec 5> "$fleet_stdin" 4< "$fleet_stdin" 6< "$fleet_stdin" || { rm -f -- "$fleet_stdin"; ${fail('cannot open %s', '"$fleet_stdin"')}; }`,
      'rm -f -- "$fleet_stdin"',
      `fleet_why=$(head -c "$fleet_stdin_bytes" 2>&1 >&5) && [ "$(($(wc -c <&6)))" = "$fleet_stdin_bytes" ] || ${fail('cannot write standard input to %s: %s', '"$fleet_stdin" "$(printf %s "${fleet_why:-it ended early}" | head -n 1)"')}`,
      'exec 5>&- 6<&-',
    );
  }
  if (spec.workdir !== null) {
    const dir = quoteShellWord(spec.workdir);
    steps.push(`cd -- ${dir} 2>/dev/null || ${fail('working directory %s does not exist', dir)}`);
  }
  // The watcher takes the channel's input; the command gets /dev/null, or the --stdin file.
  // An asynchronous list's stdin is /dev/null unless redirected, hence fd 3.
  const watchArgs = orphanWatchArgs('"$$"', watch).join(' ');
  const watcher = `/bin/sh -c ${quoteShellWord(ORPHAN_WATCH)} ${watchArgs} <&3 >/dev/null 2>&1 &`;
  steps.push(
    spec.stdin === undefined ? 'exec 3<&0 </dev/null' : 'exec 3<&0 <&4 4<&-',
    // Under --sudo, from a session of its own: sudo relays no signal sent from its own process
    // group, and only the shell sudo starts may signal the target user's processes. Without
    // setsid, where it is (stop, from another session, still reaches the command then).
    spec.sudo === undefined ? watcher : `if command -v setsid >/dev/null 2>&1; then setsid ${watcher} else ${watcher} fi`,
    'exec 3<&-',
  );
  if (spec.sudo !== undefined) {
    if (command.kind !== 'shell') steps.push(fail('--sudo runs a command line, not a --script'));
    else if (spec.stdin !== undefined) steps.push(fail('--sudo does not take --stdin yet'));
    else
      steps.push(
        ...sudoSteps(
          { sudo: spec.sudo, line: command.line, workdir: spec.workdir, marker: REMOTE_MARKER, graceSeconds: watch.graceSeconds },
          (message) => fail(message),
        ),
      );
    return `exec /bin/sh -c ${quoteShellWord(OWN_SESSION)} sh ${quoteShellWord(steps.join('\n'))}`;
  }
  // Positional parameters now: the variables' assignments, then what runs (the
  // login shell as sshd set it, or the script), taken before the user's variables
  // are exported, since they may set SHELL too.
  steps.push(command.kind === 'script' ? 'set -- "$@" "$fleet_script"' : 'set -- "$@" "${SHELL:-/bin/sh}"');
  steps.push('while [ "$#" -gt 1 ]; do export "$1"; shift; done');
  if (command.kind === 'script') steps.push(`trap 'rm -f -- "$1"' EXIT`);
  steps.push(`printf '${REMOTE_MARKER}start\\n' >&2`);
  if (command.kind === 'shell') {
    steps.push(`exec "$1" -c ${quoteShellWord(command.line)} "\${1##*/}"`);
  } else {
    const args = command.args.map(quoteShellWord).join(' ');
    steps.push(`${hasShebang(command.content) ? '"$1"' : '/bin/sh "$1"'} ${args}`);
  }
  return inOwnSession(steps.join('\n'));
}

/**
 * A command line for sshd that runs POSIX sh `steps` as the leader of a
 * session of their own (see `OWN_SESSION`), whatever the login shell: what
 * `buildRemoteKill` needs to stop all of it. The steps report their pid
 * with the wrapper's marker.
 */
export function inOwnSession(steps: string): string {
  return `exec /bin/sh -c ${quoteShellWord(OWN_SESSION)} sh ${quoteShellWord(steps)}`;
}

/**
 * What the SSH executor writes first on the channel's standard input: the
 * set-up header, then the script's text for `--script`. Then, for `--stdin`,
 * the executor writes the standard input's bytes (the header gave their
 * number). The input then stays open for the orphan watcher's heartbeat;
 * without `--stdin` the command reads /dev/null, so end of file at once, as
 * SPEC §9 asks.
 */
export function buildRemoteInput(spec: RunSpec<HostCommandSpec>, sudoPassword: string | null = null): string {
  if (spec.sudo !== undefined) return encodeSetupHeader({}, null, null, sudoInput(spec, spec.sudo.askPassword ? sudoPassword : null));
  const stdinBytes = spec.stdin?.size ?? null;
  if (spec.command.kind !== 'script') return encodeSetupHeader(spec.env, null, stdinBytes);
  return encodeSetupHeader(spec.env, Buffer.byteLength(spec.command.content), stdinBytes) + spec.command.content;
}

/**
 * The command that signals everything a remote command started: its process
 * group and session, which the wrapper leads (see `OWN_SESSION` and
 * `killSessionLine`). It runs in the login shell, dash included.
 */
export function buildRemoteKill(pid: number, signal: 'TERM' | 'KILL'): string {
  return `${killSessionLine(String(pid), signal)}; true`;
}

/** What a wrapper line says, or null for an ordinary line. */
export type RemoteMarker =
  | { kind: 'pid'; pid: number }
  | { kind: 'error'; message: string }
  | { kind: 'start' }
  | { kind: 'sudo-prompt' }
  | { kind: 'sudo-checked' };

export function parseRemoteMarker(line: string): RemoteMarker | null {
  if (!line.startsWith(REMOTE_MARKER)) return null;
  const body = line.slice(REMOTE_MARKER.length);
  if (body.startsWith('pid:')) {
    const pid = Number(body.slice(4));
    return Number.isSafeInteger(pid) && pid > 1 ? { kind: 'pid', pid } : null;
  }
  if (body.startsWith('error:')) return { kind: 'error', message: body.slice(6) };
  if (body === 'start') return { kind: 'start' };
  if (body === SUDO_PROMPT_MARKER) return { kind: 'sudo-prompt' };
  if (body === SUDO_CHECKED_MARKER) return { kind: 'sudo-checked' };
  return null;
}
