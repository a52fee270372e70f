/**
 * Splits a byte stream into lines. Multi-byte UTF-8 characters never contain
 * the newline byte, so splitting bytes first and decoding each line after is
 * safe; invalid UTF-8 decodes to U+FFFD rather than failing. A line longer than
 * `maxLineBytes` is cut into pieces so that memory stays bounded on output that
 * never writes a newline.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes = 64 * 1024) {}

  /** Feeds a chunk; returns the lines it completed, without their newlines. */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const newline = buffer.indexOf(0x0a);
      const room = this.maxLineBytes - this.pendingBytes;
      if (newline !== -1 && newline <= room) {
        lines.push(this.take(buffer.subarray(0, newline)));
        buffer = buffer.subarray(newline + 1);
        continue;
      }
      if (buffer.length > room) {
        lines.push(this.take(buffer.subarray(0, room)));
        buffer = buffer.subarray(room);
        continue;
      }
      if (buffer.length > 0) {
        // Copy: the caller may reuse its chunk.
        this.pending.push(Buffer.from(buffer));
        this.pendingBytes += buffer.length;
      }
      return lines;
    }
  }

  /** The last line, when the stream ended without a newline. */
  end(): string[] {
    if (this.pendingBytes === 0) return [];
    return [this.take(Buffer.alloc(0))];
  }

  private take(tail: Buffer): string {
    const line = this.pendingBytes === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return line.toString('utf8');
  }
}
