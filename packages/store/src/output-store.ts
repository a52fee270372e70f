import type { OutputRecord, OutputStream } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * A stream entry of one job's output: one record, or for stdout and stderr a
 * run of lines joined by newlines (`data` as stored; `entryRecords` splits it).
 */
export interface StoredEntry {
  /** The stream entry id that deletes it. */
  entryId: string;
  jobId: number;
  host: string;
  stream: OutputStream;
  data: string;
  ts?: string;
}

/** Reads the output stream of a top-level job (it holds every child's records, in arrival order). */
export class OutputStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /**
   * Up to `count` entries after `afterEntryId` (from the start when null). An
   * entry holds up to 64 KiB of lines, so a page stays within 2 MiB.
   */
  async read(rootId: number, afterEntryId: string | null, count = 32): Promise<StoredEntry[]> {
    const entries = await this.client.xrange(this.keys.output(rootId), afterEntryId === null ? '-' : `(${afterEntryId}`, '+', 'COUNT', count);
    return entries.map(([entryId, fields]) => decodeEntry(entryId, fields));
  }
}

/**
 * A record's data as the stream holds it: `output` values as JSON, lines as
 * they are (for stdout and stderr, one or more joined by newlines). Field
 * names (`j`, `h`, `s`, `d`, `t`) are one letter to keep millions of records
 * small; the transition script writes them.
 */
export function encodeData(stream: OutputStream, data: unknown): string {
  return stream === 'output' ? JSON.stringify(data) : String(data);
}

/** A stream entry as a reader sees it. */
export function decodeEntry(entryId: string, fields: string[]): StoredEntry {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  const stream = (map.s ?? 'stdout') as OutputStream;
  return { entryId, jobId: Number(map.j), host: map.h ?? '', stream, data: map.d ?? '', ...(map.t ? { ts: map.t } : {}) };
}

/** An entry's records: its value, or its lines split apart again (a line never holds a newline). */
export function entryRecords(entry: StoredEntry): OutputRecord[] {
  const { jobId, host, stream, data } = entry;
  const ts = entry.ts === undefined ? {} : { ts: entry.ts };
  const values: unknown[] = stream === 'output' ? [JSON.parse(data)] : stream === 'error' ? [data] : data.split('\n');
  return values.map((value) => ({ jobId, host, stream, data: value, ...ts }));
}
