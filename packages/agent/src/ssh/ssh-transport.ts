import type { Duplex } from 'node:stream';

/**
 * What carries an SSH connection that is not a TCP connection of its own:
 * the stream handed to ssh2 as its `sock`, opened afresh for each attempt.
 */
export interface SshTransport {
  sock: Duplex;
  /** Ends what carries the stream (the forwarded channel and its jump host lease, the proxy command). Harmless twice. */
  close(): void;
  /**
   * Why the stream ended before the handshake, when the transport knows
   * better than ssh2 (a proxy command's exit and last words); null when it
   * has not ended or has nothing to add. Asked before `close`.
   */
  whyEnded(): Promise<string | null>;
}
