import { isFinalState, type JobEvent, type JobState } from '@fleet/core';

/**
 * The jobs `fleet events JOB...` waits for, and how each ended: it is done
 * once every one has reached a final state (a removed job counts as ended,
 * without a state: it cannot end any more).
 */
export class AwaitedJobs {
  private readonly ended = new Map<number, JobState | null>();

  constructor(private readonly ids: readonly number[]) {}

  /** Notes an event; returns whether every job awaited has now ended. */
  see(event: Pick<JobEvent, 'event' | 'jobId' | 'rootId' | 'state'>): boolean {
    for (const id of this.ids) {
      if (this.ended.has(id)) continue;
      if (event.event === 'removed' && (event.rootId === id || event.jobId === id)) this.ended.set(id, null);
      else if (event.jobId === id && event.state !== null && isFinalState(event.state)) this.ended.set(id, event.state);
    }
    return this.done;
  }

  /** Marks a job ended as read from its record (a job that ended before the events a reader could see). */
  endedAs(id: number, state: JobState): void {
    if (this.ids.includes(id) && !this.ended.has(id) && isFinalState(state)) this.ended.set(id, state);
  }

  get done(): boolean {
    return this.ids.every((id) => this.ended.has(id));
  }

  /** As `fleet wait` decides: every job Completed. */
  get allCompleted(): boolean {
    return this.ids.every((id) => this.ended.get(id) === 'Completed');
  }
}
