import { isIP } from 'node:net';
import { UsageError } from '@fleet/core';

/** What `fleet serve` takes from its command line. */
export interface ServeOptions {
  /**
   * `ADDR:PORT` to listen on (`[v6addr]:PORT` for IPv6); port 0 takes a free one.
   * @defaultValue '127.0.0.1:7070'
   */
  listen?: string | undefined;
  /** `--tls-cert FILE`: serve HTTPS with this certificate (PEM); goes with `tlsKey`. */
  tlsCert?: string | undefined;
  /** `--tls-key FILE`: the certificate's private key (PEM). */
  tlsKey?: string | undefined;
  /**
   * `--unsafe-no-tls`: listen beyond loopback over plain HTTP, where anyone on
   * the path can read the token.
   * @defaultValue false
   */
  unsafeNoTls?: boolean | undefined;
}

export interface ResolvedServeOptions {
  /** The address as given to listen(): no brackets around IPv6. */
  host: string;
  port: number;
  /** Certificate and key files, or null for plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
}

export const SERVE_DEFAULTS = { listen: '127.0.0.1:7070' } as const;

/** `ADDR:PORT` into its parts; anything else is bad input. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const v6 = match?.[1] !== undefined;
  if (host === undefined || port > 65535 || (v6 && isIP(host) !== 6) || (!v6 && host !== 'localhost' && isIP(host) !== 4)) {
    throw new UsageError(`--listen ${JSON.stringify(text)} is not ADDR:PORT`, {
      hint: 'an IP address and a port, as in 127.0.0.1:7070, [::1]:7070 or 0.0.0.0:7070 (port 0: any free port)',
    });
  }
  return { host, port };
}

/** Whether only this machine can reach the address: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Whether the address listens on every interface (0.0.0.0, ::). */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/**
 * Checks `fleet serve`'s options: the console holds a shell on every machine,
 * so beyond loopback it needs TLS, or an explicit `--unsafe-no-tls`.
 */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  const { host, port } = parseListenAddress(options.listen ?? SERVE_DEFAULTS.listen);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together', { hint: 'give both: the certificate and its private key, PEM files' });
  }
  const tls = options.tlsCert === undefined || options.tlsKey === undefined ? null : { certFile: options.tlsCert, keyFile: options.tlsKey };
  if (tls !== null && options.unsafeNoTls === true) throw new UsageError('--unsafe-no-tls does not go with --tls-cert');
  if (tls === null && !isLoopbackHost(host) && options.unsafeNoTls !== true) {
    throw new UsageError(`--listen ${host} is reachable from other machines, and without TLS anyone on the way reads the access token`, {
      hint: 'give --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1 and reach it through ssh -L; --unsafe-no-tls if you must',
    });
  }
  return { host, port, tls };
}
