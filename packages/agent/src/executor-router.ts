import { parseHostEntry, type RunSpec } from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { runLocally } from './local-executor.js';
import { sshExecutor } from './ssh/ssh-executor.js';
import { threadExecutor } from './threads/thread-executor.js';
import type { ThreadPool } from './threads/thread-pool.js';
import type { SshPool } from './ssh/ssh-pool.js';

/**
 * Picks how a job runs: on the bare entry `localhost`, JavaScript in a worker
 * thread of this agent, a command in a process here; on every other entry, a
 * command over SSH. JavaScript for another host runs only on that host's own
 * agent (`nodeExecutorRouter`): one that reaches this agent fails, saying so.
 */
export function executorRouter(pool: SshPool, threads: ThreadPool): (location: string, spec: RunSpec) => Executor | null {
  const runInThread = threadExecutor(threads);
  return (location, spec) => {
    if (spec.command.kind === 'thread') return location === 'localhost' ? runInThread : noAgentThere(location);
    let entry;
    try {
      entry = parseHostEntry(location);
    } catch {
      return null;
    }
    return entry.local ? runLocally : sshExecutor(pool, entry);
  };
}

/** What a node's own agent runs: every child routed to it, on this machine without SSH, and thread jobs in a thread. */
export function nodeExecutorRouter(threads: ThreadPool): (location: string, spec: RunSpec) => Executor {
  const runInThread = threadExecutor(threads);
  return (_location, spec) => (spec.command.kind === 'thread' ? runInThread : runLocally);
}

/** A thread child for a host without an agent of its own (none deployed, or it is down): nothing runs. */
function noAgentThere(location: string): Executor {
  return ({ signal }) =>
    Promise.resolve(
      startRun(signal)({
        failure: `no agent of its own runs on ${location}: JavaScript (--thread) runs on a node's agent; fleet deploy -c ${location} puts one there`,
      }),
    );
}
