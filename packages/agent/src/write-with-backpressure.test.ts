import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeWithBackpressure } from './write-with-backpressure.js';

async function* chunksOf(...texts: string[]): AsyncGenerator<Buffer> {
  for (const text of texts) yield await Promise.resolve(Buffer.from(text));
}

describe('writeWithBackpressure', () => {
  it('reads the next chunk only once the sink has drained, and leaves the sink open', async () => {
    const sink = new PassThrough({ highWaterMark: 4 });
    const read: string[] = [];
    async function* source(): AsyncGenerator<Buffer> {
      for (const text of ['aaaa', 'bbbb', 'cccc']) {
        read.push(text);
        yield await Promise.resolve(Buffer.from(text));
      }
    }
    const done = writeWithBackpressure(sink, source());
    await new Promise((resolve) => setImmediate(resolve));
    expect(read).toEqual(['aaaa']); // full after the first: the source waits
    const received: string[] = [];
    sink.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    expect(await done).toBe(true);
    expect(received.join('')).toBe('aaaabbbbcccc');
    expect(sink.writableEnded).toBe(false);
  });

  it('says false when the sink goes away first, and throws what the source throws', async () => {
    const sink = new Writable({ highWaterMark: 1, write: (_chunk, _encoding, callback) => setImmediate(callback) });
    const done = writeWithBackpressure(sink, chunksOf('a', 'b', 'c'));
    sink.destroy();
    expect(await done).toBe(false);
    async function* broken(): AsyncGenerator<Buffer> {
      yield await Promise.resolve(Buffer.from('x'));
      throw new Error('chunk 1 is missing');
    }
    await expect(writeWithBackpressure(new PassThrough(), broken())).rejects.toThrow('chunk 1 is missing');
  });
});
