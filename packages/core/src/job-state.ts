/** The states a job goes through, named as PowerShell names them. */
export const JOB_STATES = ['NotStarted', 'Running', 'Completed', 'Failed', 'Stopped', 'Stopping', 'Disconnected'] as const;

export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['Completed', 'Failed', 'Stopped']);

export function isFinalState(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}

/** Parses a state as a user types it (case-insensitive), or returns undefined. */
export function parseJobState(value: string): JobState | undefined {
  const lower = value.toLowerCase();
  return JOB_STATES.find((state) => state.toLowerCase() === lower);
}
