import { DEFAULTS, type OutputStream } from '@fleet/core';
import { encodeData } from './output-store.js';
import type { Transitions } from './transitions.js';

export interface OutputWriterOptions {
  jobId: number;
  rootId: number;
  host: string;
  /** Flush once this many records are buffered. @defaultValue 500 */
  batchRecords?: number;
  /** Above this many buffered bytes, `write` makes the caller wait (back-pressure). @defaultValue 1 MiB */
  highWaterBytes?: number;
}

/** A record being buffered: its data in pieces, joined by newlines when it is sent. */
interface PendingRecord {
  stream: OutputStream;
  parts: Buffer[];
  bytes: number;
  ts: string;
}

const NEWLINE = Buffer.from('\n');

/**
 * Writes one job's output records to Redis in numbered batches: one round
 * trip per batch rather than per line, at most one batch in flight (a fast
 * producer is slowed down instead of filling the agent's memory), and each
 * batch written exactly once even if a reconnection resends it. Lines are
 * packed: consecutive lines of a stream share a record of up to 64 KiB,
 * joined by newlines, which readers split again.
 */
export class OutputWriter {
  private buffer: PendingRecord[] = [];
  private outputBatch = 0;
  private bufferedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private readonly batchRecords: number;
  private readonly highWaterBytes: number;

  constructor(
    private readonly transitions: Transitions,
    private readonly options: OutputWriterOptions,
  ) {
    this.batchRecords = options.batchRecords ?? DEFAULTS.outputBatchRecords;
    this.highWaterBytes = options.highWaterBytes ?? DEFAULTS.outputHighWaterBytes;
  }

  /**
   * Buffers lines of stdout or stderr: `lines` is UTF-8, one or more lines
   * joined by newlines. Resolves at once unless the buffer is over its
   * high-water mark.
   */
  writeLines(stream: 'stdout' | 'stderr', lines: Buffer): Promise<void> | undefined {
    const last = this.buffer[this.buffer.length - 1];
    if (last !== undefined && last.stream === stream && last.bytes + lines.length < DEFAULTS.outputPackedBytes) {
      last.parts.push(lines);
      last.bytes += lines.length + 1;
      this.bufferedBytes += lines.length + 1;
    } else {
      this.push({ stream, parts: [lines], bytes: lines.length, ts: new Date().toISOString() });
    }
    return this.settle();
  }

  /** Buffers one record: a line, an `error` reason or an `output` value. */
  write(stream: OutputStream, data: unknown): Promise<void> | undefined {
    const bytes = Buffer.from(encodeData(stream, data));
    this.push({ stream, parts: [bytes], bytes: bytes.length, ts: new Date().toISOString() });
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

  private push(record: PendingRecord): void {
    this.buffer.push(record);
    this.bufferedBytes += record.bytes + 40;
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
    for (const record of batch) this.bufferedBytes -= record.bytes + 40;
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
      parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [NEWLINE, part]))),
      ts,
    ]);
    await this.transitions.append(jobId, rootId, host, this.outputBatch, joined);
  }
}
