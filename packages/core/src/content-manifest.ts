import { createHash, type Hash } from 'node:crypto';

/**
 * Content is cut into chunks of this size (the last may be shorter). 1 MiB:
 * a 100 MB file is 100 Redis keys, one chunk is one short SET or GET that
 * never stalls Redis's single thread for long, and a reader or writer holds
 * a chunk or two at a time, whatever the file's size.
 */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * One piece of content (a file's bytes), as stored: its size, its SHA-256,
 * and the SHA-256 of each chunk in order. Every hash is 64 lowercase hex
 * digits. A manifest travels inside a job's run spec, so the job's
 * signature covers every hash in it.
 */
export interface ContentManifest {
  size: number;
  sha256: string;
  chunks: string[];
}

/** One chunk of content and its SHA-256 (hex). */
export interface ContentChunk {
  bytes: Buffer;
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True when `text` is a SHA-256 as manifests hold them: 64 lowercase hex digits (it is safe in a key name). */
export function isSha256Hex(text: unknown): text is string {
  return typeof text === 'string' && SHA256_HEX.test(text);
}

/** True when `value` has a manifest's shape: a size and hex hashes. */
export function isContentManifest(value: unknown): value is ContentManifest {
  if (typeof value !== 'object' || value === null) return false;
  const { size, sha256, chunks } = value as Partial<ContentManifest>;
  return (
    typeof size === 'number' &&
    Number.isSafeInteger(size) &&
    size >= 0 &&
    isSha256Hex(sha256) &&
    Array.isArray(chunks) &&
    chunks.every(isSha256Hex)
  );
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A SHA-256 to feed piece by piece, as content is read. */
export function createSha256(): Hash {
  return createHash('sha256');
}

/**
 * Cuts a stream of bytes into chunks of `chunkSize`, yielding each with its
 * SHA-256 as soon as it is full, and returns the manifest at the end. It
 * holds at most one chunk (plus the piece of input being cut), never the
 * whole content. Empty content has no chunks.
 */
export async function* splitContent(
  source: AsyncIterable<Uint8Array>,
  chunkSize: number = CHUNK_SIZE,
): AsyncGenerator<ContentChunk, ContentManifest, undefined> {
  const whole = createSha256();
  const chunks: string[] = [];
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const cut = (): ContentChunk => {
    const bytes = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const chunk = { bytes, sha256: sha256Hex(bytes) };
    chunks.push(chunk.sha256);
    return chunk;
  };
  for await (const piece of source) {
    let input = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    whole.update(input);
    size += input.length;
    while (input.length > 0) {
      const take = Math.min(chunkSize - pendingBytes, input.length);
      pending.push(input.subarray(0, take));
      pendingBytes += take;
      input = input.subarray(take);
      if (pendingBytes === chunkSize) yield cut();
    }
  }
  if (pendingBytes > 0) yield cut();
  return { size, sha256: whole.digest('hex'), chunks };
}
