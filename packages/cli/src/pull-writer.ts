import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { hostFileName, parsePulledEntry, type JobView, type PulledEntry } from '@fleet/core';
import type { FleetStore } from '@fleet/store';

/** How one host's files were written out. */
export interface PulledHostReport {
  host: string;
  /** Entries written. */
  written: number;
  /** Entries refused, each with why (already said on stderr). */
  refused: string[];
  /** Nothing was recorded to write out (the child was stopped, cut, or over the cap). */
  nothing: boolean;
}

/**
 * Writes what a pull's child brought back under `localDir/HOST/` (the host
 * escaped as `--outdir` does). Everything read from Redis is checked here,
 * whatever the agent checked, since a Redis writer may have changed it:
 *
 * - each record (parsePulledEntry): a relative name without empty, `.` or
 *   `..` components or control characters, a mode, a time, a manifest;
 * - every directory on the way, from `localDir/HOST` down, is lstat'ed and
 *   must be a real directory (made 0700 when missing): a symbolic link,
 *   made by an earlier entry or an earlier pull, never redirects a write;
 * - a file is written to a temporary name beside its destination (O_EXCL,
 *   O_NOFOLLOW, mode 0600), its content checked chunk by chunk and whole
 *   against its SHA-256 (ChunkStore.read), then renamed into place; a link
 *   is made under a temporary name (its target verbatim, never followed)
 *   and renamed. A rename replaces a link in the way, never follows it.
 *
 * A refused entry is said on stderr and counted; the rest still land.
 * Modes are the permission bits only, less the umask without `-p`; with
 * `-p` exactly, with the times. Directories get their mode last (deepest
 * first), so a read-only directory can still be filled.
 */
export async function writePulled(
  store: FleetStore,
  rootId: number,
  child: Pick<JobView, 'id' | 'location'>,
  localDir: string,
  preserve: boolean,
): Promise<PulledHostReport> {
  const report: PulledHostReport = { host: child.location, written: 0, refused: [], nothing: false };
  const count = await store.pulled.count(rootId, child.id);
  if (count === null) return { ...report, nothing: true };
  if (count === 0) return report;
  const refuse = (what: string, problem: string) => {
    const line = `${what}: ${problem}`;
    report.refused.push(line);
    process.stderr.write(`fleet pull: ${child.location}: refused ${line}\n`);
  };
  const hostDir = join(localDir, hostFileName(child.location));
  try {
    await realDirectory(localDir, hostDir);
  } catch (error) {
    refuse(hostDir, error instanceof Error ? error.message : String(error));
    return report;
  }
  const umask = process.umask();
  const dirs: PulledEntry[] = [];
  let index = 0;
  for await (const text of store.pulled.entries(rootId, child.id, count)) {
    const entry = parsePulledEntry(text);
    const at = index;
    index += 1;
    if (typeof entry === 'string') {
      refuse(`entry ${at}`, entry);
      continue;
    }
    try {
      await writeEntry(store, rootId, hostDir, entry, preserve ? entry.mode & 0o777 : entry.mode & 0o777 & ~umask, preserve);
      if (entry.type === 'dir') dirs.push(entry);
      report.written += 1;
    } catch (error) {
      refuse(JSON.stringify(entry.path), error instanceof Error ? error.message : String(error));
    }
  }
  for (const dir of dirs.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
    try {
      const path = await placeIn(hostDir, dir.path);
      if (!(await lstat(path)).isDirectory()) continue;
      await chmod(path, preserve ? dir.mode & 0o777 : dir.mode & 0o777 & ~umask);
      if (preserve) await utimes(path, dir.mtime, dir.mtime);
    } catch (error) {
      refuse(JSON.stringify(dir.path), `cannot set its mode or time: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return report;
}

async function writeEntry(
  store: FleetStore,
  rootId: number,
  hostDir: string,
  entry: PulledEntry,
  mode: number,
  preserve: boolean,
): Promise<void> {
  const dest = await placeIn(hostDir, entry.path);
  const existing = await lstat(dest).catch(() => null);
  if (entry.type === 'dir') {
    if (existing === null) await mkdir(dest, { mode: 0o700 });
    else if (!existing.isDirectory())
      throw new Error(existing.isSymbolicLink() ? 'a symbolic link is in its place' : 'a file is in its place');
    return;
  }
  if (existing?.isDirectory()) throw new Error('a directory is in its place');
  const temp = join(dest, '..', `.fleet-pull.${randomBytes(6).toString('hex')}`);
  try {
    if (entry.type === 'symlink') {
      await symlink(entry.target, temp);
    } else {
      const file = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of store.chunks.read(rootId, entry.manifest)) await file.write(chunk);
        await file.chmod(mode);
        if (preserve) await file.utimes(entry.mtime, entry.mtime);
      } finally {
        await file.close();
      }
    }
    await rename(temp, dest);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/**
 * Where `path` lands under `hostDir`, once every directory on the way is a
 * real directory (lstat'ed; made 0700 when missing). Throws, naming the
 * component, when one is a symbolic link or not a directory.
 */
async function placeIn(hostDir: string, path: string): Promise<string> {
  const parts = path.split('/');
  let at = hostDir;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    const found = await lstat(at).catch(() => null);
    if (found === null) await mkdir(at, { mode: 0o700 });
    else if (!found.isDirectory()) {
      throw new Error(
        `${JSON.stringify(at.slice(hostDir.length + 1))} is ${found.isSymbolicLink() ? 'a symbolic link' : 'not a directory'} here`,
      );
    }
  }
  return join(at, parts.at(-1) as string);
}

/** LOCAL_DIR (the user's, made if missing) and LOCAL_DIR/HOST, which must be a real directory. */
async function realDirectory(localDir: string, hostDir: string): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const found = await lstat(hostDir).catch(() => null);
  if (found === null) await mkdir(hostDir, { mode: 0o755 });
  else if (!found.isDirectory()) throw new Error(found.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory');
}
