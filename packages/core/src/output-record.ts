import type { JobType } from './job.js';

/** Which stream a record belongs to (SPEC §3). */
export type OutputStream = 'stdout' | 'stderr' | 'error' | 'output';

/** One line a command wrote, or one value a thread job produced. */
export interface OutputRecord {
  jobId: number;
  host: string;
  stream: OutputStream;
  /** A line of text; for `output` records any JSON value. */
  data: unknown;
  /** When the record was written, ISO 8601. */
  ts?: string;
}

/**
 * Whether the lines of a job of this type read `HOST: line` (SPEC §3): a
 * fan-out's do, since all its hosts write into one stream; a `start` job runs
 * on one machine and its lines read as the command wrote them.
 */
export function hostPrefixed(type: JobType): boolean {
  return type === 'remote';
}

/**
 * How a record reads on a terminal, and whether it belongs on stderr;
 * `hostPrefix` as {@link hostPrefixed} says for the record's job. The data
 * of a stdout or stderr record may be a run of lines joined by newlines (as
 * output is stored): each of them gets the host prefix.
 */
export function formatRecordText(record: OutputRecord, hostPrefix: boolean): { line: string; toStderr: boolean } {
  const text =
    record.stream === 'output'
      ? JSON.stringify(record.data)
      : record.stream === 'error'
        ? `error: ${String(record.data)}`
        : String(record.data);
  if (!hostPrefix) return { line: text, toStderr: record.stream === 'stderr' || record.stream === 'error' };
  const prefix = `${record.host}: `;
  // An error's text may quote a host (or Redis): each of its lines gets the prefix, so none reads as another host's.
  const line = record.stream === 'output' ? `${prefix}${text}` : prefixLines(text, prefix);
  return { line, toStderr: record.stream === 'stderr' || record.stream === 'error' };
}

/** Puts `prefix` before each of the lines in `text` (joined by newlines). */
export function prefixLines(text: string, prefix: string): string {
  return `${prefix}${text.replaceAll('\n', `\n${prefix}`)}`;
}
