import {
  escapeTerminalBytes,
  escapeTerminalField,
  formatFailureGroups,
  formatOutputGroups,
  groupByOutput,
  type JobView,
} from '@fleet/core';
import { entryRecords, type StoredEntry } from '@fleet/store';
import { escapesOn, forTerminal } from '../format/terminal-text.js';
import { entryChunk, utf8AsLatin1 } from './entry-bytes.js';
import type { OutputHandler } from './output-page.js';
import { RecordPrinter } from './record-printer.js';

/**
 * `--group`, as `clush -b` does it: gathers every host's stdout, then prints
 * each distinct stdout once under the hosts that wrote it and exited with the
 * same code, and the hosts that did not complete grouped by why. Stderr is not grouped: its lines print on
 * stderr as they come, `HOST: line`, as clush -b prints them. So what a host
 * wrote on stderr, and how its two streams interleaved, never splits hosts
 * whose stdout was the same. A thread job's values count as its stdout; why
 * a job failed is not output but goes in the failure lines.
 */
export class OutputGrouper {
  /** Each job's stdout so far, as Latin-1 strings (one character a byte). */
  private readonly byJob = new Map<number, string[]>();
  private readonly stderr: RecordPrinter;

  /** `raw`: a terminal gets a host's control characters as they are (`--raw`). */
  constructor(private readonly raw = false) {
    this.stderr = new RecordPrinter({ json: false, prefix: true, raw });
  }

  readonly emit: OutputHandler = async (page) => {
    const stderr: StoredEntry[] = [];
    for (const entry of page.entries) {
      if (entry.stream === 'stderr') stderr.push(entry);
      else if (entry.stream === 'stdout') this.gather(entry.jobId, entryChunk(entry));
      else if (entry.stream === 'output') this.gather(entry.jobId, utf8AsLatin1(`${JSON.stringify(entryRecords(entry)[0]?.data)}\n`));
    }
    await this.stderr.emit({ ...page, entries: stderr });
  };

  /** Prints the groups on stdout and the failures on stderr; `leaves` are the jobs whose hosts count. */
  async print(leaves: readonly JobView[]): Promise<void> {
    await this.stderr.finish();
    // A location is Redis' word, not a parsed host entry: shown escaped and on one line, on a terminal or not, so
    // that it can write no header of its own; as bytes, as the Latin-1 write below wants.
    const outputs = leaves.map((leaf) => ({
      host: utf8AsLatin1(escapeTerminalField(leaf.location)),
      text: (this.byJob.get(leaf.id) ?? []).join(''),
      exitCode: leaf.exitCode,
    }));
    // Outputs are bytes held as Latin-1, and so are the headers' hosts: one Latin-1 write keeps both.
    // Grouped on the bytes; on a terminal each group's text is shown escaped.
    const escape = escapesOn(process.stdout, this.raw);
    const groups = groupByOutput(outputs).map((group) => (escape ? { ...group, text: escapeTerminalBytes(group.text) } : group));
    process.stdout.write(formatOutputGroups(groups), 'latin1');
    const failures = leaves
      .filter((leaf) => leaf.state === 'Failed' || leaf.state === 'Stopped')
      .map((leaf) => ({ host: escapeTerminalField(leaf.location), state: leaf.state, reason: leaf.reason ?? leaf.state.toLowerCase() }));
    process.stderr.write(forTerminal(process.stderr, formatFailureGroups(failures)));
  }

  private gather(jobId: number, bytes: string): void {
    const chunks = this.byJob.get(jobId);
    if (chunks === undefined) this.byJob.set(jobId, [bytes]);
    else chunks.push(bytes);
  }
}
