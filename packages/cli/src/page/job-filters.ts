import type { Job, JobState } from './api-shapes.js';

/** What the user typed and chose: a state (`''`: any) and a piece of text (`''`: any). */
export interface JobFilter {
  state: string;
  text: string;
}

const matchesText = (value: string, text: string) => value.toLowerCase().includes(text.trim().toLowerCase());

/** The jobs list: by state, and by a piece of the name (or the id). */
export function filterJobs(jobs: readonly Job[], filter: JobFilter): Job[] {
  return jobs.filter(
    (job) =>
      (filter.state === '' || job.state === filter.state) && (matchesText(job.name, filter.text) || String(job.id) === filter.text.trim()),
  );
}

/** A job's children: by state, and by a piece of the host (the child's location). */
export function filterChildren(children: readonly Job[], filter: JobFilter): Job[] {
  return children.filter((child) => (filter.state === '' || child.state === filter.state) && matchesText(child.location, filter.text));
}

/** Where a job stands, from waiting to ended: the choices of a state filter. */
export const STATE_ORDER: readonly JobState[] = ['NotStarted', 'Running', 'Stopping', 'Disconnected', 'Completed', 'Failed', 'Stopped'];
