import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun, type Executor } from '../executor.js';
import { forwardWithBackpressure } from '../forward-with-backpressure.js';
import { THREAD_RESOURCE_LIMITS, type ThreadPool } from './thread-pool.js';
import type { ThreadMessage, ThreadWorkerData } from './thread-worker.js';

/**
 * Runs a thread job's JavaScript in a worker thread of the agent: no process
 * is spawned. `console.log` and `console.error` become stdout and stderr
 * lines; the return value and each `emit(value)` become `output` records.
 * Stop and timeout terminate the worker, whatever it is doing.
 */
export const threadExecutor =
  (pool: ThreadPool): Executor =>
  async ({ spec, signal, onOutput, onValue }) => {
    const done = startRun(signal);
    const command = spec.command;
    if (command.kind !== 'thread') return done({ failure: 'only JavaScript runs in a thread' });
    if (signal.aborted) return done({});

    const moduleDir = command.source === 'module' ? await mkdtemp(join(tmpdir(), 'fleet-thread-')) : null;
    try {
      const modulePath = moduleDir === null ? null : join(moduleDir, 'module.mjs');
      if (modulePath !== null) await writeFile(modulePath, command.code, { mode: 0o600 });
      const job: ThreadWorkerData = { source: command.source, code: command.code, modulePath, args: command.args, env: spec.env };
      const worker = pool.take();
      worker.ref();
      worker.postMessage(job);
      let failure: string | null = null;
      let finished = false;
      const pending: Promise<void>[] = [];
      worker.on('message', (message: ThreadMessage) => {
        if (message.type === 'output') {
          const wait = onValue(JSON.parse(message.json) as unknown);
          if (wait) pending.push(wait);
        } else if (message.type === 'error') {
          failure = message.message;
        } else {
          finished = true;
          // The job is done when its function returns, even if it left timers behind.
          void worker.terminate();
        }
      });
      worker.on('error', (error: Error & { code?: string }) => {
        failure =
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `out of memory (a thread job may use ${THREAD_RESOURCE_LIMITS.maxOldGenerationSizeMb} MB)`
            : error.message;
      });
      const stop = () => void worker.terminate();
      signal.addEventListener('abort', stop, { once: true });
      const [exitCode] = await Promise.all([
        new Promise<number>((resolve) => worker.once('exit', resolve)),
        forwardWithBackpressure(worker.stdout, (chunk) => onOutput('stdout', chunk)),
        forwardWithBackpressure(worker.stderr, (chunk) => onOutput('stderr', chunk)),
      ]);
      signal.removeEventListener('abort', stop);
      await Promise.all(pending);
      if (failure !== null) return done({ failure });
      if (finished || signal.aborted) return done({ exitCode: finished ? 0 : null });
      // The code ended its thread itself (process.exit in a worker ends only the worker).
      return done({ exitCode });
    } finally {
      pool.fill();
      if (moduleDir !== null) await rm(moduleDir, { recursive: true, force: true });
    }
  };
