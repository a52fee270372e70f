import { isFinalState, lineData, type JobEvent, type StreamId } from '@fleet/core';
import type { StoredEntry } from '@fleet/store';
import { entryBytes } from '../output/entry-bytes.js';

/**
 * A piece of a job's output as an `output` event carries it: the record
 * shape of `GET /api/jobs/:id/output` (`jobId`, `host`, `stream`, `data` or
 * `dataBase64`, `ts`), one per stored entry. For stdout and stderr the data
 * is the entry's bytes exactly, as the agent stored them (cut where the
 * command's writes fell, newlines included), not one line: a job's stream is
 * its pieces joined in order. That keeps every event one entry, so that an
 * event's id resumes exactly after it.
 */
export interface OutputPiece {
  jobId: number;
  host: string;
  stream: 'stdout' | 'stderr' | 'error' | 'output';
  data?: unknown;
  dataBase64?: string;
  ts?: string;
}

/** Which jobs a reader asked for (`?job=`, `fleet events JOB...`): each job's tree, or every job. */
export interface EventWatch {
  /** The jobs named; null for every job. */
  jobIds: ReadonlySet<number> | null;
}

/** Whether an event or output of `jobId` (under top-level `rootId`) is one of the trees watched. */
export function isWatched(watch: EventWatch, jobId: number, rootId: number): boolean {
  return watch.jobIds === null || watch.jobIds.has(jobId) || watch.jobIds.has(rootId);
}

/** A stored output entry as an {@link OutputPiece}, or null for an entry the agents never write (anyone may XADD). */
export function outputPiece(entry: StoredEntry): OutputPiece | null {
  if (!Number.isSafeInteger(entry.jobId) || entry.jobId < 0) return null;
  const base = { jobId: entry.jobId, host: entry.host, stream: entry.stream, ...(entry.ts === undefined ? {} : { ts: entry.ts }) };
  if (entry.stream === 'stdout' || entry.stream === 'stderr') return { ...base, ...lineData(entryBytes(entry)) };
  if (entry.stream === 'error') return { ...base, data: entry.data.toString() };
  if (entry.stream === 'output') {
    try {
      return { ...base, data: JSON.parse(entry.data.toString()) as unknown };
    } catch {
      return null;
    }
  }
  return null;
}

/** One thing read, with where it stands in its stream. */
export type ReadItem =
  { source: 'events'; id: StreamId; event: JobEvent | null } | { source: 'output'; rootId: number; id: StreamId; entry: StoredEntry };

/**
 * Events and output pieces of one read in the order they happened, as far as
 * Redis's clock tells (to the millisecond), each stream's own order kept: the
 * streams are merged by their heads. Within a millisecond a job's start comes
 * before output, and an end after it.
 */
export function inTimeOrder(streams: readonly (readonly ReadItem[])[]): ReadItem[] {
  const rank = (item: ReadItem) => {
    if (item.source === 'output') return 1;
    return item.event?.state != null && isFinalState(item.event.state) ? 2 : 0;
  };
  const next = streams.map(() => 0);
  const merged: ReadItem[] = [];
  for (;;) {
    let pick = -1;
    let best: ReadItem | undefined;
    streams.forEach((stream, index) => {
      const head = stream[next[index] as number];
      if (head === undefined) return;
      if (best === undefined || head.id.ms - best.id.ms < 0 || (head.id.ms === best.id.ms && rank(head) < rank(best))) {
        best = head;
        pick = index;
      }
    });
    if (best === undefined) return merged;
    merged.push(best);
    next[pick] = (next[pick] as number) + 1;
  }
}
