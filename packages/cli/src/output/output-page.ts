import type { JobView } from '@fleet/core';
import type { StoredEntry } from '@fleet/store';

/**
 * A run of entries from one source (one top-level job's output stream), as
 * the pump hands them on. Whether their lines read `HOST: line` is settled
 * once per source, by the pump that knows the job, so that the printer, the
 * grouper and the outdir writer never need to know what kind of job wrote them.
 */
export interface OutputPage {
  entries: readonly StoredEntry[];
  /** The lines are shown as `HOST: line` (core's `hostPrefixed`). */
  hostPrefix: boolean;
  /**
   * Jobs of this source whose output has all been handed on, these entries
   * included: they had finished before the entries were read (agents write
   * all output before they record the end). Each job is handed on so once.
   */
  ended?: readonly JobView[];
}

/** Takes a page of output; may return a promise to hold the next page back (a slow reader). */
export type OutputHandler = (page: OutputPage) => Promise<void> | void;
