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
 * Cuts content fed to it piece by piece into chunks of `chunkSize`, giving
 * each out with its SHA-256 as soon as it is full, and the manifest at the
 * end. It holds at most one chunk (plus the piece being cut), never the
 * whole content. Empty content has no chunks.
 */
export class ContentCutter {
  private readonly whole = createSha256();
  private readonly chunks: string[] = [];
  private size = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly chunkSize: number = CHUNK_SIZE) {}

  /** Takes the next piece; returns the chunks it filled (usually none or one). */
  add(piece: Uint8Array): ContentChunk[] {
    const full: ContentChunk[] = [];
    let input = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    this.whole.update(input);
    this.size += input.length;
    while (input.length > 0) {
      const take = Math.min(this.chunkSize - this.pendingBytes, input.length);
      this.pending.push(input.subarray(0, take));
      this.pendingBytes += take;
      input = input.subarray(take);
      if (this.pendingBytes === this.chunkSize) full.push(this.cut());
    }
    return full;
  }

  /** The last, shorter chunk (null when none is pending) and the manifest of everything fed. */
  end(): { last: ContentChunk | null; manifest: ContentManifest } {
    const last = this.pendingBytes > 0 ? this.cut() : null;
    return { last, manifest: { size: this.size, sha256: this.whole.digest('hex'), chunks: this.chunks } };
  }

  private cut(): ContentChunk {
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const chunk = { bytes, sha256: sha256Hex(bytes) };
    this.chunks.push(chunk.sha256);
    return chunk;
  }
}

/** Cuts a stream of bytes into chunks (see {@link ContentCutter}), yielding each as it is full, and returns the manifest. */
export async function* splitContent(
  source: AsyncIterable<Uint8Array>,
  chunkSize: number = CHUNK_SIZE,
): AsyncGenerator<ContentChunk, ContentManifest, undefined> {
  const cutter = new ContentCutter(chunkSize);
  for await (const piece of source) yield* cutter.add(piece);
  const { last, manifest } = cutter.end();
  if (last !== null) yield last;
  return manifest;
}
