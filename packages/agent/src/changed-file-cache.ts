import { readFile, stat } from 'node:fs/promises';

/**
 * What was made from a file, kept until the file changes. Every `get` looks
 * at the file (one stat) and reads and parses it again only when its
 * modification time, size or inode moved, so an edit is seen by the next
 * job while a thousand jobs in a row parse it once. A missing or unreadable
 * file is made from `null`.
 */
export class ChangedFileCache<T> {
  private readonly entries = new Map<string, { stamp: string; value: Promise<T> }>();

  constructor(private readonly make: (content: Buffer | null) => T) {}

  async get(path: string): Promise<T> {
    const stamp = await fileStamp(path);
    const cached = this.entries.get(path);
    if (cached?.stamp === stamp) return cached.value;
    const value = readFile(path).then(this.make, () => this.make(null));
    this.entries.set(path, { stamp, value });
    return value;
  }
}

/** What tells a file's versions apart: its modification time, size and inode, or `missing`. */
export async function fileStamp(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  return info === null ? 'missing' : `${info.mtimeMs}:${info.size}:${info.ino}`;
}
