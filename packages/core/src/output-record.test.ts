import { describe, expect, it } from 'vitest';
import { formatRecordText, hostPrefixed } from './output-record.js';

describe('hostPrefixed', () => {
  it('prefixes the lines of a fan-out, not those of a start job', () => {
    expect(hostPrefixed('remote')).toBe(true);
    expect(hostPrefixed('process')).toBe(false);
    expect(hostPrefixed('thread')).toBe(false);
  });
});

describe('formatRecordText', () => {
  const record = { jobId: 8, host: 'web1' } as const;

  it('puts the host before every line of a run of lines', () => {
    expect(formatRecordText({ ...record, stream: 'stdout', data: 'a\nb' }, true)).toEqual({ line: 'web1: a\nweb1: b', toStderr: false });
    expect(formatRecordText({ ...record, stream: 'stderr', data: 'a' }, true)).toEqual({ line: 'web1: a', toStderr: true });
  });

  it('puts it once before an error or a value', () => {
    expect(formatRecordText({ ...record, stream: 'error', data: 'exit code 3' }, true)).toEqual({
      line: 'web1: error: exit code 3',
      toStderr: true,
    });
    expect(formatRecordText({ ...record, stream: 'output', data: { n: 1 } }, true)).toEqual({ line: 'web1: {"n":1}', toStderr: false });
  });

  it("puts it before each line of an error, so that an error's text cannot forge another host's line (issue 16)", () => {
    expect(formatRecordText({ ...record, stream: 'error', data: 'cannot connect: banner\nweb2: forged' }, true)).toEqual({
      line: 'web1: error: cannot connect: banner\nweb1: web2: forged',
      toStderr: true,
    });
  });

  it('leaves records without the prefix as they are', () => {
    expect(formatRecordText({ ...record, stream: 'stdout', data: 'a\nb' }, false)).toEqual({ line: 'a\nb', toStderr: false });
    expect(formatRecordText({ ...record, stream: 'error', data: 'agent lost' }, false)).toEqual({
      line: 'error: agent lost',
      toStderr: true,
    });
  });
});
