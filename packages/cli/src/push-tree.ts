import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { FileReadError, isSafeEntryPath, UsageError } from '@fleet/core';

/** One thing to push, as found here: where it is locally, and what the hosts get (its name in the tree, type, mode, mtime). */
export type LocalPushEntry = {
  local: string;
  path: string;
  mode: number;
  mtime: number;
} & ({ type: 'file'; size: number } | { type: 'dir' } | { type: 'symlink'; target: string });

/**
 * The entries a push of `locals` sends, parents before children, read from
 * the local disk before anything is stored: a LOCAL that does not exist, a
 * directory without `-r`, a device or socket, or two LOCALs with the same
 * base name are refused (exit 2). A LOCAL that is a symbolic link is
 * followed, as scp and cp follow their arguments; inside a directory, links
 * are pushed as links, never followed. A file or directory this user may
 * not read is refused here too (exit 2), not halfway through storing.
 */
export async function readPushTree(locals: readonly string[], recursive: boolean): Promise<LocalPushEntry[]> {
  const entries: LocalPushEntry[] = [];
  const tops = new Map<string, string>();
  for (const local of locals) {
    const info = await stat(local).catch((error: unknown) => {
      throw new FileReadError('the file to push', local, error, { hint: 'give the path of a local file (or a directory with -r)' });
    });
    const name = basename(resolve(local));
    if (!isSafeEntryPath(name)) throw new UsageError(`cannot push ${local}: it has no name of its own to give it on the hosts`);
    const earlier = tops.get(name);
    if (earlier !== undefined) {
      throw new UsageError(`${earlier} and ${local} would both land as ${name}`, { hint: 'push them in two goes, or to two destinations' });
    }
    tops.set(name, local);
    if (info.isDirectory() && !recursive) {
      throw new UsageError(`${local} is a directory`, { hint: 'give -r to push it with everything in it' });
    }
    await walk(local, name, info, entries);
  }
  return entries;
}

async function walk(local: string, path: string, info: Stats, entries: LocalPushEntry[]): Promise<void> {
  const common = { local, path, mode: info.mode & 0o7777, mtime: Math.floor(info.mtimeMs / 1000) };
  if (info.isSymbolicLink()) {
    entries.push({ ...common, type: 'symlink', target: await readlink(local) });
  } else if (info.isFile()) {
    // Opened, not access()ed: access() asks for the real uid, a read uses the effective one.
    await (await open(local, 'r').catch(unreadable(local))).close();
    entries.push({ ...common, type: 'file', size: info.size });
  } else if (info.isDirectory()) {
    entries.push({ ...common, type: 'dir' });
    const names = (await readdir(local).catch(unreadable(local))).sort();
    for (const name of names) {
      const child = join(local, name);
      await walk(child, `${path}/${name}`, await lstat(child).catch(unreadable(child)), entries);
    }
  } else {
    throw new UsageError(`${local} is neither a file, a directory nor a symbolic link`, {
      hint: 'a push sends files, directories (with -r) and links; leave out devices, sockets and pipes',
    });
  }
}

function unreadable(local: string): (error: unknown) => never {
  return (error: unknown) => {
    throw new FileReadError('the file to push', local, error, { hint: 'push only what this user may read, or fix its permissions' });
  };
}
