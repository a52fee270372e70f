import { parseStreamId, type JobEvent } from '@fleet/core';
import type { StoredEntry } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { inTimeOrder, isWatched, outputPiece, type ReadItem } from './event-items.js';

const entry = (fields: Partial<StoredEntry>): StoredEntry => ({
  entryId: '1-0',
  jobId: 8,
  host: 'web1',
  stream: 'stdout',
  data: Buffer.from('a\n'),
  raw: true,
  ...fields,
});

describe('outputPiece', () => {
  it('carries stdout bytes exactly: text when UTF-8, base64 when not', () => {
    expect(outputPiece(entry({ data: Buffer.from('héllo\nwor'), ts: 't' }))).toEqual({
      jobId: 8,
      host: 'web1',
      stream: 'stdout',
      data: 'héllo\nwor',
      ts: 't',
    });
    const bytes = Buffer.from([0xff, 0x00, 0x0a]);
    expect(outputPiece(entry({ stream: 'stderr', data: bytes }))).toEqual({
      jobId: 8,
      host: 'web1',
      stream: 'stderr',
      dataBase64: bytes.toString('base64'),
    });
    // An entry of the older, line-packed form gives its last newline back.
    expect(outputPiece(entry({ data: Buffer.from('a\nb'), raw: false }))?.data).toBe('a\nb\n');
  });

  it('gives a reason as text and a value as JSON, and refuses what no agent writes', () => {
    expect(outputPiece(entry({ stream: 'error', data: Buffer.from('exit code 3') }))?.data).toBe('exit code 3');
    expect(outputPiece(entry({ stream: 'output', data: Buffer.from('{"a":[1]}') }))?.data).toEqual({ a: [1] });
    expect(outputPiece(entry({ stream: 'output', data: Buffer.from('{') }))).toBeNull();
    expect(outputPiece(entry({ stream: 'mystery' as 'stdout' }))).toBeNull();
    expect(outputPiece(entry({ jobId: Number.NaN }))).toBeNull();
  });
});

describe('isWatched', () => {
  it('keeps the trees of the jobs named: a top-level job with its children, a child alone', () => {
    const watch = { jobIds: new Set([7, 12]) };
    expect(isWatched(watch, 7, 7)).toBe(true);
    expect(isWatched(watch, 8, 7)).toBe(true);
    expect(isWatched(watch, 12, 11)).toBe(true);
    expect(isWatched(watch, 13, 11)).toBe(false);
    expect(isWatched({ jobIds: null }, 13, 11)).toBe(true);
  });
});

describe('inTimeOrder', () => {
  const event = (id: string, state: JobEvent['state']): ReadItem => ({
    source: 'events',
    id: parseStreamId(id, 'x'),
    event: { event: 'state', jobId: 8, rootId: 7, state, exitCode: null, reason: null, at: '' },
  });
  const output = (id: string): ReadItem => ({ source: 'output', rootId: 7, id: parseStreamId(id, 'x'), entry: entry({ entryId: id }) });
  const ids = (items: ReadItem[]) =>
    items.map((item) => `${item.source === 'events' ? item.event?.state : 'out'}@${item.id.ms}-${item.id.seq}`);

  it("merges the streams by time, keeping each stream's own order; in one millisecond a start, then output, then an end", () => {
    const events = [event('5-0', 'Running'), event('9-0', 'Completed'), event('9-1', 'Running'), event('12-0', null)];
    const outputs = [output('5-0'), output('9-0'), output('10-0')];
    expect(ids(inTimeOrder([events, outputs]))).toEqual([
      'Running@5-0',
      'out@5-0',
      'out@9-0',
      'Completed@9-0',
      'Running@9-1',
      'out@10-0',
      'null@12-0',
    ]);
  });
});
