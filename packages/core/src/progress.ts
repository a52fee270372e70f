import type { JobState } from './job-state.js';
import { formatBytes } from './output-budget.js';

/** How the leaves of some jobs stand: what a progress line shows. */
export interface LeafProgress {
  total: number;
  completed: number;
  failed: number;
  stopped: number;
  running: number;
  /**
   * What a transfer job (push, pull) moved so far: bytes done, and of how
   * many when that is known in advance (null when not, as for a pull).
   * Absent for jobs that move no files.
   */
  bytes?: TransferBytes;
}

export interface TransferBytes {
  done: number;
  total: number | null;
}

/** A leaf job's own progress: one leaf, in its state. */
export function leafProgress(state: JobState): LeafProgress {
  return {
    total: 1,
    completed: state === 'Completed' ? 1 : 0,
    failed: state === 'Failed' ? 1 : 0,
    stopped: state === 'Stopped' ? 1 : 0,
    running: state === 'Running' ? 1 : 0,
  };
}

export function sumProgress(all: readonly LeafProgress[]): LeafProgress {
  const sum: LeafProgress = { total: 0, completed: 0, failed: 0, stopped: 0, running: 0 };
  for (const one of all) {
    sum.total += one.total;
    sum.completed += one.completed;
    sum.failed += one.failed;
    sum.stopped += one.stopped;
    sum.running += one.running;
    if (one.bytes !== undefined) sum.bytes = addBytes(sum.bytes, one.bytes);
  }
  return sum;
}

function addBytes(sum: TransferBytes | undefined, one: TransferBytes): TransferBytes {
  if (sum === undefined) return { ...one };
  return { done: sum.done + one.done, total: sum.total === null || one.total === null ? null : sum.total + one.total };
}

/**
 * `7 done · 1 failed · 32 running · 60 waiting of 100 · 12.4s` (stopped only
 * when some are), and for a transfer the bytes before the time:
 * `· 1.2 GiB of 3.5 GiB ·` (`· 1.2 GiB ·` when the total is not known; none
 * when the total is 0, nothing to move). A line that would be wider than
 * `maxWidth` drops the bytes, so that the counts and the time still show.
 */
export function formatProgress(progress: LeafProgress, elapsedMs: number, maxWidth = Infinity): string {
  const { total, completed, failed, stopped, running } = progress;
  const waiting = Math.max(0, total - completed - failed - stopped - running);
  const counts = [
    `${completed} done`,
    `${failed} failed`,
    ...(stopped > 0 ? [`${stopped} stopped`] : []),
    `${running} running`,
    `${waiting} waiting of ${total}`,
  ];
  const time = `${(elapsedMs / 1000).toFixed(1)}s`;
  const bytes = progress.bytes;
  const withBytes = bytes === undefined || bytes.total === 0 ? null : [...counts, formatTransfer(bytes), time].join(' · ');
  return withBytes !== null && withBytes.length <= maxWidth ? withBytes : [...counts, time].join(' · ');
}

function formatTransfer({ done, total }: TransferBytes): string {
  return total === null ? formatBytes(done) : `${formatBytes(Math.min(done, total))} of ${formatBytes(total)}`;
}
