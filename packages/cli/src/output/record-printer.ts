import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { formatRecordText, prefixLines, type OutputRecord } from '@fleet/core';
import { entryRecords, type StoredEntry } from '@fleet/store';
import { colourHost, coloursOn } from '../format/host-colour.js';
import type { OutputHandler } from './output-page.js';

/**
 * Prints output as `receive` does: one JSON object a record, or text on
 * stdout or stderr. A page is one write per run of entries bound for the same
 * stream (so stdout and stderr lines keep their order on a terminal), and the
 * next page waits while a slow reader has not taken this one.
 */
export function recordPrinter(json: boolean): OutputHandler {
  // Host prefixes in colour where they land on a terminal (and NO_COLOR is not set).
  const colours = { stdout: coloursOn(process.stdout), stderr: coloursOn(process.stderr) };
  return async ({ entries, hostPrefix }) => {
    let run = '';
    let runStream: Writable = process.stdout;
    for (const entry of entries) {
      const { bytes, toStderr } = json
        ? { bytes: latin1(`${entryJson(entry)}\n`), toStderr: false }
        : entryText(entry, hostPrefix, colours);
      const stream = toStderr ? process.stderr : process.stdout;
      if (stream !== runStream) {
        await write(runStream, run);
        run = '';
        runStream = stream;
      }
      run += bytes;
    }
    await write(runStream, run);
  };
}

/**
 * An entry as text, in bytes held as a Latin-1 string (one character a byte).
 * Lines go through without being decoded: a newline byte is never part of a
 * UTF-8 character, so prefixing each line works on the bytes as they are, and
 * megabytes of output cost no decoding and encoding.
 */
function entryText(
  entry: StoredEntry,
  hostPrefix: boolean,
  colours: { stdout: boolean; stderr: boolean },
): { bytes: string; toStderr: boolean } {
  const toStderr = entry.stream !== 'stdout' && entry.stream !== 'output';
  const host = colours[toStderr ? 'stderr' : 'stdout'] ? colourHost(entry.host) : entry.host;
  if (entry.stream === 'stdout' || entry.stream === 'stderr') {
    const lines = entry.data.toString('latin1');
    const text = hostPrefix ? prefixLines(lines, latin1(`${host}: `)) : lines;
    return { bytes: `${text}\n`, toStderr };
  }
  const { line } = formatRecordText({ ...(entryRecords(entry)[0] as OutputRecord), host }, hostPrefix);
  return { bytes: latin1(`${line}\n`), toStderr };
}

/** Text as its UTF-8 bytes, one Latin-1 character a byte. */
function latin1(text: string): string {
  return Buffer.from(text).toString('latin1');
}

function entryJson(entry: StoredEntry): string {
  return entryRecords(entry)
    .map((record) => JSON.stringify(record))
    .join('\n');
}

async function write(stream: Writable, bytes: string): Promise<void> {
  if (bytes !== '' && !stream.write(bytes, 'latin1')) await once(stream, 'drain');
}
