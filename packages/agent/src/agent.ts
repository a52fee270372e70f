import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULTS, FLEET_VERSION, nodeQueueName, type RunSpec } from '@fleet/core';
import { parseControlMessage, SHARED_QUEUE, type AgentInfo, type FleetStore, type QueuedJobData, type RedisClient } from '@fleet/store';
import type { Worker } from 'bullmq';
import { executorRouter } from './executor-router.js';
import type { Executor } from './executor.js';
import { runLocally } from './local-executor.js';
import { storeLedger } from './job-ledger.js';
import { JobRunner } from './job-runner.js';
import { Slots } from './slots.js';
import { SshPool } from './ssh/ssh-pool.js';
import { ThreadPool } from './threads/thread-pool.js';
import type { TrustStore } from './trust-store.js';

export interface AgentOptions {
  store: FleetStore;
  /** The keys whose signed jobs this agent runs; it refuses every other job. */
  trust: TrustStore;
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
  /** @defaultValue 5 s */
  stopGraceMs?: number;
  /** @defaultValue 2 s */
  heartbeatIntervalMs?: number;
  /** Where diagnostics go. @defaultValue nowhere */
  log?: (line: string) => void;
}

/** A started agent. */
export interface RunningAgent {
  readonly id: string;
  /** Resolves once the agent has stopped, for whatever reason. */
  readonly closed: Promise<void>;
  /**
   * Stops taking jobs, interrupts the running ones (they end as Failed with
   * `agent shut down`, never left Running), and releases every connection.
   */
  close(): Promise<void>;
}

/**
 * Starts an agent: a BullMQ worker on the shared queue that runs jobs, says it
 * is alive every couple of seconds, acts on stop requests, fails the jobs of
 * agents that died (`agent lost`), and exits when idle if asked to.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const { store } = options;
  const concurrency = options.concurrency ?? DEFAULTS.agentConcurrency;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs;
  const log = options.log ?? (() => {});
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const serves = options.serves ?? null;
  const sshPool = new SshPool();
  const threadLimit = options.threadLimit ?? DEFAULTS.threadLimit;
  // Two warm workers cover a burst's first jobs; a node's own agent runs no thread jobs.
  const threadPool = new ThreadPool(serves === null ? Math.min(DEFAULTS.warmThreadWorkers, threadLimit) : 0);
  threadPool.fill();
  const runner = new JobRunner({
    ledger: storeLedger(store),
    agentId: id,
    executorFor: serves === null ? executorRouter(sshPool, threadPool) : onThisNode,
    stopGraceMs: options.stopGraceMs ?? DEFAULTS.stopGraceMs,
    verify: (claimed) =>
      options.trust.verify(claimed.signature, {
        prefix: store.keys.prefix,
        jobId: claimed.id,
        location: claimed.location,
        spec: claimed.spec,
      }),
    log,
  });
  const startedAt = new Date().toISOString();
  const info = (): AgentInfo => ({
    id,
    host: hostname(),
    version: FLEET_VERSION,
    pid: process.pid,
    concurrency,
    serves,
    running: runner.runningIds.length,
    startedAt,
    heartbeatAt: new Date().toISOString(),
  });
  await store.agents.beat(info());

  const subscriber = await options.connectAnother();
  await subscriber.subscribe(store.keys.controlChannel);
  subscriber.on('message', (_channel: string, text: string) => {
    const message = parseControlMessage(text);
    if (message?.op === 'stop') for (const jobId of message.ids) runner.interrupt(jobId, 'stop');
  });

  let lastBusy = Date.now();
  const threadSlots = new Slots(threadLimit);
  const { Worker } = await import('bullmq');
  const worker: Worker<QueuedJobData> = new Worker<QueuedJobData>(
    serves === null ? SHARED_QUEUE : nodeQueueName(serves),
    async (job) => {
      lastBusy = Date.now();
      try {
        // A thread job takes its slot before it is claimed, so that it waits as NotStarted.
        if (job.data.thread) await threadSlots.run(() => runner.run(job.data.id));
        else await runner.run(job.data.id);
      } finally {
        lastBusy = Date.now();
      }
    },
    {
      connection: store.client,
      prefix: store.keys.prefix,
      concurrency,
      // A job whose agent died is handed out again, which is safe: the claim
      // refuses one that had started (it fails as `agent lost`), and one whose
      // agent died before claiming it runs now instead of waiting for ever.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // How soon such a job is handed out again (BullMQ's default is 30 s).
      stalledInterval: DEFAULTS.queueStalledIntervalMs,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: 0 },
    },
  );
  worker.on('error', (error) => log(`worker error: ${error.message}`));

  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const tick = async () => {
    await store.agents.beat(info());
    await store.reap();
    await actOnStopRequests(store, runner);
    if (options.idleTimeoutMs != null && runner.runningIds.length === 0 && Date.now() - lastBusy > options.idleTimeoutMs) {
      log(`idle for ${Math.round(options.idleTimeoutMs / 1000)}s, exiting`);
      void close();
    }
  };
  const heartbeat = setInterval(() => {
    tick().catch((error: unknown) => log(`heartbeat failed: ${error instanceof Error ? error.message : String(error)}`));
  }, heartbeatIntervalMs);

  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      runner.interruptAll('shutdown');
      await worker.close();
      sshPool.close();
      await threadPool.close();
      await store.agents.remove(id).catch(() => {});
      subscriber.disconnect();
      resolveClosed();
    })();
    return closing;
  };

  log(`agent ${id} started (concurrency ${concurrency}${serves === null ? '' : `, serving ${serves}`})`);
  return { id, closed, close };
}

/** What a node's own agent runs: every child routed to it, on this machine, without SSH. */
function onThisNode(_location: string, spec: RunSpec): Executor | null {
  return spec.command.kind === 'thread' ? null : runLocally;
}

/** Belt and braces for a stop message missed while reconnecting: the record says so too. */
async function actOnStopRequests(store: FleetStore, runner: JobRunner): Promise<void> {
  const ids = runner.runningIds;
  if (ids.length === 0) return;
  for (const record of await store.jobs.records(ids)) {
    if (record.stopRequested) runner.interrupt(record.view.id, 'stop');
  }
}
