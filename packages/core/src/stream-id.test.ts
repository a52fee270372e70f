import { describe, expect, it } from 'vitest';
import { compareStreamIds, formatStreamId, parseStreamId, previousStreamId, streamIdTime } from './stream-id.js';

describe('stream ids', () => {
  it('parse and format back, sequences past 2^53 included', () => {
    expect(formatStreamId(parseStreamId('1733130000000-18446744073709551615', 'x'))).toBe('1733130000000-18446744073709551615');
    expect(streamIdTime(parseStreamId('1733130000000-0', 'x'))).toBe('2024-12-02T09:00:00.000Z');
  });

  it('refuse what is not one, naming where it came from', () => {
    for (const bad of ['', '1-', '-1', '1-2-3', 'abc', '1-18446744073709551616', '1 -2', `${'9'.repeat(16)}-0`]) {
      expect(() => parseStreamId(bad, 'Last-Event-ID'), bad).toThrow(/^Last-Event-ID .* is not an event id$/);
    }
  });

  it('compare by time, then sequence', () => {
    const id = (text: string) => parseStreamId(text, 'x');
    expect(compareStreamIds(id('2-0'), id('10-0'))).toBeLessThan(0);
    expect(compareStreamIds(id('5-10'), id('5-9'))).toBeGreaterThan(0);
    expect(compareStreamIds(id('5-9'), id('5-9'))).toBe(0);
  });

  it('step back to the id just before, across a millisecond too', () => {
    expect(formatStreamId(previousStreamId(parseStreamId('5-3', 'x')))).toBe('5-2');
    expect(formatStreamId(previousStreamId(parseStreamId('5-0', 'x')))).toBe('4-18446744073709551615');
    expect(formatStreamId(previousStreamId(parseStreamId('0-0', 'x')))).toBe('0-0');
  });
});
