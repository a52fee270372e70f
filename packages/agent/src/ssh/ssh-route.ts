import { InvalidJumpHost, SshConnectError, splitJumpChain, type JumpHop, type SshOptions } from '@fleet/core';
import type { SshTarget } from './ssh-target.js';

/**
 * How a host is reached when not directly: through a command whose standard
 * input and output carry the connection (ProxyCommand), or through a channel
 * forwarded by a jump host's pooled connection (ProxyJump).
 */
export type SshRoute =
  | { kind: 'proxy-command'; command: string }
  | {
      kind: 'jump';
      /** The last jump host, itself a target with its own options and route. */
      via: SshTarget;
      /** Every hop as written in ProxyJump, in order: what failures name. */
      hops: readonly string[];
    };

/** Resolves a jump host as a target of its own; `through` replaces its own route when it is not the first hop. */
export type ResolveJumpHost = (hop: JumpHop, through: readonly string[] | null) => Promise<SshTarget>;

/**
 * The route to a host, as OpenSSH takes it: ProxyCommand or ProxyJump,
 * whichever ssh_config gave first (the resolver keeps only that one), and
 * for `ssh -J a,b` the host is reached from b, which is reached through a
 * (`through` is how the hop before was told to reach it, winning over its
 * own ssh_config as ssh's `-J` does). Undefined: connect directly.
 */
export async function resolveRoute(
  options: SshOptions,
  through: readonly string[] | null,
  resolveJumpHost: ResolveJumpHost,
): Promise<SshRoute | undefined> {
  if (through === null && options.proxyCommand !== null) return { kind: 'proxy-command', command: options.proxyCommand };
  const hops = through ?? options.proxyJump;
  let chain;
  try {
    chain = splitJumpChain(hops);
  } catch (error) {
    if (!(error instanceof InvalidJumpHost)) throw error;
    throw new SshConnectError(error.message, options.hostName, options.port, 'configuration', { cause: error });
  }
  if (chain === null) return undefined;
  const via = await resolveJumpHost(chain.last, chain.before.length > 0 ? chain.before : null);
  return { kind: 'jump', via, hops };
}

/** What a pool key adds for the route: the same host reached another way is another connection. */
export function routeKey(route: SshRoute | undefined): string {
  if (route === undefined) return '';
  return route.kind === 'jump' ? ` via ${route.via.key}` : ` proxy ${route.command}`;
}
