import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { hostFileName } from '@fleet/core';
import type { StoredEntry } from '@fleet/store';
import { entryBytes } from './entry-bytes.js';
import type { OutputHandler } from './output-page.js';

/**
 * `--outdir DIR`, as `pssh -o/-e` does: each host's stdout goes to
 * DIR/HOST.out and its stderr to DIR/HOST.err, byte for byte as the command
 * wrote them, the file names escaped so that no host entry can reach outside
 * DIR. Other records (why a job failed, a thread job's values) and the ends
 * of jobs go on to `rest`, to be printed as usual.
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
      file = open(path, this.fresh ? 'w' : 'a', 0o644);
      this.files.set(path, file);
    }
    return file;
  }
}
