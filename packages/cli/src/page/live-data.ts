// Everything the page shows that changes, in one place: read by polling the JSON API for now. An EventSource of
// GET /api/events would replace this module alone; the views only call these hooks.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from './api-client.js';
import type { Agent, GroupedOutput, Job, JobProgress, OutputRecord } from './api-shapes.js';
import { isEnded } from './job-ended.js';
import { parseRecords } from './output-records.js';

/** How often what is shown is read again. */
const POLL_MS = 1000;
/**
 * How often a running job's grouped output is read again: the server reads
 * and regroups every host's output for each read, which a 1,000-host job
 * should not pay each second.
 */
const GROUPS_POLL_MS = 3000;
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

/** A job's output grouped, every 3 s while it runs; `ended`: the job has ended, so it is read once more at once, then every 10 s. */
export function useGroups(api: ApiClient, id: number, ended: boolean): Live<GroupedOutput> {
  return usePolled(
    `groups ${id}`,
    () => api.get<GroupedOutput>(`/api/jobs/${id}/groups`),
    () => (ended ? ENDED_POLL_MS : GROUPS_POLL_MS),
    ended,
  );
}

/** A job's output, kept for `receive`: one host's (a child's location), or all of it (null). */
export function useOutput(api: ApiClient, id: number, host: string | null, ended: boolean): Live<OutputRecord[]> {
  const query = host === null ? '' : `&host=${encodeURIComponent(host)}`;
  return usePolled(
    `output ${id} ${host}`,
    async () => parseRecords(await api.text(`/api/jobs/${id}/output?keep${query}`)),
    () => pollInterval(ended),
    ended,
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
 * two at once), until the view goes or `key` changes. A new `pace` (the job
 * has ended) reads again at once and takes the new interval, but keeps what is
 * shown until the answer: only a new `key` (another job, another host) clears it.
 */
function usePolled<T>(
  key: string,
  read: () => Promise<T>,
  intervalOf: (last: T | undefined) => number = () => POLL_MS,
  pace: unknown = null,
): Live<T> {
  const [live, setLive] = useState<Live<T>>({ value: undefined, error: null });
  const shownKey = useRef(key);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (shownKey.current !== key) setLive({ value: undefined, error: null });
    shownKey.current = key;
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
  }, [key, pace]);
  return live;
}
