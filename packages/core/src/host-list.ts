import { HostEntryError, InvalidHostEntry } from './errors.js';
import { parseHostEntry, type HostEntry } from './host-entry.js';

/**
 * Parses a hosts list: one entry a line; blank lines and `#` comments are
 * skipped; duplicates are kept (each entry is one child). Every line is checked
 * before anything runs: the first bad entry throws with its source and line.
 */
export function parseHostList(text: string, source: string): HostEntry[] {
  const entries: HostEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const hash = line.indexOf('#');
    const content = (hash === -1 ? line : line.slice(0, hash)).trim();
    if (content === '') return;
    entries.push(parseOne(content, source, index + 1));
  });
  return entries;
}

/** Parses `-c a,b,c`: entries separated by commas, checked like file entries. */
export function parseComputerNames(list: string, source = '--computer-name'): HostEntry[] {
  return list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part, index) => parseOne(part, source, index + 1));
}

function parseOne(text: string, source: string, line: number): HostEntry {
  try {
    return parseHostEntry(text);
  } catch (error) {
    if (error instanceof InvalidHostEntry) throw new HostEntryError(source, line, text, error.message);
    throw error;
  }
}
