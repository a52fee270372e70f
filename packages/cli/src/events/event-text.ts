import type { JobEvent } from '@fleet/core';

/**
 * A job event as `fleet events` prints it without `--json`:
 * `TIME job ID [of ROOT] WHAT`, e.g.
 * `2026-12-02T07:00:01.250Z job 8 of 7 Failed: exit code 3`. The reason is
 * text from Redis: the caller escapes the line for a terminal.
 */
export function jobEventText(event: JobEvent): string {
  const job = event.jobId === event.rootId ? `job ${event.jobId}` : `job ${event.jobId} of ${event.rootId}`;
  const what =
    event.event === 'removed'
      ? 'removed'
      : `${event.event === 'created' ? 'created, ' : ''}${event.state ?? ''}${event.reason === null ? '' : `: ${event.reason}`}`;
  return `${event.at} ${job} ${what}`;
}
