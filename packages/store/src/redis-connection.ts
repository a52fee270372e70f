import { formatRedisClusterSeeds, redactedUrl, RedisUnavailableError, type RedisClusterSeeds } from '@fleet/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Any Redis fleet talks to: one server, or a cluster. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: a URL, a unix socket, or the seed nodes of a cluster. */
export type RedisTarget = { kind: 'url'; url: string } | { kind: 'socket'; path: string } | { kind: 'cluster'; seeds: RedisClusterSeeds };

/**
 * Who the connection is for. A CLI gives up quickly when Redis is not there to
 * begin with, and once connected rides out a restart for ~11 s (10 reconnect
 * attempts) before it gives up; an agent reconnects for ever. Requests wait
 * for the reconnection instead of failing (`maxRetriesPerRequest: null`), as
 * BullMQ's workers need, and as a `wait` caught by a restart mid-command does.
 */
export type ConnectionRole = 'cli' | 'agent';

/** Makes connections; passed in so that tests and embedders can choose how. */
export type RedisFactory = () => RedisClient;

/** The URL form of a target, to hand to another process (a detached agent); a cluster's is its FLEET_REDIS_CLUSTER. */
export function targetToUrl(target: RedisTarget): string {
  if (target.kind === 'url') return target.url;
  if (target.kind === 'socket') return `unix://${target.path}`;
  return formatRedisClusterSeeds(target.seeds);
}

/** Parses a `redis://`, `rediss://` or `unix://` URL into a target. */
export function targetFromUrl(url: string): RedisTarget {
  if (url.startsWith('unix://')) return { kind: 'socket', path: decodeURIComponent(url.slice('unix://'.length)) };
  return { kind: 'url', url };
}

/** A printable name for a target, with any password left out. */
export function describeTarget(target: RedisTarget): string {
  if (target.kind === 'socket') return target.path;
  if (target.kind === 'cluster') return `cluster ${redactedUrl(formatRedisClusterSeeds(target.seeds))}`;
  return redactedUrl(target.url);
}

/** TLS settings for `rediss://`: the CA to trust, when not the system's. */
export interface RedisTls {
  ca?: Buffer;
}

/** A factory of unconnected clients for a target. */
export function redisFactory(target: RedisTarget, connectTimeoutMs = 3000, tls: RedisTls | null = null): RedisFactory {
  const options: RedisOptions = {
    lazyConnect: true,
    protocol: 2,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: null,
    // The first connection fails fast; once up, reconnect (for ever for agents).
    retryStrategy: () => null,
    // ioredis 6 arms a 2 s timer when it drops a socket that never connected,
    // which kept a failed CLI alive for 2 s; a socket still open after 100 ms
    // of shutting down has nothing left worth waiting for.
    disconnectTimeout: 100,
  };
  return () => {
    if (target.kind === 'cluster') {
      const { nodes, username, password, tls: overTls } = target.seeds;
      // Every node, the seeds and those the cluster reports alike, is reached with the seed list's credentials and TLS.
      // A seed list has no URL for ioredis to read rediss:// from, so TLS is asked for outright.
      const redisOptions: RedisOptions = {
        ...options,
        ...(username === null ? {} : { username }),
        ...(password === null ? {} : { password }),
        ...(overTls ? { tls: tls ?? {} } : {}),
      };
      return new Cluster(nodes, { lazyConnect: true, redisOptions, clusterRetryStrategy: () => null });
    }
    if (target.kind === 'socket') return new Redis({ ...options, path: target.path });
    // ioredis turns TLS on for rediss:// and keeps these options (the CA) when it does.
    return new Redis(target.url, tls === null ? options : { ...options, tls });
  };
}

/**
 * Connects a client, failing with {@link RedisUnavailableError} if Redis does not
 * answer, then lets it reconnect on its own from then on.
 */
export async function connectClient(client: RedisClient, target: RedisTarget, role: ConnectionRole): Promise<RedisClient> {
  // The socket's own error (ECONNREFUSED, ETIMEDOUT) says more than connect()'s rejection.
  let firstError: unknown = null;
  const onError = (error: unknown) => (firstError ??= error);
  client.on('error', onError);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const tlsTrouble = target.kind === 'url' ? target.url.startsWith('rediss://') : target.kind === 'cluster' && target.seeds.tls;
    throw new RedisUnavailableError(`cannot reach Redis at ${describeTarget(target)}: ${messageOf(firstError ?? error)}`, {
      hint: tlsTrouble
        ? 'check the server, and give FLEET_REDIS_CA the CA that signed its certificate'
        : 'start redis-server there, or point FLEET_REDIS_URL (or --redis) at a running one',
      cause: error,
    });
  }
  const reconnect = (times: number) => (role === 'agent' || times <= 10 ? Math.min(times * 200, 2000) : null);
  if (client instanceof Cluster) client.options.clusterRetryStrategy = reconnect;
  else client.options.retryStrategy = reconnect;
  // Later errors are handled by reconnecting; the listener stays so that none is unhandled.
  client.off('error', onError);
  client.on('error', () => {});
  return client;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
