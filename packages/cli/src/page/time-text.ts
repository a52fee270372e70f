/** A span of time as a person reads it: `0.4 s`, `12 s`, `3 min 04 s`, `2 h 05 min`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${pad(Math.floor(seconds % 60))} s`;
  return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
}

/** How long a job ran, or has run until `now`; null before it began. */
export function jobDuration(job: { beganAt: string | null; endedAt: string | null }, now: number): number | null {
  if (job.beganAt === null) return null;
  const end = job.endedAt === null ? now : Date.parse(job.endedAt);
  return end - Date.parse(job.beganAt);
}

/** How long ago `at` was, from `now`: `3.2 s ago`. */
export function ageText(at: string, now: number): string {
  return `${formatDuration(now - Date.parse(at))} ago`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
