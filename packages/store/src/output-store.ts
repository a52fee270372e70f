import { DEFAULTS, type OutputRecord, type OutputStream } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * A stream entry of one job's output. For stdout and stderr, `data` is a
 * piece of what the command wrote (`raw`): the stream's bytes, exactly, are
 * the `data` of its entries in order, and an entry may end anywhere, inside
 * a line or a UTF-8 character. Entries without `raw` were stored before
 * that: one or more whole lines joined by newlines. An `error` entry is a
 * reason, an `output` entry a JSON value.
 */
export interface StoredEntry {
  /** The stream entry id that deletes it. */
  entryId: string;
  jobId: number;
  host: string;
  stream: OutputStream;
  data: Buffer;
  /** stdout or stderr bytes as the command wrote them, not cut into lines (field `r`). */
  raw: boolean;
  ts?: string;
}

/** What an agent at the output cap needs to know of a job. */
export interface OutputStanding {
  /** Bytes of the job's output Redis holds unreceived. */
  unreadBytes: number;
  /** Whether a reader follows the job's tree and takes all of it: then the agent waits for it instead of dropping. */
  followed: boolean;
}

/** Reads the output stream of a top-level job (it holds every child's records, in arrival order). */
export class OutputStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /**
   * Up to `count` entries after `afterEntryId` (from the start when null). An
   * entry holds up to 64 KiB, so a page stays within 2 MiB.
   */
  async read(rootId: number, afterEntryId: string | null, count: number = DEFAULTS.outputPageEntries): Promise<StoredEntry[]> {
    const entries = await this.client.xrangeBuffer(
      this.keys.output(rootId),
      afterEntryId === null ? '-' : `(${afterEntryId}`,
      '+',
      'COUNT',
      count,
    );
    return entries.map(([entryId, fields]) => decodeEntry(entryId.toString(), fields));
  }

  /**
   * Says that a reader follows these top-level jobs and takes all their
   * output, for `ttlMs`: the reader says it again well before then, and
   * once it stops (it died), agents drop past the cap again.
   */
  async follow(rootIds: readonly number[], ttlMs: number = DEFAULTS.outputFollowTtlMs): Promise<void> {
    if (rootIds.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const rootId of rootIds) pipeline.set(this.keys.follower(rootId), '1', 'PX', ttlMs);
    await pipeline.exec();
  }

  /** A job's unreceived bytes, and whether a reader follows its tree. */
  async standing(jobId: number, rootId: number): Promise<OutputStanding> {
    const replies =
      (await this.client.pipeline().hget(this.keys.job(jobId), 'unreadBytes').exists(this.keys.follower(rootId)).exec()) ?? [];
    const [[readError, unreadBytes] = [null, null], [followError, followed] = [null, 0]] = replies;
    if (readError) throw readError;
    if (followError) throw followError;
    return { unreadBytes: Number(unreadBytes ?? 0), followed: followed === 1 };
  }
}

/**
 * A record's data as the stream holds it: `output` values as JSON, the rest
 * as they are. Field names (`j`, `h`, `s`, `d`, `t`, `r`) are one letter to
 * keep millions of records small; the transition script writes them.
 */
export function encodeData(stream: OutputStream, data: unknown): string {
  return stream === 'output' ? JSON.stringify(data) : String(data);
}

/** A stream entry as a reader sees it. */
export function decodeEntry(entryId: string, fields: Buffer[]): StoredEntry {
  const map: Record<string, Buffer> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[String(fields[i])] = fields[i + 1] as Buffer;
  const text = (name: string) => map[name]?.toString() ?? '';
  const stream = (text('s') || 'stdout') as OutputStream;
  return {
    entryId,
    jobId: Number(text('j')),
    host: text('h'),
    stream,
    data: map.d ?? Buffer.alloc(0),
    raw: text('r') === '1',
    ...(map.t ? { ts: text('t') } : {}),
  };
}

/**
 * An entry's records: its value, its lines split apart again (line-packed
 * entries), or for a raw entry one record of its bytes as text, which is
 * lossy (an entry may end inside a line or a character): readers that show
 * lines join raw entries first (core's `JobLines`).
 */
export function entryRecords(entry: StoredEntry): OutputRecord[] {
  const { jobId, host, stream } = entry;
  const data = entry.data.toString();
  const ts = entry.ts === undefined ? {} : { ts: entry.ts };
  const values: unknown[] = stream === 'output' ? [JSON.parse(data)] : stream === 'error' || entry.raw ? [data] : data.split('\n');
  return values.map((value) => ({ jobId, host, stream, data: value, ...ts }));
}
