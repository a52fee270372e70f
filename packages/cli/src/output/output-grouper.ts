import { formatFailureGroups, formatOutputGroups, groupByOutput, type JobView } from '@fleet/core';
import { entryRecords } from '@fleet/store';
import type { OutputHandler } from './output-page.js';

/**
 * Gathers every host's output for `--group`, then prints each distinct output
 * once under the hosts that wrote it, like `clush -b`, and the hosts that did
 * not complete grouped by why. A host's output is its stdout and stderr lines
 * in the order they came (and a thread job's values); why a job failed is not
 * part of it but of the failure lines.
 */
export class OutputGrouper {
  private readonly byJob = new Map<number, string[]>();

  readonly emit: OutputHandler = ({ entries }) => {
    for (const entry of entries) {
      if (entry.stream === 'error') continue;
      const lines = this.byJob.get(entry.jobId) ?? [];
      for (const record of entryRecords(entry)) {
        lines.push(`${record.stream === 'output' ? JSON.stringify(record.data) : String(record.data)}\n`);
      }
      this.byJob.set(entry.jobId, lines);
    }
  };

  /** Prints the groups on stdout and the failures on stderr; `leaves` are the jobs whose hosts count. */
  print(leaves: readonly JobView[]): void {
    const outputs = leaves.map((leaf) => ({ host: leaf.location, text: (this.byJob.get(leaf.id) ?? []).join('') }));
    process.stdout.write(formatOutputGroups(groupByOutput(outputs)));
    const failures = leaves
      .filter((leaf) => leaf.state === 'Failed' || leaf.state === 'Stopped')
      .map((leaf) => ({ host: leaf.location, state: leaf.state, reason: leaf.reason ?? leaf.state.toLowerCase() }));
    process.stderr.write(formatFailureGroups(failures));
  }
}
