import { isLoopbackHost, isWildcardHost, parseListenAddress, servedHostNames } from './serve/serve-options.js';

/** Where `fleet agent --metrics PORT` listens when no address is given: this machine only. */
export const METRICS_DEFAULT_HOST = '127.0.0.1';

const HINT =
  'a port, or ADDR:PORT: 9464 and :9464 listen on 127.0.0.1, [::1]:9464 on IPv6 loopback, 0.0.0.0:9464 on every interface (port 0: any free port)';

/**
 * `fleet agent --metrics [ADDR:]PORT` into an address and a port. A bare
 * port (`9464`, `:9464`) is loopback's: listening beyond this machine takes
 * an address written out.
 */
export function parseMetricsAddress(text: string): { host: string; port: number } {
  const bare = /^:?(\d{1,5})$/.exec(text);
  const port = Number(bare?.[1]);
  if (port <= 65535) return { host: METRICS_DEFAULT_HOST, port };
  // Anything else, a bare port past 65535 too, is refused in the words the user typed.
  return parseListenAddress(text, '--metrics', HINT);
}

/**
 * The names a scrape's `Host` may give, as `fleet serve` answers to them
 * (no TLS names): the address listened on and the one bound, `localhost` on
 * loopback, and this machine's names and addresses on a wildcard address.
 */
export function metricsHostNames(listenHost: string, boundAddress: string, machineNames: () => string[]): string[] {
  return servedHostNames({
    listenHost,
    boundAddress,
    machineNames: isWildcardHost(listenHost) ? machineNames() : [],
    certificateNames: [],
  });
}

/** The warning an agent logs when its metrics listen beyond loopback (no token, plain HTTP); null on loopback. */
export function metricsExposureWarning(listenHost: string, url: string): string | null {
  if (isLoopbackHost(listenHost)) return null;
  return `warning: metrics are readable by anyone who can reach ${new URL(url).host} (no token, plain HTTP)`;
}
