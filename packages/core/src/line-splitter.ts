import { isUtf8 } from 'node:buffer';

const NEWLINE = Buffer.from('\n');

/**
 * Cuts a byte stream into whole lines, handed on in blocks: every complete
 * line of a chunk at once, each ending in a newline, so that output moves a
 * chunk at a time rather than a line at a time. Multi-byte UTF-8 characters
 * never contain the newline byte, so a block decodes exactly as its lines
 * would one by one; invalid UTF-8 decodes to U+FFFD rather than failing. A
 * line longer than `maxLineBytes` is cut into pieces (each its own line) so
 * that memory stays bounded on output that never writes a newline.
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLineBytes = 64 * 1024) {}

  /**
   * Feeds a chunk; returns the lines it completed as one block, every line
   * newline-terminated (empty when it completed none). The block may share
   * memory with `chunk`: decode it before the caller reuses its chunk.
   */
  push(chunk: Uint8Array): Buffer {
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buffer = this.pending.length === 0 ? input : Buffer.concat([this.pending, input]);
    const pieces: Buffer[] = [];
    let blockStart = 0;
    let lineStart = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, lineStart);
      const lineEnd = newline === -1 ? buffer.length : newline;
      if (lineEnd - lineStart > this.maxLineBytes) {
        const cut = lineStart + this.maxLineBytes;
        pieces.push(buffer.subarray(blockStart, cut), NEWLINE);
        blockStart = lineStart = cut;
        continue;
      }
      if (newline === -1) break;
      lineStart = newline + 1;
    }
    pieces.push(buffer.subarray(blockStart, lineStart));
    // Copy: the caller may reuse its chunk. At most maxLineBytes.
    this.pending = Buffer.from(buffer.subarray(lineStart));
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  }

  /** The last line, newline-terminated, when the stream ended without a newline (else empty). */
  end(): Buffer {
    const last = this.pending.length === 0 ? this.pending : Buffer.concat([this.pending, NEWLINE]);
    this.pending = Buffer.alloc(0);
    return last;
  }
}

/**
 * A block's lines as UTF-8 bytes of their own (the block may share its
 * caller's chunk), joined by newlines, the block's last newline dropped: a
 * copy when they are valid UTF-8, as they nearly always are, so nothing is
 * decoded; else decoded and encoded again, which turns each invalid sequence
 * into U+FFFD.
 */
export function blockBytes(block: Buffer, bytes = block.length): Buffer {
  const lines = block.subarray(0, bytes - 1);
  return isUtf8(lines) ? Buffer.from(lines) : Buffer.from(lines.toString('utf8'));
}
