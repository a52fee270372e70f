import { Worker } from 'node:worker_threads';
import { jobEnvironment } from '@fleet/core';

// Beside this module in both layouts that run it: the agent's dist/threads/, and the
// CLI's bundle, where scripts/bundle.mjs writes the worker next to the chunk holding this code.
const WORKER = new URL('./thread-worker.js', import.meta.url);

/** Heap limits of one thread job, so a runaway job dies alone, not with the agent. */
export const THREAD_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 } as const;

/**
 * Worker threads started ahead of need. Starting a worker (a new V8 isolate)
 * takes ~25 ms, five times a whole `true` process job; taking a warm one
 * leaves only the job's own work. Every worker runs one job and is then
 * terminated, never reused, so no job sees another's globals or timers.
 */
export class ThreadPool {
  private readonly warm: Worker[] = [];
  private closed = false;

  constructor(private readonly size: number) {}

  /** A worker waiting for its job (a cold one if none is warm). Call `fill` once the job is over. */
  take(): Worker {
    return this.warm.shift() ?? this.spawn();
  }

  /**
   * Starts workers until `size` are warm. Called when a job ends rather than
   * when it starts, so that booting a replacement (a new isolate) does not
   * compete for the CPU with the job it replaces.
   */
  fill(): void {
    while (!this.closed && this.warm.length < this.size) this.warm.push(this.spawn());
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.warm.splice(0).map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, {
      // The thread's process.env: the agent's, without its FLEET_ settings; the job's own join it there.
      env: jobEnvironment(process.env, {}),
      stdout: true,
      stderr: true,
      resourceLimits: THREAD_RESOURCE_LIMITS,
    });
    // A warm worker must not keep an idle agent alive, nor crash it.
    worker.unref();
    worker.on('error', () => {});
    return worker;
  }
}
