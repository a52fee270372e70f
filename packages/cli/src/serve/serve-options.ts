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

/**
 * `ADDR:PORT` into its parts; anything else is bad input, refused naming
 * `flag` with `hint`. @defaultValue `--listen` and its hint
 */
export function parseListenAddress(
  text: string,
  flag = '--listen',
  hint = 'an IP address and a port, as in 127.0.0.1:7070, [::1]:7070 or 0.0.0.0:7070 (port 0: any free port)',
): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const v6 = match?.[1] !== undefined;
  if (host === undefined || port > 65535 || (v6 && isIP(host) !== 6) || (!v6 && host !== 'localhost' && isIP(host) !== 4)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not ADDR:PORT`, { hint });
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

/** What the names a server answers to are made of. */
export interface ServedAddress {
  /** The address as given to --listen (no brackets). */
  listenHost: string;
  /** The address the socket is bound to (`localhost` resolved: 127.0.0.1 or ::1). */
  boundAddress: string;
  /** This machine's host name and addresses, for a wildcard address. */
  machineNames: readonly string[];
  /** The DNS names of the TLS certificate (its subjectAltName), none over plain HTTP. */
  certificateNames: readonly string[];
}

/**
 * The host names (no port) whose `Host` header the server answers to: the
 * address listened on and the one bound (`localhost` adds both `127.0.0.1`
 * and `::1`), and `localhost` on loopback; on a wildcard (never answered to
 * as such), this machine's names and addresses;
 * and the certificate's own DNS names.
 */
export function servedHostNames(address: ServedAddress): string[] {
  const { listenHost, boundAddress } = address;
  const names = isWildcardHost(listenHost) ? [...address.machineNames] : [listenHost, boundAddress];
  if (listenHost === 'localhost') names.push('127.0.0.1', '::1');
  if (isLoopbackHost(listenHost)) names.push('localhost');
  names.push(...address.certificateNames);
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

/** The DNS names of a certificate's subjectAltName (`DNS:a, IP Address:1.2.3.4, DNS:b` gives a and b). */
export function certificateDnsNames(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('DNS:'))
    .map((part) => part.slice('DNS:'.length))
    .filter((name) => !name.includes('*'));
}
