import type { PulledEntry } from '@fleet/core';
import { JobGoneError, OWNED_WRITE_LUA } from './chunk-store.js';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

const READ_BATCH = 256;

/**
 * What each child of a pull brought back, in the hash `pulled:<root>`:
 * entry N of child C at `C:N` (a JSON {@link PulledEntry}), written as the
 * host's stream is read, and `C` → the number of entries, set only once the
 * stream was whole. A child without that count (stopped, cut, over the cap)
 * has nothing to write out. The content is in the job's chunk store. The
 * hash goes with the tree (the transition script's `chunkKeys`).
 *
 * Nothing here is trusted by the writer: a Redis writer may change any of
 * it, so the CLI checks every record (parsePulledEntry) and every chunk.
 */
export class PulledStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  record(rootId: number, childId: number, index: number, entry: PulledEntry): Promise<void> {
    return this.write(rootId, `${childId}:${index}`, JSON.stringify(entry));
  }

  /** The child's stream was whole: its `count` entries may be written out. */
  seal(rootId: number, childId: number, count: number): Promise<void> {
    return this.write(rootId, String(childId), String(count));
  }

  /** Forgets the child's first `count` entries (its stream was cut or refused). */
  async drop(rootId: number, childId: number, count: number): Promise<void> {
    const key = this.keys.pulled(rootId);
    for (let start = 0; start < count; start += READ_BATCH) {
      const fields = Array.from({ length: Math.min(READ_BATCH, count - start) }, (_, offset) => `${childId}:${start + offset}`);
      await this.client.hdel(key, ...fields);
    }
    await this.client.hdel(key, String(childId));
  }

  /** How many entries the child recorded, or null when its stream was not whole. */
  async count(rootId: number, childId: number): Promise<number | null> {
    const text = await this.client.hget(this.keys.pulled(rootId), String(childId));
    const count = text === null ? NaN : Number(text);
    return Number.isSafeInteger(count) && count >= 0 ? count : null;
  }

  /** The child's records in order, as stored (unchecked), null for a missing one. */
  async *entries(rootId: number, childId: number, count: number): AsyncGenerator<string | null, void, undefined> {
    const key = this.keys.pulled(rootId);
    for (let start = 0; start < count; start += READ_BATCH) {
      const fields = Array.from({ length: Math.min(READ_BATCH, count - start) }, (_, offset) => `${childId}:${start + offset}`);
      yield* await this.client.hmget(key, ...fields);
    }
  }

  private async write(rootId: number, field: string, value: string): Promise<void> {
    const written = await this.client.eval(
      OWNED_WRITE_LUA,
      3,
      this.keys.job(rootId),
      this.keys.pulled(rootId),
      this.keys.pulled(rootId),
      'hset',
      field,
      value,
    );
    if (written !== 1) throw new JobGoneError(rootId);
  }
}
