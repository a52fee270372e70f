import { ChildJobError, isFinalState, JobStateError } from '@fleet/core';
import type { JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
import { groupByShard } from './job-shards.js';
import { stopJobs } from './stop-jobs.js';

/**
 * Removes jobs as `fleet remove` does (SPEC §4): a child is refused apart from
 * its parent; a job not yet finished is refused unless `force`, which stops it
 * first (a `signal` aborted while it waits for the stop gives up, removing nothing).
 */
export async function removeJobs(
  context: CliContext,
  records: readonly JobRecord[],
  options: { force: boolean; signal?: AbortSignal },
): Promise<void> {
  const child = records.find((record) => record.view.parentId !== null);
  if (child) throw new ChildJobError(child.view.id, child.view.parentId as number);
  const unfinished = records.filter((record) => !isFinalState(record.view.state));
  if (unfinished.length > 0 && !options.force) {
    const list = unfinished.map((record) => `job ${record.view.id} is ${record.view.state}`).join(', ');
    throw new JobStateError(`not removed: ${list}`, unfinished[0]!.view.id, { hint: 'stop it first, or use --force' });
  }
  if (unfinished.length > 0) await stopJobs(context, unfinished, options.signal === undefined ? {} : { signal: options.signal });
  for (const share of await groupByShard(context, records)) await share.context.store.jobs.remove(share.records);
}
