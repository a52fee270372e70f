import { DEFAULTS, formatSeconds, SshConnectError, type SshConnectFailure } from '@fleet/core';
import ssh2, { type Algorithms, type Client, type ConnectConfig } from 'ssh2';
import { verifyHostKey } from './host-key-check.js';
import { ssh2ConnectParts, type Ssh2ConnectParts } from './ssh2-connect-config.js';
import { SSH2_DEFAULT_ALGORITHMS, SSH2_SUPPORTED_ALGORITHMS } from './ssh2-supported-algorithms.js';
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
  /** Where a failed attempt that is tried again is told (ConnectionAttempts). @defaultValue nowhere */
  log?: (line: string) => void;
  /** Hears of the host key known_hosts accepted, so that a pooled connection can be checked again later. @defaultValue nowhere */
  onHostKey?: (key: Buffer) => void;
}

/**
 * Connects to a target. A TCP connection that cannot be made is tried again
 * one second later, up to ConnectionAttempts times in all, as ssh does
 * (never a failed handshake, authentication or host key). sshd drops
 * connections beyond its MaxStartups before the handshake, so such a drop is
 * tried again, up to `DEFAULTS.sshHandshakeAttempts` times and spread out
 * with jitter; every other failure, or the last drop, rejects with a
 * {@link SshConnectError} whose message says why in words a person
 * understands. Algorithm lists that leave ssh2 nothing are refused before
 * anything is dialled.
 */
export async function connectSsh(target: SshTarget, options: SshConnectOptions): Promise<Client> {
  const parts = ssh2ConnectParts(
    target.options,
    { intervalMs: options.keepaliveIntervalMs, countMax: DEFAULTS.sshKeepaliveCountMax },
    SSH2_SUPPORTED_ALGORITHMS,
    (await target.beforeConnect?.())?.knownHostKeyTypes ?? [],
    SSH2_DEFAULT_ALGORITHMS,
  );
  for (let attempt = 1, tcpAttempt = 1; ;) {
    const client = newClient(options.createClient);
    options.onAttempt(client);
    try {
      const transport = (await options.openTransport?.()) ?? null;
      await connectOnce(target, client, parts, options, transport);
      tellNotes(target, options);
      return client;
    } catch (error) {
      if (error instanceof TcpConnectFailed && tcpAttempt < target.options.connectionAttempts) {
        options.log?.(
          `${describeTarget(target)}: ${toConnectError(error, target).message} (attempt ${tcpAttempt} of ${target.options.connectionAttempts}, trying again in 1s)`,
        );
        tcpAttempt += 1;
        await sleep(1000);
        continue;
      }
      if (!(error instanceof DroppedBeforeHandshake) || attempt >= DEFAULTS.sshHandshakeAttempts) {
        tellNotes(target, options);
        throw toConnectError(error, target);
      }
      await sleep(50 * attempt + Math.random() * 200 * attempt);
      attempt += 1;
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
function connectOnce(
  target: SshTarget,
  client: Client,
  parts: Ssh2ConnectParts,
  options: SshConnectOptions,
  transport: SshTransport | null,
): Promise<void> {
  const ssh = target.options;
  let refusedKey: string | null = null;
  let tcpConnected = false;
  client.once('connect', () => (tcpConnected = true));
  const config: ConnectConfig = {
    host: ssh.hostName,
    port: ssh.port,
    username: ssh.user,
    readyTimeout: target.connectTimeoutMs,
    ...parts,
    // Names ssh2 lacks were dropped against its own list, so these are its algorithm names.
    algorithms: parts.algorithms as Algorithms,
    authHandler: target.auth,
    ...(transport === null ? {} : { sock: transport.sock }),
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey(ssh, key).then(
        (verdict) => {
          refusedKey = verdict;
          if (verdict === null) options.onHostKey?.(key);
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
      if (error.level === 'agent') {
        // ssh2 goes on to the next key after an agent it cannot reach, as ssh does; say why in the notes.
        const note = `ssh-agent not used: ${error.message}`;
        target.notes = [...(target.notes ?? []).filter((known) => known !== note), note];
        return; // still listening: the connection goes on
      }
      client.removeListener('ready', onReady);
      client.removeListener('close', onClosedEarly);
      client.removeListener('error', onError);
      client.end();
      const transportEnded = transport?.whyEnded() ?? Promise.resolve(null);
      transport?.close();
      void transportEnded.then((why) => {
        if (!tcpConnected) reject(new TcpConnectFailed(error));
        else if (refusedKey !== null) reject(failure(target, refusedKey, 'host-key', error));
        else if (error.level === 'client-timeout')
          reject(failure(target, `connection timed out after ${formatSeconds(target.connectTimeoutMs)}`, 'timeout', error));
        else if (error.level === 'client-authentication') reject(failure(target, describeAuthFailure(target), 'authentication', error));
        else if (why !== null) reject(failure(target, why, 'proxy-command', error));
        else if (/^Handshake failed: no matching /.test(error.message))
          reject(failure(target, describeNoCommonAlgorithm(target, parts, error.message), 'no-common-algorithm', error));
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

/** The TCP connection itself could not be made (refused, unreachable, timed out): what ConnectionAttempts retries. */
class TcpConnectFailed extends Error {
  constructor(readonly failure: Error & { level?: string; code?: string }) {
    super(failure.message, { cause: failure });
  }
}

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
  if (error instanceof TcpConnectFailed) {
    if (error.failure.level === 'client-timeout')
      return failure(target, `connection timed out after ${formatSeconds(target.connectTimeoutMs)}`, 'timeout', error.failure);
    return toConnectError(error.failure, target);
  }
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

/** The error of a host key known_hosts refuses (`verdict`, from verifyHostKey), as a new connection fails with it. */
export function hostKeyRefused(target: SshTarget, verdict: string): SshConnectError {
  return failure(target, verdict, 'host-key');
}

function failure(target: SshTarget, message: string, kind: SshConnectFailure, cause?: unknown): SshConnectError {
  const route = target.route;
  const via = route === undefined ? [] : route.kind === 'jump' ? route.hops : ['ProxyCommand'];
  return new SshConnectError(message, target.options.hostName, target.options.port, kind, {
    via,
    ...(cause === undefined ? {} : { cause }),
  });
}

function describeTarget(target: SshTarget): string {
  return `${target.options.user}@${target.options.hostName}:${target.options.port}`;
}

function describeAuthFailure(target: SshTarget): string {
  const tried = target.auth.map((method) => method.type).join(', ');
  const unusable = (target.notes ?? []).map((note) => `; ${note}`).join('');
  return `authentication failed for ${target.options.user}@${target.options.hostName} (tried: ${tried || 'no keys found'})${unusable}`;
}

/** ssh2's "no matching C->S cipher", with what was offered and which ssh_config keyword sets it. */
function describeNoCommonAlgorithm(target: SshTarget, parts: Ssh2ConnectParts, message: string): string {
  const what = message.replace(/^Handshake failed: no matching /, '');
  const [keyword, offered] = /cipher/.test(what)
    ? ['Ciphers', parts.algorithms.cipher]
    : /MAC/.test(what)
      ? ['MACs', parts.algorithms.hmac]
      : /host key/.test(what)
        ? ['HostKeyAlgorithms', parts.algorithms.serverHostKey]
        : ['KexAlgorithms', parts.algorithms.kex];
  return `${target.options.hostName}:${target.options.port} accepts no ${what.replace(/^[CS]->[CS] /, '')} fleet offered (${keyword} ${offered.join(',')})`;
}

/** Logs the identities ssh2 could not use for this connection (certificates), once it is made or has failed. */
function tellNotes(target: SshTarget, options: SshConnectOptions): void {
  for (const note of target.notes ?? []) options.log?.(`${describeTarget(target)}: ${note}`);
}

/** A plain timer (not timers/promises), so that tests can drive the retries with fake timers. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
