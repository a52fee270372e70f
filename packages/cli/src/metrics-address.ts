import { parseListenAddress } from './serve/serve-options.js';

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
  if (bare) return parseListenAddress(`${METRICS_DEFAULT_HOST}:${bare[1]}`, '--metrics', HINT);
  return parseListenAddress(text, '--metrics', HINT);
}
