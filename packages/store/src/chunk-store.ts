import { ContentMismatchError, createSha256, isSha256Hex, sha256Hex, splitContent, type ContentManifest } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * How long content staged for a job that is not created yet is kept: the
 * job's creation makes the tree own it (the transition script's `create`),
 * so only a creator that died between the two leaves it, and only this long.
 */
export const CHUNK_STAGING_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The content of a top-level job's files, in Redis as content-addressed
 * chunks (see content-manifest.ts): `chunk:<root>:<sha256>`, each stored once
 * per job (SET NX) however many files or hosts share it, and named in the
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
      await this.client
        .multi()
        .sadd(setKey, sha256)
        .pexpire(setKey, CHUNK_STAGING_TTL_MS, 'NX')
        .set(chunkKey, bytes, 'PX', CHUNK_STAGING_TTL_MS, 'NX')
        .exec();
    }
  }

  /**
   * Yields the content a manifest describes, chunk by chunk, each checked
   * against the manifest's hash before it is given out: a chunk that is
   * missing or was changed in Redis throws {@link ContentMismatchError} naming
   * it, as does a whole that does not add up to the manifest's size and hash.
   */
  async *read(rootId: number, manifest: ContentManifest): AsyncGenerator<Buffer, void, undefined> {
    const whole = createSha256();
    let size = 0;
    for (const [index, sha256] of manifest.chunks.entries()) {
      if (!isSha256Hex(sha256)) throw new ContentMismatchError(manifest.sha256, String(sha256), index, 'is not a SHA-256');
      const bytes = await this.client.getBuffer(this.keys.chunk(rootId, sha256));
      if (bytes === null) throw new ContentMismatchError(manifest.sha256, sha256, index, 'is missing');
      const actual = sha256Hex(bytes);
      if (actual !== sha256) throw new ContentMismatchError(manifest.sha256, sha256, index, `hashes to ${actual}`);
      whole.update(bytes);
      size += bytes.length;
      yield bytes;
    }
    const actual = whole.digest('hex');
    if (size !== manifest.size || actual !== manifest.sha256) {
      throw new ContentMismatchError(manifest.sha256, null, null, `adds up to ${size} bytes hashing to ${actual}, not ${manifest.size}`);
    }
  }
}
