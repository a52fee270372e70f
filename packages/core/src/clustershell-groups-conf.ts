import { GroupsFileError } from './group-errors.js';

/** One option of a ClusterShell configuration file, with where it was written. */
export interface ConfOption {
  value: string;
  file: string;
  line: number;
}

/** Sections (`Main`, a group source) to their options, names lower-cased as Python's ConfigParser has them. */
export type ConfSections = Map<string, Map<string, ConfOption>>;

/**
 * Reads `groups.conf` (or a `groups.conf.d/*.conf` part) as Python's
 * ConfigParser does, into `into`: `[section]`, `key: value` or `key = value`,
 * indented continuation lines, `#` and `;` comment lines. Reading several files
 * into one map merges them as ClusterShell's `ConfigParser.read([...])` does:
 * a later file's option replaces an earlier one's.
 *
 * @throws GroupsFileError for a line ConfigParser would refuse.
 */
export function parseGroupsConf(text: string, file: string, into: ConfSections = new Map()): ConfSections {
  let section: Map<string, ConfOption> | undefined;
  let last: ConfOption | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '');
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      if (trimmed === '') last = undefined;
      return;
    }
    if (/^\s/.test(content) && last !== undefined) {
      last.value += `\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]/.exec(content);
    if (header) {
      const name = header[1] as string;
      section = into.get(name) ?? new Map<string, ConfOption>();
      into.set(name, section);
      last = undefined;
      return;
    }
    if (section === undefined) throw new GroupsFileError(file, line, 'an option before any [section] (ConfigParser refuses it)');
    const option = /^([^:=\s][^:=]*?)\s*[:=]\s*(.*)$/.exec(content);
    if (!option) throw new GroupsFileError(file, line, `not a [section] nor a key: value line: ${JSON.stringify(trimmed)}`);
    last = { value: (option[2] as string).trim(), file, line };
    section.set((option[1] as string).toLowerCase(), last);
  });
  return into;
}

/** Splits a directory list as Python's `shlex.split` does for the plain and quoted words ClusterShell's docs show. */
export function splitConfWords(value: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of value.matchAll(pattern)) words.push(match[1] ?? match[2] ?? (match[3] as string));
  return words;
}
