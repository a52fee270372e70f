import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '@fleet/core';
import { readPushTree } from './push-tree.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-push-tree-'));
  await chmod(dir, 0o755);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads the tree as a user who is not root (root reads everything): as `nobody` when this runs as root. */
async function readAsUser(locals: string[]): Promise<unknown> {
  const root = process.geteuid?.() === 0;
  if (root) process.seteuid?.(65534);
  try {
    return await readPushTree(locals, true);
  } catch (error) {
    return error;
  } finally {
    if (root) process.seteuid?.(0);
  }
}

describe('readPushTree', () => {
  it('refuses a file it may not read, with a usage error naming it, before anything is stored', async () => {
    const secret = join(dir, 'secret');
    await writeFile(secret, 'x', { mode: 0o600 });
    await chmod(secret, 0o000);
    const error = await readAsUser([secret]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`cannot read the file to push ${secret}: EACCES: permission denied, open '${secret}'`);
  });

  it('refuses a subdirectory it may not list, naming it', async () => {
    await mkdir(join(dir, 'tree', 'closed'), { recursive: true });
    await chmod(join(dir, 'tree'), 0o755);
    await chmod(join(dir, 'tree', 'closed'), 0o000);
    const error = await readAsUser([join(dir, 'tree')]);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot read the file to push ${join(dir, 'tree', 'closed')}: EACCES`));
  });
});
