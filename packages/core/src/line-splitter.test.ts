import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';
import { OutputBudget, describeDroppedOutput } from './output-budget.js';

describe('LineSplitter', () => {
  it('joins lines split across chunks, multi-byte characters included', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('héllo\nwörld\npart');
    const lines = [...splitter.push(bytes.subarray(0, 2)), ...splitter.push(bytes.subarray(2, 9)), ...splitter.push(bytes.subarray(9))];
    expect([...lines, ...splitter.end()]).toEqual(['héllo', 'wörld', 'part']);
  });

  it('keeps empty lines and decodes invalid UTF-8 without failing', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from([0x61, 0x0a, 0x0a, 0xff, 0x00, 0x62, 0x0a]))).toEqual(['a', '', '\ufffd\u0000b']);
  });

  it('cuts a line longer than the limit so memory stays bounded', () => {
    const splitter = new LineSplitter(4);
    expect(splitter.push(Buffer.from('abcdefghij\n'))).toEqual(['abcd', 'efgh', 'ij']);
    expect(splitter.end()).toEqual([]);
  });
});

describe('OutputBudget', () => {
  it('keeps lines up to the cap and counts the rest as dropped', () => {
    const budget = new OutputBudget(10);
    expect([budget.take(6), budget.take(4), budget.take(1), budget.take(2)]).toEqual([true, true, false, false]);
    expect(budget.dropped).toBe(3);
    expect(budget.exhausted).toBe(true);
    budget.drop(100);
    expect(budget.dropped).toBe(103);
    expect(describeDroppedOutput(3 * 1024 * 1024, 16 * 1024 * 1024)).toContain('dropped the remaining 3 MiB');
  });
});
