import { UsageError } from './errors.js';
import { redactedUrl } from './redacted-url.js';

/** FLEET_REDIS_CLUSTER, parsed: the seed nodes, and the credentials and TLS every node is reached with. */
export interface RedisClusterSeeds {
  nodes: { host: string; port: number }[];
  /** The ACL user, or null for `default`. */
  username: string | null;
  password: string | null;
  /** `rediss://`: every node is reached over TLS (FLEET_REDIS_CA applies). */
  tls: boolean;
}

/**
 * Parses FLEET_REDIS_CLUSTER: `host:port,host:port,...`, or the same list
 * after a URL's scheme and credentials, `redis://user:password@h1:7000,h2:7001`
 * (`rediss://` for TLS). The credentials are given once and hold for every
 * node, as a cluster's nodes share their ACL users; user and password are
 * percent-decoded as in a URL. Errors quote the text with its password hidden.
 */
export function parseRedisClusterSeeds(text: string): RedisClusterSeeds {
  const shown = JSON.stringify(redactedUrl(text));
  const scheme = /^(rediss?):\/\//.exec(text);
  if (scheme === null && text.includes('://')) {
    throw new UsageError(`FLEET_REDIS_CLUSTER ${shown} is not a redis:// or rediss:// seed list`, { hint: EXAMPLE });
  }
  const rest = scheme === null ? text : text.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (scheme === null && at >= 0) {
    throw new UsageError(`FLEET_REDIS_CLUSTER ${shown}: credentials need the redis:// or rediss:// form`, { hint: EXAMPLE });
  }
  const userInfo = at < 0 ? null : rest.slice(0, at);
  const nodes = rest
    .slice(at + 1)
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean)
    .map((node) => {
      const match = /^([^\s:/@[\]]+):(\d{1,5})$/.exec(node);
      if (match === null || Number(match[2]) > 65535) {
        throw new UsageError(`FLEET_REDIS_CLUSTER: ${JSON.stringify(redactedUrl(node))} is not host:port`, { hint: EXAMPLE });
      }
      return { host: match[1] as string, port: Number(match[2]) };
    });
  if (nodes.length === 0) throw new UsageError(`FLEET_REDIS_CLUSTER ${shown} names no seed node`, { hint: EXAMPLE });
  const colon = userInfo?.indexOf(':') ?? -1;
  const user = userInfo === null ? null : colon < 0 ? userInfo : userInfo.slice(0, colon);
  const password = userInfo === null || colon < 0 ? null : userInfo.slice(colon + 1);
  return {
    nodes,
    username: user === null || user === '' ? null : decoded(user, shown),
    password: password === null ? null : decoded(password, shown),
    tls: scheme?.[1] === 'rediss',
  };
}

/** The seed list as FLEET_REDIS_CLUSTER takes it back (for an agent that fleet starts or deploys). */
export function formatRedisClusterSeeds(seeds: RedisClusterSeeds): string {
  const nodes = seeds.nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  if (!seeds.tls && seeds.username === null && seeds.password === null) return nodes;
  const user = encodeURIComponent(seeds.username ?? '');
  const credentials = seeds.password === null ? (user === '' ? '' : `${user}@`) : `${user}:${encodeURIComponent(seeds.password)}@`;
  return `${seeds.tls ? 'rediss' : 'redis'}://${credentials}${nodes}`;
}

const EXAMPLE = 'for example h1:7000,h2:7001, or rediss://user:password@h1:7000,h2:7001';

function decoded(text: string, shown: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(`FLEET_REDIS_CLUSTER ${shown}: the user or password is not valid percent-encoding`, {
      hint: 'write % in a password as %25',
    });
  }
}
