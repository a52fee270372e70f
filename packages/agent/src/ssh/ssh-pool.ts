import { DEFAULTS, SshConnectError, type Keepalive } from '@fleet/core';
import type { Client } from 'ssh2';
import { heardSafely, UNOBSERVED, type SshPoolObserver } from '../agent-observer.js';
import { Slots } from '../slots.js';
import { verifyHostKey } from './host-key-check.js';
import { connectSsh, createSsh2Client, hostKeyRefused, shuttingDownError, type SshClientFactory } from './ssh-connect.js';
import { SshLease } from './ssh-lease.js';
import { forwardThroughJump } from './jump-forward.js';
import { spawnProxyCommand } from './proxy-command.js';
import { ssh2Keepalive } from './ssh2-connect-config.js';
import type { SshTarget } from './ssh-target.js';
import type { SshTransport } from './ssh-transport.js';

export interface SshPoolOptions {
  /** Channels per connection; below sshd's MaxSessions (10) so a kill channel always fits. @defaultValue 8 */
  maxSessions?: number;
  /** Channels forwarded per jump host connection to hosts behind it (MaxSessions does not count them). @defaultValue 32 */
  maxForwards?: number;
  /** Handshakes in flight per sshd; below MaxStartups' 10. @defaultValue 6 */
  maxHandshakes?: number;
  /** Close a connection after this long without channels, once the pool holds none either (up to `warmConnections`). @defaultValue 30 s */
  idleMs?: number;
  /** Idle connections kept past `idleMs` while the pool is in use, at most this many open in all. @defaultValue 1,000 */
  warmConnections?: number;
  /** @defaultValue 5 s, and 3 missed replies end the connection */
  keepaliveIntervalMs?: number;
  /** Makes the client of each new connection (and of each retried handshake). @defaultValue a new `ssh2.Client` */
  createClient?: SshClientFactory;
  /** Where a ProxyCommand's standard error, connection attempts tried again, and identities ssh2 cannot use are told, a line at a time. @defaultValue nowhere */
  log?: (line: string) => void;
  /** Hears of connections opened, failed and reused (`fleet agent --metrics`). @defaultValue nobody */
  observer?: SshPoolObserver;
}

/** {@link SshPoolOptions} with every default applied. */
export type ResolvedSshPoolOptions = Required<SshPoolOptions>;

/** Applies the pool's defaults (from `DEFAULTS`). */
export function resolveSshPoolOptions(options: SshPoolOptions = {}): ResolvedSshPoolOptions {
  const log = options.log ?? (() => {});
  return {
    maxSessions: options.maxSessions ?? DEFAULTS.sshMaxSessions,
    maxForwards: options.maxForwards ?? DEFAULTS.sshMaxForwards,
    maxHandshakes: options.maxHandshakes ?? DEFAULTS.sshMaxHandshakes,
    idleMs: options.idleMs ?? DEFAULTS.sshIdleMs,
    warmConnections: options.warmConnections ?? DEFAULTS.sshWarmConnections,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? DEFAULTS.sshKeepaliveIntervalMs,
    createClient: options.createClient ?? createSsh2Client,
    log,
    observer: heardSafely(options.observer ?? UNOBSERVED, log),
  };
}

/** One pooled connection: its client, how many channels it holds, and whether it has gone. */
class Connection {
  /** The client of the handshake in flight, then of the live connection; null before the first attempt. */
  client: Client | null = null;
  /** Leases held, by use: commands (sshd's sessions) and channels forwarded to hosts behind this one. */
  readonly held: Record<LeaseUse, number> = { session: 0, forward: 0 };
  dead = false;
  /** Its handshake is done: it counts as open until it is dead. */
  up = false;
  /** Refused by known_hosts since it was made: given to no new lease, closed once the last one is back. */
  retired = false;
  /** The host key known_hosts accepted at the handshake; null before. */
  hostKey: Buffer | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  readonly ready: Promise<Client>;

  constructor(connect: (connection: Connection) => Promise<Client>) {
    this.ready = connect(this);
    // Whoever acquired it sees a failure; this keeps one nobody awaits from being unhandled.
    this.ready.catch(() => {});
  }
}

/** What a lease is for: a command's session, or a channel forwarded to a host behind a jump host. */
export type LeaseUse = 'session' | 'forward';

/**
 * SSH connections kept per (user, host, port) and shared by the commands an
 * agent runs there: each command is a new channel, up to `maxSessions` per
 * connection, more connections beyond. Keepalives notice a dead connection; a
 * connection idle for `idleMs` is closed, unless a command still runs on the pool and
 * holds no more than `warmConnections` (then it waits another `idleMs`): a
 * fan-out longer than `idleMs` would otherwise close the first hosts'
 * connections before the next command, which then connects afresh. Handshakes to one sshd are limited
 * (and retried, see {@link connectSsh}), so a burst of first connections does
 * not trip its MaxStartups.
 */
export class SshPool {
  private readonly connections = new Map<string, Connection[]>();
  /** Handshakes in flight per sshd address. */
  private readonly handshakes = new Map<string, Slots>();
  private readonly options: ResolvedSshPoolOptions;
  /** Proxy commands and forwarded channels in use: closed with the pool, without waiting for their connections to say they ended. */
  private readonly transports = new Set<SshTransport>();
  /**
   * Connection failures already told the observer. A jump host's failure
   * reaches every host behind it, wrapped (its `cause`): counted where it
   * happened, not again for each host it kept from connecting.
   */
  private readonly toldFailures = new WeakSet<object>();
  private closed = false;
  /**
   * Session leases out now (commands running), on every connection: the pool
   * is in use while above 0. Forwards are not counted: a host behind a jump
   * host holds its forward for as long as its own connection lives.
   */
  private sessions = 0;

  constructor(options: SshPoolOptions = {}) {
    this.options = resolveSshPoolOptions(options);
  }

  /** The keepalive this pool runs on a connection to the target: ssh_config's ServerAlive*, else fleet's own. */
  keepaliveFor(target: SshTarget): Keepalive {
    const keepalive = ssh2Keepalive(target.options, {
      intervalMs: this.options.keepaliveIntervalMs,
      countMax: DEFAULTS.sshKeepaliveCountMax,
    });
    return { intervalMs: keepalive.keepaliveInterval, countMax: keepalive.keepaliveCountMax };
  }

  /**
   * Reserves a channel slot on a connection to the target, connecting if
   * needed: a session (up to `maxSessions` per connection), or a channel
   * forwarded to a host behind it (up to `maxForwards`).
   */
  async acquire(target: SshTarget, use: LeaseUse = 'session'): Promise<SshLease> {
    if (this.closed) throw shuttingDownError(target);
    const list = this.connections.get(target.key) ?? [];
    this.connections.set(target.key, list);
    const limit = use === 'session' ? this.options.maxSessions : this.options.maxForwards;
    let connection = list.find((candidate) => !candidate.dead && !candidate.retired && candidate.held[use] < limit);
    const pooled = connection !== undefined;
    if (!connection) {
      connection = this.open(target);
      list.push(connection);
    }
    connection.held[use] += 1;
    if (use === 'session') this.sessions += 1;
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    connection.idleTimer = null;
    let client: Client;
    try {
      client = await connection.ready;
    } catch (error) {
      if (use === 'session') this.sessions -= 1; // a lease never given out
      this.forget(target.key, connection);
      throw error;
    }
    const held = connection;
    if (pooled) {
      await this.recheckHostKey(target, held, use);
      // Commands only, as the metric says: a channel forwarded to a host behind is that host's connection.
      if (use === 'session') this.options.observer.connectionReused();
    }
    return new SshLease(
      client,
      () => held.dead,
      () => this.release(target.key, held, use),
    );
  }

  /** The connections whose handshake is done and that have not ended, held or idle. */
  get openConnections(): number {
    let open = 0;
    for (const list of this.connections.values()) open += list.filter((connection) => connection.up && !connection.dead).length;
    return open;
  }

  /** Closes every connection (agent shutdown). */
  close(): void {
    this.closed = true;
    for (const list of this.connections.values()) {
      for (const connection of list) {
        connection.dead = true;
        if (connection.idleTimer) clearTimeout(connection.idleTimer);
        connection.client?.end();
      }
    }
    this.connections.clear();
    for (const transport of this.transports) transport.close();
    this.transports.clear();
  }

  /**
   * A pooled connection's host key, checked again against known_hosts before
   * it carries another command (cheap: the file is parsed again only when it
   * changed), so that a key changed or revoked there takes effect for the next
   * command, as with ssh, which connects afresh each time. Refused, the
   * connection is retired: commands running on it go on, none new is given it.
   */
  private async recheckHostKey(target: SshTarget, connection: Connection, use: LeaseUse): Promise<void> {
    if (connection.hostKey === null) return;
    let verdict: string | null;
    try {
      verdict = await verifyHostKey(target.options, connection.hostKey);
    } catch (error) {
      verdict = `cannot check the host key: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (verdict === null) return;
    const refused = hostKeyRefused(target, verdict);
    if (!connection.retired) this.tellFailure(refused);
    connection.retired = true;
    this.release(target.key, connection, use);
    throw refused;
  }

  /** A lease given back: the last one out starts the idle clock (or closes a retired connection). */
  private release(key: string, connection: Connection, use: LeaseUse): void {
    connection.held[use] -= 1;
    if (use === 'session') this.sessions -= 1;
    if (connection.held.session > 0 || connection.held.forward > 0 || connection.dead) return;
    if (connection.retired) {
      connection.dead = true;
      connection.client?.end();
      this.forget(key, connection);
      return;
    }
    this.closeWhenIdle(key, connection);
  }

  /** Arms the idle clock of a connection no lease holds. */
  private closeWhenIdle(key: string, connection: Connection): void {
    connection.idleTimer = setTimeout(() => {
      if (this.sessions > 0 && this.openConnections <= this.options.warmConnections) {
        this.closeWhenIdle(key, connection);
        return;
      }
      connection.dead = true;
      connection.client?.end();
      this.forget(key, connection);
    }, this.options.idleMs);
    connection.idleTimer.unref();
  }

  private forget(key: string, connection: Connection): void {
    const list = this.connections.get(key);
    if (!list) return;
    const index = list.indexOf(connection);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) this.connections.delete(key);
  }

  private open(target: SshTarget): Connection {
    const { observer } = this.options;
    return new Connection(async (connection) => {
      let client: Client;
      try {
        client = await this.connect(target, connection);
      } catch (error) {
        // A pool closing under a handshake is no failure of the host's.
        if (!this.closed) this.tellFailure(error);
        throw error;
      }
      connection.up = true;
      observer.connectionOpened();
      return client;
    });
  }

  /** Tells the observer of a failed connection, unless it, or a failure it wraps, was told already. */
  private tellFailure(error: unknown): void {
    let told = false;
    // Every link is marked (a host further down a chain of jump hosts gets this error, wrapped); a marked one ends the walk.
    for (let link: unknown = error; typeof link === 'object' && link !== null; link = (link as { cause?: unknown }).cause) {
      if (this.toldFailures.has(link)) {
        told = true;
        break;
      }
      this.toldFailures.add(link);
    }
    if (!told) this.options.observer.connectionFailed(error instanceof SshConnectError ? error.kind : 'other');
  }

  private connect(target: SshTarget, connection: Connection): Promise<Client> {
    return this.withHandshakeSlot(`${target.options.hostName}:${target.options.port}`, () =>
      connectSsh(target, {
        createClient: this.options.createClient,
        keepaliveIntervalMs: this.options.keepaliveIntervalMs,
        log: this.options.log,
        onAttempt: (client) => (connection.client = client),
        onHostKey: (key) => (connection.hostKey = key),
        onLost: () => {
          connection.dead = true;
          this.forget(target.key, connection);
        },
        openTransport: () => this.openTransport(target),
      }),
    );
  }

  /**
   * What carries a connection to a host that is not reached directly. Behind
   * a jump host, that is a channel of the jump host's own pooled connection,
   * held as a lease for as long as the connection lasts: a hundred hosts
   * behind one bastion share a few bastion connections, not a hundred.
   */
  private async openTransport(target: SshTarget): Promise<SshTransport | null> {
    const route = target.route;
    if (route === undefined) return null;
    const transport =
      route.kind === 'proxy-command'
        ? spawnProxyCommand(route.command, this.options.log, `ProxyCommand for ${target.options.host}`)
        : await forwardThroughJump((via) => this.acquire(via, 'forward'), route, target);
    this.transports.add(transport);
    transport.sock.once('close', () => this.transports.delete(transport));
    return transport;
  }

  private withHandshakeSlot<T>(address: string, run: () => Promise<T>): Promise<T> {
    let slots = this.handshakes.get(address);
    if (!slots) {
      slots = new Slots(this.options.maxHandshakes);
      this.handshakes.set(address, slots);
    }
    return slots.run(run);
  }
}
