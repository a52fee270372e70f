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

/** How a record reads on a terminal, and whether it belongs on stderr. */
export function formatRecordText(record: OutputRecord, jobType: JobType): { line: string; toStderr: boolean } {
  const text =
    record.stream === 'output'
      ? JSON.stringify(record.data)
      : record.stream === 'error'
        ? `error: ${String(record.data)}`
        : String(record.data);
  const line = jobType === 'remote' ? `${record.host}: ${text}` : text;
  return { line, toStderr: record.stream === 'stderr' || record.stream === 'error' };
}
