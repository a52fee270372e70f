/** Reads one chunk of a job's content and checks it against its signed SHA-256 (ChunkStore.verifiedChunk). */
export type ChunkFetch = (rootId: number, sha256: string, index: number, contentSha256: string) => Promise<Buffer>;

/**
 * The chunks an agent has already read and checked, shared by every child
 * it runs: a push of one file to a hundred hosts reads each chunk from
 * Redis and hashes it once, not a hundred times. Children that want a chunk
 * while it is being read wait for that one read. Chunks are held within a
 * byte budget, the least recently used dropped first; children feed their
 * hosts at much the same pace, so a budget of a few dozen chunks serves
 * most of them. A chunk that failed its check is never held: every child
 * that asks gets the same refusal from its own read.
 *
 * Safe across jobs and children because a chunk's key is its job and its
 * SHA-256, and only bytes that hash to that SHA-256 are ever held.
 */
export class VerifiedChunkCache {
  private readonly held = new Map<string, Buffer>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private heldBytes = 0;

  constructor(
    private readonly fetch: ChunkFetch,
    /** Bytes of chunks held at most; 0 holds none (every read goes to Redis, shared only while in flight). */
    private readonly budgetBytes: number,
  ) {}

  /** The chunk, checked: from memory, from a read already under way, or read now. */
  readonly chunk: ChunkFetch = async (rootId, sha256, index, contentSha256) => {
    const key = `${rootId}:${sha256}`;
    const held = this.held.get(key);
    if (held !== undefined) {
      // Map keeps insertion order: re-inserting makes it the most recently used.
      this.held.delete(key);
      this.held.set(key, held);
      return held;
    }
    const pending = this.reading.get(key);
    if (pending !== undefined) return pending;
    const read = this.fetch(rootId, sha256, index, contentSha256).finally(() => this.reading.delete(key));
    this.reading.set(key, read);
    const bytes = await read;
    this.hold(key, bytes);
    return bytes;
  };

  /** Bytes held now (for tests and the agent's status). */
  get size(): number {
    return this.heldBytes;
  }

  private hold(key: string, bytes: Buffer): void {
    if (bytes.length > this.budgetBytes || this.held.has(key)) return;
    this.held.set(key, bytes);
    this.heldBytes += bytes.length;
    for (const [oldest, oldBytes] of this.held) {
      if (this.heldBytes <= this.budgetBytes) break;
      this.held.delete(oldest);
      this.heldBytes -= oldBytes.length;
    }
  }
}
