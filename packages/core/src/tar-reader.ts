/**
 * One member of a tar stream, as its headers describe it. `name` and
 * `linkName` are the bytes the host sent (GNU long names and pax `path` and
 * `linkpath` applied); nothing here says whether they are safe.
 */
export interface TarMember {
  name: Buffer;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** The type byte as it came, for what `other` was (a device, a FIFO, a sparse file...). */
  typeFlag: string;
  mode: number;
  mtime: number;
  size: number;
  linkName: Buffer;
}

/** What reading a stream gives: a member, then for a file its content in pieces and `end`. */
export type TarEvent = { kind: 'member'; member: TarMember } | { kind: 'data'; bytes: Buffer } | { kind: 'end' };

/** A stream that is not tar, or that ended in the middle of a member. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const BLOCK = 512;
/** A GNU long name or a pax header is held whole: at most this much. */
const META_MAX_BYTES = 64 * 1024;

/**
 * A streaming reader of tar (ustar, GNU long names, pax headers), as GNU
 * tar and BusyBox tar write it: fed the stream in pieces as they come, it
 * yields members and their content without holding more than a header
 * block or a long name. Archives may follow one another (zero blocks are
 * skipped, as `tar -i` does). A bad header checksum or a number that is not
 * one throws {@link TarFormatError}.
 */
export class TarReader {
  private held: Buffer = Buffer.alloc(0);
  /** Content bytes left of the member being read, then its padding. */
  private remaining = 0;
  private padding = 0;
  private reading: 'file' | 'meta' | 'skip' = 'skip';
  private meta: Buffer[] = [];
  private metaType = '';
  /** What a GNU long name (`L`, `K`) or a pax header (`x`) says of the next member. */
  private next: { name?: Buffer; linkName?: Buffer; size?: number; mtime?: number } = {};
  private offset = 0;

  *push(chunk: Buffer): Generator<TarEvent, void, undefined> {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        const piece = chunk.subarray(at, at + take);
        at += take;
        this.remaining -= take;
        if (this.reading === 'file') yield { kind: 'data', bytes: piece };
        else if (this.reading === 'meta') this.meta.push(piece);
        if (this.remaining === 0) {
          if (this.reading === 'file') yield { kind: 'end' };
          else if (this.reading === 'meta') this.takeMeta();
        }
        continue;
      }
      if (this.padding > 0) {
        const take = Math.min(this.padding, chunk.length - at);
        at += take;
        this.padding -= take;
        continue;
      }
      const take = Math.min(BLOCK - this.held.length, chunk.length - at);
      this.held = Buffer.concat([this.held, chunk.subarray(at, at + take)]);
      at += take;
      if (this.held.length < BLOCK) break;
      const block = this.held;
      this.held = Buffer.alloc(0);
      yield* this.header(block);
      this.offset += BLOCK;
    }
  }

  /** The stream ended: throws if it ended inside a member. */
  end(): void {
    if (this.held.length > 0 || this.remaining > 0 || this.meta.length > 0 || Object.keys(this.next).length > 0) {
      throw new TarFormatError('the tar stream ended in the middle of a member');
    }
  }

  private *header(block: Buffer): Generator<TarEvent, void, undefined> {
    if (block.every((byte) => byte === 0)) return;
    this.checkSum(block);
    const flag = block[156] === 0 ? '0' : String.fromCharCode(block[156] as number);
    const ownSize = this.number(block, 124, 12, 'size');
    const isMeta = flag === 'L' || flag === 'K' || flag === 'x';
    const size = isMeta ? ownSize : (this.next.size ?? ownSize);
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (isMeta) {
      if (size > META_MAX_BYTES) throw new TarFormatError(`a long name or pax header of ${size} bytes at byte ${this.offset}`);
      this.reading = 'meta';
      this.metaType = flag;
      if (size === 0) this.takeMeta();
      return;
    }
    if (flag === 'g') {
      this.reading = 'skip';
      return;
    }
    const ustar = block.toString('latin1', 257, 262) === 'ustar';
    const shortName = cString(block, 0, 100);
    const prefix = ustar ? cString(block, 345, 155) : Buffer.alloc(0);
    const member: TarMember = {
      name: this.next.name ?? (prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), shortName]) : shortName),
      type: memberType(flag),
      typeFlag: flag,
      mode: this.number(block, 100, 8, 'mode'),
      mtime: this.next.mtime ?? this.number(block, 136, 12, 'mtime'),
      size,
      linkName: this.next.linkName ?? cString(block, 157, 100),
    };
    this.next = {};
    this.reading = member.type === 'file' ? 'file' : 'skip';
    yield { kind: 'member', member };
    if (member.type === 'file' && size === 0) yield { kind: 'end' };
  }

  private takeMeta(): void {
    const content = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaType === 'L') this.next.name = cString(content, 0, content.length);
    else if (this.metaType === 'K') this.next.linkName = cString(content, 0, content.length);
    else this.paxRecords(content);
  }

  /** pax records: `LENGTH KEY=VALUE\n`, LENGTH counting the whole record. */
  private paxRecords(content: Buffer): void {
    let at = 0;
    while (at < content.length) {
      const space = content.indexOf(0x20, at);
      const length = space === -1 ? NaN : Number(content.toString('latin1', at, space));
      if (!Number.isSafeInteger(length) || length <= space - at || at + length > content.length) {
        throw new TarFormatError(`a pax header that is not one near byte ${this.offset}`);
      }
      const record = content.subarray(space + 1, at + length - 1);
      const equals = record.indexOf(0x3d);
      const key = equals === -1 ? '' : record.toString('utf8', 0, equals);
      const value = record.subarray(equals + 1);
      if (key === 'path') this.next.name = value;
      else if (key === 'linkpath') this.next.linkName = value;
      else if (key === 'size') this.next.size = paxNumber(value.toString('latin1'), 'size', this.offset);
      else if (key === 'mtime') this.next.mtime = paxNumber(value.toString('latin1').split('.')[0] ?? '', 'mtime', this.offset);
      at += length;
    }
  }

  private checkSum(block: Buffer): void {
    let sum = 0;
    for (let index = 0; index < BLOCK; index += 1) sum += index >= 148 && index < 156 ? 0x20 : (block[index] as number);
    const stored = this.number(block, 148, 8, 'checksum');
    if (stored !== sum) throw new TarFormatError(`a header with a bad checksum at byte ${this.offset}: this is not a tar stream`);
  }

  /** An octal field, or GNU's base-256 for large values (first byte 0x80). */
  private number(block: Buffer, start: number, length: number, what: string): number {
    const field = block.subarray(start, start + length);
    if (((field[0] as number) & 0x80) !== 0) {
      if (field[0] === 0xff) throw new TarFormatError(`a negative ${what} at byte ${this.offset}`);
      let value = BigInt((field[0] as number) & 0x7f);
      for (const byte of field.subarray(1)) value = (value << 8n) | BigInt(byte);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`a ${what} too large at byte ${this.offset}`);
      return Number(value);
    }
    const text = field
      .toString('latin1')
      .replace(/[\0 ]+$/, '')
      .replace(/^ +/, '');
    if (text === '') return 0;
    if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`a ${what} that is not a number at byte ${this.offset}`);
    const value = parseInt(text, 8);
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`a ${what} too large at byte ${this.offset}`);
    return value;
  }
}

function memberType(flag: string): TarMember['type'] {
  if (flag === '0' || flag === '7') return 'file';
  if (flag === '5') return 'dir';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

/** A NUL-terminated field's bytes. */
function cString(block: Buffer, start: number, length: number): Buffer {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul === -1 ? field : field.subarray(0, nul));
}

function paxNumber(text: string, what: string, offset: number): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TarFormatError(`a pax ${what} that is not a number near byte ${offset}`);
  }
  return Number(text);
}
