import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forwardWithBackpressure } from './forward-with-backpressure.js';

describe('forwardWithBackpressure', () => {
  it('pauses the stream while the consumer is behind, resumes it after, and resolves at the end', async () => {
    const stream = new PassThrough();
    const seen: string[] = [];
    let release!: () => void;
    const done = forwardWithBackpressure(stream, (chunk) => {
      seen.push(chunk.toString());
      if (seen.length === 1) return new Promise<void>((resolve) => (release = resolve));
      return undefined;
    });
    stream.write('first');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['first']);
    expect(stream.isPaused()).toBe(true);

    stream.write('second');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['first']); // held back while the first is pending

    release();
    stream.end('third');
    await done;
    expect(stream.isPaused()).toBe(false);
    expect(seen.join('')).toBe('firstsecondthird');
  });
});
