import { HostEntryError, HostRangeTooLarge, InvalidHostEntry, MalformedHostRange, type BadHostEntry } from './errors.js';
import { parseHostEntry, type HostEntry } from './host-entry.js';
import type { GroupExpander } from './host-groups.js';
import { expandHostPattern, MAX_HOSTS_PER_SELECTION, splitHostList } from './host-pattern.js';

/**
 * Parses a hosts list: one entry a line; blank lines and `#` comments are
 * skipped; ranges expand (`web[01-40]`, see {@link expandHostPattern});
 * duplicates are kept (each entry is one child); `@group` expands through
 * `groups`. Every line is checked before anything runs, and every bad one is
 * reported, with its source and line.
 */
export function parseHostList(text: string, source: string, groups?: GroupExpander): HostEntry[] {
  const parts: { text: string; line: number }[] = [];
  text.split('\n').forEach((line, index) => {
    const hash = line.indexOf('#');
    const content = (hash === -1 ? line : line.slice(0, hash)).trim();
    if (content !== '') parts.push({ text: content, line: index + 1 });
  });
  return parseAll(parts, source, groups);
}

/**
 * Parses `-c a,b,c`: entries separated by the commas outside brackets (those in
 * `db[1-3,7]` belong to its range), checked like file entries (the "line" is
 * the place in the list).
 */
export function parseComputerNames(list: string, source = '--computer-name', groups?: GroupExpander): HostEntry[] {
  const parts = splitHostList(list).map((part, index) => ({ text: part, line: index + 1 }));
  return parseAll(parts, source, groups);
}

/**
 * Runs each of `parsers` and returns their entries in order; when any of them
 * throws a {@link HostEntryError}, throws one holding the bad entries of all, so
 * that `-f FILE -c LIST` reports both at once.
 */
export function combineHostLists(parsers: readonly (() => HostEntry[])[]): HostEntry[] {
  const entries: HostEntry[] = [];
  const bad: BadHostEntry[] = [];
  for (const parse of parsers) {
    try {
      entries.push(...parse());
    } catch (error) {
      if (!(error instanceof HostEntryError)) throw error;
      bad.push(...error.entries);
    }
  }
  if (bad.length > 0) throw new HostEntryError(bad);
  checkSelectionSize(entries);
  return entries;
}

function checkSelectionSize(entries: readonly HostEntry[]): void {
  if (entries.length > MAX_HOSTS_PER_SELECTION) {
    const shown = entries.length > 2 ? `${entries[0]?.raw} … ${entries.at(-1)?.raw}` : 'the selection';
    throw new HostRangeTooLarge(shown, entries.length, MAX_HOSTS_PER_SELECTION);
  }
}

function parseAll(parts: readonly { text: string; line: number }[], source: string, groups: GroupExpander | undefined): HostEntry[] {
  const entries: HostEntry[] = [];
  const bad: BadHostEntry[] = [];
  for (const { text, line } of parts) {
    let expanded: { text: string; source: string; line: number }[];
    try {
      expanded =
        text.startsWith('@') && groups
          ? groups(text).map((member) => ({ text: member.text, source: member.origin.file, line: member.origin.line }))
          : expandHostPattern(text).map((host) => ({ text: host, source, line }));
    } catch (error) {
      if (!(error instanceof MalformedHostRange)) throw error;
      bad.push({ source, line, entry: text, problem: `malformed range: ${error.problem}`, offset: error.offset });
      continue;
    }
    for (const { text: host, source: hostSource, line: hostLine } of expanded) {
      const fromGroup = hostSource !== source;
      try {
        entries.push(parseHostEntry(host));
      } catch (error) {
        if (!(error instanceof InvalidHostEntry)) throw error;
        if (fromGroup) bad.push({ source: hostSource, line: hostLine, entry: host, problem: `${error.problem} (in ${text})` });
        else bad.push({ source, line, entry: text, problem: host === text ? error.problem : `${host}: ${error.problem}` });
        // One fault in a range is the same fault in every host it names.
        break;
      }
    }
    checkSelectionSize(entries);
  }
  if (bad.length > 0) throw new HostEntryError(bad);
  return entries;
}
