import { setTimeout as delay } from 'node:timers/promises';
import { isFinalState, WaitTimeoutError } from '@fleet/core';
import type { JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
import { idsByShard, readShares } from './job-shards.js';

export interface WaitOptions {
  /** Return once one job has finished instead of all. */
  any?: boolean;
  timeoutMs?: number | null;
  /** Sees the jobs as read each round (a progress line). */
  onRound?: (records: JobRecord[]) => void;
  /** Gives up waiting when aborted (an HTTP client gone): rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Waits until the jobs have finished (or one has, with `any`) and returns their
 * final records. It wakes on the finish events agents publish, and re-reads at
 * least every second in case one was missed; each round also fails the jobs of
 * agents that died, so a wait never hangs on a lost agent.
 */
export async function waitForJobs(context: CliContext, ids: readonly number[], options: WaitOptions = {}): Promise<JobRecord[]> {
  // Each shard publishes the ends of its own jobs, and reaps its own lost agents.
  const shares = await idsByShard(context, ids);
  const deadline = options.timeoutMs == null ? Infinity : Date.now() + options.timeoutMs;
  const subscriber = await context.connectAnother();
  let wake: () => void = () => {};
  subscriber.on('message', () => wake());
  await subscriber.subscribe(...new Set([context.store.keys.finishedChannel, ...shares.map(({ store }) => store.keys.finishedChannel)]));
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await Promise.all(shares.map(({ store }) => store.reap()));
      const records = await readShares(shares, ids);
      options.onRound?.(records);
      const finished = records.filter((record) => isFinalState(record.view.state));
      if (options.any ? finished.length > 0 : finished.length === records.length) return options.any ? finished : records;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const pending = records.filter((record) => !isFinalState(record.view.state)).map((record) => record.view.id);
        throw new WaitTimeoutError((options.timeoutMs ?? 0) / 1000, pending);
      }
      const pause = new AbortController();
      const aborted = new Promise<void>((resolve) =>
        options.signal?.addEventListener('abort', () => resolve(), { once: true, signal: pause.signal }),
      );
      await Promise.race([woken, aborted, delay(Math.min(1000, remaining), undefined, { signal: pause.signal }).catch(() => {})]);
      pause.abort();
    }
  } finally {
    subscriber.disconnect();
  }
}
