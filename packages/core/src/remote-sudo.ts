import type { RunSpec, SudoSpec } from './command-spec.js';
import { encodeSetupHeader, readSetupHeader } from './remote-setup-header.js';
import { quoteShellWord } from './shell-quote.js';

/**
 * `--sudo`: the remote wrapper's last step, which `exec`s sudo instead of the
 * login shell (see `buildRemoteCommand`). sudo runs `/bin/sh` as the target
 * user; that shell reads the `--env` values from its standard input (the
 * header again, see `encodeSetupHeader`), exports them, writes the wrapper's
 * `start` line, and `exec`s the TARGET user's login shell on the line, as
 * `ssh TARGET@host LINE` would run it (sudo sets `SHELL` and `HOME` to the
 * target's). With `--ask-sudo-pass` the password comes first on that input:
 * `sudo -S` reads it (one line, a byte at a time, so the header after it is
 * left for the shell) and prints its prompt, which is a marker line the
 * agent takes out of the output. Without it, `sudo -n` never asks and fails
 * at once where a password is needed. The input is a here-document made from
 * the wrapper's unexported variable, so the password is on no command line
 * and in no environment. `exec` keeps the reported pid: sudo's, which relays
 * `stop`'s SIGTERM to the command.
 */

/** sudo's prompt (`-p`): a wrapper marker line, never shown. */
export const SUDO_PROMPT_MARKER = 'sudo-prompt';

/** The wrapper's steps from the `start` line on, for a command line run through sudo. */
export function sudoSteps(
  sudo: SudoSpec,
  line: string,
  workdir: string | null,
  marker: string,
  fail: (message: string) => string,
): string[] {
  const inner = [
    readSetupHeader(fail('the set-up header did not reach the shell sudo started')),
    // As ssh TARGET@host would start: in the target's home, unless --workdir said where.
    ...(workdir === null ? ['cd -- "$HOME" 2>/dev/null'] : []),
    'set -- "$@" "${SHELL:-/bin/sh}"',
    'while [ "$#" -gt 1 ]; do export "$1"; shift; done',
    `printf '${marker}start\\n' >&2`,
    `exec "$1" -c ${quoteShellWord(line)} "\${1##*/}" </dev/null`,
  ].join('\n');
  const how = sudo.askPassword ? `-S -p ${quoteShellWord(`${marker}${SUDO_PROMPT_MARKER}\n`)}` : '-n';
  const user = sudo.user === null ? '' : ` -u ${quoteShellWord(sudo.user)}`;
  return [
    `command -v sudo >/dev/null 2>&1 || ${fail('sudo is not installed on this host (or not on the PATH of the login shell)')}`,
    `exec sudo ${how}${user} -- /bin/sh -c ${quoteShellWord(inner)} sh <<fleet_sudo_end`,
    '$fleet_sudo_input',
    'fleet_sudo_end',
  ];
}

/** What sudo's standard input gets: the password's line (with `--ask-sudo-pass`), then the header for the shell it starts. */
export function sudoInput(spec: RunSpec, password: string | null): string {
  const header = encodeSetupHeader(spec.env).replace(/\n$/, '');
  return password === null ? header : `${password}\n${header}`;
}
