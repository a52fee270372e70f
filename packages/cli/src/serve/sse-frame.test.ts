import { describe, expect, it } from 'vitest';
import { sseComment, sseMessage } from './sse-frame.js';

/** The messages a browser's EventSource would dispatch from this text (WHATWG's parsing, in brief). */
function parse(text: string): { id: string; event: string; data: string }[] {
  return text
    .split('\n\n')
    .filter((block) => block !== '' && !block.startsWith(':'))
    .map((block) => {
      const fields = new Map(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      return { id: fields.get('id') ?? '', event: fields.get('event') ?? '', data: fields.get('data') ?? '' };
    });
}

describe('sseMessage', () => {
  it('gives one message whose data is the value as JSON, line breaks and controls escaped', () => {
    const value = { reason: 'a\nb\r\ndata: forged\n\nid: 9\u0000\u001b[31m' };
    const [message, ...rest] = parse(sseMessage({ id: '1-0~7:2-0', event: 'state', data: value }));
    expect(rest).toEqual([]);
    expect(message?.id).toBe('1-0~7:2-0');
    expect(message?.event).toBe('state');
    expect(JSON.parse(message?.data ?? '')).toEqual(value);
  });

  it('keeps a line break out of the id and the event name', () => {
    expect(parse(sseMessage({ id: '1-0\n\ndata: x', event: 'a\nb', data: 1 }))).toEqual([{ id: '1-0data: x', event: 'ab', data: '1' }]);
  });
});

describe('sseComment', () => {
  it('is a comment block that no client dispatches', () => {
    expect(sseComment('heartbeat\n\ndata: 1')).toBe(': heartbeatdata: 1\n\n');
    expect(parse(sseComment('heartbeat'))).toEqual([]);
  });
});
