import {
  ContentCutter,
  describePullCap,
  pulledPathProblem,
  TarReader,
  type ContentChunk,
  type ContentManifest,
  type PullCommandSpec,
  type PulledEntry,
  type TarMember,
} from '@fleet/core';

/** Where a pull's child keeps what it brings back (the job's chunk store and PulledStore, bound to the child). */
export interface PullSink {
  putChunk(chunk: ContentChunk): Promise<void>;
  putEntry(index: number, entry: PulledEntry): Promise<void>;
  /** The stream was whole: its `count` entries may be written out. */
  seal(count: number): Promise<void>;
  /** Forgets the first `count` entries: nothing of this child is written out. */
  drop(count: number): Promise<void>;
}

/** How much of a refused name is shown (a longer one is cut, and `...` says so). */
const SHOWN_NAME_BYTES = 256;

/** The host sent more than the pull's cap (FLEET_MAX_PULL_BYTES). */
export class PullCapError extends Error {
  override name = 'PullCapError';
}

/**
 * Reads a host's tar stream (see pull-sender.ts) as it arrives and records
 * it: each file's content cut into chunks stored as they fill (a chunk in
 * memory, whatever the file's size; each store awaited, so the host's
 * stream waits on Redis), then its entry. Names are checked here as the
 * writer checks them again (`pulledPathProblem`); a member that cannot be
 * written out (an unsafe or non-UTF-8 name, a device or FIFO, a hard link
 * to something not in the stream) is refused: said on stderr, counted, and
 * the rest goes on. Modes keep the permission bits only (no set-id or
 * sticky bit from a host). Past `maxBytes`, {@link PullCapError}: the
 * stream's bytes, and for each hard link its target's size again, since the
 * writer writes it out as a whole copy (a tar of one file and many links to
 * it would otherwise fill the disk far past the cap for 512 bytes a link).
 * Memory stays small whatever the host sends: the first refusal and a count
 * (each said on stderr as it comes, under the output cap), and names of at
 * most PATH_MAX bytes.
 */
export class PullRecorder {
  private readonly reader = new TarReader();
  private bytes = 0;
  private recorded = 0;
  private firstRefusal: string | null = null;
  private refusals = 0;
  private file: { path: string | null; member: TarMember; cutter: ContentCutter } | null = null;
  private readonly files = new Map<string, ContentManifest>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly command: PullCommandSpec,
    private readonly sink: PullSink,
    private readonly onRefused: (line: Buffer) => Promise<void> | undefined,
  ) {}

  /** Takes the next piece of the stream; pieces are taken in order, and the promise settles once this one is stored. */
  push(chunk: Buffer): Promise<void> {
    this.queue = this.queue.then(() => this.take(chunk));
    return this.queue;
  }

  /** The stream ended: checks it ended between members, then marks the child's entries for writing out. */
  async finish(): Promise<void> {
    await this.queue;
    this.reader.end();
    await this.sink.seal(this.recorded);
  }

  /** Nothing of this child is to be written out (stopped, cut, over the cap). */
  async abandon(): Promise<void> {
    await this.queue.catch(() => {});
    await this.sink.drop(this.recorded);
  }

  /** What the child's reason says of refused members, or null when none was. */
  refusedReason(): string | null {
    if (this.firstRefusal === null) return null;
    const more = this.refusals - 1;
    return `refused ${this.firstRefusal}${more > 0 ? ` (and ${more} more, on stderr)` : ''}`;
  }

  private async take(chunk: Buffer): Promise<void> {
    this.count(chunk.length);
    for (const event of this.reader.push(chunk)) {
      if (event.kind === 'member') await this.begin(event.member);
      else if (event.kind === 'data') {
        if (this.file?.path) for (const full of this.file.cutter.add(event.bytes)) await this.sink.putChunk(full);
      } else await this.endFile();
    }
  }

  private async begin(member: TarMember): Promise<void> {
    const named = memberPath(member.name);
    const path = typeof named === 'string' ? named : null;
    const problem = typeof named === 'string' ? null : named.problem;
    if (member.type === 'file') {
      this.file = { path, member, cutter: new ContentCutter() };
      if (problem !== null) await this.refuse(member.name, problem);
      return;
    }
    if (problem !== null || path === null) return this.refuse(member.name, problem ?? 'its name is not a name');
    const common = { path, mode: member.mode & 0o777, mtime: member.mtime };
    if (member.type === 'dir') return this.record({ ...common, type: 'dir' });
    if (member.type === 'symlink') {
      if (member.linkName.length === 0) return this.refuse(member.name, 'its link target is empty');
      const target = utf8(member.linkName);
      if (target === null) return this.refuse(member.name, 'its link target is not UTF-8');
      return this.record({ ...common, type: 'symlink', target });
    }
    if (member.type === 'hardlink') {
      const target = memberPath(member.linkName);
      const manifest = typeof target === 'string' ? this.files.get(target) : undefined;
      if (manifest === undefined) return this.refuse(member.name, 'it is a hard link to a file not pulled with it');
      this.count(manifest.size);
      return this.record({ ...common, type: 'file', manifest });
    }
    return this.refuse(member.name, `it is neither a file, a directory nor a symbolic link (tar type ${JSON.stringify(member.typeFlag)})`);
  }

  /** Counts bytes against the cap: past it, {@link PullCapError}. */
  private count(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > this.command.maxBytes) throw new PullCapError(describePullCap(this.bytes, this.command.maxBytes));
  }

  private async endFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (file?.path == null) return;
    const { last, manifest } = file.cutter.end();
    if (last !== null) await this.sink.putChunk(last);
    this.files.set(file.path, manifest);
    await this.record({ path: file.path, mode: file.member.mode & 0o777, mtime: file.member.mtime, type: 'file', manifest });
  }

  private async record(entry: PulledEntry): Promise<void> {
    await this.sink.putEntry(this.recorded, entry);
    this.recorded += 1;
  }

  private async refuse(name: Buffer, problem: string): Promise<void> {
    const text = name
      .subarray(0, SHOWN_NAME_BYTES)
      .toString('utf8')
      .replace(/^(\.\/)+/, '');
    const shown = `${JSON.stringify(text)}${name.length > SHOWN_NAME_BYTES ? '...' : ''}: ${problem}`;
    this.firstRefusal ??= shown;
    this.refusals += 1;
    await this.onRefused(Buffer.from(`fleet pull: refused ${shown}\n`));
  }
}

/** A member's name as it lands under LOCAL_DIR/HOST (`./` and a directory's `/` taken off), or why it may not. */
function memberPath(name: Buffer): string | { problem: string } {
  const text = utf8(name);
  if (text === null) return { problem: 'its name is not UTF-8' };
  const path = text.replace(/^(\.\/)+/, '').replace(/\/$/, '');
  const problem = pulledPathProblem(path);
  return problem === null ? path : { problem };
}

function utf8(bytes: Buffer): string | null {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}
