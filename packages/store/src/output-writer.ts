import { DEFAULTS, isRedisOutOfMemory, type OutputStream } from '@fleet/core';
import { encodeData, type OutputStanding, type OutputStore } from './output-store.js';
import type { Transitions } from './transitions.js';

export interface OutputWriterOptions {
  jobId: number;
  rootId: number;
  host: string;
  /** Flush once this many records are buffered. @defaultValue 500 */
  batchRecords?: number;
  /** Above this many buffered bytes, `write` makes the caller wait (back-pressure). @defaultValue 1 MiB */
  highWaterBytes?: number;
  /** The most bytes of one stream an entry packs. @defaultValue 64 KiB */
  packedBytes?: number;
}

/** A record being buffered: its data in pieces, concatenated when it is sent. */
interface PendingRecord {
  stream: OutputStream;
  parts: Buffer[];
  bytes: number;
  /** Raw stdout or stderr bytes, to which more of the same stream may be added. */
  raw: boolean;
  ts: string;
}

/** Per buffered record, for its fields and entry id: what `highWaterBytes` counts beside the data. */
const RECORD_OVERHEAD = 40;

/**
 * Writes one job's output records to Redis in numbered batches: one round
 * trip per batch rather than per chunk, at most one batch in flight (a fast
 * producer is slowed down instead of filling the agent's memory), and each
 * batch written exactly once even if a reconnection resends it. stdout and
 * stderr are bytes as the command wrote them: consecutive chunks of a
 * stream share an entry of up to 64 KiB, cut wherever the size falls, and
 * nothing is decoded, added or removed. The writer also keeps count of the
 * job's bytes Redis holds unreceived (what the output cap is held to).
 */
export class OutputWriter {
  private buffer: PendingRecord[] = [];
  private outputBatch = 0;
  private bufferedBytes = 0;
  /** Data bytes buffered or in flight: not yet in Redis's count. */
  private unsentBytes = 0;
  /** The job's unreceived bytes as Redis last counted them. */
  private countedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  /** Bytes Redis refused because it was full; from the first, everything after is dropped too. */
  private droppedOutOfMemory = 0;
  private readonly batchRecords: number;
  private readonly highWaterBytes: number;
  private readonly packedBytes: number;

  constructor(
    private readonly store: { transitions: Transitions; output: OutputStore },
    private readonly options: OutputWriterOptions,
  ) {
    this.batchRecords = options.batchRecords ?? DEFAULTS.outputBatchRecords;
    this.highWaterBytes = options.highWaterBytes ?? DEFAULTS.outputHighWaterBytes;
    this.packedBytes = options.packedBytes ?? DEFAULTS.outputPackedBytes;
  }

  /**
   * Bytes of this job's output that Redis holds unreceived, or soon will:
   * its count when last heard from, plus what was written since. Never
   * less than the truth, since only a reader lowers the count.
   */
  get unreceivedBytes(): number {
    return this.countedBytes + this.unsentBytes;
  }

  /**
   * Bytes of output not stored because Redis was full (maxmemory under
   * noeviction). Once Redis has refused a batch, the rest of the run's
   * output is dropped and counted too, so that what is kept is the start of
   * the output, with no hole in it, as at the output cap.
   */
  get bytesDroppedOutOfMemory(): number {
    return this.droppedOutOfMemory;
  }

  /**
   * Buffers a chunk of stdout or stderr, as it is (the writer keeps it: the
   * caller must not reuse its memory). Resolves at once unless the buffer
   * is over its high-water mark.
   */
  writeBytes(stream: 'stdout' | 'stderr', chunk: Buffer): Promise<void> | undefined {
    if (this.droppedOutOfMemory > 0) return this.dropOutOfMemory(chunk.length);
    for (let offset = 0; offset < chunk.length;) {
      const last = this.buffer[this.buffer.length - 1];
      const packing = last !== undefined && last.raw && last.stream === stream && last.bytes < this.packedBytes;
      const record = packing ? last : this.push({ stream, parts: [], bytes: 0, raw: true, ts: new Date().toISOString() });
      const piece = chunk.subarray(offset, offset + this.packedBytes - record.bytes);
      record.parts.push(piece);
      record.bytes += piece.length;
      this.count(piece.length);
      offset += piece.length;
    }
    return this.settle();
  }

  /** Buffers one record: an `error` reason or an `output` value. */
  write(stream: OutputStream, data: unknown): Promise<void> | undefined {
    const bytes = Buffer.from(encodeData(stream, data));
    if (this.droppedOutOfMemory > 0) return this.dropOutOfMemory(bytes.length);
    this.push({ stream, parts: [bytes], bytes: bytes.length, raw: false, ts: new Date().toISOString() });
    this.count(bytes.length);
    return this.settle();
  }

  /** Writes everything buffered; rejects if Redis refused a batch. */
  async flush(): Promise<void> {
    while (this.inFlight !== null || this.buffer.length > 0) {
      this.kick();
      await this.inFlight;
    }
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Writes everything buffered, then asks Redis how many of the job's bytes
   * it holds unreceived now (readers lower it) and whether a reader follows.
   */
  async recount(): Promise<OutputStanding> {
    await this.flush();
    const standing = await this.store.output.standing(this.options.jobId, this.options.rootId);
    this.countedBytes = standing.unreadBytes;
    return standing;
  }

  private dropOutOfMemory(bytes: number): undefined {
    this.droppedOutOfMemory += bytes;
    return undefined;
  }

  private push(record: PendingRecord): PendingRecord {
    this.buffer.push(record);
    this.bufferedBytes += RECORD_OVERHEAD;
    return record;
  }

  private count(bytes: number): void {
    this.bufferedBytes += bytes;
    this.unsentBytes += bytes;
  }

  private settle(): Promise<void> | undefined {
    if (this.buffer.length >= this.batchRecords || this.bufferedBytes >= this.highWaterBytes / 4) {
      this.kick();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.kick(), DEFAULTS.outputFlushDelayMs);
    }
    if (this.bufferedBytes >= this.highWaterBytes) return this.flush();
    return undefined;
  }

  private kick(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.inFlight !== null || this.buffer.length === 0) return;
    // At most batchRecords a call: the buffer grows while a batch is in flight,
    // and one script call with tens of thousands of arguments overflows the stack.
    const batch = this.buffer.splice(0, this.batchRecords);
    for (const record of batch) this.bufferedBytes -= record.bytes + RECORD_OVERHEAD;
    this.inFlight = this.send(batch)
      .catch((error: Error) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight = null;
        if (this.buffer.length > 0) this.kick();
      });
  }

  private async send(records: PendingRecord[]): Promise<void> {
    this.outputBatch += 1;
    const { jobId, rootId, host } = this.options;
    const joined = records.map(({ stream, parts, ts }): [string, Buffer, string] => [
      stream,
      parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts),
      ts,
    ]);
    const bytes = records.reduce((sum, record) => sum + record.bytes, 0);
    try {
      this.countedBytes = await this.store.transitions.append(jobId, rootId, host, this.outputBatch, joined);
    } catch (error) {
      if (!isRedisOutOfMemory(error)) throw error;
      // Redis is full: this batch and everything still buffered are dropped, and all that follows.
      const buffered = this.buffer.splice(0);
      const more = buffered.reduce((sum, record) => sum + record.bytes, 0);
      this.bufferedBytes = 0;
      this.unsentBytes -= more;
      this.dropOutOfMemory(bytes + more);
    } finally {
      this.unsentBytes -= bytes;
    }
  }
}
