import { formatStreamId, parseStreamId, STREAM_START, type StreamId } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import { decodeEntry, type StoredEntry } from './output-store.js';
import type { RedisClient } from './redis-connection.js';

/** How far the job events stream reaches: what a reader resuming from an id can still be given. */
export interface EventStreamBounds {
  /** The last id ever added (`0-0` when none): an id past it is not from this stream. */
  lastGenerated: StreamId;
  /**
   * The first entry kept, once entries have been trimmed away (null while
   * none has been): a reader that stands before the entry just before it
   * has missed events. (XTRIM does not move `max-deleted-entry-id`; XDEL does.)
   */
  firstKept: StreamId | null;
}

/** An events stream entry, its fields as text. */
export interface RawJobEvent {
  id: StreamId;
  fields: Map<string, string>;
}

/** What one read of the events stream and the followed output streams gave. */
export interface EventRead {
  events: RawJobEvent[];
  /** Top-level job id → its output entries, in order. */
  outputs: Map<number, StoredEntry[]>;
}

/** Where each source stands: the events stream, and each followed top-level job's output stream. */
export interface EventPositions {
  events: StreamId;
  outputs: ReadonlyMap<number, StreamId>;
}

/**
 * Reads the job events stream (`events`, written by the transition script)
 * and, beside it, the output streams of the top-level jobs a reader follows,
 * without taking anything (as `receive --keep`). Every key shares the
 * prefix's hash tag, so one XREAD covers them on a Redis Cluster too.
 */
export class EventStream {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /** The stream's bounds; a stream never written has `lastGenerated` `0-0` and nothing trimmed. */
  async bounds(): Promise<EventStreamBounds> {
    let info: unknown[];
    try {
      info = (await this.client.xinfo('STREAM', this.keys.events)) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return { lastGenerated: STREAM_START, firstKept: null };
      throw error;
    }
    const field = (name: string) => {
      const at = info.indexOf(name);
      return at === -1 ? undefined : info[at + 1];
    };
    const lastGenerated = parseStreamId(String(field('last-generated-id')), 'XINFO last-generated-id');
    const length = Number(field('length'));
    // Redis 6 does not count what was added: take it that the stream was trimmed.
    const added = field('entries-added');
    if (added !== undefined && Number(added) <= length) return { lastGenerated, firstKept: null };
    const first = field('first-entry') as [string, unknown] | null | undefined;
    return {
      lastGenerated,
      firstKept: first ? parseStreamId(String(first[0]), 'XINFO first-entry') : { ms: lastGenerated.ms, seq: lastGenerated.seq + 1n },
    };
  }

  /** The id of each top-level job's `created` event (null for a job made before there were events, or gone). */
  async createdEventIds(rootIds: readonly number[]): Promise<Map<number, StreamId | null>> {
    const pipeline = this.client.pipeline();
    for (const rootId of rootIds) pipeline.hget(this.keys.job(rootId), 'eventId');
    const replies = (await pipeline.exec()) ?? [];
    return new Map(
      rootIds.map((rootId, index) => {
        const [error, value] = replies[index] ?? [null, null];
        if (error) throw error;
        return [rootId, typeof value === 'string' && value !== '' ? parseStreamId(value, 'eventId') : null];
      }),
    );
  }

  /**
   * Entries after the positions given, up to `count` from each stream;
   * waits up to `blockMs` for one (on a connection of its own: a blocking
   * read holds it), and returns null when none came.
   */
  async read(client: RedisClient, after: EventPositions, blockMs: number, count: number): Promise<EventRead | null> {
    const roots = [...after.outputs.keys()];
    const keys = [this.keys.events, ...roots.map((rootId) => this.keys.output(rootId))];
    const ids = [after.events, ...roots.map((rootId) => after.outputs.get(rootId) as StreamId)].map(formatStreamId);
    const reply = await client.xreadBuffer('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...[...keys, ...ids]);
    if (reply === null) return null;
    const read: EventRead = { events: [], outputs: new Map() };
    for (const [key, entries] of reply) {
      const name = key.toString();
      if (name === this.keys.events) {
        read.events = entries.map(([id, fields]) => ({
          id: parseStreamId(id.toString(), 'an events stream id'),
          fields: textFields(fields),
        }));
        continue;
      }
      const rootId = roots.find((root) => this.keys.output(root) === name);
      if (rootId !== undefined)
        read.outputs.set(
          rootId,
          entries.map(([id, fields]) => decodeEntry(id.toString(), fields)),
        );
    }
    return read;
  }

  /**
   * A top-level job's output entries after `after` and made by Redis's
   * millisecond `throughMs` (that millisecond included), up to `count` (no wait).
   */
  async outputAfter(client: RedisClient, rootId: number, after: StreamId, throughMs: number, count: number): Promise<StoredEntry[]> {
    const entries = await client.xrangeBuffer(this.keys.output(rootId), `(${formatStreamId(after)}`, String(throughMs), 'COUNT', count);
    return entries.map(([id, fields]) => decodeEntry(id.toString(), fields));
  }
}

function textFields(fields: Buffer[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), String(fields[i + 1]));
  return map;
}
