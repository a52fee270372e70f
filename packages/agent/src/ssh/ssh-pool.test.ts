import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { DEFAULTS, OPENSSH_DEFAULT_ALGORITHMS, SshConnectError } from '@fleet/core';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SshPoolObserver } from '../agent-observer.js';
import { SshPool, type SshPoolOptions } from './ssh-pool.js';
import type { SshTarget } from './ssh-target.js';

/** How a fake client's connect ends: up, asks for the host key to be checked, or fails with the error ssh2 would emit. */
type Plan = 'ready' | 'check-host-key' | (Error & { code?: string; level?: string });

/** Stands in for ssh2's Client: connect ends as planned, exec opens a channel at once, end closes. */
class FakeClient extends EventEmitter {
  config: ConnectConfig | null = null;
  ended = false;
  readonly commands: string[] = [];
  readonly forwards: string[] = [];

  constructor(private readonly plan: Plan) {
    super();
  }

  connect(config: ConnectConfig): this {
    this.config = config;
    queueMicrotask(() => {
      // ssh2 emits 'connect' once the TCP connection is up: for every plan but a socket that never connected.
      const neverConnected = typeof this.plan !== 'string' && this.plan.code !== undefined && this.plan.code !== 'ECONNRESET';
      if (!neverConnected) this.emit('connect');
      if (this.plan === 'ready') this.emit('ready');
      else if (this.plan === 'check-host-key') {
        const verifier = config.hostVerifier as (key: Buffer, verify: (valid: boolean) => void) => void;
        verifier(Buffer.from('a host key'), (valid) =>
          valid ? this.emit('ready') : this.emit('error', new Error('Handshake failed: host key verification failed')),
        );
      } else this.emit('error', this.plan);
    });
    return this;
  }

  exec(command: string, callback: (error: Error | undefined, channel: ClientChannel) => void): this {
    this.commands.push(command);
    callback(undefined, {} as ClientChannel);
    return this;
  }

  /** Opens a forwarded channel at once, or fails as `forwardFailure` says. */
  forwardOut(
    _srcIP: string,
    _srcPort: number,
    host: string,
    port: number,
    callback: (error: Error | undefined, channel: ClientChannel) => void,
  ): this {
    this.forwards.push(`${host}:${port}`);
    if (forwardFailure) callback(forwardFailure, undefined as unknown as ClientChannel);
    else callback(undefined, new PassThrough() as unknown as ClientChannel);
    return this;
  }

  end(): this {
    if (!this.ended) {
      this.ended = true;
      this.emit('close');
    }
    return this;
  }
}

/** How every fake client's forwardOut fails; null: it opens. */
let forwardFailure: Error | null = null;

/** A pool whose clients are fakes, each connecting as the next plan says ('ready' once they run out). */
function fakePool(plans: Plan[] = [], options: SshPoolOptions = {}) {
  const clients: FakeClient[] = [];
  const pool = new SshPool({
    ...options,
    createClient: () => {
      const client = new FakeClient(plans.shift() ?? 'ready');
      clients.push(client);
      return client as unknown as Client;
    },
  });
  return { pool, clients };
}

const target: SshTarget = {
  key: 'deploy@web1:2222',
  options: {
    host: 'web1',
    hostName: 'web1',
    user: 'deploy',
    port: 2222,
    identityFiles: [],
    userKnownHostsFiles: ['/nonexistent/fleet-test/known_hosts'],
    strictHostKeyChecking: 'yes',
    connectTimeoutMs: null,
    identitiesOnly: false,
    identityAgent: null,
    certificateFiles: [],
    globalKnownHostsFiles: [],
    hostKeyAlias: null,
    connectionAttempts: 1,
    serverAliveIntervalMs: 0,
    serverAliveCountMax: 3,
    proxyJump: [],
    proxyCommand: null,
    algorithms: structuredClone(OPENSSH_DEFAULT_ALGORITHMS),
  },
  auth: [],
  connectTimeoutMs: 7_000,
};

/** The same target on another host. */
const targetOn = (host: string): SshTarget => ({
  ...target,
  key: `deploy@${host}:2222`,
  options: { ...target.options, host, hostName: host },
});

function socketError(code: string): Error & { code: string; level: string } {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:2222`), { code, level: 'client-socket' });
}

/** A pool observer that writes down what it hears, one line per call. */
function listeningObserver(): { heard: string[]; observer: SshPoolObserver } {
  const heard: string[] = [];
  return {
    heard,
    observer: {
      connectionOpened: () => heard.push('opened'),
      connectionFailed: (reason) => heard.push(`failed ${reason}`),
      connectionReused: () => heard.push('reused'),
    },
  };
}

/** The error `acquire` rejects with (the test fails if it resolves). */
async function acquireFailure(pool: SshPool): Promise<SshConnectError> {
  const error: unknown = await pool.acquire(target).then(
    () => null,
    (rejected: unknown) => rejected,
  );
  expect(error).toBeInstanceOf(SshConnectError);
  return error as SshConnectError;
}

describe('SshPool', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('connects to the target as its user, and shares the connection between leases up to maxSessions', async () => {
    const { pool, clients } = fakePool([], { maxSessions: 2 });
    const first = await pool.acquire(target);
    const second = await pool.acquire(target);
    expect(clients).toHaveLength(1);
    expect(clients[0]?.config).toMatchObject({ host: 'web1', port: 2222, username: 'deploy', readyTimeout: 7_000 });
    expect(second.client).toBe(first.client);

    await first.exec('uptime', () => undefined);
    await second.exec('hostname', () => undefined);
    expect(clients[0]?.commands).toEqual(['uptime', 'hostname']);

    const third = await pool.acquire(target);
    expect(clients).toHaveLength(2);
    expect(third.client).not.toBe(first.client);

    // A slot given back is taken again before any new connection is made.
    first.release();
    first.release(); // twice is harmless: one slot, not two
    expect((await pool.acquire(target)).client).toBe(second.client);
    expect((await pool.acquire(target)).client).toBe(third.client);
    expect(clients).toHaveLength(2);
    pool.close();
  });

  it('closes a connection idle for idleMs, and connects afresh after', async () => {
    const { pool, clients } = fakePool([], { idleMs: 1_000 });
    (await pool.acquire(target)).release();
    await vi.advanceTimersByTimeAsync(999);
    expect(clients[0]?.ended).toBe(false);

    // Taken again before the clock ran out: the idle clock starts over on release.
    const again = await pool.acquire(target);
    expect(again.client).toBe(clients[0]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(clients[0]?.ended).toBe(false);
    again.release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(clients[0]?.ended).toBe(true);

    await pool.acquire(target);
    expect(clients).toHaveLength(2);
    pool.close();
  });

  it('keeps an idle connection past idleMs while a command runs on another (a long fan-out)', async () => {
    const other = targetOn('web2');
    const { pool, clients } = fakePool([], { idleMs: 1_000 });
    (await pool.acquire(target)).release();
    const busy = await pool.acquire(other);
    await vi.advanceTimersByTimeAsync(5_000);
    // web1's connection outlived its idle time: web2 was still in use.
    expect(clients[0]?.ended).toBe(false);
    expect((await pool.acquire(target)).client).toBe(clients[0]);
    pool.close();
    expect(busy.lost).toBe(true);
  });

  it('keeps no more than warmConnections open past their idle time', async () => {
    const [other, third] = [targetOn('web2'), targetOn('web3')];
    const { pool, clients } = fakePool([], { idleMs: 1_000, warmConnections: 2 });
    (await pool.acquire(target)).release();
    (await pool.acquire(other)).release();
    const busy = await pool.acquire(third);
    await vi.advanceTimersByTimeAsync(1_000);
    // Three open, two allowed: the idle one whose clock ran out first closes; then two are open.
    expect(clients.map((client) => client.ended)).toEqual([true, false, false]);
    busy.release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(clients.map((client) => client.ended)).toEqual([true, true, true]);
    pool.close();
  });

  it('counts a connection that failed as no lease: the pool is idle again after it', async () => {
    const { pool, clients } = fakePool([new Error('connection refused'), 'ready'], { idleMs: 1_000 });
    await expect(pool.acquire(target)).rejects.toThrow('connection refused');
    (await pool.acquire(targetOn('web2'))).release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(clients.at(-1)?.ended).toBe(true);
    pool.close();
  });

  it('does not hand out a connection that was lost', async () => {
    const { pool, clients } = fakePool();
    const lease = await pool.acquire(target);
    expect(lease.lost).toBe(false);
    clients[0]?.emit('close');
    expect(lease.lost).toBe(true);

    const next = await pool.acquire(target);
    expect(clients).toHaveLength(2);
    expect(next.client).toBe(clients[1]);
    pool.close();
  });

  it('tries a handshake sshd dropped before it began again, on a fresh client', async () => {
    const { pool, clients } = fakePool([new Error('Connection lost before handshake')]);
    const pending = pool.acquire(target);
    await vi.advanceTimersByTimeAsync(1_000); // past the jittered wait before the second try
    const lease = await pending;
    expect(clients).toHaveLength(2);
    expect(clients[0]?.ended).toBe(true);
    expect(lease.client).toBe(clients[1]);
    pool.close();
  });

  it(`gives up after ${DEFAULTS.sshHandshakeAttempts} dropped handshakes, saying sshd kept closing the connection`, async () => {
    const drops = Array.from({ length: 10 }, () => socketError('ECONNRESET'));
    const { pool, clients } = fakePool(drops);
    const failing = acquireFailure(pool);
    await vi.runAllTimersAsync();
    const error = await failing;
    expect(error).toMatchObject({
      kind: 'dropped-before-handshake',
      host: 'web1',
      port: 2222,
      message: 'web1:2222 kept closing the connection before the handshake (sshd MaxStartups?)',
    });
    expect(clients).toHaveLength(DEFAULTS.sshHandshakeAttempts);
  });

  it.each([
    ['refused', socketError('ECONNREFUSED'), 'connection refused'],
    ['unreachable', socketError('EHOSTUNREACH'), 'host unreachable'],
    ['unreachable', socketError('ENETUNREACH'), 'network unreachable'],
    ['unresolved', socketError('ENOTFOUND'), 'cannot resolve host name web1'],
    ['timeout', socketError('ETIMEDOUT'), 'connection timed out after 7s'],
    [
      'timeout',
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      'connection timed out after 7s',
    ],
    [
      'authentication',
      Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }),
      'authentication failed for deploy@web1 (tried: no keys found)',
    ],
    ['other', new Error('boom'), 'cannot connect to web1:2222: boom'],
  ])('reports a %s failure (%s) without trying again, and does not keep the connection', async (kind, plan, message) => {
    const { pool, clients } = fakePool([plan]);
    const error = await acquireFailure(pool);
    expect(error).toMatchObject({ kind, message, host: 'web1', port: 2222 });
    expect(error.cause).toBe(plan);
    expect(clients).toHaveLength(1);

    await pool.acquire(target);
    expect(clients).toHaveLength(2);
    pool.close();
  });

  it('tries a TCP connection that failed again a second later, up to ConnectionAttempts times, saying so in the log', async () => {
    const lines: string[] = [];
    const { pool, clients } = fakePool([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], { log: (line) => lines.push(line) });
    const attempts = { ...target, options: { ...target.options, connectionAttempts: 3 } };
    const pending = pool.acquire(attempts);
    await vi.advanceTimersByTimeAsync(999);
    expect(clients).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(clients).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    const lease = await pending;
    expect(clients).toHaveLength(3);
    expect(lease.client).toBe(clients[2]);
    expect(lines).toEqual([
      'deploy@web1:2222: connection refused (attempt 1 of 3, trying again in 1s)',
      'deploy@web1:2222: connection refused (attempt 2 of 3, trying again in 1s)',
    ]);
    pool.close();
  });

  it('gives up after ConnectionAttempts refusals, and never retries what came after the TCP connection', async () => {
    const twice = { ...target, options: { ...target.options, connectionAttempts: 2 } };
    const refused = fakePool([socketError('ECONNREFUSED'), socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]);
    const failing = refused.pool.acquire(twice).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await failing).toMatchObject({ kind: 'refused', message: 'connection refused' });
    expect(refused.clients).toHaveLength(2);

    const auth = Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' });
    const denied = fakePool([auth, auth]);
    const error = await denied.pool.acquire(twice).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ kind: 'authentication' });
    expect(denied.clients).toHaveLength(1);
  });

  it('refuses algorithm lists that leave ssh2 nothing before dialling', async () => {
    const { pool, clients } = fakePool();
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, ciphers: ['aes128-ocb@example.org'] };
    const error = await pool.acquire({ ...target, options: { ...target.options, algorithms } }).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ kind: 'no-common-algorithm' });
    expect((error as Error).message).toMatch(
      /^Ciphers for web1 leaves nothing fleet's SSH library \(ssh2\) implements \(Ciphers aes128-ocb@example.org; ssh2 offers .*aes256-ctr/,
    );
    expect(clients).toHaveLength(0);
  });

  it('hands ssh2 the algorithms in ssh_config order and ServerAliveInterval when set', async () => {
    const { pool, clients } = fakePool();
    const algorithms = { ...OPENSSH_DEFAULT_ALGORITHMS, ciphers: ['aes256-ctr', 'umac-only-in-openssh', 'aes128-ctr'] };
    await pool.acquire({ ...target, options: { ...target.options, algorithms, serverAliveIntervalMs: 20_000, serverAliveCountMax: 6 } });
    expect(clients[0]?.config).toMatchObject({ keepaliveInterval: 20_000, keepaliveCountMax: 6 });
    expect(clients[0]?.config?.algorithms?.cipher).toEqual(['aes256-ctr', 'aes128-ctr']);
    pool.close();
  });

  it('refuses a host key known_hosts does not hold, in the words ssh would use', async () => {
    const { pool } = fakePool(['check-host-key']);
    const error = await acquireFailure(pool);
    expect(error.kind).toBe('host-key');
    expect(error.message).toBe('unknown host key for [web1]:2222: not in known_hosts (add it, or set StrictHostKeyChecking accept-new)');
  });

  it('ends every connection on close, and then refuses new leases', async () => {
    const { pool, clients } = fakePool();
    const lease = await pool.acquire(target);
    pool.close();
    expect(clients[0]?.ended).toBe(true);
    expect(lease.lost).toBe(true);

    const error = await acquireFailure(pool);
    expect(error).toMatchObject({ kind: 'shutting-down', message: 'the agent is shutting down' });
    expect(clients).toHaveLength(1);
  });

  it('tells its observer each connection opened, reused and failed (once per connection), and counts those open', async () => {
    const { heard, observer } = listeningObserver();
    const refused = socketError('ECONNREFUSED');
    const { pool, clients } = fakePool(['ready', 'ready', refused], { maxSessions: 2, idleMs: 1_000, observer });
    const [first, second] = await Promise.all([pool.acquire(target), pool.acquire(target)]);
    const third = await pool.acquire(target);
    expect(heard).toEqual(['opened', 'reused', 'opened']);
    expect(pool.openConnections).toBe(2);

    // Two leases waiting on one connection that fails: one failure.
    const other = targetOn('web2');
    const failures = await Promise.all([pool.acquire(other), pool.acquire(other)].map((lease) => lease.catch((error: unknown) => error)));
    expect(failures.every((error) => error instanceof SshConnectError)).toBe(true);
    expect(heard.slice(3)).toEqual(['failed refused']);
    expect(pool.openConnections).toBe(2);

    clients[0]?.emit('close'); // lost
    expect(pool.openConnections).toBe(1);
    for (const lease of [first, second, third]) lease?.release();
    await vi.advanceTimersByTimeAsync(1_000); // idle
    expect(pool.openConnections).toBe(0);
    pool.close();
    expect(heard).toHaveLength(4);
  });
});

describe('SshPool through a jump host', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    forwardFailure = null;
  });

  const bastion: SshTarget = {
    ...target,
    key: 'ops@bastion:22',
    options: { ...target.options, host: 'bastion', hostName: 'bastion', user: 'ops', port: 22 },
  };
  const behind = (n: number): SshTarget => ({
    ...target,
    key: `deploy@web${n}:2222 via ${bastion.key}`,
    options: { ...target.options, host: `web${n}`, hostName: `web${n}` },
    route: { kind: 'jump', via: bastion, hops: ['bastion'] },
  });

  it('carries every host behind it on channels of its pooled connections, maxForwards each (commands apart), and gives each back when its host closes', async () => {
    const { pool, clients } = fakePool([], { maxSessions: 2, maxForwards: 8, idleMs: 1_000 });
    const leases = await Promise.all(Array.from({ length: 10 }, (_, n) => pool.acquire(behind(n))));
    const bastions = clients.filter((client) => client.config?.host === 'bastion');
    expect(bastions).toHaveLength(2);
    // A command on the jump host itself takes a session, which forwarded channels leave free.
    const onBastion = await pool.acquire(bastion);
    expect(clients.filter((client) => client.config?.host === 'bastion')).toHaveLength(2);
    onBastion.release();
    expect(bastions.flatMap((client) => client.forwards).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `web${n}:2222`).sort());
    expect(leases.every((lease) => (lease.client as unknown as FakeClient).config?.sock instanceof PassThrough)).toBe(true);

    for (const lease of leases) lease.release();
    await vi.advanceTimersByTimeAsync(1_000);
    // The hosts behind were idle first; with them gone, the jump host's connections go idle too.
    expect(leases.every((lease) => (lease.client as unknown as FakeClient).ended)).toBe(true);
    expect(bastions.map((client) => client.ended)).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bastions.map((client) => client.ended)).toEqual([true, true]);
    pool.close();
  });

  it('names the jump host it could not reach', async () => {
    // The host behind's client is made first, then the jump host's.
    const { pool } = fakePool(['ready', socketError('ECONNREFUSED')]);
    const error: unknown = await pool.acquire(behind(1)).catch((rejected: unknown) => rejected);
    expect(error).toMatchObject({
      kind: 'refused',
      jumpHost: 'bastion',
      host: 'bastion',
      message: 'jump host bastion: connection refused',
    });
    pool.close();
  });

  it('tells its observer of a jump host that failed once, not once more per host behind it; a refused forward counts; forwards are no reuse', async () => {
    const { heard, observer } = listeningObserver();
    // Three hosts behind: their clients are made first, then the one jump host's, which is refused.
    const { pool } = fakePool(['ready', 'ready', 'ready', socketError('ECONNREFUSED')], { observer });
    const failures = await Promise.all([1, 2, 3].map((n) => pool.acquire(behind(n)).catch((error: unknown) => error)));
    expect(failures.map((error) => (error as SshConnectError).message)).toEqual(Array(3).fill('jump host bastion: connection refused'));
    expect(heard).toEqual(['failed refused']);

    // The jump host up: two hosts behind share its connection (forward leases, not counted as reuse).
    heard.length = 0;
    await pool.acquire(behind(4));
    await pool.acquire(behind(5));
    expect(heard).toEqual(['opened', 'opened', 'opened']);
    // A forward the jump host refuses is the host behind's failure.
    forwardFailure = Object.assign(new Error('(SSH) Channel open failure: administratively prohibited'), { reason: 1 });
    heard.length = 0;
    await pool.acquire(behind(6)).catch(() => {});
    expect(heard).toEqual(['failed forward-prohibited']);
    pool.close();
  });

  it('names the jump host a failed forward went through, and gives its slot back', async () => {
    forwardFailure = Object.assign(new Error('(SSH) Channel open failure: Connection refused'), { reason: 2 });
    const { pool, clients } = fakePool([], { maxSessions: 1 });
    const error: unknown = await pool.acquire(behind(1)).catch((rejected: unknown) => rejected);
    expect(error).toMatchObject({ kind: 'refused', via: ['bastion'], message: 'via bastion: web1:2222: connection refused' });
    forwardFailure = null;
    await pool.acquire(behind(2));
    expect(clients.filter((client) => client.config?.host === 'bastion')).toHaveLength(1);
    pool.close();
  });
});
