import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '@fleet/core';

/** Where `--metrics` listens: an address as given to listen() (no brackets around IPv6) and a port (0: any free one). */
export interface MetricsAddress {
  host: string;
  port: number;
}

/** What the listener serves: Prometheus text, rendered at each scrape. */
export interface MetricsSource {
  render(): Promise<string>;
  readonly contentType: string;
}

/** What the listener needs besides its address. */
export interface MetricsListenerOptions {
  /**
   * The host names (no port) a scrape's `Host` may name, given the address
   * bound (`localhost` resolved): any other is refused 403, so that a web
   * page whose name an attacker points at this machine (DNS rebinding)
   * cannot read the metrics.
   */
  hostNames: (boundAddress: string) => readonly string[];
  /** Where an error of the listening socket, after it is up, is told. */
  log: (line: string) => void;
}

/** A listener that is up. */
export interface MetricsListener {
  /** `http://ADDR:PORT/metrics`, with the port bound (a free one for port 0). */
  readonly url: string;
  /** Stops listening and ends the connections kept open (a scraper's keep-alive). */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` over plain HTTP with Node's own server: one route
 * needs no framework, and nothing more is loaded at the agent's start.
 * Everything else is 404 (405 for another method on /metrics), and a `Host`
 * not of `options.hostNames` 403. No token: it serves counts, never a host
 * name, command or output, and listens on loopback unless an address is
 * given. A port that cannot be listened on is a {@link UsageError} (exit 2),
 * before the agent opens Redis.
 */
export async function listenForMetrics(
  address: MetricsAddress,
  source: MetricsSource,
  options: MetricsListenerOptions,
): Promise<MetricsListener> {
  let allowed: ReadonlySet<string> = new Set();
  const server = createServer((request, response) => void answer(request, response, source, allowed));
  // A scraper needs one connection, and sends its request at once: a slow or crowded client is let go.
  server.maxConnections = 16;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) => reject(listenRefusal(address, error));
    server.once('error', refused);
    server.listen(address.port, address.host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  // Once up, an error (a failed accept: too many open files) is told, never thrown: the agent runs on.
  server.on('error', (error) => options.log(`metrics listener: ${error.message}`));
  const bound = server.address() as AddressInfo;
  allowed = new Set(options.hostNames(bound.address).map((name) => name.toLowerCase()));
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  source: MetricsSource,
  allowed: ReadonlySet<string>,
): Promise<void> {
  const named = hostName(request.headers.host);
  if (named === null || !allowed.has(named)) {
    return plain(response, 403, `refused: Host ${JSON.stringify(request.headers.host ?? '')} is not this agent's metrics address\n`);
  }
  const path = (request.url ?? '').split('?')[0];
  if (path !== '/metrics') return plain(response, 404, 'not found: the metrics are at /metrics\n');
  if (request.method !== 'GET') {
    response.setHeader('allow', 'GET');
    return plain(response, 405, 'only GET\n');
  }
  let text: string;
  try {
    text = await source.render();
  } catch (error) {
    return plain(response, 500, `the metrics could not be rendered: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  response.writeHead(200, { 'content-type': source.contentType });
  response.end(text);
}

/**
 * The name a `Host` header gives, lower case, without its port (`[::1]:9464`
 * gives `::1`); null for none. The port is not checked: DNS rebinding changes
 * what a name resolves to, not the port, and a scrape through `ssh -L` to
 * another local port names that port.
 */
function hostName(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const name = header.startsWith('[') ? /^\[([^\]]+)\](?::\d+)?$/.exec(header)?.[1] : /^([^:]+)(?::\d+)?$/.exec(header)?.[1];
  return name?.toLowerCase() ?? null;
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

/** Why `--metrics ADDR:PORT` cannot be listened on, in words, as a usage error; other errors as they are. */
function listenRefusal(address: MetricsAddress, error: NodeJS.ErrnoException): Error {
  const given = `--metrics ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new UsageError(`${given}: the port is in use (another program listens on it)`, {
        hint: 'choose another port, or 0 for any free one (the agent says which in its log)',
        cause: error,
      });
    case 'EACCES':
      return new UsageError(`${given}: not allowed to listen on port ${address.port}`, {
        hint: 'ports below 1024 need privileges: choose a higher one, such as 9464',
        cause: error,
      });
    case 'EADDRNOTAVAIL':
      return new UsageError(`${given}: ${address.host} is not an address of this machine`, {
        hint: 'give one of its addresses, 127.0.0.1 (the default), or 0.0.0.0 for every interface',
        cause: error,
      });
    default:
      return error;
  }
}
