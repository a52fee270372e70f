import type { Client, ClientChannel } from 'ssh2';

/**
 * A channel slot on a live pooled connection, held from `acquire` until
 * `release`. Releasing twice is harmless: the slot is given back once.
 */
export class SshLease {
  private released = false;

  constructor(
    /** The connection's client (for SFTP). */
    readonly client: Client,
    private readonly isLost: () => boolean,
    private readonly giveBack: () => void,
  ) {}

  /** True once the connection has gone. */
  get lost(): boolean {
    return this.isLost();
  }

  /**
   * Runs a command on a new channel of this connection. `onOpen` runs inside
   * ssh2's callback, before any event of the channel can fire: a fast command's
   * exit status may arrive in the same read as the channel itself, and a
   * listener attached a microtask later would miss it.
   */
  exec<T>(command: string, onOpen: (channel: ClientChannel) => T | Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) reject(error);
        else resolve(onOpen(channel));
      });
    });
  }

  /**
   * Opens a channel through this connection to `host:port`, as `ssh -W` does:
   * the stream that carries the connection to a host behind this jump host.
   */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
        if (error) reject(error);
        else resolve(channel);
      });
    });
  }

  /** Gives the slot back to the pool. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.giveBack();
  }
}
