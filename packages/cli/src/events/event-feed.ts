import {
  compareStreamIds,
  DEFAULTS,
  decodeJobEvent,
  formatEventCursor,
  isFinalState,
  joinShardCursors,
  MAX_CURSOR_OUTPUTS,
  COORDINATOR_SHARD,
  shardName,
  type ShardedEventCursor,
  missesTrimmed,
  parseStreamId,
  previousStreamId,
  RedisUnavailableError,
  STREAM_START,
  type EventCursor,
  type JobEvent,
  type StreamId,
  UsageError,
} from '@fleet/core';
import type { EventStreamBounds, FleetStore, JobRecord, RedisClient, StoredEntry } from '@fleet/store';
import type { CliContext } from '../context.js';
import { groupByShard, onShard } from '../job-shards.js';
import { inTimeOrder, isWatched, outputPiece, type EventWatch, type OutputPiece, type ReadItem } from './event-items.js';

/**
 * What a reader of job events is given. Every item but a heartbeat carries
 * the cursor after it (formatEventCursor): the SSE `id:` that resumes just
 * after it.
 */
export type FeedItem =
  | { kind: 'job'; cursor: string; event: JobEvent }
  /** `entry` is the piece as stored, for a printer that makes lines of it. */
  | { kind: 'output'; cursor: string; piece: OutputPiece; entry: StoredEntry }
  /** Events were lost to the reader (trimmed, or an id from another stream): re-read the jobs, then go on from here. */
  | { kind: 'reset'; cursor: string; reason: string }
  /** Nothing happened for a while. */
  | { kind: 'heartbeat' };

export interface EventFeedOptions {
  /** The jobs named (`?job=`, `fleet events JOB...`), each with its tree, or null for every job. */
  jobs: readonly JobRecord[] | null;
  /**
   * Go on just after this cursor (`Last-Event-ID`, `?since=`; each shard's
   * own). Without one a feed of every job starts now, and a feed of named
   * jobs at their creation, with their output from its start.
   */
  since: ShardedEventCursor | null;
  /** Ends the feed (the client went away, Ctrl-C): its blocking read is cut at once. */
  signal: AbortSignal;
}

/** An opened feed: its checks are done and Redis answered; {@link batches} reads it. */
export interface EventFeed {
  /** The items, a batch per read of Redis (a writer writes each batch at once). */
  batches(): AsyncGenerator<FeedItem[]>;
  /**
   * Where the feed stands in the events stream of each shard it reads (by
   * shard name, see shardName): every event up to it (and the output before
   * it) is in a batch already given.
   */
  position(): ReadonlyMap<string, StreamId>;
}

/** A feed of one shard's events stream (and of its named jobs' output). */
interface ShardFeed {
  batches(): AsyncGenerator<FeedItem[]>;
  position(): StreamId;
}

/** Why events were lost: they are kept for so long only. */
const trimmedAway = `trimmed away (the stream keeps the last ~${DEFAULTS.eventStreamLength.toLocaleString('en')})`;

/** Entries taken from each stream a read. */
const READ_COUNT = 500;

/**
 * Opens a feed of job events and, for named jobs, their output. Everything
 * that can refuse it (a bad cursor is the caller's; Redis unreachable here)
 * happens before the first item, so that a server can still answer with a
 * status.
 */
export async function openEventFeed(context: CliContext, options: EventFeedOptions): Promise<EventFeed> {
  const rootIds = [...new Set((options.jobs ?? []).map((record) => record.rootId))];
  // A cursor names each tree followed: one naming more could not be resumed.
  if (rootIds.length > MAX_CURSOR_OUTPUTS) {
    throw new UsageError(`the jobs named are in ${rootIds.length} trees: events follow at most ${MAX_CURSOR_OUTPUTS} at once`, {
      hint: 'name fewer jobs, or their top-level jobs (a child is followed with its tree)',
    });
  }
  const named = await shardsByName(context);
  const onlySince = options.since === null || (options.since.size === 1 && options.since.has(COORDINATOR_SHARD));
  if (named.size === 1 && onlySince) {
    // One shard (a single Redis): its stream, its cursors, as they have always been.
    const feed = await openShardFeed(context, { ...options, since: options.since?.get(COORDINATOR_SHARD) ?? null }, null, (here) => here);
    return { batches: () => feed.batches(), position: () => new Map([[COORDINATOR_SHARD, feed.position()]]) };
  }
  // Several: a feed of each shard that holds a job named (every shard without), merged as they come.
  const shares =
    options.jobs === null
      ? [...named].map(([name, store]) => ({ name, store, jobs: null }))
      : (await groupByShard(context, options.jobs)).map(({ context: shard, records }) => ({
          name: nameOf(named, shard.store),
          store: shard.store,
          jobs: records,
        }));
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const latest = new Map<string, string>();
  const feeds = await Promise.all(
    shares.map(async ({ name, store, jobs }) => {
      const since = options.since === null ? null : (options.since.get(name) ?? undefined);
      // A cursor from before this shard was read has no place in it: from now, after a reset.
      const missing = since === undefined ? `the id has no position in shard ${name} (added since it was given)` : null;
      const label = (here: string) => {
        latest.set(name, here);
        return joinShardCursors(latest);
      };
      const feed = await openShardFeed(onShard(context, store), { jobs, since: since ?? null, signal }, missing, label);
      return { name, feed };
    }),
  );
  return {
    batches: () => mergedBatches(feeds, stop),
    position: () => new Map(feeds.map(({ name, feed }) => [name, feed.position()])),
  };
}

/** Every shard, by name. */
export async function shardsByName(context: CliContext): Promise<Map<string, FleetStore>> {
  const base = context.shards.coordinator.keys.prefix;
  const named = new Map<string, FleetStore>();
  for (const store of await context.shards.all()) named.set(shardName(store.keys.prefix, base) ?? store.keys.prefix, store);
  return named;
}

function nameOf(named: ReadonlyMap<string, FleetStore>, store: FleetStore): string {
  for (const [name, each] of named) if (each === store) return name;
  return store.keys.prefix;
}

/**
 * The shards' batches as each comes, one shard's after another's; once the
 * reader stops (or one shard's feed fails), every shard's feed is ended.
 */
async function* mergedBatches(feeds: readonly { name: string; feed: ShardFeed }[], stop: AbortController): AsyncGenerator<FeedItem[]> {
  const iterators = feeds.map(({ feed }) => feed.batches());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<FeedItem[]> }>>();
  const next = (index: number) => {
    const iterator = iterators[index] as AsyncGenerator<FeedItem[]>;
    pending.set(
      index,
      iterator.next().then((result) => ({ index, result })),
    );
  };
  iterators.forEach((_, index) => next(index));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      pending.delete(index);
      if (result.done === true) continue;
      yield result.value;
      next(index);
    }
  } finally {
    stop.abort();
    await Promise.allSettled(pending.values());
    await Promise.allSettled(iterators.map((iterator) => iterator.return(undefined)));
  }
}

/** Opens one shard's feed: `reset`, when not null, comes first and the feed starts now. */
async function openShardFeed(
  context: CliContext,
  options: Omit<EventFeedOptions, 'since'> & { since: EventCursor | null },
  reset: string | null,
  label: (here: string) => string,
): Promise<ShardFeed> {
  const { store } = context;
  const rootIds = [...new Set((options.jobs ?? []).map((record) => record.rootId))];
  const bounds = await store.events.bounds();
  const watch: EventWatch = { jobIds: options.jobs === null ? null : new Set(options.jobs.map((record) => record.view.id)) };
  const start = reset === null ? await startingPoint(context, options, rootIds, bounds) : { events: bounds.lastGenerated, reset };
  const outputs = new Map(rootIds.map((rootId) => [rootId, options.since?.outputs.get(rootId) ?? STREAM_START] as const));
  const cursor = { events: start.events, outputs };
  const progress = { given: start.events };
  return {
    position: () => progress.given,
    batches: () => readFeed(context, cursor, progress, watch, start.reset, options.signal, context.settings.eventHeartbeatMs, label),
  };
}

/** Where the events stream is read from, and why a reset comes first when it does. */
async function startingPoint(
  context: CliContext,
  options: Omit<EventFeedOptions, 'since'> & { since: EventCursor | null },
  rootIds: readonly number[],
  bounds: EventStreamBounds,
): Promise<{ events: StreamId; reset: string | null }> {
  const now = { events: bounds.lastGenerated, reset: null };
  const trimmed = `the events after it were ${trimmedAway}`;
  const missesEvents = (after: StreamId) => missesTrimmed(after, bounds.firstKept);
  if (options.since !== null) {
    if (compareStreamIds(options.since.events, bounds.lastGenerated) > 0) {
      return { ...now, reset: 'the id is not from this stream (Redis was emptied, or is another one)' };
    }
    if (missesEvents(options.since.events)) return { ...now, reset: `the id is too old: ${trimmed}` };
    return { events: options.since.events, reset: null };
  }
  if (rootIds.length === 0) return now;
  const created = [...(await context.store.events.createdEventIds(rootIds)).values()];
  // A job made before events were kept has no history to replay: from now, after a reset.
  if (created.some((id) => id === null)) return { ...now, reset: 'a job named was made before its events were kept' };
  const earliest = previousStreamId((created as StreamId[]).reduce((a, b) => (compareStreamIds(a, b) <= 0 ? a : b)));
  if (missesEvents(earliest)) return { ...now, reset: `a job named is too old: ${trimmed}` };
  return { events: earliest, reset: null };
}

async function* readFeed(
  context: CliContext,
  /** Where the feed stands, moved as it reads. */
  cursor: { events: StreamId; outputs: Map<number, StreamId> },
  /** The events stream's id up to which every event is in a batch given (EventFeed.position). */
  progress: { given: StreamId },
  watch: EventWatch,
  reset: string | null,
  signal: AbortSignal,
  heartbeatMs: number,
  /** The cursor as items carry it: this shard's, or with every other shard's beside it. */
  label: (here: string) => string,
): AsyncGenerator<FeedItem[]> {
  const { store } = context;
  const here = () => label(formatEventCursor(cursor));
  if (reset !== null) yield [{ kind: 'reset', cursor: here(), reason: reset }];
  // A blocking read holds its connection: one of the feed's own, cut when the feed ends.
  const client = await context.connectAnother();
  // A connection that drops would have its read resent once Redis is back (ioredis keeps it
  // pending meanwhile, even once disconnected): the feed ends instead, as it does once aborted.
  let lost = false;
  const cut = () => client.disconnect();
  let end: (reason: Error) => void = () => {};
  const ended = new Promise<never>((_, reject) => (end = reject));
  ended.catch(() => {});
  const onClose = () => {
    lost = true;
    end(new Error('the connection to Redis closed'));
    cut();
  };
  const onAbort = () => {
    end(new Error('the reader went away'));
    cut();
  };
  client.once('close', onClose);
  signal.addEventListener('abort', onAbort, { once: true });
  /** A read of the feed's connection, given up once the feed ends. */
  const whileOpen = <T>(read: Promise<T>): Promise<T> => Promise.race([read, ended]);
  const outputItem = (rootId: number, item: Extract<ReadItem, { source: 'output' }>): FeedItem[] => {
    // A piece drained before an end may come again in the same read.
    if (compareStreamIds(item.id, cursor.outputs.get(rootId) ?? STREAM_START) <= 0) return [];
    cursor.outputs.set(rootId, item.id);
    const piece = outputPiece(item.entry);
    return piece !== null && isWatched(watch, piece.jobId, rootId) ? [{ kind: 'output', cursor: here(), piece, entry: item.entry }] : [];
  };
  let lastGiven = Date.now();
  try {
    while (!signal.aborted) {
      const read = await whileOpen(store.events.read(client, cursor, heartbeatMs, READ_COUNT));
      if (read === null) {
        yield [{ kind: 'heartbeat' }];
        lastGiven = Date.now();
        continue;
      }
      if (await fellBehind(read.events)) {
        yield [{ kind: 'reset', cursor: here(), reason: `the reader fell behind: ${trimmedAway}` }];
      }
      const streams: ReadItem[][] = [
        read.events.map(({ id, fields }) => ({ source: 'events', id, event: decodeJobEvent(id, fields) })),
        ...[...read.outputs].map(([rootId, entries]) =>
          entries.map((entry) => ({ source: 'output' as const, rootId, id: parseEntryId(entry.entryId), entry })),
        ),
      ];
      let batch: FeedItem[] = [];
      for (const item of inTimeOrder(streams)) {
        if (item.source === 'output') {
          batch.push(...outputItem(item.rootId, item));
          continue;
        }
        const event = item.event;
        // An agent writes all of a job's output before it ends it: give the rest before the end,
        // a page a batch (a tree's whole output is never held at once).
        if (event !== null && event.state !== null && isFinalState(event.state) && cursor.outputs.has(event.rootId)) {
          for await (const page of drain(client, event.rootId, item.id.ms)) {
            batch.push(...page.flatMap((entry) => outputItem(event.rootId, entry)));
            if (batch.length > 0) yield batch;
            batch = [];
            progress.given = cursor.events;
          }
        }
        cursor.events = item.id;
        // An entry that is not a job event (anyone may XADD) moves the cursor past it and is not given.
        if (event !== null && isWatched(watch, event.jobId, event.rootId)) batch.push({ kind: 'job', cursor: here(), event });
      }
      // Reads that give nothing (other jobs' events, with ?job=) still make a heartbeat when due.
      if (batch.length === 0 && Date.now() - lastGiven >= heartbeatMs) batch.push({ kind: 'heartbeat' });
      if (batch.length > 0) {
        yield batch;
        lastGiven = Date.now();
      }
      progress.given = cursor.events;
    }
  } catch (error) {
    if (signal.aborted) return;
    if (lost) throw new RedisUnavailableError('the connection to Redis was lost: the event stream ends', { cause: error });
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    client.off('close', onClose);
    cut();
  }

  /**
   * Whether events after the cursor were trimmed away before this read took
   * them. Only a full read can follow a loss (the stream keeps ~100,000
   * newer entries than any it trimmed); then the stream's bounds say whether
   * the first entry read is past a gap.
   */
  async function fellBehind(events: readonly { id: StreamId }[]): Promise<boolean> {
    const first = events[0];
    if (events.length < READ_COUNT || first === undefined) return false;
    const { firstKept } = await whileOpen(store.events.bounds());
    return firstKept !== null && compareStreamIds(first.id, firstKept) >= 0 && missesTrimmed(cursor.events, firstKept);
  }

  /** A tree's output after the cursor, through Redis's millisecond `throughMs` (its end's), a page at a time. */
  async function* drain(reader: RedisClient, rootId: number, throughMs: number): AsyncGenerator<Extract<ReadItem, { source: 'output' }>[]> {
    let after = cursor.outputs.get(rootId) ?? STREAM_START;
    for (;;) {
      const entries = await whileOpen(store.events.outputAfter(reader, rootId, after, throughMs, READ_COUNT));
      yield entries.map((entry) => ({ source: 'output' as const, rootId, id: (after = parseEntryId(entry.entryId)), entry }));
      if (entries.length < READ_COUNT) return;
    }
  }
}

function parseEntryId(entryId: string): StreamId {
  return parseStreamId(entryId, 'an output entry id');
}
