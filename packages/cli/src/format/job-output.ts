import { escapeTerminalField, type JobView } from '@fleet/core';
import { formatJobList, formatJobTable } from './job-table.js';
import { escapesOn, jsonForTerminal } from './terminal-text.js';

export type JobFormat = 'table' | 'list';

/** Prints jobs in the form asked for: a JSON array, a table or a list. */
export function printJobs(
  jobs: readonly JobView[],
  options: { json?: boolean; format?: JobFormat; single?: boolean; via?: ReadonlyMap<number, string> },
): void {
  if (options.json) {
    process.stdout.write(`${jsonForTerminal(process.stdout, JSON.stringify(options.single ? jobs[0] : jobs))}\n`);
    return;
  }
  // Every field comes from Redis, and a reason may quote a host: escaped on a terminal, one line each.
  const show = escapesOn(process.stdout) ? escapeTerminalField : undefined;
  process.stdout.write(options.format === 'list' ? formatJobList(jobs, options.via, show) : formatJobTable(jobs, show));
}
