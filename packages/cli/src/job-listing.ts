import type { JobSelector, JobState } from '@fleet/core';
import type { FleetStore, JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';
import { everyShard, reapEveryShard, selectByShard } from './job-shards.js';

export interface JobListing {
  /** Ids or names; none lists every job that is not a child. */
  selectors: readonly JobSelector[];
  /** Only jobs in this state. */
  state?: JobState | undefined;
  /** Each parent listed is followed by its children. */
  children: boolean;
}

/**
 * The jobs `fleet get` lists, and `GET /api/jobs` answers with: after
 * reaping, selected (on whichever shard each lives; every shard's
 * top-level jobs without selectors), ordered by id, with children,
 * filtered by state.
 */
export async function listJobs(context: CliContext, listing: JobListing): Promise<JobRecord[]> {
  await reapEveryShard(context);
  const shares =
    listing.selectors.length > 0
      ? await selectByShard(context, listing.selectors)
      : await Promise.all((await everyShard(context)).map(async (shard) => ({ context: shard, records: await shard.store.jobs.roots() })));
  // One group per job listed: the job, then its children when asked. Groups of all shards, by the job's id.
  const groups = (await Promise.all(shares.map(({ context: shard, records }) => withChildren(shard.store, records, listing.children))))
    .flat()
    .sort((a, b) => (a[0]?.view.id ?? 0) - (b[0]?.view.id ?? 0));
  return groups.flat().filter((record) => listing.state === undefined || record.view.state === listing.state);
}

async function withChildren(store: FleetStore, records: readonly JobRecord[], children: boolean): Promise<JobRecord[][]> {
  const groups: JobRecord[][] = [];
  for (const record of records) groups.push(children && record.isParent ? [record, ...(await store.jobs.leaves([record]))] : [record]);
  return groups;
}
