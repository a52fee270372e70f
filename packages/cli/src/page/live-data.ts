// Everything the page shows that changes, in one place: read by polling the JSON API for now. An EventSource of
// GET /api/events would replace this module alone; the views only call these hooks.
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import type { Agent, GroupedOutput, Job, JobProgress, OutputRecord } from './api-shapes.js';
import { isEnded } from './job-ended.js';
import { parseRecords } from './output-records.js';

/** How often what is shown is read again. */
const POLL_MS = 1000;
/**
 * How often what a job that has ended shows is read again: it changes no more
 * unless someone removes or receives it, and a 1,000-host job's output is
 * not regrouped every second for nothing.
 */
const ENDED_POLL_MS = 10_000;

/** The last value read (undefined until the first), and the error of the last read, if it failed. */
export interface Live<T> {
  value: T | undefined;
  error: Error | null;
}

/** The jobs, each top-level one with its progress. */
export interface JobsWithProgress {
  jobs: Job[];
  progress: ReadonlyMap<number, JobProgress>;
}

export function useJobs(api: ApiClient): Live<JobsWithProgress> {
  return usePolled('jobs', async () => {
    const [jobs, progress] = await Promise.all([api.get<Job[]>('/api/jobs'), api.get<JobProgress[]>('/api/progress')]);
    return { jobs, progress: new Map(progress.map((one) => [one.id, one])) };
  });
}

/** The job, then its children; read less often once the job has ended. */
export function useJob(api: ApiClient, id: number): Live<Job[]> {
  return usePolled(
    `job ${id}`,
    () => api.get<Job[]>(`/api/jobs/${id}`),
    (jobs) => pollInterval(isEnded(jobs?.[0]?.state ?? '')),
  );
}

/** A job's output grouped; `ended`: the job has ended, so it is read less often. */
export function useGroups(api: ApiClient, id: number, ended: boolean): Live<GroupedOutput> {
  return usePolled(
    `groups ${id} ${ended}`,
    () => api.get<GroupedOutput>(`/api/jobs/${id}/groups`),
    () => pollInterval(ended),
  );
}

/** A job's output, kept for `receive`: one host's (a child's location), or all of it (null). */
export function useOutput(api: ApiClient, id: number, host: string | null, ended: boolean): Live<OutputRecord[]> {
  const query = host === null ? '' : `&host=${encodeURIComponent(host)}`;
  return usePolled(
    `output ${id} ${host} ${ended}`,
    async () => parseRecords(await api.text(`/api/jobs/${id}/output?keep${query}`)),
    () => pollInterval(ended),
  );
}

export function useAgents(api: ApiClient): Live<Agent[]> {
  return usePolled('agents', () => api.get<Agent[]>('/api/agents'));
}

function pollInterval(ended: boolean): number {
  return ended ? ENDED_POLL_MS : POLL_MS;
}

/**
 * Reads now, then again `intervalOf(the last value)` after each answer (never
 * two at once), until the view goes or `key` changes.
 */
function usePolled<T>(key: string, read: () => Promise<T>, intervalOf: (last: T | undefined) => number = () => POLL_MS): Live<T> {
  const [live, setLive] = useState<Live<T>>({ value: undefined, error: null });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLive({ value: undefined, error: null });
    let last: T | undefined;
    const round = async () => {
      try {
        last = await read();
        const value = last;
        if (!stopped) setLive({ value, error: null });
      } catch (error) {
        if (!stopped) setLive((shown) => ({ value: shown.value, error: error instanceof Error ? error : new Error(String(error)) }));
      }
      if (!stopped) timer = setTimeout(() => void round(), intervalOf(last));
    };
    void round();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // `key` names what `read` reads: a new closure of the same read is the same watch.
  }, [key]);
  return live;
}
