const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell (sh, dash, bash, zsh) so that the program
 * receives it byte for byte, whatever it holds.
 */
export function quoteShellWord(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command line for the words after `--`, joined with single spaces as ssh
 * joins its words: the user's shell on the host then parses it, so
 * `-- ls '/etc/host*.conf'` globs there, as `ssh host ls '/etc/host*.conf'`
 * does, and `-- 'uptime; df'` is a command line of its own.
 */
export function commandLineFromWords(words: readonly string[]): string {
  return words.join(' ');
}

/**
 * The command line for the words after `--` with `--argv`: each word quoted,
 * so that the program receives it byte for byte as one argument, whatever
 * shell parses the line.
 */
export function commandLineFromArgv(argv: readonly string[]): string {
  return argv.map(quoteShellWord).join(' ');
}
