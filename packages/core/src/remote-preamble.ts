import { DEFAULTS } from './defaults.js';
import { formatBytes } from './output-budget.js';
import { parseRemoteMarker, type RemoteMarker } from './remote-command.js';

const NEWLINE = Buffer.from('\n');
const NOTHING = Buffer.alloc(0);

/**
 * Takes the remote wrapper's marker lines (see `buildRemoteCommand`) off the
 * front of a command's stderr, as bytes arrive: everything up to the wrapper's
 * `start` line is the wrapper's; everything after belongs to the command and
 * passes untouched. Other lines there are a shell's: before the wrapper's pid,
 * those of the login shell that started it, whose startup files (~/.zshenv,
 * ~/.bashrc) say again what they said when the same shell runs the command, so
 * they are dropped, and the user sees them once, as with ssh; unless the
 * wrapper never started, when they are the only word of why (`end`). Lines
 * between the pid and `start` (a failing `mktemp`, say) are passed on.
 *
 * What a host sends here is not trusted: the held lines are passed on past
 * `maxBytes`, and a line that runs past `maxBytes` without a newline stops
 * the filter (`overflowBytes`; the executor then fails the child). Each byte
 * is looked at once and copied at most twice, so a flood costs linear time
 * and bounded memory.
 */
export class RemotePreambleFilter {
  private done = false;
  /** The line not yet ended, in the pieces it came in. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The login shell's lines, until the wrapper reports its pid. */
  private held: Buffer[] | null = [];
  private heldBytes = 0;
  private seenBytes = 0;
  private overflow: number | null = null;
  /** The lines between the pid and `start` (sudo's, with `--sudo`): the first and last 32, each cut short. */
  private readonly wrapperLinesKept: string[] = [];

  constructor(
    private readonly onMarker: (marker: RemoteMarker) => void,
    private readonly maxBytes: number = DEFAULTS.preambleMaxBytes,
  ) {}

  /**
   * The bytes of stderr the host had sent when a line ran past the cap
   * before the wrapper's `start`; null while it has not. Once set, the
   * filter passes nothing more.
   */
  get overflowBytes(): number | null {
    return this.overflow;
  }

  /** Whether the wrapper's `start` line came: the command itself ran. */
  get started(): boolean {
    return this.done;
  }

  /** The last lines written between the wrapper's pid and its `start` (sudo's refusal, with `--sudo`). */
  get wrapperLines(): readonly string[] {
    return this.wrapperLinesKept;
  }

  /** The bytes held now: never much above `maxBytes` twice, whatever the host sends. */
  get heldNow(): number {
    return this.partialBytes + this.heldBytes;
  }

  /** Takes a chunk of stderr; returns the bytes that are the command's (or a login shell's). */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    if (this.overflow !== null) return NOTHING;
    this.seenBytes += chunk.length;
    const passed: Buffer[] = [];
    let from = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, from)) {
      const line = this.takeLine(chunk.subarray(from, newline));
      from = newline + 1;
      const marker = parseRemoteMarker(line.toString('utf8'));
      if (marker === null) {
        this.shellLine(line, passed);
        continue;
      }
      if (marker.kind === 'pid') this.release();
      this.onMarker(marker);
      if (marker.kind === 'start') {
        this.done = true;
        passed.push(chunk.subarray(from));
        return Buffer.concat(passed);
      }
    }
    if (from < chunk.length) {
      this.partial.push(chunk.subarray(from));
      this.partialBytes += chunk.length - from;
      if (this.partialBytes > this.maxBytes) {
        this.overflow = this.seenBytes;
        this.partial = [];
        this.partialBytes = 0;
      }
    }
    return Buffer.concat(passed);
  }

  /** At the end of stderr: whatever was held back, the login shell's lines if the wrapper never ran, and a line that never ended. */
  end(): Buffer {
    const rest = Buffer.concat([...this.release(), ...this.partial]);
    this.partial = [];
    this.partialBytes = 0;
    return rest;
  }

  /** The pieces of the line held so far, and its last piece: the whole line, without its newline. */
  private takeLine(last: Buffer): Buffer {
    if (this.partial.length === 0) return last;
    const line = Buffer.concat([...this.partial, last]);
    this.partial = [];
    this.partialBytes = 0;
    return line;
  }

  /** A line that is no marker: held while it may be the login shell's, else passed on. */
  private shellLine(line: Buffer, passed: Buffer[]): void {
    if (this.held === null) {
      this.wrapperLinesKept.push(line.subarray(0, 500).toString('utf8'));
      if (this.wrapperLinesKept.length > 64) this.wrapperLinesKept.splice(32, 1);
      passed.push(line, NEWLINE);
      return;
    }
    this.held.push(line, NEWLINE);
    this.heldBytes += line.length + 1;
    if (this.heldBytes > this.maxBytes) passed.push(...this.release());
  }

  /** Stops holding; returns what was held. */
  private release(): Buffer[] {
    const held = this.held ?? [];
    this.held = null;
    this.heldBytes = 0;
    return held;
  }
}

/** Why a child fails when its host flooded stderr before the wrapper started (see {@link RemotePreambleFilter.overflowBytes}). */
export function describePreambleOverflow(bytes: number, maxBytes: number = DEFAULTS.preambleMaxBytes): string {
  return `the host sent ${formatBytes(bytes)} of stderr with no newline for more than ${formatBytes(maxBytes)} before fleet's start marker; refused as hostile or broken`;
}
