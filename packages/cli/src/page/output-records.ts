import type { OutputRecord } from './api-shapes.js';

/** NDJSON as the output route sends it: one record a line; a last line cut short (the stream ended) is left out. */
export function parseRecords(ndjson: string): OutputRecord[] {
  const records: OutputRecord[] = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as OutputRecord);
    } catch {
      break;
    }
  }
  return records;
}

/**
 * A record as a line of text: stdout and stderr as written (a line that is
 * not UTF-8 decoded with replacement characters, for the eye only), why a job
 * failed as it reads, a thread job's value as JSON, a host's end as
 * `ended: Failed, exit 3: reason`.
 */
export function recordText(record: OutputRecord): string {
  switch (record.stream) {
    case 'stdout':
    case 'stderr':
      return record.data ?? new TextDecoder().decode(Uint8Array.from(atob(record.dataBase64 ?? ''), (char) => char.charCodeAt(0)));
    case 'end': {
      const { state, exitCode, reason } = record.data;
      return `ended: ${state}${exitCode === null ? '' : `, exit ${exitCode}`}${reason === null ? '' : `: ${reason}`}`;
    }
    case 'error':
      return typeof record.data === 'string' ? record.data : JSON.stringify(record.data);
    case 'output':
      return JSON.stringify(record.data);
  }
}
