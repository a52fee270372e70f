import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentMismatchError, CHUNK_SIZE, generateSigningKey, jobSigner, parseHostEntry, resolveJobRequest } from '@fleet/core';
import { FleetStore, type RedisClient } from '@fleet/store';
import { startRedis, type TestRedis } from './support/redis-server.js';

// The content store a push rests on, against a real Redis: what goes in comes
// out byte for byte, a chunk changed in Redis is refused by name, and the
// chunks go with the job, by remove or by expiry.
let redis: TestRedis;
let client: Redis;
let store: FleetStore;
const prefix = '{chunktest}';

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  store = new FleetStore({ client: client as RedisClient, prefix, heartbeatTtlMs: 10_000 });
});
afterAll(async () => {
  await store?.close();
  await redis?.stop();
});

/** `bytes` as a stream of 64 KiB pieces, as a file is read. */
function from(bytes: Buffer, piece = 65_536): AsyncIterable<Buffer> {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += piece) pieces.push(bytes.subarray(offset, offset + piece));
  return Readable.from(pieces, { objectMode: true }) as AsyncIterable<Buffer>;
}

async function readAll(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** A job created under ids reserved before its content was put, as a push does. */
async function createJob(rootId: number, retentionMs?: number) {
  const request = resolveJobRequest({
    type: 'remote',
    command: { kind: 'shell', line: 'true' },
    hosts: [parseHostEntry('h1')],
    retentionMs,
  });
  const signer = jobSigner(generateSigningKey(), Date.now() + 60_000, 'test-deployment');
  return store.jobs.create(request, signer, { rootId });
}

describe('the chunk store', () => {
  it('gives back exactly what was put, and stores a chunk shared by two files once', async () => {
    const rootId = await store.jobs.reserveIds(2);
    const content = Buffer.concat([randomBytes(CHUNK_SIZE), randomBytes(CHUNK_SIZE / 2)]);
    const manifest = await store.chunks.put(rootId, from(content));
    expect(manifest.size).toBe(content.length);
    expect(manifest.chunks).toHaveLength(2);
    const again = await store.chunks.put(rootId, from(content.subarray(0, CHUNK_SIZE)));
    expect(again.chunks).toEqual([manifest.chunks[0]]);
    expect(await client.keys(`${prefix}:chunk:${rootId}:*`)).toHaveLength(2);
    expect(await readAll(store.chunks.read(rootId, manifest))).toEqual(content);
    const empty = await store.chunks.put(rootId, from(Buffer.alloc(0)));
    expect(await readAll(store.chunks.read(rootId, empty))).toEqual(Buffer.alloc(0));
  });

  it('refuses a chunk changed or deleted in Redis, naming it', async () => {
    const rootId = await store.jobs.reserveIds(2);
    const manifest = await store.chunks.put(rootId, from(randomBytes(CHUNK_SIZE + 10)));
    const [first, second] = manifest.chunks as [string, string];
    await client.setrange(`${prefix}:chunk:${rootId}:${second}`, 3, 'X');
    const error = await readAll(store.chunks.read(rootId, manifest)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContentMismatchError);
    expect((error as ContentMismatchError).chunkSha256).toBe(second);
    expect((error as Error).message).toContain(`stored chunk 1 (${second})`);
    await client.del(`${prefix}:chunk:${rootId}:${first}`);
    await expect(readAll(store.chunks.read(rootId, manifest))).rejects.toThrow(/chunk 0 .* is missing/);
  });

  it('stages content with an expiry until its job exists, then removes it with the job', async () => {
    const rootId = await store.jobs.reserveIds(2);
    const manifest = await store.chunks.put(rootId, from(randomBytes(100)));
    const chunkKey = `${prefix}:chunk:${rootId}:${manifest.chunks[0]}`;
    expect(await client.pttl(chunkKey)).toBeGreaterThan(0);
    await createJob(rootId);
    expect(await client.pttl(chunkKey)).toBe(-1);
    expect(await client.pttl(`${prefix}:chunks:${rootId}`)).toBe(-1);
    const [record] = await store.jobs.select([{ kind: 'id', id: rootId }]);
    await store.jobs.remove([record!]);
    expect(await client.exists(chunkKey, `${prefix}:chunks:${rootId}`)).toBe(0);
  });

  it('lets content expire with its job when the job ends', async () => {
    const rootId = await store.jobs.reserveIds(2);
    const manifest = await store.chunks.put(rootId, from(randomBytes(100)));
    await createJob(rootId, 60_000);
    await store.transitions.stop([rootId + 1]);
    const chunkKey = `${prefix}:chunk:${rootId}:${manifest.chunks[0]}`;
    const ttl = await client.ttl(chunkKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await client.ttl(`${prefix}:chunks:${rootId}`)).toBe(ttl);
  });
});
