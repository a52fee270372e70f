import { parseHostEntry } from '@fleet/core';
import type { Executor } from './executor.js';
import { runLocally } from './local-executor.js';
import { sshExecutor } from './ssh-executor.js';
import type { SshPool } from './ssh-pool.js';

/** Picks how a child reaches its host: the bare entry `localhost` runs here; every other entry goes over SSH. */
export function executorRouter(pool: SshPool): (location: string) => Executor | null {
  return (location) => {
    let entry;
    try {
      entry = parseHostEntry(location);
    } catch {
      return null;
    }
    return entry.local ? runLocally : sshExecutor(pool, entry);
  };
}
