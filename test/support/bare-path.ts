import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A directory of links to this machine's `tools` and nothing else, for one
 * test file: a host's PATH without Node.js (which is in /usr/bin here, with
 * everything else), as a bare node has. Made before the file's tests,
 * removed after them.
 */
export function useBarePath(name: string, tools: readonly string[]): string {
  const dir = join(tmpdir(), `fleet-bare-bin-${name}-${process.pid}`);
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    for (const tool of tools) {
      const found = execFileSync('sh', ['-c', `command -v ${tool}`])
        .toString()
        .trim();
      await symlink(found, join(dir, tool));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}
