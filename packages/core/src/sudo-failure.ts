/**
 * Why sudo refused to run a command, from what the wrapper saw before the
 * command's `start` line: how many times sudo prompted (its prompt is a
 * marker line, see `SUDO_PROMPT_MARKER`) and the lines it wrote. With
 * `--ask-sudo-pass` the password is first checked alone (`sudo -v`, its
 * line and then end of input), so a second prompt before the check passed
 * means the password was wrong, whatever the language of sudo's messages;
 * once it passed (`SUDO_CHECKED_MARKER`) the agent counts from 0 again.
 */
export interface SudoAttempt {
  prompts: number;
  /** The lines written between the wrapper's pid and the command's start (sudo's). */
  lines: readonly string[];
  askPassword: boolean;
  exitCode: number | null;
}

export function describeSudoFailure(attempt: SudoAttempt): string {
  if (attempt.prompts >= 2) return 'sudo: incorrect password';
  const text = attempt.lines.join('\n');
  if (/a password is required/.test(text)) {
    return attempt.askPassword ? 'sudo: a password is required' : 'sudo: a password is required: add --ask-sudo-pass';
  }
  // sudo quotes the command line it refused, newlines and all, between the two.
  const notAllowed = /user (\S+) is not allowed to execute [\s\S]* as (\S+) on \S+$/m.exec(text);
  if (notAllowed !== null) return `sudo: ${notAllowed[1]} is not allowed to run commands as ${notAllowed[2]} on this host`;
  // `may not run sudo` from `sudo -v`/`-l`; `is not allowed to run sudo on HOST` where the rules name other hosts.
  const refusal = /(\S+) is not in the sudoers file|(\S+) may not run sudo|(\S+) is not allowed to run sudo on/.exec(text);
  if (refusal !== null) return `sudo: ${refusal[1] ?? refusal[2] ?? refusal[3]} is not allowed to run sudo on this host`;
  const said = attempt.lines.filter((line) => line.startsWith('sudo:')).at(-1);
  return said ?? `sudo failed before the command started (exit status ${attempt.exitCode ?? 'unknown'})`;
}
