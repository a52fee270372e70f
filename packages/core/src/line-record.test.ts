import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobView } from './job.js';
import { LineAssembler } from './line-assembler.js';
import { endRecord, lineRecordBytes, lineRecords, restRecord } from './line-record.js';

const source = { jobId: 8, host: 'web1', stream: 'stdout' as const, ts: '2026-01-01T00:00:00.000Z' };
const latin1 = (bytes: Buffer | string) => Buffer.from(bytes).toString('latin1');

describe('line records', () => {
  it('gives each line as text without its newline, in the SPEC’s shape', () => {
    expect(lineRecords(latin1('héllo\n\nNUL \u0000 and \r\n'), source)).toEqual([
      { jobId: 8, host: 'web1', stream: 'stdout', data: 'héllo', ts: source.ts },
      { jobId: 8, host: 'web1', stream: 'stdout', data: '', ts: source.ts },
      { jobId: 8, host: 'web1', stream: 'stdout', data: 'NUL \u0000 and \r', ts: source.ts },
    ]);
    expect(lineRecords('', source)).toEqual([]);
  });

  it('carries a line that is not UTF-8 as base64, and leaves its valid neighbours as text', () => {
    const bytes = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0x20, 0x6f, 0x6b, 0x0a])]);
    const records = lineRecords(bytes.toString('latin1'), { ...source, ts: undefined });
    expect(records).toEqual([
      { jobId: 8, host: 'web1', stream: 'stdout', data: 'ok' },
      { jobId: 8, host: 'web1', stream: 'stdout', dataBase64: Buffer.from([0xff, 0xfe, 0x20, 0x6f, 0x6b]).toString('base64') },
    ]);
  });

  it('marks a last line without a newline', () => {
    expect(restRecord('tail', source)).toEqual({ ...source, data: 'tail', newline: false });
    expect(restRecord(latin1(Buffer.from([0xc3])), source)).toEqual({ ...source, dataBase64: 'ww==', newline: false });
  });

  it('loses no byte: random binary cut anywhere reads back the same', () => {
    const bytes = randomBytes(100_000);
    const lines = new LineAssembler();
    const records = [];
    for (let at = 0; at < bytes.length; at += 4093) {
      records.push(...lineRecords(lines.push(latin1(bytes.subarray(at, at + 4093))), source));
    }
    const { rest } = lines.takeRest();
    if (rest !== '') records.push(restRecord(rest, source));
    const back = Buffer.concat(records.map((record) => lineRecordBytes(JSON.parse(JSON.stringify(record)))));
    expect(back.equals(bytes)).toBe(true);
    expect(records.some((record) => record.dataBase64 !== undefined)).toBe(true);
  });
});

describe('end record', () => {
  it('is the leaf’s state, exit code and reason, stamped when it ended', () => {
    const job = { id: 9, location: 'web2', state: 'Failed', exitCode: 3, reason: 'exit code 3', endedAt: 'T' } as JobView;
    expect(endRecord(job)).toEqual({
      jobId: 9,
      host: 'web2',
      stream: 'end',
      data: { state: 'Failed', exitCode: 3, reason: 'exit code 3' },
      ts: 'T',
    });
    expect(endRecord({ ...job, state: 'Completed', exitCode: 0, reason: null, endedAt: null })).toEqual({
      jobId: 9,
      host: 'web2',
      stream: 'end',
      data: { state: 'Completed', exitCode: 0, reason: null },
    });
  });
});
