import { DEFAULTS } from './defaults.js';
import { checkDeploymentName } from './deployment-id.js';
import { parseBytes, parseDurationMs } from './duration.js';
import { UsageError } from './errors.js';
import { redactedUrl } from './redacted-url.js';
import { parseShardCount } from './shard-layout.js';
import { parseRedisClusterSeeds, type RedisClusterSeeds } from './redis-cluster-seeds.js';

/** Settings that come from the environment (SPEC §6), resolved and checked. */
export interface FleetSettings {
  /** An explicit Redis URL (`--redis` or FLEET_REDIS_URL), or null to use the default and the embedded fallback. */
  redisUrl: string | null;
  /** Seed nodes of a Redis Cluster, with their credentials and TLS (FLEET_REDIS_CLUSTER), or null. */
  redisCluster: RedisClusterSeeds | null;
  /** A CA bundle (PEM file) to check a `rediss://` server against (FLEET_REDIS_CA), or null for the system's. */
  redisCa: string | null;
  prefix: string;
  /**
   * How many shards new jobs spread over (FLEET_SHARDS, issue 21), or null
   * for the default: 1 on a single Redis, one per master on a Cluster.
   */
  shards: number | null;
  retentionMs: number;
  maxOutputBytes: number;
  /** The most a push may carry, all its files together (FLEET_MAX_PUSH_BYTES): Redis holds it for the job's life. */
  maxPushBytes: number;
  /** The most one host may send for a pull (FLEET_MAX_PULL_BYTES): Redis holds it for the job's life. */
  maxPullBytes: number;
  /** The most of its standard input `invoke --stdin` reads and stores (FLEET_MAX_STDIN). */
  maxStdinBytes: number;
  stopGraceMs: number;
  /** How long a draining agent lets its running jobs finish before it stops them (FLEET_DRAIN_GRACE). */
  drainGraceMs: number;
  agentIdleMs: number;
  threadLimit: number;
  /** Where fleet keeps its own files: the embedded Redis, the agent's log. */
  stateDir: string;
  /** This user's Ed25519 key that signs every job it creates (FLEET_SIGNING_KEY); made on first use. */
  signingKeyPath: string;
  /** Public keys an agent runs jobs from, besides its own user's (FLEET_TRUSTED_KEYS). */
  trustedKeysPath: string;
  /** How long after its creation a job may still start; past it, agents refuse it (FLEET_SIGNATURE_TTL). */
  signatureTtlMs: number;
  /**
   * The deployment's name (FLEET_DEPLOYMENT), which every job is signed for;
   * null to use the id kept in Redis and pinned in `stateDir` (deployment-id.ts).
   */
  deployment: string | null;
  /**
   * How long a live event stream stays quiet before its heartbeat
   * (FLEET_EVENT_HEARTBEAT): a setting for tests, so that one need not wait 15 s.
   */
  eventHeartbeatMs: number;
}

export interface SettingsInput {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** `--redis URL`, which wins over FLEET_REDIS_URL. */
  redisUrl?: string | undefined;
}

/** Reads FLEET_* variables, applies defaults and refuses malformed values. */
export function resolveSettings({ env, homeDir, redisUrl }: SettingsInput): FleetSettings {
  const url = redisUrl ?? nonEmpty(env.FLEET_REDIS_URL);
  if (url !== undefined) checkRedisUrl(url);
  const cluster = nonEmpty(env.FLEET_REDIS_CLUSTER);
  const prefix = nonEmpty(env.FLEET_PREFIX) ?? DEFAULTS.prefix;
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f]/.test(prefix)) throw new UsageError(`FLEET_PREFIX ${JSON.stringify(prefix)} contains white space`);
  const configDir = `${nonEmpty(env.XDG_CONFIG_HOME) ?? `${homeDir}/.config`}/fleet`;
  return {
    redisUrl: url ?? null,
    redisCluster: cluster === undefined ? null : parseRedisClusterSeeds(cluster),
    redisCa: nonEmpty(env.FLEET_REDIS_CA) ?? null,
    prefix,
    shards: optional<number | null>(env.FLEET_SHARDS, null, parseShardCount),
    retentionMs: optional(env.FLEET_RETENTION, DEFAULTS.retentionMs, (v) => parseDurationMs(v, 'FLEET_RETENTION')),
    maxOutputBytes: optional(env.FLEET_MAX_OUTPUT, DEFAULTS.maxOutputBytes, (v) => parseBytes(v, 'FLEET_MAX_OUTPUT')),
    maxPushBytes: optional(env.FLEET_MAX_PUSH_BYTES, DEFAULTS.maxPushBytes, (v) => parseBytes(v, 'FLEET_MAX_PUSH_BYTES')),
    maxPullBytes: optional(env.FLEET_MAX_PULL_BYTES, DEFAULTS.maxPullBytes, (v) => parseBytes(v, 'FLEET_MAX_PULL_BYTES')),
    maxStdinBytes: optional(env.FLEET_MAX_STDIN, DEFAULTS.maxStdinBytes, (v) => parseBytes(v, 'FLEET_MAX_STDIN')),
    stopGraceMs: optional(env.FLEET_STOP_GRACE, DEFAULTS.stopGraceMs, (v) => parseDurationMs(v, 'FLEET_STOP_GRACE')),
    drainGraceMs: optional(env.FLEET_DRAIN_GRACE, DEFAULTS.drainGraceMs, (v) => parseDurationMs(v, 'FLEET_DRAIN_GRACE')),
    agentIdleMs: optional(env.FLEET_AGENT_IDLE, DEFAULTS.agentIdleMs, (v) => parseDurationMs(v, 'FLEET_AGENT_IDLE')),
    threadLimit: optional(env.FLEET_THREAD_LIMIT, DEFAULTS.threadLimit, (v) => positiveInteger(v, 'FLEET_THREAD_LIMIT')),
    stateDir: nonEmpty(env.FLEET_STATE_DIR) ?? `${nonEmpty(env.XDG_STATE_HOME) ?? `${homeDir}/.local/state`}/fleet`,
    signingKeyPath: nonEmpty(env.FLEET_SIGNING_KEY) ?? `${configDir}/signing-key`,
    trustedKeysPath: nonEmpty(env.FLEET_TRUSTED_KEYS) ?? `${configDir}/trusted-keys`,
    signatureTtlMs: optional(env.FLEET_SIGNATURE_TTL, DEFAULTS.signatureTtlMs, (v) => parseDurationMs(v, 'FLEET_SIGNATURE_TTL')),
    deployment: optional(env.FLEET_DEPLOYMENT, null, (v) => checkDeploymentName(v.trim(), 'FLEET_DEPLOYMENT')),
    eventHeartbeatMs: optional(env.FLEET_EVENT_HEARTBEAT, DEFAULTS.eventHeartbeatMs, (v) => {
      // XREAD BLOCK 0 would block for ever.
      const ms = parseDurationMs(v, 'FLEET_EVENT_HEARTBEAT');
      if (ms < 1) throw new UsageError(`FLEET_EVENT_HEARTBEAT: ${JSON.stringify(v)} is not a duration of at least 1 ms`);
      return ms;
    }),
  };
}

/**
 * Checks that a Redis URL has a scheme fleet can use and parses as a URL
 * (ioredis would otherwise throw from deep inside). Errors quote it with its
 * password hidden.
 */
export function checkRedisUrl(url: string): void {
  const shown = JSON.stringify(redactedUrl(url));
  if (!/^(redis|rediss|unix):\/\/./.test(url)) {
    throw new UsageError(`Redis URL ${shown} is not a redis://, rediss:// or unix:// URL`, { hint: URL_EXAMPLE });
  }
  if (url.startsWith('unix://')) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`Redis URL ${shown} is not a valid URL`, {
      hint: `${URL_EXAMPLE}; percent-encode a password's special characters (@ as %40, % as %25)`,
    });
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new UsageError(`Redis URL ${shown}: the user or password is not valid percent-encoding`, {
      hint: 'write % in a password as %25',
    });
  }
}

const URL_EXAMPLE = 'for example redis://127.0.0.1:6379 or rediss://user:password@host:6380';

/** Parses a whole number of at least 1. */
export function positiveInteger(text: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${what}: ${JSON.stringify(text)} is not a whole number of at least 1`);
  }
  return Number(text);
}

function optional<T>(value: string | undefined, fallback: T, parse: (text: string) => T): T {
  const text = nonEmpty(value);
  return text === undefined ? fallback : parse(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
