import { describe, expect, it } from 'vitest';
import { VerifiedChunkCache } from './verified-chunk-cache.js';

/** A fetch over a table of chunks that counts its reads and can be held back. */
function countingFetch(chunks: Record<string, Buffer | Error>) {
  const reads: string[] = [];
  let release: () => void = () => {};
  let gate: Promise<void> | null = null;
  return {
    reads,
    holdBack() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
    fetch: async (rootId: number, sha256: string) => {
      reads.push(`${rootId}:${sha256}`);
      if (gate) await gate;
      const chunk = chunks[sha256];
      if (chunk === undefined || chunk instanceof Error) throw chunk ?? new Error(`no chunk ${sha256}`);
      return chunk;
    },
  };
}

describe('VerifiedChunkCache', () => {
  it('reads a chunk once for every child that asks for it', async () => {
    const source = countingFetch({ a: Buffer.from('aaaa') });
    const cache = new VerifiedChunkCache(source.fetch, 1024);
    for (let child = 0; child < 5; child += 1) expect((await cache.chunk(1, 'a', 0, 'whole')).toString()).toBe('aaaa');
    expect(source.reads).toEqual(['1:a']);
  });

  it('shares a read that is under way, even with a budget of nothing', async () => {
    const source = countingFetch({ a: Buffer.from('aaaa') });
    const cache = new VerifiedChunkCache(source.fetch, 0);
    source.holdBack();
    const waiting = Array.from({ length: 3 }, () => cache.chunk(1, 'a', 0, 'whole'));
    source.release();
    expect((await Promise.all(waiting)).map(String)).toEqual(['aaaa', 'aaaa', 'aaaa']);
    expect(source.reads).toEqual(['1:a']);
    expect(cache.size).toBe(0);
    await cache.chunk(1, 'a', 0, 'whole');
    expect(source.reads).toEqual(['1:a', '1:a']);
  });

  it('keeps chunks of one job apart from the same hash in another', async () => {
    const source = countingFetch({ a: Buffer.from('aaaa') });
    const cache = new VerifiedChunkCache(source.fetch, 1024);
    await cache.chunk(1, 'a', 0, 'whole');
    await cache.chunk(2, 'a', 0, 'whole');
    expect(source.reads).toEqual(['1:a', '2:a']);
  });

  it('drops the least recently used chunk past its budget', async () => {
    const source = countingFetch({ a: Buffer.alloc(4), b: Buffer.alloc(4), c: Buffer.alloc(4) });
    const cache = new VerifiedChunkCache(source.fetch, 8);
    await cache.chunk(1, 'a', 0, 'w');
    await cache.chunk(1, 'b', 1, 'w');
    await cache.chunk(1, 'a', 0, 'w'); // a is now the most recent
    await cache.chunk(1, 'c', 2, 'w'); // so b goes
    expect(cache.size).toBe(8);
    await cache.chunk(1, 'a', 0, 'w');
    await cache.chunk(1, 'b', 1, 'w');
    expect(source.reads).toEqual(['1:a', '1:b', '1:c', '1:b']);
  });

  it('never holds a chunk whose read failed: each asker gets the refusal', async () => {
    const refusal = new Error('stored chunk 0 (a) hashes to b: refused');
    const source = countingFetch({ a: refusal });
    const cache = new VerifiedChunkCache(source.fetch, 1024);
    await expect(cache.chunk(1, 'a', 0, 'w')).rejects.toBe(refusal);
    await expect(cache.chunk(1, 'a', 0, 'w')).rejects.toBe(refusal);
    expect(source.reads).toEqual(['1:a', '1:a']);
    expect(cache.size).toBe(0);
  });
});
