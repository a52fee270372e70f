import { DEFAULTS, RedisUnavailableError, type FleetSettings } from '@fleet/core';
import { ensureEmbeddedRedis } from './embedded-redis.js';
import {
  connectClient,
  redisFactory,
  targetFromUrl,
  type ConnectionRole,
  type RedisClient,
  type RedisFactory,
  type RedisTarget,
} from './redis-connection.js';

/** A live connection, the target it reached, and a way to open more connections to it. */
export interface OpenedRedis {
  client: RedisClient;
  target: RedisTarget;
  /** Opens and connects another client to the same target (for pub/sub or blocking reads). */
  connectAnother(): Promise<RedisClient>;
}

/**
 * Connects to the Redis the settings name (SPEC §6): a cluster, an explicit
 * URL, or else the default address, and when nothing answers there the
 * embedded redis-server, started on first use.
 */
export async function openRedis(settings: FleetSettings, role: ConnectionRole): Promise<OpenedRedis> {
  if (settings.redisCluster !== null) return open({ kind: 'cluster', nodes: settings.redisCluster }, role);
  if (settings.redisUrl !== null) return open(targetFromUrl(settings.redisUrl), role);
  try {
    return await open({ kind: 'url', url: DEFAULTS.redisUrl }, role, 1000);
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
  }
  const socket = await ensureEmbeddedRedis(settings.stateDir);
  return open({ kind: 'socket', path: socket }, role);
}

async function open(target: RedisTarget, role: ConnectionRole, timeoutMs?: number): Promise<OpenedRedis> {
  const factory: RedisFactory = redisFactory(target, role, timeoutMs);
  const client = await connectClient(factory(), target, role);
  return { client, target, connectAnother: () => connectClient(factory(), target, role) };
}
