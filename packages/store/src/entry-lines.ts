import type { StoredEntry } from './output-store.js';

/**
 * Joins raw stdout and stderr entries back into whole lines, per job and
 * stream, for a reader that shows output a line at a time. Entries go in
 * in stream order; a raw entry comes out as an entry of the lines it
 * completed, line-packed as entries without `raw` are stored (lines joined
 * by newlines, the last newline left off), or not at all when it completed
 * none; other entries come out as they are. A line takes the `ts` of the
 * entry it began in. What is left at the end (output that did not end in a
 * newline) comes from {@link EntryLines.rest}.
 */
export class EntryLines {
  private readonly partial = new Map<string, { first: StoredEntry; parts: Buffer[] }>();

  lines(entries: readonly StoredEntry[]): StoredEntry[] {
    const lines: StoredEntry[] = [];
    for (const entry of entries) {
      if (!entry.raw) {
        lines.push(entry);
        continue;
      }
      const key = `${entry.jobId}\n${entry.stream}`;
      const held = this.partial.get(key);
      const newline = entry.data.lastIndexOf(0x0a);
      if (newline === -1) {
        if (held === undefined) this.partial.set(key, { first: entry, parts: [entry.data] });
        else held.parts.push(entry.data);
        continue;
      }
      const head = entry.data.subarray(0, newline);
      lines.push(lineEntry(held?.first ?? entry, held === undefined ? head : Buffer.concat([...held.parts, head])));
      const tail = entry.data.subarray(newline + 1);
      if (tail.length > 0) this.partial.set(key, { first: entry, parts: [tail] });
      else this.partial.delete(key);
    }
    return lines;
  }

  /** The unfinished last line of each job and stream, one entry each; forgets them. */
  rest(): StoredEntry[] {
    const rest = [...this.partial.values()].map(({ first, parts }) => lineEntry(first, Buffer.concat(parts)));
    this.partial.clear();
    return rest;
  }
}

function lineEntry(first: StoredEntry, data: Buffer): StoredEntry {
  return { ...first, data, raw: false };
}
