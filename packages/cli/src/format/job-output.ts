import { escapeTerminalText, type JobView } from '@fleet/core';
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
  // Names, commands and reasons come from Redis, and a reason may quote a host: escaped on a terminal.
  const shown = escapesOn(process.stdout) ? jobs.map(escapeJobText) : jobs;
  process.stdout.write(options.format === 'list' ? formatJobList(shown, options.via) : formatJobTable(shown));
}

/** A job whose text fields show control characters escaped (core's `escapeTerminalText`). */
function escapeJobText(job: JobView): JobView {
  return {
    ...job,
    name: escapeTerminalText(job.name),
    location: escapeTerminalText(job.location),
    command: escapeTerminalText(job.command),
    reason: job.reason === null ? null : escapeTerminalText(job.reason),
  };
}
