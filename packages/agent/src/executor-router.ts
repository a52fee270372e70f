import { parseHostEntry, type RunSpec } from '@fleet/core';
import type { Executor } from './executor.js';
import { runLocally } from './local-executor.js';
import { sshExecutor } from './ssh/ssh-executor.js';
import { threadExecutor } from './threads/thread-executor.js';
import type { ThreadPool } from './threads/thread-pool.js';
import type { SshPool } from './ssh/ssh-pool.js';

/**
 * Picks how a job runs: JavaScript in a worker thread of this agent; on the
 * bare entry `localhost`, a process here; on every other entry, over SSH.
 */
export function executorRouter(pool: SshPool, threads: ThreadPool): (location: string, spec: RunSpec) => Executor | null {
  const runInThread = threadExecutor(threads);
  return (location, spec) => {
    if (spec.command.kind === 'thread') return runInThread;
    let entry;
    try {
      entry = parseHostEntry(location);
    } catch {
      return null;
    }
    return entry.local ? runLocally : sshExecutor(pool, entry);
  };
}
