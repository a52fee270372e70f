import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_SIZE, hostFileName, parsePulledEntry, type JobView, type PulledEntry } from '@fleet/core';
import type { FleetStore } from '@fleet/store';
import { forTerminal } from './format/terminal-text.js';

/** What the signed spec of a pull says of its write-out: `-p`, and the cap each host's files are held to. */
export interface PullWriteOut {
  preserve: boolean;
  /** FLEET_MAX_PULL_BYTES as signed: a host's files add up to no more, whatever Redis says. */
  maxBytes: number;
  /** Asked between entries and chunks: once true (Ctrl-C), the write-out stops, its temporary file removed. @defaultValue never */
  interrupted?: () => boolean;
}

/** Refusals said one by one on stderr, per host; past them, a count. */
const REFUSALS_SAID = 20;

/** Missing records in a row after which the rest of a host's are not looked for. */
const MISSING_RUN = 256;

/** The smallest tar member (a header): no host under the cap can have recorded more entries than maxBytes / this. */
const TAR_MEMBER_BYTES = 512;

/** How one host's files were written out. */
export interface PulledHostReport {
  host: string;
  /** Entries written. */
  written: number;
  /** Entries refused (said on stderr, the first ones each with why). */
  refused: number;
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
 * A host's files add up to at most the signed `maxBytes` (a Redis writer
 * could repeat one record or one chunk hash many times): a manifest must
 * have exactly the chunks its size needs, fit in what is left of the
 * budget before its temporary file is opened, and every chunk is at most
 * CHUNK_SIZE in Redis before it is read. A count of records above
 * `maxBytes / 512` (a tar member's header) is refused whole, and a run of
 * missing records ends the host's write-out.
 *
 * A refused entry is said on stderr (names and reasons as a terminal may
 * show them, link targets JSON-quoted) and counted; the rest still land.
 * Modes are the permission bits only, less the umask without `-p`; with
 * `-p` exactly, with the times. Directories get their mode last (deepest
 * first), so a read-only directory can still be filled.
 */
export async function writePulled(
  store: FleetStore,
  rootId: number,
  child: Pick<JobView, 'id' | 'location'>,
  localDir: string,
  { preserve, maxBytes, interrupted = () => false }: PullWriteOut,
): Promise<PulledHostReport> {
  const report: PulledHostReport = { host: child.location, written: 0, refused: 0, nothing: false };
  const count = await store.pulled.count(rootId, child.id);
  if (count === null) return { ...report, nothing: true };
  if (count === 0) return report;
  const refuse = (what: string, problem: string) => {
    report.refused += 1;
    if (report.refused > REFUSALS_SAID) return;
    const line = `fleet pull: ${child.location}: refused ${what}: ${problem}`;
    process.stderr.write(`${forTerminal(process.stderr, line)}\n`);
  };
  if (count > Math.floor(maxBytes / TAR_MEMBER_BYTES)) {
    refuse(`its ${count} records`, `more than a host under FLEET_MAX_PULL_BYTES (${maxBytes} bytes) can send; none is written`);
    return report;
  }
  const hostDir = join(localDir, hostFileName(child.location));
  try {
    await realDirectory(localDir, hostDir);
  } catch (error) {
    refuse(JSON.stringify(hostDir), error instanceof WriteRefusal ? error.message : describeWriteError(error, null));
    return report;
  }
  const umask = process.umask();
  const dirs: PulledEntry[] = [];
  const budget = { left: maxBytes };
  let index = 0;
  let missing = 0;
  for await (const text of store.pulled.entries(rootId, child.id, count)) {
    if (interrupted()) return report;
    const entry = parsePulledEntry(text);
    const at = index;
    index += 1;
    missing = text === null ? missing + 1 : 0;
    if (missing >= MISSING_RUN) {
      refuse(`entries ${at + 1 - missing} to ${count - 1}`, `${missing} records in a row are missing; the rest are not looked for`);
      report.refused += count - 1 - at;
      break;
    }
    if (typeof entry === 'string') {
      refuse(`entry ${at}`, entry);
      continue;
    }
    try {
      await writeEntry(store, rootId, hostDir, entry, { mode: modeFor(entry.mode, preserve, umask), preserve, budget, interrupted });
      if (entry.type === 'dir') dirs.push(entry);
      report.written += 1;
    } catch (error) {
      // Interrupted mid-file: its temp file is gone, and nothing was refused.
      if (interrupted()) return report;
      refuse(JSON.stringify(entry.path), describeWriteError(error, entry));
    }
  }
  if (report.refused > REFUSALS_SAID) {
    process.stderr.write(forTerminal(process.stderr, `fleet pull: ${child.location}: ${report.refused - REFUSALS_SAID} more refused\n`));
  }
  for (const dir of dirs.sort((a, b) => b.path.split('/').length - a.path.split('/').length)) {
    try {
      const path = await placeIn(hostDir, dir.path);
      if (!(await lstat(path)).isDirectory()) continue;
      await chmod(path, modeFor(dir.mode, preserve, umask));
      if (preserve) await utimes(path, dir.mtime, dir.mtime);
    } catch (error) {
      refuse(JSON.stringify(dir.path), `cannot set its mode or time: ${describeWriteError(error, dir)}`);
    }
  }
  return report;
}

/** The permission bits an entry gets: never o+w (another local user could change it), less the umask without `-p`. */
function modeFor(mode: number, preserve: boolean, umask: number): number {
  return mode & 0o775 & (preserve ? 0o777 : ~umask);
}

/**
 * Why writing an entry failed, as one may show it: a system error names the
 * code and what was done, never its message, which for symlink() holds the
 * link target verbatim (any bytes a host or Redis put there).
 */
function describeWriteError(error: unknown, entry: PulledEntry | null): string {
  if (error instanceof WriteRefusal) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const syscall = (error as NodeJS.ErrnoException | null)?.syscall;
  const target = entry?.type === 'symlink' ? ` (link target ${JSON.stringify(entry.target)})` : '';
  return `${code ?? 'error'}${syscall === undefined ? '' : ` in ${syscall}`}${target}`;
}

/** A write-out refusal whose message is ours (safe to show as it is). */
class WriteRefusal extends Error {
  override name = 'WriteRefusal';
}

async function writeEntry(
  store: FleetStore,
  rootId: number,
  hostDir: string,
  entry: PulledEntry,
  { mode, preserve, budget, interrupted }: { mode: number; preserve: boolean; budget: { left: number }; interrupted: () => boolean },
): Promise<void> {
  const dest = await placeIn(hostDir, entry.path);
  const existing = await lstat(dest).catch(() => null);
  if (entry.type === 'dir') {
    if (existing === null) await mkdir(dest, { mode: 0o700 });
    else if (!existing.isDirectory())
      throw new WriteRefusal(existing.isSymbolicLink() ? 'a symbolic link is in its place' : 'a file is in its place');
    return;
  }
  if (existing?.isDirectory()) throw new WriteRefusal('a directory is in its place');
  if (entry.type === 'file') {
    const { size, chunks } = entry.manifest;
    if (chunks.length !== Math.ceil(size / CHUNK_SIZE)) {
      throw new WriteRefusal(`its manifest has ${chunks.length} chunks for ${size} bytes`);
    }
    if (size > budget.left) {
      throw new WriteRefusal(`its ${size} bytes are past what is left of the host's FLEET_MAX_PULL_BYTES (${budget.left} of it)`);
    }
    budget.left -= size;
  }
  const temp = join(dest, '..', `.fleet-pull.${randomBytes(6).toString('hex')}`);
  try {
    if (entry.type === 'symlink') {
      await symlink(entry.target, temp);
    } else {
      const file = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of store.chunks.read(rootId, entry.manifest, boundedChunk(store))) {
          if (interrupted()) throw new WriteRefusal('interrupted');
          await file.write(chunk);
        }
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

/** Reads a chunk only once Redis says it is at most CHUNK_SIZE: a Redis writer's 512 MB value is never loaded. */
function boundedChunk(store: FleetStore) {
  return async (rootId: number, sha256: string, index: number, contentSha256: string): Promise<Buffer> => {
    const length = await store.chunks.storedLength(rootId, sha256);
    if (length > CHUNK_SIZE) throw new WriteRefusal(`its chunk ${index} is ${length} bytes in Redis, more than a chunk holds`);
    return store.chunks.verifiedChunk(rootId, sha256, index, contentSha256);
  };
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
      throw new WriteRefusal(
        `${JSON.stringify(at.slice(hostDir.length + 1))} is ${found.isSymbolicLink() ? 'a symbolic link' : 'not a directory'} here`,
      );
    } else {
      const problem = othersDirectoryProblem(found);
      if (problem !== null) throw new WriteRefusal(`${JSON.stringify(at.slice(hostDir.length + 1))} ${problem}`);
    }
  }
  return join(at, parts.at(-1) as string);
}

/** LOCAL_DIR (the user's, made if missing) and LOCAL_DIR/HOST, which must be a real directory. */
async function realDirectory(localDir: string, hostDir: string): Promise<void> {
  await mkdir(localDir, { recursive: true });
  const found = await lstat(hostDir).catch(() => null);
  if (found === null) await mkdir(hostDir, { mode: 0o755 });
  else if (!found.isDirectory()) throw new WriteRefusal(found.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory');
  else {
    const problem = othersDirectoryProblem(found);
    if (problem !== null) throw new WriteRefusal(`it ${problem}`);
  }
}

/**
 * Why a directory already there may not be written into, or null: one that
 * another local user owns, or may write into (o+w; g+w for a group not the
 * user's own), could be changed under the writer (a link swapped in between
 * its check and a write), as --outdir refuses other users' files.
 */
export function othersDirectoryProblem(found: Pick<Stats, 'uid' | 'gid' | 'mode'>): string | null {
  const uid = process.getuid?.();
  if (uid !== undefined && found.uid !== uid) return `is owned by another user (uid ${found.uid})`;
  if ((found.mode & 0o002) !== 0) return 'is writable by other users';
  if ((found.mode & 0o020) !== 0 && found.gid !== process.getgid?.()) return `is writable by its group (gid ${found.gid})`;
  return null;
}
