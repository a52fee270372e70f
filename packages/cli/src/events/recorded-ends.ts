import { setTimeout as delay } from 'node:timers/promises';
import { compareStreamIds, isFinalState, STREAM_START, type JobState, type StreamId } from '@fleet/core';
import type { CliContext } from '../context.js';
import { readJobs, reapEveryShard } from '../job-shards.js';
import type { AwaitedJobs } from './awaited-jobs.js';
import { shardsByName } from './event-feed.js';

/** How often the jobs' records are read while `fleet events JOB` waits (as `fleet wait` does). */
const RECORD_CHECK_MS = 1000;

/** An end read from a record, and each shard's events stream's last id once it was read: its event, if any, is at or before it. */
interface RecordedEnd {
  id: number;
  state: JobState | null;
  by: ReadonlyMap<string, StreamId>;
}

/**
 * Watches, for `fleet events JOB...`, what the feed alone may never show:
 * every second it reaps (a dead agent's jobs fail, as `fleet wait` makes
 * them) and reads the records of the jobs not yet ended, and takes a job
 * that has ended (or is gone: removed, expired) as ended once the feed has
 * given every event up to that read (`given`) on every shard it reads, so
 * that its output up to its end is given first. Returns once every job has
 * ended, or the signal ends the watch.
 */
export async function watchRecordedEnds(
  context: CliContext,
  awaited: AwaitedJobs,
  /** The feed's position in each shard it reads (EventFeed.position): every event up to it has been given. */
  given: () => ReadonlyMap<string, StreamId>,
  signal: AbortSignal,
): Promise<void> {
  let held: RecordedEnd[] = [];
  while (!awaited.done) {
    try {
      await delay(RECORD_CHECK_MS, undefined, { signal });
    } catch {
      return;
    }
    await reapEveryShard(context);
    const pending = awaited.pending;
    const records = new Map((await readJobs(context, pending)).map((record) => [record.view.id, record.view.state] as const));
    // Read after the records: an end they show was written with its event, at or before these ids.
    const named = await shardsByName(context);
    const by = new Map<string, StreamId>();
    for (const name of given().keys()) {
      const store = named.get(name);
      if (store !== undefined) by.set(name, (await store.events.bounds()).lastGenerated);
    }
    for (const id of pending) {
      const state = records.get(id) ?? null;
      if ((state === null || isFinalState(state)) && !held.some((end) => end.id === id)) held.push({ id, state, by });
    }
    const position = given();
    for (const end of held) {
      if ([...end.by].every(([name, id]) => compareStreamIds(id, position.get(name) ?? STREAM_START) <= 0))
        awaited.endedAs(end.id, end.state);
    }
    held = held.filter((end) => awaited.pending.includes(end.id));
  }
}
