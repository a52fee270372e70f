import { parseHostEntry, type RunSpec } from '@fleet/core';
import { startRun, type Executor } from './executor.js';
import { runLocally } from './local-executor.js';
import { pullLocally } from './local-pull.js';
import { pushLocally } from './local-push.js';
import { sshExecutor } from './ssh/ssh-executor.js';
import { threadExecutor } from './threads/thread-executor.js';
import type { ThreadPool } from './threads/thread-pool.js';
import type { SshPool } from './ssh/ssh-pool.js';

/**
 * Picks how a job runs: on the bare entry `localhost`, JavaScript in a worker
 * thread of this agent, a command in a process here; on every other entry, a
 * command (or a push) over SSH; a push to `localhost` runs the same receiver here. JavaScript for another host runs only on that host's own
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
    if (!entry.local) return sshExecutor(pool, entry);
    return localExecutor(spec);
  };
}

/** What a node's own agent runs: every child routed to it, on this machine without SSH, and thread jobs in a thread. */
export function nodeExecutorRouter(threads: ThreadPool): (location: string, spec: RunSpec) => Executor {
  const runInThread = threadExecutor(threads);
  return (_location, spec) => (spec.command.kind === 'thread' ? runInThread : localExecutor(spec));
}

/** A command, a push or a pull on this machine. */
function localExecutor(spec: RunSpec): Executor {
  if (spec.command.kind === 'push') return pushLocally;
  return spec.command.kind === 'pull' ? pullLocally : runLocally;
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
