import type { OutputStream } from '@fleet/core';
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

/**
 * Writes one job's output records to Redis in numbered batches: one round
 * trip per batch rather than per line, at most one batch in flight (a fast
 * producer is slowed down instead of filling the agent's memory), and each
 * batch written exactly once even if a reconnection resends it.
 */
export class OutputWriter {
  private buffer: [string, string, string][] = [];
  private batch = 0;
  private bufferedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failure: unknown = null;
  private readonly batchRecords: number;
  private readonly highWaterBytes: number;

  constructor(
    private readonly transitions: Transitions,
    private readonly options: OutputWriterOptions,
  ) {
    this.batchRecords = options.batchRecords ?? 500;
    this.highWaterBytes = options.highWaterBytes ?? 1024 * 1024;
  }

  /**
   * Buffers a record; resolves at once unless the buffer is over its
   * high-water mark. For stdout and stderr, `data` is one or more lines joined
   * by newlines: consecutive ones of a stream share a record while it stays
   * under MAX_PACKED_CHARS, and readers split them into lines again.
   */
  write(stream: OutputStream, data: unknown): Promise<void> | undefined {
    const text = encodeData(stream, data);
    const last = this.buffer[this.buffer.length - 1];
    if (last !== undefined && last[0] === stream && isLines(stream) && last[1].length + text.length < MAX_PACKED_CHARS) {
      last[1] = `${last[1]}\n${text}`;
      this.bufferedBytes += text.length + 1;
    } else {
      const record: [string, string, string] = [stream, text, new Date().toISOString()];
      this.buffer.push(record);
      this.bufferedBytes += recordBytes(record);
    }
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
    // At most batchRecords a call: the buffer grows while a batch is in flight,
    // and one script call with tens of thousands of arguments overflows the stack.
    const batch = this.buffer.splice(0, this.batchRecords);
    for (const record of batch) this.bufferedBytes -= recordBytes(record);
    this.inFlight = this.send(batch)
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight = null;
        if (this.buffer.length > 0) this.kick();
      });
  }

  private async send(records: [string, string, string][]): Promise<void> {
    this.batch += 1;
    const { jobId, rootId, host } = this.options;
    await this.transitions.append(jobId, rootId, host, this.batch, records);
  }
}

/** A record of lines packs at most this much text (a single longer block stays whole). */
const MAX_PACKED_CHARS = 64 * 1024;

function isLines(stream: OutputStream): boolean {
  return stream === 'stdout' || stream === 'stderr';
}

/** What a buffered record is counted as, for the high-water mark. */
function recordBytes(record: [string, string, string]): number {
  return record[1].length + 40;
}
