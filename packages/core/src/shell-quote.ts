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
 * The shell command line for the words after `--`. One word is taken as a
 * command line of its own (`fleet invoke ... -- 'uptime; df'`), as ssh and pssh
 * take it; several are a program and its arguments, each quoted so that it
 * arrives intact.
 */
export function commandLineFromArgv(argv: readonly string[]): string {
  if (argv.length === 1) return argv[0] ?? '';
  return argv.map(quoteShellWord).join(' ');
}
