import type { JobSelector, JobState } from '@fleet/core';
import type { FleetStore, JobRecord } from '@fleet/store';

export interface JobListing {
  /** Ids or names; none lists every job that is not a child. */
  selectors: readonly JobSelector[];
  /** Only jobs in this state. */
  state?: JobState | undefined;
  /** Each parent listed is followed by its children. */
  children: boolean;
}

/** The jobs `fleet get` lists, and `GET /api/jobs` answers with: after reaping, selected, with children, filtered by state. */
export async function listJobs(store: FleetStore, listing: JobListing): Promise<JobRecord[]> {
  await store.reap();
  let records = listing.selectors.length > 0 ? await store.jobs.select(listing.selectors) : await store.jobs.roots();
  if (listing.children) {
    const expanded: JobRecord[] = [];
    for (const record of records) {
      expanded.push(record);
      if (record.isParent) expanded.push(...(await store.jobs.leaves([record])));
    }
    records = expanded;
  }
  return records.filter((record) => listing.state === undefined || record.view.state === listing.state);
}
