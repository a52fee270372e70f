import { describe, expect, it } from 'vitest';
import { JobLines, LineAssembler } from './line-assembler.js';

describe('LineAssembler', () => {
  it('gives back whole lines, however the chunks were cut', () => {
    const lines = new LineAssembler();
    expect(lines.push('one\ntw')).toBe('one\n');
    expect(lines.push('o')).toBe('');
    expect(lines.push('\nthree\nfour\nfi')).toBe('two\nthree\nfour\n');
    expect(lines.takeRest()).toEqual({ rest: 'fi', stamp: undefined });
    expect(lines.takeRest()).toEqual({ rest: '', stamp: undefined });
  });

  it('never cuts a long line: 10 MB in 64 KiB chunks is one line', () => {
    const lines = new LineAssembler();
    const chunk = 'x'.repeat(64 * 1024);
    let out = '';
    for (let i = 0; i < 160; i += 1) out += lines.push(chunk);
    expect(out).toBe('');
    const whole = lines.push('\n');
    expect(whole.length).toBe(160 * 64 * 1024 + 1);
    expect(whole.indexOf('\n')).toBe(whole.length - 1);
  });

  it('passes any byte but the newline through untouched, \\r and NUL included', () => {
    const bytes = Buffer.from([0x61, 0x0d, 0x00, 0xff, 0xfe, 0x0a, 0xc3]);
    const lines = new LineAssembler();
    expect(Buffer.from(lines.push(bytes.toString('latin1')), 'latin1')).toEqual(bytes.subarray(0, 6));
    expect(Buffer.from(lines.takeRest().rest, 'latin1')).toEqual(Buffer.from([0xc3]));
  });

  it('keeps the stamp of the last chunk of the line left waiting', () => {
    const lines = new LineAssembler();
    lines.push('a', 't1');
    lines.push('b', 't2');
    lines.push('', 't3');
    expect(lines.takeRest()).toEqual({ rest: 'ab', stamp: 't2' });
    lines.push('c\n', 't4');
    expect(lines.takeRest()).toEqual({ rest: '', stamp: undefined });
  });
});

describe('JobLines', () => {
  it('keeps each job’s streams apart, so lines never mix across them', () => {
    const lines = new JobLines<'stdout' | 'stderr'>();
    expect(lines.push(1, 'stdout', 'a1')).toBe('');
    expect(lines.push(2, 'stdout', 'b1\nb2')).toBe('b1\n');
    expect(lines.push(1, 'stderr', 'e\n')).toBe('e\n');
    expect(lines.push(1, 'stdout', 'a1 end\n')).toBe('a1a1 end\n');
    expect(lines.takeRests(1)).toEqual([]);
    expect(lines.push(1, 'stderr', 'tail', 'ts')).toBe('');
    expect(lines.takeRests()).toEqual([
      { jobId: 2, stream: 'stdout', rest: 'b2', stamp: undefined },
      { jobId: 1, stream: 'stderr', rest: 'tail', stamp: 'ts' },
    ]);
    expect(lines.takeRests()).toEqual([]);
  });
});
