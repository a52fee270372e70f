import { chmod, mkdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';

/** A name with a space, quotes, UTF-8 and (by default) a newline, as push and pull tests carry it. */
export const ODD_NAME = 'a b\n"c\' é ☃';

/**
 * The tree push and pull tests copy: a file with an odd name, a script with
 * its mode and time, a link to the odd name and one pointing out of the tree
 * (`outward`), in a 0710 directory with its own time. `chownTo`, when given,
 * gets everything (before the directory is closed to others).
 */
export async function makeTransferTree(
  at: string,
  odd: string,
  outward: string,
  chownTo?: (path: string) => Promise<unknown>,
): Promise<void> {
  await mkdir(join(at, 'sub dir'), { recursive: true });
  await writeFile(join(at, odd), 'odd');
  await writeFile(join(at, 'sub dir', 'run.sh'), '#!/bin/sh\n');
  await chmod(join(at, 'sub dir', 'run.sh'), 0o750);
  await utimes(join(at, 'sub dir', 'run.sh'), 1_500_000_000, 1_500_000_000);
  await symlink(odd, join(at, 'link to odd'));
  await symlink(outward, join(at, 'sub dir', 'outward'));
  await chownTo?.(at);
  await chmod(join(at, 'sub dir'), 0o710);
  await utimes(join(at, 'sub dir'), 1_400_000_000, 1_400_000_000);
}

/** The tree arrived as made, with -p: content, links as links, modes and times. */
export async function expectTransferTree(at: string, odd: string, outward: string): Promise<void> {
  expect(await readFile(join(at, odd), 'utf8')).toBe('odd');
  expect(await readlink(join(at, 'link to odd'))).toBe(odd);
  expect(await readlink(join(at, 'sub dir', 'outward'))).toBe(outward);
  const script = await stat(join(at, 'sub dir', 'run.sh'));
  expect(script.mode & 0o7777).toBe(0o750);
  expect(script.mtimeMs).toBe(1_500_000_000_000);
  const dir = await stat(join(at, 'sub dir'));
  expect(dir.mode & 0o7777).toBe(0o710);
  expect(dir.mtimeMs).toBe(1_400_000_000_000);
}
