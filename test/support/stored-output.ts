import type { Redis } from 'ioredis';

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
