import type { LeafProgress } from '@fleet/core';

/** How many leaves started, finished and failed since the last tally. */
export interface TallyDelta {
  started: number;
  finished: number;
  failed: number;
}

/** A top-level job as a scrape reads it: its leaves' progress, and whether (and how long) it ran to its end. */
export interface TalliedJob {
  id: number;
  progress: LeafProgress;
  /** Leaves that began to run (a begin time): a leaf stopped before it ran never did. */
  began: number;
  ended: boolean;
  /** Seconds from begin to end, once the job has finished (null if it never began). */
  durationSeconds: number | null;
}

/**
 * Turns what Redis holds now (each top-level job's leaf counts, which drop
 * when a job is removed) into counters that only go up, as Prometheus wants:
 * each scrape adds what moved since the one before, per job. The first
 * update is a baseline: what Redis held when the server started moved before
 * it, so it adds nothing and observes no run time. A job removed is forgotten
 * without taking anything back; one that started and was removed between two
 * scrapes is never seen.
 */
export class ProgressTally {
  private readonly seen = new Map<number, { started: number; finished: number; failed: number; ended: boolean }>();
  private baselined = false;

  /** What moved since the last call, and the run times of the jobs seen finished for the first time. */
  update(jobs: readonly TalliedJob[]): { delta: TallyDelta; durations: number[] } {
    const delta: TallyDelta = { started: 0, finished: 0, failed: 0 };
    const durations: number[] = [];
    const present = new Set<number>();
    for (const job of jobs) {
      present.add(job.id);
      const { completed, failed, stopped } = job.progress;
      const now = { started: job.began, finished: completed + failed + stopped, failed };
      const fresh = { started: 0, finished: 0, failed: 0, ended: false };
      const before = this.seen.get(job.id) ?? (this.baselined ? fresh : { ...now, ended: job.ended });
      delta.started += Math.max(0, now.started - before.started);
      delta.finished += Math.max(0, now.finished - before.finished);
      delta.failed += Math.max(0, now.failed - before.failed);
      const { ended, durationSeconds } = job;
      if (ended && !before.ended && durationSeconds !== null) durations.push(durationSeconds);
      this.seen.set(job.id, {
        started: Math.max(now.started, before.started),
        finished: Math.max(now.finished, before.finished),
        failed: Math.max(now.failed, before.failed),
        ended: ended || before.ended,
      });
    }
    for (const id of this.seen.keys()) if (!present.has(id)) this.seen.delete(id);
    this.baselined = true;
    return { delta, durations };
  }
}
