/**
 * A shell-style glob as a regular expression over a whole name: `*` is any
 * run of characters, `?` any one, everything else itself. What ssh_config's
 * `Host` patterns and `--exclude` both mean by a glob (ssh matches host names
 * without regard to case; `--exclude`, like fnmatch, with it).
 */
export function globRegExp(glob: string, options: { ignoreCase?: boolean } = {}): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, options.ignoreCase ? 'i' : '');
}
