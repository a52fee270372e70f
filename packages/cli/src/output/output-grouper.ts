import {
  escapeTerminalBytes,
  escapeTerminalField,
  formatFailureGroups,
  formatOutputGroups,
  groupByOutput,
  type HostFailure,
  type JobView,
  type OutputGroup,
} from '@fleet/core';
import { entryRecords, type StoredEntry } from '@fleet/store';
import { escapesOn, forTerminal } from '../format/terminal-text.js';
import { entryChunk, utf8AsLatin1 } from './entry-bytes.js';
import type { OutputHandler } from './output-page.js';
import { RecordPrinter } from './record-printer.js';

/** Hosts grouped by identical stdout and exit code, and those that did not complete. */
export interface GroupedOutput {
  /** Texts are bytes held as Latin-1, as the hosts in them are given. */
  groups: OutputGroup[];
  failures: HostFailure[];
}

/**
 * Gathers each job's stdout for grouping; a thread job's values count as its
 * stdout. Stderr is not grouped: its entries go to `stderr` as they come.
 */
export class StdoutGatherer {
  /** Each job's stdout so far, as Latin-1 strings (one character a byte). */
  private readonly byJob = new Map<number, string[]>();

  constructor(private readonly stderr: OutputHandler) {}

  readonly emit: OutputHandler = async (page) => {
    const stderr: StoredEntry[] = [];
    for (const entry of page.entries) {
      if (entry.stream === 'stderr') stderr.push(entry);
      else if (entry.stream === 'stdout') this.gather(entry.jobId, entryChunk(entry));
      else if (entry.stream === 'output') this.gather(entry.jobId, utf8AsLatin1(`${JSON.stringify(entryRecords(entry)[0]?.data)}\n`));
    }
    await this.stderr({ ...page, entries: stderr });
  };

  /**
   * The leaves grouped as `clush -b` groups them, each named by `hostOf` its
   * location; why a job failed is not output but goes in the failures.
   */
  group(leaves: readonly JobView[], hostOf: (location: string) => string): GroupedOutput {
    const outputs = leaves.map((leaf) => ({
      host: hostOf(leaf.location),
      text: (this.byJob.get(leaf.id) ?? []).join(''),
      exitCode: leaf.exitCode,
    }));
    const failures = leaves
      .filter((leaf) => leaf.state === 'Failed' || leaf.state === 'Stopped')
      .map((leaf) => ({ host: hostOf(leaf.location), state: leaf.state, reason: leaf.reason ?? leaf.state.toLowerCase() }));
    return { groups: groupByOutput(outputs), failures };
  }

  private gather(jobId: number, bytes: string): void {
    const chunks = this.byJob.get(jobId);
    if (chunks === undefined) this.byJob.set(jobId, [bytes]);
    else chunks.push(bytes);
  }
}

/**
 * `--group`, as `clush -b` does it: gathers every host's stdout, then prints
 * each distinct stdout once under the hosts that wrote it and exited with the
 * same code, and the hosts that did not complete grouped by why. Stderr lines
 * print on stderr as they come, `HOST: line`, as clush -b prints them. So what
 * a host wrote on stderr, and how its two streams interleaved, never splits
 * hosts whose stdout was the same.
 */
export class OutputGrouper {
  private readonly stderr: RecordPrinter;
  private readonly gatherer: StdoutGatherer;

  /** `raw`: a terminal gets a host's control characters as they are (`--raw`). */
  constructor(private readonly raw = false) {
    this.stderr = new RecordPrinter({ json: false, prefix: true, raw });
    this.gatherer = new StdoutGatherer(this.stderr.emit);
  }

  readonly emit: OutputHandler = (page) => this.gatherer.emit(page);

  /** Prints the groups on stdout and the failures on stderr; `leaves` are the jobs whose hosts count. */
  async print(leaves: readonly JobView[]): Promise<void> {
    await this.stderr.finish();
    // A location is Redis' word, not a parsed host entry: shown escaped and on one line, on a terminal or not, so
    // that it can write no header of its own; as bytes, as the Latin-1 write below wants.
    const { groups, failures } = this.gatherer.group(leaves, (location) => escapeTerminalField(location));
    // Outputs are bytes held as Latin-1, and so are the headers' hosts: one Latin-1 write keeps both.
    // Grouped on the bytes; on a terminal each group's text is shown escaped.
    const escape = escapesOn(process.stdout, this.raw);
    const shown = groups.map((group) => ({
      ...group,
      hosts: group.hosts.map(utf8AsLatin1),
      text: escape ? escapeTerminalBytes(group.text) : group.text,
    }));
    process.stdout.write(formatOutputGroups(shown), 'latin1');
    process.stderr.write(forTerminal(process.stderr, formatFailureGroups(failures)));
  }
}
