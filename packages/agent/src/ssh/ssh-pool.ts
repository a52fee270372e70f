import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS, formatSeconds } from '@fleet/core';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { verifyHostKey } from './host-key-check.js';
import { Slots } from '../slots.js';
import type { SshTarget } from './ssh-target.js';

/** Why an SSH connection could not be made, in words a person understands. */
export class SshConnectError extends Error {
  override name = 'SshConnectError';
}

export interface SshPoolOptions {
  /** Channels per connection; below sshd's MaxSessions (10) so a kill channel always fits. @defaultValue 8 */
  maxSessions?: number;
  /** Handshakes in flight per sshd; below MaxStartups' 10. @defaultValue 6 */
  maxHandshakes?: number;
  /** Close a connection after this long without channels. @defaultValue 30 s */
  idleMs?: number;
  /** @defaultValue 5 s, and 3 missed replies end the connection */
  keepaliveIntervalMs?: number;
}

interface Connection {
  client: Client;
  ready: Promise<void>;
  sessions: number;
  dead: boolean;
  idleTimer: NodeJS.Timeout | null;
}

/** A channel slot on a live connection. */
export interface SshLease {
  client: Client;
  /**
   * Runs a command on a new channel of this connection. `onOpen` runs inside
   * ssh2's callback, before any event of the channel can fire: a fast command's
   * exit status may arrive in the same read as the channel itself, and a
   * listener attached a microtask later would miss it.
   */
  exec<T>(command: string, onOpen: (channel: ClientChannel) => T | Promise<T>): Promise<T>;
  /** True once the connection has gone. */
  readonly lost: boolean;
  release(): void;
}

/**
 * SSH connections kept per (user, host, port) and shared by the commands an
 * agent runs there: each command is a new channel, up to `maxSessions` per
 * connection, more connections beyond. Keepalives notice a dead connection; a
 * connection idle for `idleMs` is closed. Handshakes to one sshd are limited
 * and retried with jitter, so a burst of first connections does not trip its
 * MaxStartups.
 */
export class SshPool {
  private readonly connections = new Map<string, Connection[]>();
  /** Handshakes in flight per sshd address. */
  private readonly handshakes = new Map<string, Slots>();
  private readonly maxSessions: number;
  private readonly maxHandshakes: number;
  private readonly idleMs: number;
  private readonly keepaliveIntervalMs: number;
  private closed = false;

  constructor(options: SshPoolOptions = {}) {
    this.maxSessions = options.maxSessions ?? DEFAULTS.sshMaxSessions;
    this.maxHandshakes = options.maxHandshakes ?? DEFAULTS.sshMaxHandshakes;
    this.idleMs = options.idleMs ?? DEFAULTS.sshIdleMs;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? DEFAULTS.sshKeepaliveIntervalMs;
  }

  /** Reserves a channel slot on a connection to the target, connecting if needed. */
  async acquire(target: SshTarget): Promise<SshLease> {
    if (this.closed) throw new SshConnectError('the agent is shutting down');
    const list = this.connections.get(target.key) ?? [];
    this.connections.set(target.key, list);
    let connection = list.find((candidate) => !candidate.dead && candidate.sessions < this.maxSessions);
    if (!connection) {
      connection = this.open(target);
      list.push(connection);
    }
    connection.sessions += 1;
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = null;
    try {
      await connection.ready;
    } catch (error) {
      this.forget(target.key, connection);
      throw error;
    }
    const held = connection;
    let released = false;
    return {
      client: held.client,
      get lost() {
        return held.dead;
      },
      exec: (command, onOpen) =>
        new Promise((resolve, reject) => {
          held.client.exec(command, (error, channel) => {
            if (error) reject(error);
            else resolve(onOpen(channel));
          });
        }),
      release: () => {
        if (released) return;
        released = true;
        held.sessions -= 1;
        if (held.sessions === 0 && !held.dead) {
          held.idleTimer = setTimeout(() => {
            held.dead = true;
            held.client.end();
            this.forget(target.key, held);
          }, this.idleMs);
          held.idleTimer.unref();
        }
      },
    };
  }

  /** Closes every connection (agent shutdown). */
  close(): void {
    this.closed = true;
    for (const list of this.connections.values()) {
      for (const connection of list) {
        connection.dead = true;
        if (connection.idleTimer) clearTimeout(connection.idleTimer);
        connection.client.end();
      }
    }
    this.connections.clear();
  }

  private forget(key: string, connection: Connection): void {
    const list = this.connections.get(key);
    if (!list) return;
    const index = list.indexOf(connection);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.connections.delete(key);
  }

  private open(target: SshTarget): Connection {
    const connection: Connection = { client: newClient(), ready: Promise.resolve(), sessions: 0, dead: false, idleTimer: null };
    connection.ready = this.withHandshakeSlot(`${target.options.hostName}:${target.options.port}`, () =>
      this.connectWithRetry(target, connection),
    );
    connection.ready.catch(() => {});
    return connection;
  }

  private async connectWithRetry(target: SshTarget, connection: Connection): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.connect(target, connection.client, () => {
          connection.dead = true;
          this.forget(target.key, connection);
        });
        return;
      } catch (error) {
        // sshd drops connections beyond MaxStartups before the handshake: try again, spread out.
        if (!(error instanceof DroppedBeforeHandshake) || attempt >= DEFAULTS.sshHandshakeAttempts) throw toConnectError(error, target);
        connection.client = newClient();
        await delay(50 * attempt + Math.random() * 200 * attempt);
      }
    }
  }

  /** Connects; `onLost` is attached the moment the connection is up, so no loss goes unseen. */
  private connect(target: SshTarget, client: Client, onLost: () => void): Promise<void> {
    const { options } = target;
    let refusedKey: string | null = null;
    const config: ConnectConfig = {
      host: options.hostName,
      port: options.port,
      username: options.user,
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: this.keepaliveIntervalMs,
      keepaliveCountMax: DEFAULTS.sshKeepaliveCountMax,
      authHandler: target.auth,
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyHostKey(options, key).then(
          (verdict) => {
            refusedKey = verdict;
            verify(verdict === null);
          },
          (error: unknown) => {
            refusedKey = `cannot check the host key: ${error instanceof Error ? error.message : String(error)}`;
            verify(false);
          },
        );
      },
    };
    return new Promise((resolve, reject) => {
      const onError = (error: Error & { level?: string; code?: string }) => {
        client.removeListener('ready', onReady);
        client.end();
        if (refusedKey !== null) reject(new SshConnectError(refusedKey));
        else if (error.level === 'client-timeout')
          reject(new SshConnectError(`connection timed out after ${formatSeconds(target.connectTimeoutMs)}`));
        else if (error.level === 'client-authentication') reject(new SshConnectError(describeAuthFailure(target)));
        else if (/before handshake|ECONNRESET|kex_exchange/i.test(`${error.message} ${error.code ?? ''}`))
          reject(new DroppedBeforeHandshake(error.message));
        else reject(error);
      };
      const onReady = () => {
        client.removeListener('error', onError);
        client.on('close', onLost);
        client.on('error', onLost);
        resolve();
      };
      client.once('ready', onReady);
      client.once('error', onError);
      client.connect(config);
    });
  }

  private withHandshakeSlot<T>(address: string, run: () => Promise<T>): Promise<T> {
    let slots = this.handshakes.get(address);
    if (!slots) {
      slots = new Slots(this.maxHandshakes);
      this.handshakes.set(address, slots);
    }
    return slots.run(run);
  }
}

class DroppedBeforeHandshake extends Error {}

/**
 * A client that can never crash the agent: ssh2 may emit more than one
 * 'error' for a connection sshd dropped, and an 'error' without a listener
 * would throw. Specific handling is layered on top.
 */
function newClient(): Client {
  const client = new ssh2.Client();
  client.on('error', () => {});
  return client;
}

function toConnectError(error: unknown, target: SshTarget): Error {
  if (error instanceof SshConnectError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${target.options.hostName}:${target.options.port}`;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: `connection timed out after ${formatSeconds(target.connectTimeoutMs)}`,
    ENOTFOUND: `cannot resolve host name ${target.options.hostName}`,
    EAI_AGAIN: `cannot resolve host name ${target.options.hostName}`,
    ECONNRESET: `connection reset by ${where}`,
  };
  if (code && words[code]) return new SshConnectError(words[code]);
  if (error instanceof DroppedBeforeHandshake)
    return new SshConnectError(`${where} kept closing the connection before the handshake (sshd MaxStartups?)`);
  return new SshConnectError(`cannot connect to ${where}: ${error instanceof Error ? error.message : String(error)}`);
}

function describeAuthFailure(target: SshTarget): string {
  const tried = target.auth.map((method) => method.type).join(', ');
  return `authentication failed for ${target.options.user}@${target.options.hostName} (tried: ${tried || 'no keys found'})`;
}
