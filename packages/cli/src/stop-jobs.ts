import { publishControl, type JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
import { groupByShard, readJobs } from './job-shards.js';
import { waitForJobs } from './job-watch.js';

/**
 * Stops jobs (SPEC §4): children not yet started become Stopped at once;
 * running ones are signalled on their agents (SIGTERM, then SIGKILL after the
 * grace period). Resolves once every one of them has finished, or with
 * `wait: false` once the stop is signalled, with the jobs as they stand;
 * `signal` gives up the wait (the stop itself is signalled already).
 */
export async function stopJobs(
  context: CliContext,
  records: readonly JobRecord[],
  options: { wait?: boolean; signal?: AbortSignal } = {},
): Promise<JobRecord[]> {
  const shares = await groupByShard(context, records);
  const running = await Promise.all(
    shares.map(async ({ context: shard, records: held }) => {
      const leaves = await shard.store.jobs.leaves(held);
      return shard.store.transitions.stop(leaves.map((leaf) => leaf.view.id));
    }),
  );
  // The agents' control channel is the coordinator's, whichever shard holds the jobs.
  if (running.flat().length > 0) await publishControl(context.store.client, context.store.keys, { op: 'stop', ids: running.flat() });
  const ids = records.map((record) => record.view.id);
  if (options.wait === false) return readJobs(context, ids);
  return waitForJobs(context, ids, options.signal === undefined ? {} : { signal: options.signal });
}
