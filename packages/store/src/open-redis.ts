import { readFile } from 'node:fs/promises';
import { DEFAULTS, FileReadError, RedisUnavailableError, type FleetSettings } from '@fleet/core';
import { embeddedRedisPaths, ensureEmbeddedRedis } from './embedded-redis.js';
import { checkPrivateStateDir } from './private-state-dir.js';
import {
  connectClient,
  redisFactory,
  targetFromUrl,
  type ConnectionRole,
  type RedisClient,
  type RedisFactory,
  type RedisTarget,
  type RedisTls,
} from './redis-connection.js';

async function tlsFrom(settings: FleetSettings): Promise<RedisTls | null> {
  if (settings.redisCa === null) return null;
  const path = settings.redisCa;
  const ca = await readFile(path).catch((error: unknown) => {
    throw new FileReadError('FLEET_REDIS_CA', path, error);
  });
  return { ca };
}

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
 * embedded redis-server, started on first use (unless `startEmbedded` is
 * false: then only one already running will do, as for shell completion).
 */
export async function openRedis(
  settings: FleetSettings,
  role: ConnectionRole,
  options: { startEmbedded?: boolean } = {},
): Promise<OpenedRedis> {
  const tls = await tlsFrom(settings);
  if (settings.redisCluster !== null) return open({ kind: 'cluster', seeds: settings.redisCluster }, role, undefined, tls);
  if (settings.redisUrl !== null) return open(targetFromUrl(settings.redisUrl), role, undefined, tls);
  try {
    return await open({ kind: 'url', url: DEFAULTS.redisUrl }, role, 1000);
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
  }
  if (options.startEmbedded === false) await checkPrivateStateDir(settings.stateDir);
  const socket =
    options.startEmbedded === false ? embeddedRedisPaths(settings.stateDir).socket : await ensureEmbeddedRedis(settings.stateDir);
  return open({ kind: 'socket', path: socket }, role);
}

async function open(target: RedisTarget, role: ConnectionRole, timeoutMs?: number, tls: RedisTls | null = null): Promise<OpenedRedis> {
  const factory: RedisFactory = redisFactory(target, timeoutMs, tls);
  const client = await connectClient(factory(), target, role);
  return { client, target, connectAnother: () => connectClient(factory(), target, role) };
}
