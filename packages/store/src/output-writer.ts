import type { OutputStream } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import { encodeRecord } from './output-store.js';
import type { RedisClient } from './redis-connection.js';

export interface OutputWriterOptions {
  jobId: number;
  rootId: number;
  host: string;
  /** Flush once this many records are buffered. @defaultValue 500 */
  batchRecords?: number;
  /** Above this many buffered bytes, `write` makes the caller wait (back-pressure). @defaultValue 1 MiB */
  highWaterBytes?: number;
}

/**
 * Writes one job's output records to Redis in pipelined batches: one round
 * trip per batch rather than per line, and at most one batch in flight, so a
 * fast producer is slowed down instead of filling the agent's memory.
 */
export class OutputWriter {
  private buffer: string[][] = [];
  private bufferedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: unknown = null;
  private readonly batchRecords: number;
  private readonly highWaterBytes: number;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    private readonly options: OutputWriterOptions,
  ) {
    this.batchRecords = options.batchRecords ?? 500;
    this.highWaterBytes = options.highWaterBytes ?? 1024 * 1024;
  }

  /** Buffers a record; resolves at once unless the buffer is over its high-water mark. */
  write(stream: OutputStream, data: unknown): Promise<void> | undefined {
    const fields = encodeRecord(stream, data, new Date().toISOString(), this.options.jobId, this.options.host);
    this.buffer.push(fields);
    this.bufferedBytes += fields.reduce((bytes, field) => bytes + field.length, 0);
    if (this.buffer.length >= this.batchRecords || this.bufferedBytes >= this.highWaterBytes / 4) {
      this.kick();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.kick(), 5);
    }
    if (this.bufferedBytes >= this.highWaterBytes) return this.flush();
    return undefined;
  }

  /** Writes everything buffered; rejects if Redis refused a batch. */
  async flush(): Promise<void> {
    while (this.inFlight !== null || this.buffer.length > 0) {
      this.kick();
      await this.inFlight;
    }
    if (this.failure !== null) throw this.failure;
  }

  private kick(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.inFlight !== null || this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.inFlight = this.send(batch)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight = null;
        if (this.buffer.length > 0) this.kick();
      });
  }

  private async send(batch: string[][]): Promise<void> {
    const { jobId, rootId } = this.options;
    const pipeline = this.client.pipeline();
    const stream = this.keys.output(rootId);
    for (const fields of batch) pipeline.xadd(stream, '*', ...fields);
    pipeline.hincrby(this.keys.job(jobId), 'unread', batch.length);
    if (rootId !== jobId) pipeline.hincrby(this.keys.job(rootId), 'unreadTotal', batch.length);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
  }
}
