import { describe, expect, it } from 'vitest';
import { blockBytes, LineSplitter } from './line-splitter.js';

/** A block's lines as text, as readers see them. */
const blockText = (block: Buffer) => blockBytes(block).toString();
import { OutputBudget, describeDroppedOutput } from './output-budget.js';

/** Feeds chunks and returns every line, as the agent would store them. */
function linesOf(splitter: LineSplitter, chunks: Uint8Array[]): string[] {
  const blocks = [...chunks.map((chunk) => splitter.push(chunk)), splitter.end()].filter((block) => block.length > 0);
  return blocks.flatMap((block) => blockText(block).split('\n'));
}

describe('LineSplitter', () => {
  it('joins lines split across chunks, multi-byte characters included', () => {
    const bytes = Buffer.from('héllo\nwörld\npart');
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
    expect(linesOf(new LineSplitter(), chunks)).toEqual(['héllo', 'wörld', 'part']);
  });

  it('hands on every line a chunk completes as one block, and holds back the unfinished one', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from('one\ntwo\nthr')).toString()).toBe('one\ntwo\n');
    expect(splitter.push(Buffer.from('ee')).length).toBe(0);
    expect(splitter.push(Buffer.from('\n')).toString()).toBe('three\n');
    expect(splitter.end().length).toBe(0);
  });

  it('keeps empty lines and decodes invalid UTF-8 without failing', () => {
    expect(linesOf(new LineSplitter(), [Buffer.from([0x61, 0x0a, 0x0a, 0xff, 0x00, 0x62, 0x0a])])).toEqual(['a', '', '\ufffd\u0000b']);
  });

  it('cuts a line longer than the limit so memory stays bounded', () => {
    const splitter = new LineSplitter(4);
    expect(blockText(splitter.push(Buffer.from('abcdefghij\nxy')))).toBe('abcd\nefgh\nij');
    expect(blockText(splitter.push(Buffer.from('zzzz')))).toBe('xyzz');
    expect(blockText(splitter.end())).toBe('zz');
  });

  it("does not hold on to the caller's chunk", () => {
    const splitter = new LineSplitter();
    const chunk = Buffer.from('kept\npart');
    splitter.push(chunk);
    chunk.fill(0x21);
    expect(blockText(splitter.end())).toBe('part');
  });
});

describe('blockBytes', () => {
  it('gives valid UTF-8 as it is, in memory of its own, and replaces invalid sequences as decoding does', () => {
    const block = Buffer.from('héllo\nwörld\n');
    const bytes = blockBytes(block);
    expect(bytes.toString()).toBe('héllo\nwörld');
    block.fill(0);
    expect(bytes.toString()).toBe('héllo\nwörld');
    expect(blockBytes(Buffer.from([0x61, 0xff, 0x0a, 0xe2, 0x82, 0x0a])).toString()).toBe('a\ufffd\n\ufffd');
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

  it('takes a block of lines as taking them one by one would: whole lines, up to the cap', () => {
    const budget = new OutputBudget(10);
    expect(budget.takeLines(Buffer.from('ab\ncd\n'))).toBe(6);
    // 4 bytes of room: "efg\n" fits, "h\n" would too but comes after "efg\n"; "ijklm\n" does not.
    expect(budget.takeLines(Buffer.from('efg\nijklm\nh\n'))).toBe(4);
    expect(budget.dropped).toBe(8);
    expect(budget.takeLines(Buffer.from('x\n'))).toBe(0);
    expect(budget.dropped).toBe(10);
  });

  it('keeps nothing of a block whose first line does not fit', () => {
    const budget = new OutputBudget(3);
    expect(budget.takeLines(Buffer.from('abcd\ne\n'))).toBe(0);
    expect(budget.dropped).toBe(7);
  });
});
