import { ContentMismatchError, isSha256Hex, sha256Hex, splitContent, type ContentChunk, type ContentManifest } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * How long content staged for a job that is not created yet is kept: the
 * job's creation makes the tree own it (the transition script's `create`),
 * so only a creator that died between the two leaves it, and only this long.
 */
export const CHUNK_STAGING_TTL_MS = 24 * 60 * 60 * 1000;

/** How many chunk keys one DEL of {@link ChunkStore.discard} takes. */
const DISCARD_BATCH = 500;

/**
 * The content of a top-level job's files, in Redis as content-addressed
 * chunks (see content-manifest.ts): `chunk:<root>:<sha256>`, each stored once
 * per job however many files or hosts share it, and named in the
 * set `chunks:<root>`, which the transition script's remove and expiry
 * delete with the tree. Keys hold only the job's id and hex hashes.
 */
export class ChunkStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /**
   * Stores `source` for the job `rootId`, a chunk at a time (one chunk in
   * memory, never the whole), and returns its manifest. Content put before
   * the job is created is staged with an expiry that the creation lifts.
   */
  async put(rootId: number, source: AsyncIterable<Uint8Array>): Promise<ContentManifest> {
    const chunks = splitContent(source);
    for (;;) {
      const next = await chunks.next();
      if (next.done) return next.value;
      const { bytes, sha256 } = next.value;
      const chunkKey = this.keys.chunk(rootId, sha256);
      const setKey = this.keys.chunks(rootId);
      // SADD first: a chunk key never exists without the set naming it, so remove never misses one.
      // A plain SET and PEXPIRE (no NX: Redis 6 has no PEXPIRE NX): the root is freshly reserved,
      // so whatever sits at its keys is nothing this job stored (a planted chunk is overwritten).
      const replies = await this.client
        .multi()
        .sadd(setKey, sha256)
        .pexpire(setKey, CHUNK_STAGING_TTL_MS)
        .set(chunkKey, bytes, 'PX', CHUNK_STAGING_TTL_MS)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (replies === null || failed) throw failed ?? new Error(`storing chunk ${sha256} of job ${rootId} was aborted`);
    }
  }

  /**
   * Stores one chunk for a job that exists (a pull's agent, while the job
   * runs): no expiry, the tree owns it. Throws {@link JobGoneError} when the
   * job was removed meanwhile, so nothing is left that no removal would find.
   */
  async putOwned(rootId: number, chunk: ContentChunk): Promise<void> {
    const stored = await this.client.eval(
      OWNED_WRITE_LUA,
      3,
      this.keys.job(rootId),
      this.keys.chunks(rootId),
      this.keys.chunk(rootId, chunk.sha256),
      'chunk',
      chunk.sha256,
      chunk.bytes,
    );
    if (stored !== 1) throw new JobGoneError(rootId);
  }

  /** How many bytes Redis holds under a chunk's key (0 when none): checked before a chunk from an unsigned manifest is read. */
  async storedLength(rootId: number, sha256: string): Promise<number> {
    if (!isSha256Hex(sha256)) return 0;
    return this.client.strlen(this.keys.chunk(rootId, sha256));
  }

  /**
   * Deletes what {@link put} staged for `rootId`, a job never created (its
   * push was refused mid-store): the chunks its set names, then the set.
   */
  async discard(rootId: number): Promise<void> {
    const setKey = this.keys.chunks(rootId);
    const chunkKeys = (await this.client.smembers(setKey)).filter(isSha256Hex).map((sha256) => this.keys.chunk(rootId, sha256));
    for (let start = 0; start < chunkKeys.length; start += DISCARD_BATCH) {
      await this.client.del(...chunkKeys.slice(start, start + DISCARD_BATCH));
    }
    await this.client.del(setKey);
  }

  /**
   * One chunk of a content, read and checked against its signed SHA-256: a
   * chunk that is missing or was changed in Redis throws
   * {@link ContentMismatchError} naming it.
   */
  readonly verifiedChunk = async (rootId: number, sha256: string, index: number, contentSha256: string): Promise<Buffer> => {
    if (!isSha256Hex(sha256)) throw new ContentMismatchError(contentSha256, String(sha256), index, 'is not a SHA-256');
    const bytes = await this.client.getBuffer(this.keys.chunk(rootId, sha256));
    if (bytes === null) throw new ContentMismatchError(contentSha256, sha256, index, 'is missing');
    const actual = sha256Hex(bytes);
    if (actual !== sha256) throw new ContentMismatchError(contentSha256, sha256, index, `hashes to ${actual}`);
    return bytes;
  };

  /**
   * Yields the content a manifest describes, chunk by chunk, each checked
   * against the manifest's hash before it is given out (by `fetch`: the
   * agent passes its shared cache of checked chunks), then the whole's size.
   * The whole is not hashed again: the manifest is signed with its list of
   * chunk hashes, so chunks that each match theirs are the signed content,
   * and hashing the whole once more per host cost as much as checking the
   * chunks.
   */
  async *read(
    rootId: number,
    manifest: ContentManifest,
    fetch: (rootId: number, sha256: string, index: number, contentSha256: string) => Promise<Buffer> = this.verifiedChunk,
  ): AsyncGenerator<Buffer, void, undefined> {
    let size = 0;
    for (const [index, sha256] of manifest.chunks.entries()) {
      const bytes = await fetch(rootId, sha256, index, manifest.sha256);
      size += bytes.length;
      yield bytes;
    }
    if (size !== manifest.size) {
      throw new ContentMismatchError(manifest.sha256, null, null, `adds up to ${size} bytes, not ${manifest.size}`);
    }
  }
}

/** The job a write was for is gone (removed while it ran). */
export class JobGoneError extends Error {
  override name = 'JobGoneError';
  constructor(readonly rootId: number) {
    super(`job ${rootId} was removed`);
  }
}

/**
 * A write that belongs to a job that exists: KEYS[1] the job, KEYS[2] and
 * KEYS[3] what to write. `chunk SHA BYTES`: name the chunk in the set, store
 * it; `hset FIELD VALUE`: one field of a hash. Reply 0 when the job is gone.
 */
export const OWNED_WRITE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'chunk' then
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[3], ARGV[3])
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
return 1
`;
