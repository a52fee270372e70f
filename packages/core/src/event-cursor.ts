import { UsageError } from './errors.js';
import { compareStreamIds, formatStreamId, parseStreamId, previousStreamId, type StreamId } from './stream-id.js';

/**
 * Where a reader of job events stands: the last entry of the events stream
 * it has, and for each top-level job whose output it follows (`?job=`), the
 * last entry of that job's output stream it has. It is the SSE `id:` of
 * every event, so that `Last-Event-ID` resumes both exactly after what the
 * client last got.
 */
export interface EventCursor {
  events: StreamId;
  /** Top-level job id → the last output entry given. */
  outputs: ReadonlyMap<number, StreamId>;
}

/** The most followed jobs a cursor names: an id stays well within a header's size. */
export const MAX_CURSOR_OUTPUTS = 100;

/**
 * `EVENTS` alone, or `EVENTS~ROOT:OUTPUT~ROOT:OUTPUT...` with the followed
 * jobs in id order (`1733130000000-4~7:1733130000001-0`).
 */
export function formatEventCursor(cursor: EventCursor): string {
  const outputs = [...cursor.outputs].sort(([a], [b]) => a - b).map(([rootId, id]) => `~${rootId}:${formatStreamId(id)}`);
  return formatStreamId(cursor.events) + outputs.join('');
}

/** Parses what {@link formatEventCursor} made; anything else is a {@link UsageError} naming `what` it came as. */
export function parseEventCursor(text: string, what: string): EventCursor {
  const [events = '', ...rest] = text.split('~');
  if (rest.length > MAX_CURSOR_OUTPUTS) throw new UsageError(`${what} names more than ${MAX_CURSOR_OUTPUTS} jobs`);
  const outputs = new Map<number, StreamId>();
  for (const part of rest) {
    const match = /^(\d{1,15}):(.*)$/.exec(part);
    if (!match) throw new UsageError(`${what} ${JSON.stringify(text.slice(0, 80))} is not an event id`);
    outputs.set(Number(match[1]), parseStreamId(match[2] as string, what));
  }
  return { events: parseStreamId(events, what), outputs };
}

/** The name of the coordinator's shard (the base prefix) in a {@link ShardedEventCursor}. */
export const COORDINATOR_SHARD = '0';

/**
 * Where a reader of several shards' events stands (issue 21): each shard's
 * own cursor, by the shard's name (see shardName; `0` is the coordinator).
 */
export type ShardedEventCursor = ReadonlyMap<string, EventCursor>;

/**
 * The coordinator's cursor alone is written as before ({@link
 * formatEventCursor}): a single Redis's ids do not change. Several shards:
 * `NAME=CURSOR|NAME=CURSOR...`, by name.
 */
export function formatShardedCursor(cursors: ShardedEventCursor): string {
  return joinShardCursors(new Map([...cursors].map(([name, cursor]) => [name, formatEventCursor(cursor)])));
}

/** {@link formatShardedCursor} of cursors each written already (formatEventCursor), by shard name. */
export function joinShardCursors(texts: ReadonlyMap<string, string>): string {
  const only = texts.get(COORDINATOR_SHARD);
  if (texts.size === 1 && only !== undefined) return only;
  return [...texts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, text]) => `${name}=${text}`)
    .join('|');
}

/** Parses what {@link formatShardedCursor} made (a cursor of one Redis is the coordinator's); anything else is a UsageError. */
export function parseShardedCursor(text: string, what: string): ShardedEventCursor {
  if (!text.includes('=')) return new Map([[COORDINATOR_SHARD, parseEventCursor(text, what)]]);
  const cursors = new Map<string, EventCursor>();
  for (const part of text.split('|')) {
    const match = /^(\d{1,3}(?:\.\d{1,6})?)=(.*)$/.exec(part);
    if (!match || cursors.has(match[1] as string)) throw new UsageError(`${what} ${JSON.stringify(text.slice(0, 80))} is not an event id`);
    cursors.set(match[1] as string, parseEventCursor(match[2] as string, what));
  }
  const outputs = [...cursors.values()].reduce((total, cursor) => total + cursor.outputs.size, 0);
  if (outputs > MAX_CURSOR_OUTPUTS) throw new UsageError(`${what} names more than ${MAX_CURSOR_OUTPUTS} jobs`);
  return cursors;
}

/**
 * Whether reading a stream after `after` misses entries, once the stream has
 * been trimmed to begin at `firstKept` (null: never trimmed). Exact for an id
 * the stream gave (the entry just before the first kept was the last one
 * trimmed: nothing after it is lost) and for the id just before an entry.
 */
export function missesTrimmed(after: StreamId, firstKept: StreamId | null): boolean {
  return firstKept !== null && compareStreamIds(after, previousStreamId(firstKept)) < 0;
}
