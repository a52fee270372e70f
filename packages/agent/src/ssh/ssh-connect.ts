import { DEFAULTS, formatSeconds, SshConnectError, type SshConnectFailure } from '@fleet/core';
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import { verifyHostKey } from './host-key-check.js';
import type { SshTarget } from './ssh-target.js';
import type { SshTransport } from './ssh-transport.js';

/** Makes an unconnected SSH client; tests pass a fake, the agent ssh2's own. */
export type SshClientFactory = () => Client;

/** The default {@link SshClientFactory}: a real ssh2 client. */
export const createSsh2Client: SshClientFactory = () => new ssh2.Client();

export interface SshConnectOptions {
  /** Makes the client of each attempt: a client sshd dropped cannot be connected again. */
  createClient: SshClientFactory;
  keepaliveIntervalMs: number;
  /** Hears of each attempt's client, so that whoever holds the connection can end the one in flight. */
  onAttempt: (client: Client) => void;
  /** Called if the connection goes once it is up (never for a failed attempt). */
  onLost: () => void;
  /**
   * Opens what carries each attempt's connection when it is not a TCP
   * connection of its own (a proxy command, a channel through a jump host);
   * null: connect directly. It is closed when the attempt fails or the
   * connection ends. @defaultValue direct
   */
  openTransport?: () => Promise<SshTransport | null>;
}

/**
 * Connects to a target. sshd drops connections beyond its MaxStartups before
 * the handshake, so such a drop is tried again, up to
 * `DEFAULTS.sshHandshakeAttempts` times and spread out with jitter; every
 * other failure, or the last drop, rejects with a {@link SshConnectError}
 * whose message says why in words a person understands.
 */
export async function connectSsh(target: SshTarget, options: SshConnectOptions): Promise<Client> {
  for (let attempt = 1; ; attempt += 1) {
    const client = newClient(options.createClient);
    options.onAttempt(client);
    try {
      const transport = (await options.openTransport?.()) ?? null;
      await connectOnce(target, client, options, transport);
      return client;
    } catch (error) {
      if (!(error instanceof DroppedBeforeHandshake) || attempt >= DEFAULTS.sshHandshakeAttempts) throw toConnectError(error, target);
      await sleep(50 * attempt + Math.random() * 200 * attempt);
    }
  }
}

/** The error for a connection asked of a pool that is closing. */
export function shuttingDownError(target: SshTarget): SshConnectError {
  return failure(target, 'the agent is shutting down', 'shutting-down');
}

/**
 * A client that can never crash the agent: ssh2 may emit more than one
 * 'error' for a connection sshd dropped, and an 'error' without a listener
 * would throw. Specific handling is layered on top.
 */
function newClient(createClient: SshClientFactory): Client {
  const client = createClient();
  client.on('error', () => {});
  return client;
}

/** Connects once; `onLost` is attached the moment the connection is up, so no loss goes unseen. */
function connectOnce(target: SshTarget, client: Client, options: SshConnectOptions, transport: SshTransport | null): Promise<void> {
  const ssh = target.options;
  let refusedKey: string | null = null;
  const config: ConnectConfig = {
    host: ssh.hostName,
    port: ssh.port,
    username: ssh.user,
    readyTimeout: target.connectTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: DEFAULTS.sshKeepaliveCountMax,
    authHandler: target.auth,
    ...(transport === null ? {} : { sock: transport.sock }),
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey(ssh, key).then(
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
      client.removeListener('close', onClosedEarly);
      client.removeListener('error', onError);
      client.end();
      const transportEnded = transport?.whyEnded() ?? Promise.resolve(null);
      transport?.close();
      void transportEnded.then((why) => {
        if (refusedKey !== null) reject(failure(target, refusedKey, 'host-key', error));
        else if (error.level === 'client-timeout')
          reject(failure(target, `connection timed out after ${formatSeconds(target.connectTimeoutMs)}`, 'timeout', error));
        else if (error.level === 'client-authentication') reject(failure(target, describeAuthFailure(target), 'authentication', error));
        else if (why !== null) reject(failure(target, why, 'proxy-command', error));
        else if (/before handshake|ECONNRESET|kex_exchange/i.test(`${error.message} ${error.code ?? ''}`))
          reject(new DroppedBeforeHandshake(error.message, { cause: error }));
        else reject(error);
      });
    };
    // A stream that ends once sshd's greeting was read makes ssh2 close without an error.
    const onClosedEarly = () => onError(new Error('connection closed before handshake'));
    const onReady = () => {
      client.removeListener('error', onError);
      client.removeListener('close', onClosedEarly);
      if (transport !== null) client.on('close', () => transport.close());
      client.on('close', options.onLost);
      client.on('error', options.onLost);
      resolve();
    };
    client.once('ready', onReady);
    client.on('error', onError);
    client.once('close', onClosedEarly);
    client.connect(config);
  });
}

/** sshd closed the connection before the handshake began: worth another try. */
class DroppedBeforeHandshake extends Error {}

/** What a socket error code means, in words, and its kind. */
const SOCKET_ERRORS: Record<string, { kind: SshConnectFailure; words: (target: SshTarget, where: string) => string }> = {
  ECONNREFUSED: { kind: 'refused', words: () => 'connection refused' },
  EHOSTUNREACH: { kind: 'unreachable', words: () => 'host unreachable' },
  ENETUNREACH: { kind: 'unreachable', words: () => 'network unreachable' },
  ETIMEDOUT: { kind: 'timeout', words: (target) => `connection timed out after ${formatSeconds(target.connectTimeoutMs)}` },
  ENOTFOUND: { kind: 'unresolved', words: (target) => `cannot resolve host name ${target.options.hostName}` },
  EAI_AGAIN: { kind: 'unresolved', words: (target) => `cannot resolve host name ${target.options.hostName}` },
  ECONNRESET: { kind: 'reset', words: (_target, where) => `connection reset by ${where}` },
};

function toConnectError(error: unknown, target: SshTarget): SshConnectError {
  if (error instanceof SshConnectError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${target.options.hostName}:${target.options.port}`;
  const known = code === undefined ? undefined : SOCKET_ERRORS[code];
  if (known) return failure(target, known.words(target, where), known.kind, error);
  if (error instanceof DroppedBeforeHandshake)
    return failure(
      target,
      `${where} kept closing the connection before the handshake (sshd MaxStartups?)`,
      'dropped-before-handshake',
      error,
    );
  return failure(target, `cannot connect to ${where}: ${error instanceof Error ? error.message : String(error)}`, 'other', error);
}

function failure(target: SshTarget, message: string, kind: SshConnectFailure, cause?: unknown): SshConnectError {
  const route = target.route;
  const via = route === undefined ? [] : route.kind === 'jump' ? route.hops : ['ProxyCommand'];
  return new SshConnectError(message, target.options.hostName, target.options.port, kind, {
    via,
    ...(cause === undefined ? {} : { cause }),
  });
}

function describeAuthFailure(target: SshTarget): string {
  const tried = target.auth.map((method) => method.type).join(', ');
  return `authentication failed for ${target.options.user}@${target.options.hostName} (tried: ${tried || 'no keys found'})`;
}

/** A plain timer (not timers/promises), so that tests can drive the retries with fake timers. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
