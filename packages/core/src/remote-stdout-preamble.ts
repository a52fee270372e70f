import { REMOTE_STDOUT_MARKER } from './remote-command.js';

/** Past this much before the marker, the bytes are passed on instead of held: memory stays bounded. */
const MAX_HELD_BYTES = 64 * 1024;

/**
 * Takes what comes before the wrapper's stdout marker off a command's stdout.
 * That is what the login shell that started the wrapper printed while reading
 * its startup files (~/.bashrc, ~/.zshenv); the shell that runs the user's line
 * reads them again and prints it again, so it is dropped here and the user sees
 * it once, as with ssh. Unless the wrapper never ran: then, at the end, the held
 * bytes are given back, since they may say why.
 */
export class RemoteStdoutPreambleFilter {
  private held: Buffer | null = Buffer.alloc(0);

  /** Takes a chunk of stdout; returns the bytes that are the command's. */
  push(chunk: Buffer): Buffer {
    if (this.held === null) return chunk;
    const held = Buffer.concat([this.held, chunk]);
    const at = held.indexOf(REMOTE_STDOUT_MARKER);
    if (at !== -1) {
      this.held = null;
      return held.subarray(at + REMOTE_STDOUT_MARKER.length);
    }
    if (held.length > MAX_HELD_BYTES) {
      this.held = null;
      return held;
    }
    this.held = held;
    return Buffer.alloc(0);
  }

  /** At the end of stdout: what was held, when the marker never came. */
  end(): Buffer {
    const rest = this.held ?? Buffer.alloc(0);
    this.held = null;
    return rest;
  }
}
