import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { FleetEnv } from './fleet-env.js';

const opened: string[] = [];

/**
 * A gate in /tmp, where the hosts' users (others than this one, sudo's
 * target too) see it: `wait` is the shell loop a command waits in, with the
 * test's marked sleep, so the command shows in the process table until the
 * test calls `open`. Better than a fixed `sleep N`, which a loaded machine
 * may outlast before the test looks. Every gate is removed after each test.
 */
export function tmpGate(env: FleetEnv, name: string): { wait: string; open: () => Promise<void> } {
  const path = join(tmpdir(), `${env.marker}-${name}`);
  opened.push(path);
  return { wait: `while [ ! -e '${path}' ]; do ${env.sleep} 0.05; done`, open: () => writeFile(path, '') };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((path) => rm(path, { force: true })));
});
