import type { OutputRecord, OutputStream } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** A record as stored, with the stream entry id that deletes it. */
export interface StoredRecord {
  entryId: string;
  record: OutputRecord;
}

/** Reads the output stream of a top-level job (it holds every child's records, in arrival order). */
export class OutputStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /** Up to `count` records after `afterEntryId` (from the start when null). */
  async read(rootId: number, afterEntryId: string | null, count = 1000): Promise<StoredRecord[]> {
    const entries = await this.client.xrange(this.keys.output(rootId), afterEntryId === null ? '-' : `(${afterEntryId}`, '+', 'COUNT', count);
    return entries.map(([entryId, fields]) => ({ entryId, record: decodeRecord(fields) }));
  }
}

/**
 * A record's data as the stream holds it: `output` values as JSON, lines as
 * they are. Field names (`j`, `h`, `s`, `d`, `t`) are one letter to keep
 * millions of records small; the transition script writes them.
 */
export function encodeData(stream: OutputStream, data: unknown): string {
  return stream === 'output' ? JSON.stringify(data) : String(data);
}

export function decodeRecord(fields: string[]): OutputRecord {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  const stream = (map.s ?? 'stdout') as OutputStream;
  return {
    jobId: Number(map.j),
    host: map.h ?? '',
    stream,
    data: stream === 'output' ? JSON.parse(map.d ?? 'null') : (map.d ?? ''),
    ...(map.t ? { ts: map.t } : {}),
  };
}
