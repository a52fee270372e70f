import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS, describeDroppedOutput, OutputBudget } from '@fleet/core';
import type { OutputListener } from './executor.js';
import type { JobOutput } from './job-ledger.js';

export interface CappedOutputOptions {
  /** The most of the job's output Redis may hold unreceived (FLEET_MAX_OUTPUT). */
  capBytes: number;
  /** Aborted when the run is interrupted (stop, timeout, shutdown): from then on nothing waits for a reader. */
  signal: AbortSignal;
  /** The first wait for a reader to take output, doubled each time it has not. @defaultValue 10 ms */
  pollMs?: number;
  /** @defaultValue 200 ms */
  pollMaxMs?: number;
}

/**
 * One job's output on its way to Redis under the cap (SPEC §11), which
 * bounds what Redis holds unreceived, not what passes through. Below the
 * cap, chunks go straight to the writer. At the cap, while a reader follows
 * the job, the command waits (the executor pauses its stream) until the
 * reader has taken some: the agent looks again after a short wait that
 * doubles up to a bound, so a slow reader costs a few reads a second, not a
 * busy loop. When nobody follows (or the reader died, or the run was
 * interrupted), what fits is kept and the rest dropped, and from then on
 * everything is dropped and counted.
 */
export class CappedOutput {
  private readonly budget: OutputBudget;
  /** The output waiting for room, if any: whatever comes next waits behind it, so order is kept. */
  private waiting: Promise<void> | null = null;
  /** Why output waiting for room was lost (a read or write that failed): the run must not end as if it were kept. */
  private failure: Error | null = null;

  constructor(
    private readonly output: JobOutput,
    private readonly options: CappedOutputOptions,
  ) {
    this.budget = new OutputBudget(options.capBytes);
  }

  /** stdout and stderr chunks; a returned promise pauses the command's stream until it settles. */
  readonly onOutput: OutputListener = (stream, chunk) => {
    if (this.waiting === null && chunk.length <= this.room()) return quiet(this.output.writeBytes(stream, chunk));
    return quiet(this.queue(() => this.keepBytes(stream, chunk)));
  };

  /** A thread job's value: kept whole or dropped whole; a returned promise asks the executor to wait. */
  readonly onValue = (value: unknown): Promise<void> | undefined => {
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (this.waiting === null && bytes <= this.room()) return quiet(this.output.write('output', value));
    return quiet(this.queue(() => this.keepValue(value, bytes)));
  };

  /**
   * Once the command has ended: says what was dropped, writes everything
   * out; returns the bytes dropped past the cap, and those Redis had no
   * room for (the job's end record says so: an `error` record written now
   * would be refused too). Rejects when output could not be written.
   */
  async end(): Promise<{ bytesDropped: number; bytesDroppedOutOfMemory: number }> {
    while (this.waiting !== null) await this.waiting.catch(() => {});
    if (this.failure !== null) throw this.failure;
    const { dropped, capBytes } = this.budget;
    if (dropped > 0) await this.output.write('error', describeDroppedOutput(dropped, capBytes));
    await this.output.flush();
    return { bytesDropped: dropped, bytesDroppedOutOfMemory: this.output.bytesDroppedOutOfMemory };
  }

  private room(): number {
    return this.budget.room(this.output.unreceivedBytes);
  }

  private queue(task: () => Promise<void>): Promise<void> {
    const run = (this.waiting ?? Promise.resolve()).then(task);
    this.waiting = run;
    const clear = () => {
      if (this.waiting === run) this.waiting = null;
    };
    run.then(clear, (error: unknown) => {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      clear();
    });
    return run;
  }

  /** Keeps a chunk a piece at a time as room frees, or drops what is left once no room will. */
  private async keepBytes(stream: 'stdout' | 'stderr', chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0) {
      const room = this.room();
      if (room > 0) {
        const piece = rest.subarray(0, room);
        rest = rest.subarray(piece.length);
        await this.output.writeBytes(stream, piece);
      } else if (!(await this.roomFreed(1))) {
        this.budget.drop(rest.length);
        return;
      }
    }
  }

  private async keepValue(value: unknown, bytes: number): Promise<void> {
    // A value larger than the whole cap could never fit, whoever reads.
    if (bytes > this.options.capBytes || !(await this.roomFreed(bytes))) return this.budget.drop(bytes);
    await this.output.write('output', value);
  }

  /**
   * Waits until the job's unreceived bytes leave `needed` bytes of room, and
   * says true; false at once when nobody follows the job, or once its reader
   * stops following (it died) or the run is interrupted: then the caller drops.
   */
  private async roomFreed(needed: number): Promise<boolean> {
    const { signal } = this.options;
    let pause = this.options.pollMs ?? DEFAULTS.outputRoomPollMs;
    for (;;) {
      if (this.budget.exhausted) return false;
      const { followed } = await this.output.recount();
      if (this.room() >= needed) return true;
      if (!followed || signal.aborted) return false;
      // An interruption ends the pause at once.
      await sleep(pause, undefined, { signal }).catch(() => {});
      pause = Math.min(pause * 2, this.options.pollMaxMs ?? DEFAULTS.outputRoomPollMaxMs);
    }
  }
}

/**
 * What an executor waits on before it reads on: it only waits, so a failure
 * must not reject there (nothing would handle it); the writer or the queue
 * keeps it, and `end` throws it.
 */
function quiet(wait: Promise<void> | undefined): Promise<void> | undefined {
  return wait?.catch(() => {});
}
