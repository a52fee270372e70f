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
 * target's). With `--ask-sudo-pass` the password is checked first, alone:
 * `sudo -k -S -v` gets its line and then end of input, so a wrong password
 * is one failed attempt for PAM (a lockout policy such as pam_faillock
 * counts one, not `passwd_tries`), and no header line (an `--env` value)
 * follows a wrong password as a guess. With `-k`, `-v` caches nothing. Once
 * it passed, the wrapper says so (`SUDO_CHECKED_MARKER`, which resets the
 * agent's count of prompts) and runs the command: the password comes first
 * on that input, `sudo -S` reads it (one line, a byte at a time, so the
 * header after it is left for the shell; under NOPASSWD it reads nothing
 * and the shell skips the line). sudo's prompt is a marker line the agent
 * takes out of the output; two prompts before the check passed mean the
 * password was wrong. Without `--ask-sudo-pass`, `sudo -n` never asks and
 * fails at once where a password is needed. Both with `-k`, so that a
 * credential sudo cached for an earlier job never stands in for this job's
 * password. The inputs are here-documents made from the wrapper's
 * unexported variables, so the password is on no command line and in no
 * environment. `exec` keeps the reported pid: sudo's, which relays
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

/** The wrapper's line once the password alone passed `sudo -v`: the prompts before it were the check's. */
export const SUDO_CHECKED_MARKER = 'sudo-checked';

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
    ...sudoRunSteps(run, fail),
  ];
}

/** With `$fleet_sudo_input` set to {@link sudoInput}: the password's check, then sudo's `exec`. */
function sudoRunSteps(run: SudoRun, fail: (message: string) => string): string[] {
  const check = run.sudo.askPassword
    ? [
        // The input's first line, the password: a newline inside the pattern, as POSIX sh allows.
        `fleet_sudo_password=\${fleet_sudo_input%%\n*}`,
        // -u as the command's: under `targetpw` or `runaspw` the password asked is the target's.
        `sudo -k -S ${promptFlag(run.marker)}${sudoUser(run.sudo)} -v <<fleet_sudo_end || exit "$?"`,
        '$fleet_sudo_password',
        'fleet_sudo_end',
        'fleet_sudo_password=',
        `printf '${run.marker}${SUDO_CHECKED_MARKER}\\n' >&2`,
      ]
    : [];
  return [...check, `exec ${sudoCommand(run, fail)} <<fleet_sudo_end`, '$fleet_sudo_input', 'fleet_sudo_end'];
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
    // The whole input, as the remote wrapper has it from the header (`cat` is given no secret in its argv).
    'fleet_sudo_input=$(cat)',
    ...sudoRunSteps(run, fail),
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
  const how = sudo.askPassword ? `-S ${promptFlag(marker)}` : '-n';
  const user = sudoUser(sudo);
  // -k: sudo's cached credential is ignored. Without a tty it is kept per parent process and
  // session, which two jobs on one pooled connection share where the wrapper cannot lead a
  // session of its own (Dropbear without setsid): there a later wrong password, or none, passed.
  return `sudo -k ${how}${user} -- /bin/sh -c ${quoteShellWord(inner)} sh`;
}

/** `-p PROMPT`: sudo's prompt as the wrapper's marker line. */
function promptFlag(marker: string): string {
  return `-p ${quoteShellWord(`${marker}${SUDO_PROMPT_MARKER}\n`)}`;
}

/** ` -u USER` for a target user other than root, else nothing. */
function sudoUser(sudo: SudoSpec): string {
  return sudo.user === null ? '' : ` -u ${quoteShellWord(sudo.user)}`;
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
