import type { StoredEntry } from '@fleet/store';

const NEWLINE = Buffer.from('\n');

/**
 * The bytes of what a command wrote that a stdout or stderr entry holds: a
 * raw chunk as it is; an entry of the older form (whole lines joined by
 * newlines) with the newline after its last line given back. Concatenated in
 * order, a job's entries of one stream are then exactly its bytes.
 */
export function entryBytes(entry: StoredEntry): Buffer {
  return entry.raw ? entry.data : Buffer.concat([entry.data, NEWLINE]);
}

/** {@link entryBytes} as a Latin-1 string, one character a byte, for printing without decoding. */
export function entryChunk(entry: StoredEntry): string {
  const chunk = entry.data.toString('latin1');
  return entry.raw ? chunk : `${chunk}\n`;
}

/** Text as its UTF-8 bytes in a Latin-1 string, to go beside bytes held that way. */
export function utf8AsLatin1(text: string): string {
  return Buffer.from(text).toString('latin1');
}
