import { readFile } from 'node:fs/promises';
import { DEFAULTS, FileReadError, RedisUnavailableError, type DetectedRedis, type FleetSettings } from '@fleet/core';
import { embeddedRedisPaths, ensureEmbeddedRedis } from './embedded-redis.js';
import { checkPrivateStateDir } from './private-state-dir.js';
import { readRedisChoice, recordRedisChoice, redisChoiceFiles } from './redis-choice-file.js';
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
 * URL, or else the Redis chosen on first use and recorded in the state
 * directory (core's redis-choice.ts): the default address when it answered
 * then, else the embedded redis-server, started on first use (unless
 * `startEmbedded` is false: then only one already running will do, as for
 * shell completion, and nothing is recorded).
 */
export async function openRedis(
  settings: FleetSettings,
  role: ConnectionRole,
  options: { startEmbedded?: boolean } = {},
): Promise<OpenedRedis> {
  const tls = await tlsFrom(settings);
  if (settings.redisCluster !== null) return open({ kind: 'cluster', seeds: settings.redisCluster }, role, undefined, tls);
  if (settings.redisUrl !== null) return open(targetFromUrl(settings.redisUrl), role, undefined, tls);
  const recorded = await readRedisChoice(settings.stateDir);
  if (recorded !== null) return openChosen(recorded, settings.stateDir, role, options);
  let detected: DetectedRedis = 'default-address';
  let opened: OpenedRedis;
  try {
    opened = await open({ kind: 'url', url: DEFAULTS.redisUrl }, role, 1000);
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
    detected = 'embedded';
    opened = await openEmbedded(settings.stateDir, role, options);
  }
  if (options.startEmbedded === false) return opened;
  const kept = await recordRedisChoice(settings.stateDir, detected);
  if (kept === detected) return opened;
  // Another process chose first, and otherwise: its choice is the one.
  opened.client.disconnect();
  return openChosen(kept, settings.stateDir, role, options);
}

/** The recorded choice, and no other: a default address that stopped answering is not replaced by the embedded Redis. */
async function openChosen(
  chosen: DetectedRedis,
  stateDir: string,
  role: ConnectionRole,
  options: { startEmbedded?: boolean },
): Promise<OpenedRedis> {
  if (chosen === 'embedded') return openEmbedded(stateDir, role, options);
  try {
    return await open({ kind: 'url', url: DEFAULTS.redisUrl }, role, 1000);
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
    throw new RedisUnavailableError(`${error.message} (the Redis fleet chose on first use)`, {
      hint: `start it again, or set FLEET_REDIS_URL to use another; delete ${redisChoiceFiles(stateDir).choice} to let fleet choose again`,
      cause: error,
    });
  }
}

async function openEmbedded(stateDir: string, role: ConnectionRole, options: { startEmbedded?: boolean }): Promise<OpenedRedis> {
  if (options.startEmbedded === false) await checkPrivateStateDir(stateDir);
  const socket = options.startEmbedded === false ? embeddedRedisPaths(stateDir).socket : await ensureEmbeddedRedis(stateDir);
  return open({ kind: 'socket', path: socket }, role);
}

async function open(target: RedisTarget, role: ConnectionRole, timeoutMs?: number, tls: RedisTls | null = null): Promise<OpenedRedis> {
  const factory: RedisFactory = redisFactory(target, timeoutMs, tls);
  const client = await connectClient(factory(), target, role);
  return { client, target, connectAnother: () => connectClient(factory(), target, role) };
}
