import { describe, expect, it } from 'vitest';
import { formatEventCursor, MAX_CURSOR_OUTPUTS, missesTrimmed, parseEventCursor } from './event-cursor.js';
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
