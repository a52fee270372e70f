import { parseRemoteMarker, type RemoteMarker } from './remote-command.js';

const NEWLINE = Buffer.from('\n');

/**
 * Takes the remote wrapper's marker lines (see `buildRemoteCommand`) off the
 * front of a command's stderr, as bytes arrive: everything up to the wrapper's
 * `start` line is the wrapper's (non-marker lines there, such as a login
 * shell's warnings, are passed on); everything after belongs to the command
 * and passes untouched.
 */
export class RemotePreambleFilter {
  private done = false;
  private pending = Buffer.alloc(0);

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
        passed.push(line, NEWLINE);
        continue;
      }
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

  /** At the end of stderr: whatever was held back waiting for the rest of a line. */
  end(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return rest;
  }
}
