import { DEFAULTS } from './defaults.js';
import { REMOTE_STDOUT_MARKER } from './remote-command.js';

const NOTHING = Buffer.alloc(0);

/**
 * Takes what comes before the wrapper's stdout marker off a command's stdout.
 * That is what the login shell that started the wrapper printed while reading
 * its startup files (~/.bashrc, ~/.zshenv); the shell that runs the user's line
 * reads them again and prints it again, so it is dropped here and the user sees
 * it once, as with ssh. Unless the wrapper never ran: then, at the end, the held
 * bytes are given back, since they may say why. Past `maxBytes` before the
 * marker, the bytes are passed on instead of held: memory stays bounded. Each
 * chunk is searched once, with the marker's length less one byte of the chunks
 * before it, so a flood costs linear time.
 */
export class RemoteStdoutPreambleFilter {
  private held: Buffer[] | null = [];
  private heldBytes = 0;
  /** The end of what is held, where a marker cut across chunks begins. */
  private tail: Buffer = NOTHING;

  constructor(private readonly maxBytes: number = DEFAULTS.preambleMaxBytes) {}

  /** Takes a chunk of stdout; returns the bytes that are the command's. */
  push(chunk: Buffer): Buffer {
    if (this.held === null) return chunk;
    const window = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    const at = window.indexOf(REMOTE_STDOUT_MARKER);
    if (at !== -1) {
      this.held = null;
      this.heldBytes = 0;
      return window.subarray(at + REMOTE_STDOUT_MARKER.length);
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > this.maxBytes) return this.end();
    this.tail = window.subarray(Math.max(0, window.length - (REMOTE_STDOUT_MARKER.length - 1)));
    return NOTHING;
  }

  /** At the end of stdout: what was held, when the marker never came. */
  end(): Buffer {
    const rest = this.held === null ? NOTHING : Buffer.concat(this.held);
    this.held = null;
    this.heldBytes = 0;
    this.tail = NOTHING;
    return rest;
  }
}
