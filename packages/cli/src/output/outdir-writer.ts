import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { hostFileName, outputFileProblem, UnsafePathError } from '@fleet/core';
import type { StoredEntry } from '@fleet/store';
import { entryBytes } from './entry-bytes.js';
import type { OutputHandler } from './output-page.js';

/**
 * `--outdir DIR`, as `pssh -o/-e` does: each host's stdout goes to
 * DIR/HOST.out and its stderr to DIR/HOST.err, byte for byte as the command
 * wrote them, the file names escaped so that no host entry can reach outside
 * DIR. Other records (why a job failed, a thread job's values) and the ends
 * of jobs go on to `rest`, to be printed as usual.
 *
 * DIR may be shared with other users (a /tmp directory), so nothing already
 * there is trusted: a symbolic link is never followed (O_NOFOLLOW), and a
 * file that is not a regular file of this user's own with one name (another
 * user's, a hard link to a file elsewhere, a fifo) is refused with its path
 * before a byte is written or anything is emptied.
 */
export class OutdirWriter {
  private readonly files = new Map<string, Promise<FileHandle>>();

  /**
   * `fresh`: a file is emptied when this run first writes it (a new job's output,
   * like pssh); else output is appended (a later `receive` of the same job).
   */
  private constructor(
    private readonly dir: string,
    private readonly fresh: boolean,
    private readonly rest: OutputHandler,
  ) {}

  static async open(dir: string, fresh: boolean, rest: OutdirWriter['rest']): Promise<OutdirWriter> {
    await mkdir(dir, { recursive: true });
    return new OutdirWriter(dir, fresh, rest);
  }

  readonly emit: OutputHandler = async (page) => {
    const others: StoredEntry[] = [];
    for (const entry of page.entries) {
      if (entry.stream !== 'stdout' && entry.stream !== 'stderr') {
        others.push(entry);
        continue;
      }
      const file = await this.file(entry.host, entry.stream === 'stdout' ? 'out' : 'err');
      await file.write(entryBytes(entry));
    }
    if (others.length > 0 || page.ended !== undefined) await this.rest({ ...page, entries: others });
  };

  /** Makes sure every host has both files, empty when it wrote nothing, and closes them all. */
  async close(hosts: readonly string[]): Promise<void> {
    for (const host of hosts) {
      await this.file(host, 'out');
      await this.file(host, 'err');
    }
    const files = [...this.files.values()];
    this.files.clear();
    for (const file of files) await (await file).close();
  }

  private file(host: string, kind: 'out' | 'err'): Promise<FileHandle> {
    const path = join(this.dir, `${hostFileName(host)}.${kind}`);
    let file = this.files.get(path);
    if (file === undefined) {
      file = openOwnFile(path, this.fresh);
      this.files.set(path, file);
    }
    return file;
  }
}

/** Opens (creating) a file to write output into, refusing anything planted at its name; `fresh` empties it once it is known to be ours. */
async function openOwnFile(path: string, fresh: boolean): Promise<FileHandle> {
  const { O_WRONLY, O_CREAT, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;
  // O_NONBLOCK: a fifo planted at the name fails to open instead of hanging until someone reads it.
  const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | (fresh ? 0 : O_APPEND);
  const file = await open(path, flags, 0o644).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') {
      throw new UnsafePathError(
        path,
        'is a symbolic link: fleet does not write output through links',
        'remove it, or choose an --outdir that only you can write',
      );
    }
    if (error.code === 'ENXIO') throw new UnsafePathError(path, 'is a fifo: fleet writes output only into files it owns', 'remove it');
    throw error;
  });
  try {
    const problem = outputFileProblem(await file.stat(), process.getuid?.() ?? 0);
    if (problem !== null) throw new UnsafePathError(path, problem.problem, problem.hint);
    if (fresh) await file.truncate(0);
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}
