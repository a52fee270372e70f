import { isUtf8 } from 'node:buffer';
import type { JobState } from './job-state.js';
import type { JobView } from './job.js';

/**
 * A line of stdout or stderr as `--json` prints it (SPEC §3, §11): `data` is
 * the line without its newline when the line is UTF-8; otherwise `dataBase64`
 * carries its bytes instead, so that nothing is replaced. A last line the
 * command did not end with a newline says so with `newline: false`. The bytes
 * a host wrote are then the records' bytes, each followed by a newline unless
 * it says `newline: false` (see {@link lineRecordBytes}).
 */
export interface LineRecord {
  jobId: number;
  host: string;
  stream: 'stdout' | 'stderr';
  data?: string;
  dataBase64?: string;
  ts?: string;
  newline?: false;
}

/** After a host's last output record, `--json` gives its result (SPEC §11). */
export interface EndRecord {
  jobId: number;
  host: string;
  stream: 'end';
  data: { state: JobState; exitCode: number | null; reason: string | null };
  ts?: string;
}

/** Which job's stream the lines came from, and when (`ts` as the store has it). */
export interface LineSource {
  jobId: number;
  host: string;
  stream: 'stdout' | 'stderr';
  ts?: string | undefined;
}

/**
 * Records for whole lines: `lines` holds bytes as a Latin-1 string, each line
 * ending in a newline (as `LineAssembler` gives them).
 */
export function lineRecords(lines: string, source: LineSource): LineRecord[] {
  if (lines === '') return [];
  const bytes = Buffer.from(lines, 'latin1');
  // Nearly all output is UTF-8: decode the block once. A newline byte is never
  // inside a UTF-8 character, so every line of a valid block is valid too.
  if (isUtf8(bytes)) {
    return bytes
      .toString('utf8')
      .slice(0, -1)
      .split('\n')
      .map((line) => record(source, { data: line }));
  }
  return lines
    .slice(0, -1)
    .split('\n')
    .map((line) => record(source, lineData(Buffer.from(line, 'latin1'))));
}

/** The record of a last line that has no newline after it (`rest` as Latin-1 bytes). */
export function restRecord(rest: string, source: LineSource): LineRecord {
  return { ...record(source, lineData(Buffer.from(rest, 'latin1'))), newline: false };
}

/** A leaf's result as its end record: its state, exit code and reason, stamped when it ended. */
export function endRecord(job: JobView): EndRecord {
  return {
    jobId: job.id,
    host: job.location,
    stream: 'end',
    data: { state: job.state, exitCode: job.exitCode, reason: job.reason },
    ...(job.endedAt === null ? {} : { ts: job.endedAt }),
  };
}

/** The bytes a line record stands for: what the host wrote, newline included. */
export function lineRecordBytes(line: Pick<LineRecord, 'data' | 'dataBase64' | 'newline'>): Buffer {
  const bytes = line.dataBase64 === undefined ? Buffer.from(line.data ?? '') : Buffer.from(line.dataBase64, 'base64');
  return line.newline === false ? bytes : Buffer.concat([bytes, Buffer.from('\n')]);
}

/** Bytes as `data` when they are UTF-8, else as `dataBase64`: nothing is replaced. */
export function lineData(bytes: Buffer): { data: string } | { dataBase64: string } {
  return isUtf8(bytes) ? { data: bytes.toString('utf8') } : { dataBase64: bytes.toString('base64') };
}

function record(source: LineSource, data: { data: string } | { dataBase64: string }): LineRecord {
  return {
    jobId: source.jobId,
    host: source.host,
    stream: source.stream,
    ...data,
    ...(source.ts === undefined ? {} : { ts: source.ts }),
  };
}
