import { isFinalState, type JobEvent, type JobState } from '@fleet/core';

/** A job awaited, with its top-level job: removing that tree removes it too. */
export interface AwaitedJob {
  id: number;
  rootId: number;
}

/**
 * The jobs `fleet events JOB...` waits for, and how each ended: it is done
 * once every one has reached a final state (a removed job counts as ended,
 * without a state: it cannot end any more).
 */
export class AwaitedJobs {
  private readonly ended = new Map<number, JobState | null>();

  constructor(private readonly jobs: readonly AwaitedJob[]) {}

  /** Notes an event; returns whether every job awaited has now ended. */
  see(event: Pick<JobEvent, 'event' | 'jobId' | 'rootId' | 'state'>): boolean {
    for (const { id, rootId } of this.jobs) {
      if (this.ended.has(id)) continue;
      if (event.event === 'removed' && event.rootId === rootId) this.ended.set(id, null);
      else if (event.jobId === id && event.state !== null && isFinalState(event.state)) this.ended.set(id, event.state);
    }
    return this.done;
  }

  /**
   * Marks a job ended as read from its record (a job that ended before the
   * events a reader could see), or gone when its record is `null`.
   */
  endedAs(id: number, state: JobState | null): void {
    if (!this.jobs.some((job) => job.id === id) || this.ended.has(id)) return;
    if (state === null || isFinalState(state)) this.ended.set(id, state);
  }

  /** The ids of the jobs not yet ended. */
  get pending(): number[] {
    return this.jobs.filter((job) => !this.ended.has(job.id)).map((job) => job.id);
  }

  get done(): boolean {
    return this.pending.length === 0;
  }

  /** As `fleet wait` decides: every job Completed. */
  get allCompleted(): boolean {
    return this.jobs.every((job) => this.ended.get(job.id) === 'Completed');
  }
}
