import type { JobView } from '@fleet/core';
import { formatJobList, formatJobTable } from './job-table.js';

export type JobFormat = 'table' | 'list';

/** Prints jobs in the form asked for: a JSON array, a table or a list. */
export function printJobs(
  jobs: readonly JobView[],
  options: { json?: boolean; format?: JobFormat; single?: boolean; via?: ReadonlyMap<number, string> },
): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(options.single ? jobs[0] : jobs)}\n`);
    return;
  }
  process.stdout.write(options.format === 'list' ? formatJobList(jobs, options.via) : formatJobTable(jobs));
}
