import { hostname, networkInterfaces } from 'node:os';

/** The names a server on every interface answers to: this machine's host name, `localhost` and its addresses. */
export function machineNames(): string[] {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address));
  return [hostname(), 'localhost', ...addresses];
}
