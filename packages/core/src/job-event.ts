import type { JobState } from './job-state.js';
import { isJobState } from './job-state.js';
import { rollUpReason, rollUpState } from './state-rollup.js';
import { streamIdTime, type StreamId } from './stream-id.js';

/** What happened to a job: it was created, its state changed, or it (with its tree) was removed. */
export type JobEventKind = 'created' | 'state' | 'removed';

/**
 * One entry of the job events stream as `GET /api/events` and `fleet events
 * --json` give it. `rootId` is the top-level job (the job itself when it has
 * no parent). `state`, `exitCode` and `reason` are what `GET /api/jobs/:id`
 * would show just after the change (a parent's rolled up from its children's
 * counts); a removal has `state: null`. `at` is when the change was made.
 */
export interface JobEvent {
  event: JobEventKind;
  jobId: number;
  rootId: number;
  state: JobState | null;
  exitCode: number | null;
  reason: string | null;
  at: string;
}

const KINDS: ReadonlySet<string> = new Set<JobEventKind>(['created', 'state', 'removed']);
const JOB_ID = /^\d{1,15}$/;
const EXIT_CODE = /^-?\d{1,10}$/;
const COUNTS = /^(\d{1,15}),(\d{1,15}),(\d{1,15}),(\d{1,15})$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

/**
 * An events stream entry (the fields the transition script writes: k, j, r,
 * s, x, w, t, n) as a {@link JobEvent}, or null when it is not one the
 * script could have written: anyone who can write to Redis can add an entry,
 * and a reader must neither trust nor trip on it.
 */
export function decodeJobEvent(id: StreamId, fields: ReadonlyMap<string, string>): JobEvent | null {
  const kind = fields.get('k') ?? '';
  const jobId = fields.get('j') ?? '';
  const rootId = fields.get('r') ?? '';
  if (!KINDS.has(kind) || !JOB_ID.test(jobId) || !JOB_ID.test(rootId)) return null;
  const state = eventState(kind as JobEventKind, fields.get('s') ?? '', fields.get('n') ?? '');
  if (state === undefined) return null;
  const exitCode = fields.get('x') ?? '';
  if (exitCode !== '' && !EXIT_CODE.test(exitCode)) return null;
  const time = fields.get('t') ?? '';
  return {
    event: kind as JobEventKind,
    jobId: Number(jobId),
    rootId: Number(rootId),
    state: state.state,
    exitCode: exitCode === '' ? null : Number(exitCode),
    reason: state.reason ?? emptyToNull(fields.get('w') ?? ''),
    at: ISO_TIME.test(time) ? time : streamIdTime(id),
  };
}

/** A leaf's state as written, a parent's rolled up from its counts; undefined when neither is well formed. */
function eventState(kind: JobEventKind, state: string, counts: string): { state: JobState | null; reason?: string | null } | undefined {
  if (kind === 'removed') return { state: null };
  const parent = state === '' ? COUNTS.exec(counts) : null;
  if (parent) {
    const [completed, failed, stopped, total] = parent.slice(1).map(Number) as [number, number, number, number];
    const tally = { completed, failed, stopped, total };
    return { state: rollUpState(tally), reason: rollUpReason(tally) };
  }
  return counts === '' && isJobState(state) ? { state } : undefined;
}

function emptyToNull(value: string): string | null {
  return value === '' ? null : value;
}
