import { homedir } from 'node:os';
import {
  DEFAULTS,
  describeRedisFill,
  FleetError,
  fullestRedis,
  isRedisOutOfMemory,
  redisChangeNotice,
  RedisOutOfMemoryError,
  resolveSettings,
  type FleetSettings,
} from '@fleet/core';
import {
  describeTarget,
  FleetShards,
  type FleetStore,
  isEmbeddedRedisSocket,
  openRedis,
  readRedisSelfReports,
  redisSettingsWarnings,
  swapLastUsedRedis,
  type ConnectionRole,
  type RedisClient,
  type RedisTarget,
} from '@fleet/store';
import { forTerminal } from './format/terminal-text.js';

/** What every command that talks to Redis works with. */
export interface CliContext {
  settings: FleetSettings;
  /**
   * The store commands work on: the coordinator (shard 0, all of a single
   * Redis), or, in a context made by `onShard`, the shard of the jobs at hand.
   */
  store: FleetStore;
  /** Every shard (issue 21); see job-shards.ts for reaching a job on whichever it lives. */
  shards: FleetShards;
  target: RedisTarget;
  /** Opens another connection (blocking reads, pub/sub); closed with the context. */
  connectAnother(): Promise<RedisClient>;
}

/** Global options every command accepts. */
export interface GlobalArgs {
  redis?: string | undefined;
}

export function settingsFrom(args: GlobalArgs): FleetSettings {
  return resolveSettings({ env: process.env, homeDir: homedir(), redisUrl: args.redis });
}

/** Opens Redis for one command, runs it, and always releases every connection. */
export async function withContext<T>(
  args: GlobalArgs,
  run: (context: CliContext) => Promise<T>,
  settings: FleetSettings = settingsFrom(args),
  options: {
    startEmbedded?: boolean;
    /** `agent`: reconnect for as long as it runs, as a server must (`fleet serve`). @defaultValue 'cli' */
    role?: ConnectionRole;
  } = {},
): Promise<T> {
  const redis = await openRedis(settings, options.role ?? 'cli', options);
  if (options.startEmbedded !== false) await sayWhenRedisChanged(settings, redis.target, redis.client);
  const extra: RedisClient[] = [];
  const shards = new FleetShards({
    client: redis.client,
    prefix: settings.prefix,
    heartbeatTtlMs: DEFAULTS.heartbeatTtlMs,
    count: settings.shards,
  });
  const context: CliContext = {
    settings,
    store: shards.coordinator,
    shards,
    target: redis.target,
    connectAnother: async () => {
      const client = await redis.connectAnother();
      extra.push(client);
      // A long-running command (fleet serve) opens one per request: forget those already closed.
      client.once('end', () => {
        const at = extra.indexOf(client);
        if (at !== -1) extra.splice(at, 1);
      });
      return client;
    },
  };
  try {
    return await run(context);
  } catch (error) {
    if (!isRedisOutOfMemory(error)) throw error;
    // Redis's own words name a script by its digest; say what it means and how full Redis is.
    const fullest = fullestRedis(await readRedisSelfReports(redis.client));
    throw new RedisOutOfMemoryError(fullest === null ? null : describeRedisFill(fullest), error);
  } finally {
    await shards.close().catch(() => {});
    for (const client of extra) client.disconnect();
    await redis.client.quit().catch(() => redis.client.disconnect());
  }
}

/** One line on stderr when this command uses another Redis than the last one did (core's redis-choice.ts). */
async function sayWhenRedisChanged(settings: FleetSettings, target: RedisTarget, client: RedisClient): Promise<void> {
  const endpoint = describeTarget(target);
  // Only a notice: a state directory fleet cannot use here is reported where it matters, not on every command.
  const last = await swapLastUsedRedis(settings.stateDir, endpoint).catch((error: unknown) => {
    if (error instanceof FleetError) return null;
    throw error;
  });
  const notice = redisChangeNotice(last, endpoint, settings.redisUrl !== null || settings.redisCluster !== null);
  if (notice !== null) process.stderr.write(`${forTerminal(process.stderr, `fleet: ${notice}`)}\n`);
  // A Redis met for the first time (or again after another) has its settings checked once, here.
  if (last !== endpoint) {
    for (const warning of await redisSettingsWarnings(client, { embedded: isEmbeddedTarget(settings, target) })) {
      process.stderr.write(`${forTerminal(process.stderr, `fleet: warning: ${warning}`)}\n`);
    }
  }
}

/** Whether the target is the embedded redis-server fleet started itself (AOF on, noeviction). */
export function isEmbeddedTarget(settings: FleetSettings, target: RedisTarget): boolean {
  return target.kind === 'socket' && isEmbeddedRedisSocket(settings.stateDir, target.path);
}
