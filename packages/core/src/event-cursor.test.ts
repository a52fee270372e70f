import { describe, expect, it } from 'vitest';
import {
  COORDINATOR_SHARD,
  formatEventCursor,
  formatShardedCursor,
  MAX_CURSOR_OUTPUTS,
  missesTrimmed,
  parseEventCursor,
  parseShardedCursor,
} from './event-cursor.js';
import { parseStreamId } from './stream-id.js';

describe('event cursors', () => {
  it('format the events position alone, or with each followed job in id order, and parse back', () => {
    const events = parseStreamId('1733130000000-4', 'x');
    expect(formatEventCursor({ events, outputs: new Map() })).toBe('1733130000000-4');
    const outputs = new Map([
      [12, parseStreamId('1733130000009-1', 'x')],
      [7, parseStreamId('1733130000001-0', 'x')],
    ]);
    const text = formatEventCursor({ events, outputs });
    expect(text).toBe('1733130000000-4~7:1733130000001-0~12:1733130000009-1');
    expect(formatEventCursor(parseEventCursor(text, 'x'))).toBe(text);
  });

  it('refuse anything else with the name it came under', () => {
    for (const bad of ['', 'x', '1-0~', '1-0~7', '1-0~a:1-0', '1-0~7:1-x', '1-0;7:1-0']) {
      expect(() => parseEventCursor(bad, '?since='), bad).toThrow(/^\?since= .* is not an event id$/);
    }
    const many = `1-0${'~1:1-0'.repeat(MAX_CURSOR_OUTPUTS + 1)}`;
    expect(() => parseEventCursor(many, 'Last-Event-ID')).toThrow(/names more than/);
  });
});

describe('missesTrimmed', () => {
  const id = (text: string) => parseStreamId(text, 'x');
  it('is false while nothing was trimmed, or the reader stands at or after the last entry trimmed', () => {
    expect(missesTrimmed(id('1-0'), null)).toBe(false);
    expect(missesTrimmed(id('5-2'), id('5-3'))).toBe(false);
    expect(missesTrimmed(id('9-0'), id('5-3'))).toBe(false);
    // The id just before the first kept entry (a reader starting at that entry).
    expect(missesTrimmed(id('4-18446744073709551615'), id('5-0'))).toBe(false);
  });

  it('is true for a reader that stands before an entry trimmed away', () => {
    expect(missesTrimmed(id('5-1'), id('5-3'))).toBe(true);
    expect(missesTrimmed(id('0-0'), id('5-0'))).toBe(true);
  });
});

describe('sharded cursors', () => {
  const at = (ms: number, seq = 0) => ({ ms, seq: BigInt(seq) });
  it('writes the coordinator alone as a cursor of one Redis, and reads one back as the coordinator’s', () => {
    const only = new Map([[COORDINATOR_SHARD, { events: at(5, 1), outputs: new Map([[7, at(6)]]) }]]);
    expect(formatShardedCursor(only)).toBe('5-1~7:6-0');
    expect(parseShardedCursor('5-1~7:6-0', 'id')).toEqual(only);
  });

  it('writes several shards by name and reads them back', () => {
    const cursors = new Map([
      ['2', { events: at(9), outputs: new Map() }],
      ['0', { events: at(5, 1), outputs: new Map([[7, at(6)]]) }],
      ['1.3', { events: at(8), outputs: new Map() }],
    ]);
    const text = formatShardedCursor(cursors);
    expect(text).toBe('0=5-1~7:6-0|1.3=8-0|2=9-0');
    expect(parseShardedCursor(text, 'id')).toEqual(cursors);
  });

  it('refuses what it did not write, naming where it came from', () => {
    // Sixty jobs' outputs from `first` on: two shards of them name more than a cursor may.
    const outputs = (first: number) => Array.from({ length: 60 }, (_, index) => `~${first + index}:1-0`).join('');
    for (const bad of ['0=5-1|0=6-0', 'x=5-1', '0=5-1|', `0=1-0${outputs(1)}|1=1-0${outputs(61)}`]) {
      expect(() => parseShardedCursor(bad, 'Last-Event-ID')).toThrow(/Last-Event-ID/);
    }
  });
});
