import type { JobState } from './job-state.js';

/** How a job runs: a process (`start`), a worker thread (`start --thread`), or over the fleet (`invoke`). */
export type JobType = 'process' | 'thread' | 'remote';

/** A job exactly as `--json` prints it (SPEC §2). Key order is part of the contract. */
export interface JobView {
  id: number;
  name: string;
  type: JobType;
  state: JobState;
  hasMoreData: boolean;
  location: string;
  command: string;
  parentId: number | null;
  childIds: number[];
  beganAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  reason: string | null;
}

/** Returns the view with its keys in the order the SPEC gives them. */
export function orderJobView(job: JobView): JobView {
  return {
    id: job.id,
    name: job.name,
    type: job.type,
    state: job.state,
    hasMoreData: job.hasMoreData,
    location: job.location,
    command: job.command,
    parentId: job.parentId,
    childIds: job.childIds,
    beganAt: job.beganAt,
    endedAt: job.endedAt,
    exitCode: job.exitCode,
    reason: job.reason,
  };
}

/** The name a job gets when none is given. */
export function defaultJobName(id: number): string {
  return `Job${id}`;
}
