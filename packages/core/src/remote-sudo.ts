import type { RunSpec, SudoSpec } from './command-spec.js';
import { encodeSetupHeader, readSetupHeader } from './remote-setup-header.js';
import { quoteShellWord } from './shell-quote.js';

/**
 * `--sudo`: the remote wrapper's last step, which `exec`s sudo instead of the
 * login shell (see `buildRemoteCommand`). sudo runs `/bin/sh` as the target
 * user; that shell reads the `--env` values from its standard input (the
 * header again, see `encodeSetupHeader`), exports them, writes the wrapper's
 * `start` line, and runs the TARGET user's login shell on the line, as
 * `ssh TARGET@host LINE` would run it (sudo sets `SHELL` and `HOME` to the
 * target's). With `--ask-sudo-pass` the password comes first on that input:
 * `sudo -S` reads it (one line, a byte at a time, so the header after it is
 * left for the shell; after a wrong password sudo reads the header's lines
 * as further attempts, and under NOPASSWD it reads nothing and the shell
 * skips the line) and prints its prompt, which is a marker line the
 * agent takes out of the output. Without it, `sudo -n` never asks and fails
 * at once where a password is needed. Both with `-k`, so that a credential
 * sudo cached for an earlier job never stands in for this job's password.
 * The input is a here-document made from the wrapper's unexported variable,
 * so the password is on no command line and in no environment. `exec` keeps the reported pid: sudo's, which relays
 * `stop`'s SIGTERM to the process it started (and only to it).
 *
 * The login user cannot signal the target user's processes, so that shell
 * stays as their supervisor (see `supervised`) rather than `exec`ing the
 * command: on the SIGTERM sudo relays, it signals its whole process group as
 * the target user, and SIGKILLs it after the grace. sudo relays no signal
 * sent from its own process group, so the orphan watcher, which must be
 * heard, runs in a session of its own under `--sudo` (see
 * `buildRemoteCommand`).
 */

/** sudo's prompt (`-p`): a wrapper marker line, never shown. */
export const SUDO_PROMPT_MARKER = 'sudo-prompt';

/** A command line to run through sudo, and how. */
export interface SudoRun {
  sudo: SudoSpec;
  line: string;
  workdir: string | null;
  /** `REMOTE_MARKER`. */
  marker: string;
  /** Between the SIGTERM and the SIGKILL that end the command's processes on a stop. */
  graceSeconds: number;
}

/** The wrapper's steps from the `start` line on, for a command line run through sudo. */
export function sudoSteps(run: SudoRun, fail: (message: string) => string): string[] {
  return [
    `command -v sudo >/dev/null 2>&1 || ${fail('sudo is not installed on this host (or not on the PATH of the login shell)')}`,
    `exec ${sudoCommand(run, fail)} <<fleet_sudo_end`,
    '$fleet_sudo_input',
    'fleet_sudo_end',
  ];
}

/**
 * The same for a command run on this machine (localhost, or a node's own
 * agent): `/bin/sh -c` this, with {@link sudoInput} on its standard input.
 * It says its pid first, as the remote wrapper does, so that the same
 * filter (`RemotePreambleFilter`) takes sudo's lines out of the output.
 */
export function localSudoScript(run: SudoRun): string {
  const fail = (message: string) => `{ printf '${run.marker}error:${message}\n' >&2; exit 126; }`;
  return [
    `printf '${run.marker}pid:%s\n' "$$" >&2`,
    `command -v sudo >/dev/null 2>&1 || ${fail('sudo is not installed on this machine (or not on the PATH)')}`,
    `exec ${sudoCommand(run, fail)}`,
  ].join('\n');
}

/** `sudo FLAGS -- /bin/sh -c INNER sh`: the shell sudo starts reads the header from its input and runs the line. */
function sudoCommand({ sudo, line, workdir, marker, graceSeconds }: SudoRun, fail: (message: string) => string): string {
  const inner = [
    readSetupHeader(fail('the set-up header did not reach the shell sudo started')),
    // As ssh TARGET@host would start: in the target's home, unless --workdir said where.
    ...(workdir === null ? ['cd -- "$HOME" 2>/dev/null'] : []),
    'set -- "$@" "${SHELL:-/bin/sh}"',
    'while [ "$#" -gt 1 ]; do export "$1"; shift; done',
    `printf '${marker}start\\n' >&2`,
    ...supervised(`"$1" -c ${quoteShellWord(line)} "\${1##*/}" </dev/null`, graceSeconds),
  ].join('\n');
  const how = sudo.askPassword ? `-S -p ${quoteShellWord(`${marker}${SUDO_PROMPT_MARKER}\n`)}` : '-n';
  const user = sudo.user === null ? '' : ` -u ${quoteShellWord(sudo.user)}`;
  // -k: sudo's cached credential is ignored. Without a tty it is kept per parent process and
  // session, which two jobs on one pooled connection share where the wrapper cannot lead a
  // session of its own (Dropbear without setsid): there a later wrong password, or none, passed.
  return `sudo -k ${how}${user} -- /bin/sh -c ${quoteShellWord(inner)} sh`;
}

/**
 * Runs COMMAND (sh) in the background and waits for it, as the target user:
 * a SIGTERM (stop, a timeout or the orphan watcher, relayed by sudo) goes to
 * the whole process group, and SIGKILL follows after `graceSeconds` for what
 * ignored it; the sleeper that sends it holds none of the channel's pipes.
 * It ends as the command did: its exit status, or the same signal. Only
 * positional parameters, as the user's variables are exported by now. As for
 * any background command of a shell without job control, SIGINT and SIGQUIT
 * are ignored by the command (fleet itself never sends them).
 */
function supervised(command: string, graceSeconds: number): string[] {
  // `command -p`: the standard PATH's sleep, not whatever the target user's PATH finds first.
  const onTerm = `trap '' TERM; kill -TERM 0 2>/dev/null; { command -p sleep ${graceSeconds}; kill -KILL 0 2>/dev/null; } </dev/null >/dev/null 2>&1 &`;
  return [
    `trap ${quoteShellWord(onTerm)} TERM`,
    `${command} &`,
    'set -- "$!"',
    // wait returns early when the trap runs; the command still running, wait again.
    'while :; do wait "$1"; set -- "$1" "$?"; kill -0 "$1" 2>/dev/null || break; set -- "$1"; done',
    'if [ "$2" -gt 128 ]; then trap - TERM; kill -"$(($2 - 128))" "$$" 2>/dev/null; fi',
    'exit "$2"',
  ];
}

/** What sudo's standard input gets: the password's line (with `--ask-sudo-pass`), then the header for the shell it starts. */
export function sudoInput(spec: RunSpec, password: string | null): string {
  const header = encodeSetupHeader(spec.env).replace(/\n$/, '');
  return password === null ? header : `${password}\n${header}`;
}
