import { describe, expect, it } from 'vitest';
import { EntryLines } from './entry-lines.js';
import type { StoredEntry } from './output-store.js';

let next = 0;
function entry(data: string, fields: Partial<StoredEntry> = {}): StoredEntry {
  next += 1;
  return {
    entryId: `${next}-0`,
    jobId: 8,
    host: 'web1',
    stream: 'stdout',
    data: Buffer.from(data, 'latin1'),
    raw: true,
    ts: `t${next}`,
    ...fields,
  };
}
const shown = (entries: StoredEntry[]) => entries.map((e) => [e.jobId, e.stream, e.data.toString('latin1'), e.raw]);

describe('EntryLines', () => {
  it('joins the pieces of a line cut across entries, and holds back what is not yet a whole line', () => {
    const lines = new EntryLines();
    expect(shown(lines.lines([entry('one\ntw')]))).toEqual([[8, 'stdout', 'one', false]]);
    expect(shown(lines.lines([entry('o and a'), entry(' half\nthree\n\n')]))).toEqual([[8, 'stdout', 'two and a half\nthree\n', false]]);
    expect(lines.rest()).toEqual([]);
  });

  it('keeps each job and stream apart, passes other records on, and bytes stay bytes', () => {
    const lines = new EntryLines();
    const error = entry('exit code 3', { stream: 'error', raw: false });
    const out = lines.lines([entry('a\xff'), entry('x', { stream: 'stderr' }), entry('b\n', { jobId: 9 }), error, entry('\0\n')]);
    expect(shown(out)).toEqual([
      [9, 'stdout', 'b', false],
      [8, 'error', 'exit code 3', false],
      [8, 'stdout', 'a\xff\0', false],
    ]);
    expect(shown(lines.rest())).toEqual([[8, 'stderr', 'x', false]]);
  });

  it('gives a last line without its newline at the end, with the time it began', () => {
    const lines = new EntryLines();
    const first = entry('no final');
    lines.lines([first, entry(' newline')]);
    const [rest] = lines.rest();
    expect(rest?.data.toString()).toBe('no final newline');
    expect(rest?.ts).toBe(first.ts);
    expect(lines.rest()).toEqual([]);
  });

  it('passes line-packed entries stored before raw output as they are', () => {
    const old = entry('one\ntwo', { raw: false });
    expect(new EntryLines().lines([old])).toEqual([old]);
  });
});
