import type { JobState } from './job-state.js';

/** How the leaves of some jobs stand: what a progress line shows. */
export interface LeafProgress {
  total: number;
  completed: number;
  failed: number;
  stopped: number;
  running: number;
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
  }
  return sum;
}

/** `7 done · 1 failed · 32 running · 60 waiting of 100 · 12.4s` (stopped only when some are). */
export function formatProgress(progress: LeafProgress, elapsedMs: number): string {
  const { total, completed, failed, stopped, running } = progress;
  const waiting = Math.max(0, total - completed - failed - stopped - running);
  const parts = [
    `${completed} done`,
    `${failed} failed`,
    ...(stopped > 0 ? [`${stopped} stopped`] : []),
    `${running} running`,
    `${waiting} waiting of ${total}`,
  ];
  return `${parts.join(' · ')} · ${(elapsedMs / 1000).toFixed(1)}s`;
}
