import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { formatRecordText, type JobType, type OutputRecord } from '@fleet/core';
import { entryRecords, type StoredEntry } from '@fleet/store';

/**
 * Prints output as `receive` does: one JSON object a record, or text on
 * stdout or stderr. A page is one write per run of entries bound for the same
 * stream (so stdout and stderr lines keep their order on a terminal), and the
 * next page waits while a slow reader has not taken this one.
 */
export function recordPrinter(json: boolean): (entries: StoredEntry[], jobType: JobType) => Promise<void> {
  return async (entries, jobType) => {
    let run = '';
    let runStream: Writable = process.stdout;
    for (const entry of entries) {
      const { line, toStderr } = json ? { line: entryJson(entry), toStderr: false } : formatRecordText(textRecord(entry), jobType);
      const stream = toStderr ? process.stderr : process.stdout;
      if (stream !== runStream) {
        await write(runStream, run);
        run = '';
        runStream = stream;
      }
      run += `${line}\n`;
    }
    await write(runStream, run);
  };
}

/** Lines stay packed (formatRecordText prefixes each); a value is decoded from its JSON. */
function textRecord(entry: StoredEntry): OutputRecord {
  return entry.stream === 'output' ? (entryRecords(entry)[0] as OutputRecord) : entry;
}

function entryJson(entry: StoredEntry): string {
  return entryRecords(entry)
    .map((record) => JSON.stringify(record))
    .join('\n');
}

async function write(stream: Writable, text: string): Promise<void> {
  if (text !== '' && !stream.write(text)) await once(stream, 'drain');
}
