import { parseRemoteMarker, type RemoteMarker } from './remote-command.js';

const NEWLINE = Buffer.from('\n');
/** Past this much, a login shell's lines are passed on instead of held: memory stays bounded. */
const MAX_HELD_BYTES = 64 * 1024;

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
 */
export class RemotePreambleFilter {
  private done = false;
  private pending = Buffer.alloc(0);
  /** The login shell's lines, until the wrapper reports its pid. */
  private held: Buffer[] | null = [];
  private heldBytes = 0;

  constructor(private readonly onMarker: (marker: RemoteMarker) => void) {}

  /** Takes a chunk of stderr; returns the bytes that are the command's (or a login shell's). */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    this.pending = Buffer.concat([this.pending, chunk]);
    const passed: Buffer[] = [];
    for (;;) {
      const newline = this.pending.indexOf(0x0a);
      if (newline === -1) break;
      const line = this.pending.subarray(0, newline);
      this.pending = this.pending.subarray(newline + 1);
      const marker = parseRemoteMarker(line.toString('utf8'));
      if (marker === null) {
        if (this.held === null) {
          passed.push(line, NEWLINE);
        } else {
          this.held.push(line, NEWLINE);
          this.heldBytes += line.length + 1;
          if (this.heldBytes > MAX_HELD_BYTES) passed.push(...this.release());
        }
        continue;
      }
      if (marker.kind === 'pid') this.release();
      this.onMarker(marker);
      if (marker.kind === 'start') {
        this.done = true;
        passed.push(this.pending);
        this.pending = Buffer.alloc(0);
        break;
      }
    }
    return Buffer.concat(passed);
  }

  /** At the end of stderr: whatever was held back, the login shell's lines if the wrapper never ran, and a line that never ended. */
  end(): Buffer {
    const rest = Buffer.concat([...this.release(), this.pending]);
    this.pending = Buffer.alloc(0);
    return rest;
  }

  /** Stops holding; returns what was held. */
  private release(): Buffer[] {
    const held = this.held ?? [];
    this.held = null;
    return held;
  }
}
