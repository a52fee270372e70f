import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isContentManifest, sha256Hex, splitContent, type ContentChunk, type ContentManifest } from './content-manifest.js';

/** The parts, as a stream gives them: one at a time, asynchronously. */
function pieces(...parts: Buffer[]): AsyncIterable<Buffer> {
  return Readable.from(parts, { objectMode: true }) as AsyncIterable<Buffer>;
}

async function split(source: AsyncIterable<Uint8Array>, chunkSize: number): Promise<{ chunks: ContentChunk[]; manifest: ContentManifest }> {
  const generator = splitContent(source, chunkSize);
  const chunks: ContentChunk[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { chunks, manifest: next.value };
    chunks.push(next.value);
  }
}

describe('splitContent', () => {
  it('cuts content into fixed-size chunks whatever the input pieces, hashing each and the whole', async () => {
    const content = randomBytes(10_000);
    const { chunks, manifest } = await split(pieces(content.subarray(0, 1), content.subarray(1, 4500), content.subarray(4500)), 4096);
    expect(chunks.map((chunk) => chunk.bytes.length)).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(chunks.map((chunk) => chunk.bytes))).toEqual(content);
    for (const chunk of chunks) expect(chunk.sha256).toBe(sha256Hex(chunk.bytes));
    expect(manifest).toEqual({
      size: 10_000,
      sha256: createHash('sha256').update(content).digest('hex'),
      chunks: chunks.map((chunk) => chunk.sha256),
    });
    expect(isContentManifest(manifest)).toBe(true);
  });

  it('gives empty content no chunks, and content of exactly one chunk one', async () => {
    expect((await split(pieces(), 16)).manifest).toEqual({ size: 0, sha256: sha256Hex(Buffer.alloc(0)), chunks: [] });
    const exact = await split(pieces(Buffer.alloc(16, 1)), 16);
    expect(exact.chunks).toHaveLength(1);
  });

  it('holds one chunk at a time, not the whole: each is yielded as soon as it is full', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced += 1000;
        yield await Promise.resolve(Buffer.alloc(1000));
      }
    }
    const generator = splitContent(endless(), 4096);
    await generator.next();
    expect(produced).toBeLessThanOrEqual(5000);
    await generator.return({ size: 0, sha256: '', chunks: [] });
  });
});

describe('isContentManifest', () => {
  it('refuses hashes that are not lowercase hex SHA-256 (they end up in key names)', () => {
    const good = { size: 1, sha256: 'a'.repeat(64), chunks: ['b'.repeat(64)] };
    expect(isContentManifest(good)).toBe(true);
    expect(isContentManifest({ ...good, chunks: ['x:*'] })).toBe(false);
    expect(isContentManifest({ ...good, sha256: 'A'.repeat(64) })).toBe(false);
    expect(isContentManifest({ ...good, size: -1 })).toBe(false);
    expect(isContentManifest(null)).toBe(false);
  });
});
