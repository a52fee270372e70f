import type { Redis } from 'ioredis';

/** One stream entry of a job's output as the store holds it. */
export interface StoredChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
  /** A raw chunk of the command's bytes (field `r` = 1); false: the older form, whole lines joined by newlines. @defaultValue true */
  raw?: boolean;
}

/**
 * Appends entries to a job's output stream as an agent writes them (fields
 * `j`, `h`, `s`, `d`, `t`, and `r` for raw chunks), and counts them unread as
 * the store's append does, so that `receive` and `hasMoreData` see them as
 * any other output.
 */
export async function storeOutput(
  redis: Redis,
  prefix: string,
  job: { rootId: number; jobId: number; host: string },
  chunks: readonly StoredChunk[],
): Promise<void> {
  const pipeline = redis.pipeline();
  for (const { stream, data, raw = true } of chunks) {
    const fields: (string | Buffer)[] = ['j', String(job.jobId), 'h', job.host, 's', stream, 'd', data, 't', new Date().toISOString()];
    pipeline.xadd(`${prefix}:out:${job.rootId}`, '*', ...fields, ...(raw ? ['r', '1'] : []));
  }
  pipeline.hincrby(`${prefix}:job:${job.jobId}`, 'unread', chunks.length);
  pipeline.hincrby(
    `${prefix}:job:${job.jobId}`,
    'unreadBytes',
    chunks.reduce((sum, chunk) => sum + chunk.data.length, 0),
  );
  if (job.rootId !== job.jobId) pipeline.hincrby(`${prefix}:job:${job.rootId}`, 'unreadTotal', chunks.length);
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** `bytes` cut into pieces of the given sizes, in turn, to the end: chunks that fall anywhere, as a command's writes do. */
export function cutInto(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0, turn = 0; at < bytes.length; turn += 1) {
    const size = sizes[turn % sizes.length] as number;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

/** A stream entry of a job's output as Redis holds it (the fields tests read). */
export interface StoredEntryBytes {
  jobId: number;
  stream: string;
  data: Buffer;
  /** Written in the raw format (field `r`): bytes as the command wrote them. */
  raw: boolean;
}

/** The entries of a top-level job's output stream, read straight from Redis, in order. */
export async function storedEntries(client: Redis, prefix: string, rootId: number): Promise<StoredEntryBytes[]> {
  const entries = await client.xrangeBuffer(`${prefix}:out:${rootId}`, '-', '+');
  return entries.map(([, fields]) => {
    const map = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), fields[i + 1] as Buffer);
    return {
      jobId: Number(map.get('j')),
      stream: String(map.get('s')),
      data: map.get('d') ?? Buffer.alloc(0),
      raw: String(map.get('r')) === '1',
    };
  });
}

/** What a job wrote to one stream, as stored: the bytes of its entries joined in order. */
export async function storedBytes(
  client: Redis,
  prefix: string,
  rootId: number,
  jobId: number,
  stream: 'stdout' | 'stderr',
): Promise<Buffer> {
  const entries = await storedEntries(client, prefix, rootId);
  return Buffer.concat(entries.filter((entry) => entry.jobId === jobId && entry.stream === stream).map((entry) => entry.data));
}
