import { DEFAULTS, UsageError } from '@fleet/core';
import type { FleetShards, RedisClient } from '@fleet/store';
import { createSsh2Client, type SshClientFactory } from './ssh/ssh-connect.js';
import { SshPool } from './ssh/ssh-pool.js';
import { UNOBSERVED, type AgentObserver } from './agent-observer.js';
import type { AgentSealing } from './agent-sealing.js';
import type { RanMemory } from './ran-memory.js';
import type { TrustStore } from './trust-store.js';

/** What {@link startAgent} is given. */
export interface AgentOptions {
  /** Every shard of the store (one on a single Redis): the agent takes work from each. */
  shards: FleetShards;
  /** The keys whose signed jobs this agent runs; it refuses every other job. */
  trust: TrustStore;
  /** The deployment this agent serves: it refuses jobs signed for another (see core's deployment-id.ts). */
  deployment: string;
  /** The signed jobs run here before (`<stateDir>/ran`, shared with this user's other agents on this machine). */
  ranMemory: RanMemory;
  /** Its sealing key and vouch, for `--ask-sudo-pass` (see agent-sealing.ts). @defaultValue null (no password reaches it) */
  sealing?: AgentSealing | null;
  /** Opens another connection to the same Redis (for pub/sub). */
  connectAnother: () => Promise<RedisClient>;
  /** Jobs run at once. @defaultValue 64 */
  concurrency?: number;
  /**
   * The host entry this agent serves, when it is deployed on that node: it
   * then takes only that node's queue and runs everything locally, without
   * SSH. @defaultValue null (the shared queue)
   */
  serves?: string | null;
  /** Thread jobs run at once; the rest wait as NotStarted. @defaultValue 5 */
  threadLimit?: number;
  /** Exit after this long with no job running; null never. @defaultValue null */
  idleTimeoutMs?: number | null;
  /** Between SIGTERM and SIGKILL when a job is interrupted. @defaultValue 5 s */
  stopGraceMs?: number;
  /**
   * How long a drain (SIGTERM, `fleet agent stop`, an upgrade) lets the running
   * jobs finish; past it they are stopped and fail `agent shut down`. @defaultValue 5 min
   */
  drainGraceMs?: number;
  /** How often the agent says it is alive, reaps lost agents' jobs and looks for stop requests. @defaultValue 2 s */
  heartbeatIntervalMs?: number;
  /** The Redis it takes jobs from, password hidden, as `fleet agents` shows it. @defaultValue '' (not said) */
  redisEndpoint?: string;
  /** Where diagnostics go; each line is given with the agent's id before it. @defaultValue nowhere */
  log?: (line: string) => void;
  /** Makes the client of each SSH connection, as BullMQ takes its connection. @defaultValue a new `ssh2.Client` */
  createClient?: SshClientFactory;
  /**
   * Makes the agent's SSH pool from the client factory; the agent closes it
   * when it stops. @defaultValue `new SshPool({ createClient, log, observer })`
   */
  createSshPool?: (createClient: SshClientFactory) => SshPool;
  /** Hears what the agent does, for `fleet agent --metrics`. @defaultValue nobody */
  observer?: AgentObserver;
  /** Run nothing: every child ends Completed at once (`runNothing`), to measure the control plane. @defaultValue false */
  runNothing?: boolean;
}

/** {@link AgentOptions} with every default applied and every value checked. */
export type ResolvedAgentOptions = Required<AgentOptions>;

/** Applies the agent's defaults (from `DEFAULTS`) and refuses values it cannot run with. */
export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  const log = options.log ?? (() => {});
  const observer = options.observer ?? UNOBSERVED;
  return {
    shards: options.shards,
    trust: options.trust,
    deployment: options.deployment,
    ranMemory: options.ranMemory,
    sealing: options.sealing ?? null,
    connectAnother: options.connectAnother,
    concurrency: atLeastOne(options.concurrency ?? DEFAULTS.agentConcurrency, 'concurrency'),
    serves: options.serves ?? null,
    threadLimit: atLeastOne(options.threadLimit ?? DEFAULTS.threadLimit, 'threadLimit'),
    idleTimeoutMs: options.idleTimeoutMs == null ? null : duration(options.idleTimeoutMs, 'idleTimeoutMs'),
    stopGraceMs: duration(options.stopGraceMs ?? DEFAULTS.stopGraceMs, 'stopGraceMs'),
    drainGraceMs: duration(options.drainGraceMs ?? DEFAULTS.drainGraceMs, 'drainGraceMs'),
    heartbeatIntervalMs: duration(options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs, 'heartbeatIntervalMs'),
    redisEndpoint: options.redisEndpoint ?? '',
    log,
    createClient: options.createClient ?? createSsh2Client,
    createSshPool: options.createSshPool ?? ((createClient) => new SshPool({ createClient, log, observer })),
    observer,
    runNothing: options.runNothing ?? false,
  };
}

/** A count the agent needs at least one of (a zero would never run anything). */
function atLeastOne(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`the agent's ${name} must be a whole number of at least 1, not ${value}`);
  return value;
}

function duration(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`the agent's ${name} must be a number of milliseconds of at least 0, not ${ms}`);
  return ms;
}
