import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetEnv } from './fleet-env.js';

/**
 * A file a command waits for, so that a test decides when it goes on:
 * `wait` is the shell loop that waits (the job runs until then), `open`
 * makes the file. The loop sleeps through the test's marked `sleep`, so that
 * a test that fails before opening the gate has the loop found and ended by
 * the leak check rather than left waiting for ever.
 */
export function fileGate(env: FleetEnv, name = 'gate'): { wait: string; open: () => Promise<void> } {
  const path = join(env.home, name);
  return { wait: `while [ ! -e '${path}' ]; do ${env.sleep} 0.05; done`, open: () => writeFile(path, '') };
}
