import { publishControl, type JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
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
  const { store } = context;
  const leaves = await store.jobs.leaves(records);
  const running = await store.transitions.stop(leaves.map((leaf) => leaf.view.id));
  if (running.length > 0) await publishControl(store.client, store.keys, { op: 'stop', ids: running });
  const ids = records.map((record) => record.view.id);
  if (options.wait === false) return store.jobs.records(ids);
  return waitForJobs(context, ids, options.signal === undefined ? {} : { signal: options.signal });
}
