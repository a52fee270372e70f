import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { hostname } from 'node:os';
import {
  agentQueueName,
  DEFAULTS,
  FLEET_VERSION,
  isRedisOutOfMemory,
  leafRank,
  nodeQueueName,
  servedLocationRefusal,
  settledWithin,
} from '@fleet/core';
import { parseControlMessage, SHARED_QUEUE, type AgentInfo, type FleetStore, type QueuedJobData } from '@fleet/store';
import type { Job, Worker } from 'bullmq';
import { AgentHeartbeat, shardsHeartbeatTarget } from './agent-heartbeat.js';
import type { AgentStats } from './agent-observer.js';
import { openJobPassword } from './agent-sealing.js';
import { resolveAgentOptions, type AgentOptions } from './agent-options.js';
import { runNothing } from './no-op-executor.js';
import { executorRouter, nodeExecutorRouter } from './executor-router.js';
import { storeLedger } from './job-ledger.js';
import { JobRunner, type JobLane } from './job-runner.js';
import { redisAnswersWithin, redisUnreachableFor } from './redis-watch.js';
import { Slots } from './slots.js';
import { sshConfigFiles } from './ssh/ssh-config-source.js';
import { reportSshConfigWarnings } from './ssh/ssh-target.js';
import { ThreadPool } from './threads/thread-pool.js';
import { WorkerErrorLog } from './worker-error-log.js';

const REDIS_FULL_WORDS = 'Redis is out of memory: no new job is taken until memory is freed (fleet receive, fleet remove)';

/** A started agent. */
export interface RunningAgent {
  readonly id: string;
  /** Resolves once the agent has stopped, for whatever reason. */
  readonly closed: Promise<void>;
  /**
   * Drains: takes no new work (its heartbeat says `draining`), lets the running
   * jobs finish within `drainGraceMs`, then closes. Past the grace, or when
   * Redis is unreachable (no end could be written), it closes at once as
   * {@link close} does. A {@link close} during the drain forces it.
   */
  drain(): Promise<void>;
  /**
   * Stops taking jobs, interrupts the running ones (they end as Failed with
   * `agent shut down`, never left Running), and releases every connection.
   * Bounded with Redis away: it resolves within `stopGraceMs` +
   * `DEFAULTS.agentCloseMs` + `DEFAULTS.agentCloseStepMs`, and the jobs whose
   * end it could not record are failed `agent lost` once Redis answers.
   */
  close(): Promise<void>;
  /** What it is doing now (for `--metrics`). */
  stats(): AgentStats;
}

/**
 * Starts an agent: BullMQ workers that run jobs from the shared queue and
 * from the agent's own queue (the children of the hosts it is the one to
 * serve: see `Dispatcher`), both within its concurrency; or, for an agent
 * deployed on a node, from that node's own queue. It says it is
 * alive every couple of seconds, acts on stop requests, fails the jobs of
 * agents that died (`agent lost`), and exits when idle if asked to.
 */
export async function startAgent(agentOptions: AgentOptions): Promise<RunningAgent> {
  const options = resolveAgentOptions(agentOptions);
  const { shards, serves, concurrency } = options;
  // The coordinator (shard 0): the agent's control channel, and the shard of a single Redis.
  const store = shards.coordinator;
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // A shared agent's own queue: dispatchers route to it the hosts whose connections it holds.
  const routedQueue = serves === null ? agentQueueName(id) : null;
  // Several agents share one log file: each line says whose it is.
  const log = (line: string) => options.log(`${id}: ${line}`);
  reportSshConfigWarnings(log);
  const sshPool = options.createSshPool(options.createClient);
  // Two warm workers cover a burst's first jobs, on a node's own agent as on any other.
  const threadPool = new ThreadPool(Math.min(DEFAULTS.warmThreadWorkers, options.threadLimit));
  threadPool.fill();
  /** What runs need of one shard: its ledger, and the signature and sealed passwords of its jobs (see JobLane). */
  const laneOf = (shard: FleetStore): JobLane => ({
    ledger: storeLedger(shard),
    verify: async (claimed) => {
      const verdict = await options.trust.verify(claimed.signature, {
        deployment: options.deployment,
        prefix: shard.keys.prefix,
        jobId: claimed.id,
        location: claimed.location,
        rank: leafRank(claimed),
        count: claimed.count,
        spec: claimed.spec,
      });
      // A node's agent runs what was signed for its own entry, whichever queue the job came by.
      const misplaced = verdict.ok && serves !== null ? servedLocationRefusal(claimed.location, serves) : null;
      return misplaced === null ? verdict : { ok: false, reason: misplaced };
    },
    openSudoPassword: (claimed) =>
      openJobPassword(shard, options.sealing, { deployment: options.deployment, agentId: id, rootId: claimed.rootId }),
  });
  const runner = new JobRunner({
    ...laneOf(store),
    agentId: id,
    executorFor: options.runNothing
      ? () => runNothing
      : serves === null
        ? executorRouter(sshPool, threadPool)
        : nodeExecutorRouter(threadPool),
    stopGraceMs: options.stopGraceMs,
    ranMemory: options.ranMemory,
    log,
    observer: options.observer,
  });
  const sealingIdentity = options.sealing?.identity(serves ?? id) ?? null;
  const startedAt = new Date().toISOString();
  let draining: Promise<void> | null = null;
  const info = (): AgentInfo => ({
    id,
    host: hostname(),
    version: FLEET_VERSION,
    pid: process.pid,
    concurrency,
    serves,
    running: runner.runningIds.length,
    runningIds: runner.runningIds,
    sshConfig: serves === null ? sshConfigFiles(process.env).userFile : null,
    ...(options.redisEndpoint === '' ? {} : { redis: options.redisEndpoint }),
    idleTimeoutMs: options.idleTimeoutMs,
    draining: draining !== null,
    ...(routedQueue === null ? {} : { takesRouted: true }),
    ...(options.runNothing ? { runsNothing: true } : {}),
    ...(sealingIdentity === null ? {} : { sealing: sealingIdentity }),
    startedAt,
    heartbeatAt: new Date().toISOString(),
  });
  // On every shard: each shard's reaper reads its own copy of the agent's record.
  const firstShards = await shards.all();
  await Promise.all(firstShards.map((shard) => shard.agents.beat(info())));
  const beatenAt = Date.now();

  // A drain asked before the worker exists starts once it does.
  let drainAsked = false;
  let startDrain: (() => void) | null = null;
  const subscriber = await options.connectAnother();
  await subscriber.subscribe(store.keys.controlChannel);
  subscriber.on('message', (_channel: string, text: string) => {
    const message = parseControlMessage(text);
    if (message?.op === 'stop') for (const jobId of message.ids) runner.interrupt(jobId, 'stop');
    if (message?.op === 'drain' && (message.agents === null || message.agents.includes(id))) {
      log('asked to drain by a control message (fleet agent stop, or fleet deploy upgrading it)');
      drainAsked = true;
      startDrain?.();
    }
  });

  const heartbeat = new AgentHeartbeat({
    target: shardsHeartbeatTarget(shards, (found) => takeWorkFrom(found)),
    runner,
    info,
    intervalMs: options.heartbeatIntervalMs,
    idleTimeoutMs: options.idleTimeoutMs,
    onIdle: () => void close(),
    log,
    beatenAt,
  });
  const threadSlots = new Slots(options.threadLimit);
  // The shared queue's worker and the own queue's share the agent's concurrency.
  const runSlots = new Slots(concurrency);
  const { Worker, WaitingError } = await import('bullmq');
  let closing: Promise<void> | null = null;
  // A job that waited for a slot while this agent began to drain or close goes back to its
  // queue's waiting list unclaimed, for another agent (or, from its own queue, for the release).
  const claimUnlessLeaving = async (job: Job<QueuedJobData>, token: string | undefined, lane: JobLane) => {
    // BullMQ stamps a job with the dispatcher's clock when it is queued: the start of its wait.
    if (draining === null && closing === null) return runner.run(job.data.id, job.timestamp, lane);
    await job.moveToWait(token);
    throw new WaitingError(`agent ${id} is leaving: job ${job.data.id} goes back to its queue`);
  };
  const runQueued = (lane: JobLane) => async (job: Job<QueuedJobData>, token?: string) => {
    heartbeat.busy();
    try {
      await runSlots.run(() =>
        // A thread job takes its slot before it is claimed, so that it waits as NotStarted.
        job.data.thread ? threadSlots.run(() => claimUnlessLeaving(job, token, lane)) : claimUnlessLeaving(job, token, lane),
      );
    } finally {
      heartbeat.busy();
    }
  };
  const workerOptions = {
    connection: store.client,
    concurrency,
    // A job whose agent died is handed out again, which is safe: the claim
    // refuses one that had started (it fails as `agent lost`), and one whose
    // agent died before claiming it runs now instead of waiting for ever.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    // How soon such a job is handed out again (BullMQ's default is 30 s).
    stalledInterval: DEFAULTS.queueStalledIntervalMs,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 0 },
  };
  const workerErrors = new WorkerErrorLog(log, DEFAULTS.agentErrorReminderMs);
  // The workers of every shard taken so far; each shard's queues are its own (issue 21).
  const workers: Worker<QueuedJobData>[] = [];
  const takenShards = new Map<string, FleetStore>();
  /**
   * Takes work from shards not taken yet: the shared queue (or, on a node,
   * the node's queue) and the agent's own queue of each, within the one
   * concurrency. Called at start and on every beat, which reads the
   * registry of shards again; never once the agent leaves.
   */
  const takeWorkFrom = (found: readonly FleetStore[]) => {
    if (draining !== null || closing !== null) return;
    for (const shard of found) {
      if (takenShards.has(shard.keys.prefix)) continue;
      takenShards.set(shard.keys.prefix, shard);
      if (takenShards.size > 1) log(`taking work from shard ${shard.keys.prefix}`);
      const processor = runQueued(laneOf(shard));
      const options = { ...workerOptions, prefix: shard.keys.prefix };
      const added = [
        new Worker<QueuedJobData>(serves === null ? SHARED_QUEUE : nodeQueueName(serves), processor, options),
        ...(routedQueue === null ? [] : [new Worker<QueuedJobData>(routedQueue, processor, options)]),
      ];
      // BullMQ's scripts refused for memory name a script digest; the log says what it means.
      for (const worker of added) {
        worker.on('error', (error) => workerErrors.error(isRedisOutOfMemory(error) ? REDIS_FULL_WORDS : error.message));
      }
      workers.push(...added);
    }
  };
  takeWorkFrom(firstShards);
  const closeWorkers = () => Promise.all(workers.map((worker) => worker.close()));
  const eachShard = async (step: (shard: FleetStore) => Promise<unknown>): Promise<void> => {
    await Promise.all([...takenShards.values()].map(step));
  };
  /** Hands the children routed to this agent's own queue, and not started, to the shared queue. */
  const giveBackRouted = () => (routedQueue === null ? Promise.resolve() : eachShard((shard) => shard.releaseRouted(id)));
  store.client.on('ready', () => workerErrors.ready());
  heartbeat.start();

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      heartbeat.stop();
      runner.interruptAll('shutdown');
      // BullMQ's close and every write wait for Redis for as long as it is away:
      // the orderly part gets its commands' stop grace and agentCloseMs, then the agent goes all the same.
      const orderly = (async () => {
        await closeWorkers();
        await giveBackRouted();
        await eachShard((shard) => shard.agents.remove(id));
        // After the agent is gone from the list: a child routed here meanwhile is the reaper's to send on.
        if (routedQueue !== null) await eachShard((shard) => shard.removeAgentQueue(id));
      })();
      const closeMs = options.stopGraceMs + DEFAULTS.agentCloseMs;
      if (!(await settledWithin(orderly, closeMs))) {
        const unrecorded = runner.runningIds.length;
        log(
          `Redis did not answer within ${Math.round(closeMs / 1000)}s: exiting without it` +
            (unrecorded === 0 ? '' : `; once it answers, another agent fails the ${unrecorded} job(s) it ran as agent lost`),
        );
        await settledWithin(Promise.all(workers.map((worker) => worker.disconnect())), DEFAULTS.agentCloseStepMs);
      }
      sshPool.close();
      await settledWithin(threadPool.close(), DEFAULTS.agentCloseStepMs);
      subscriber.disconnect();
      log('stopped');
      resolveClosed();
    })();
    return closing;
  };

  // SIGTERM, `fleet agent stop`, an upgrade: no new work, the running jobs end as they would (within the
  // drain grace), then the agent closes as on idle.
  const drain = (): Promise<void> => {
    draining ??= (async () => {
      const count = () => `${runner.runningIds.length} job(s)`;
      // A frozen Redis leaves the connection `ready`: only an answer says a job's end can be written.
      if (!(await redisAnswersWithin(store.client, DEFAULTS.redisConnectTimeoutMs))) {
        log(`draining: Redis is unreachable, so no job's end could be written: stopping the ${count()} it runs now`);
        await close();
        return;
      }
      const graceS = Math.round(options.drainGraceMs / 1000);
      log(`draining: taking no new work, finishing the ${count()} it runs within ${graceS}s, then exiting`);
      // BullMQ fetches nothing once close() has begun, and its close waits for the running jobs
      // (and for those waiting for a slot, which go back to their queue unclaimed).
      const workerClosed = closeWorkers();
      // The beat tells CLIs not to count on this agent, dispatchers not to route to it (within their
      // cache), and the reaper to send on what is routed here. Then what was routed here and has not
      // started goes to the shared queue, rather than wait for this agent's jobs to end.
      void eachShard((shard) => shard.agents.beat(info()))
        .then(giveBackRouted)
        .catch(() => {});
      const redisAway = redisUnreachableFor(store.client, DEFAULTS.agentCloseMs);
      const graceOver = new AbortController();
      try {
        const ended = await Promise.race([
          workerClosed.then(() => 'drained' as const),
          delay(options.drainGraceMs, 'grace' as const, { signal: graceOver.signal }).catch(() => 'cancelled' as const),
          redisAway.promise.then(() => 'redis' as const),
        ]);
        // A second signal (close) also ends the worker's wait: that is no drain.
        if (closing !== null) log('drain cut short: the running jobs were stopped (agent shut down)');
        else if (ended === 'drained') log('drained: every job it ran has ended; exiting');
        else if (ended === 'grace') log(`drain grace of ${graceS}s passed: stopping the ${count()} still running (agent shut down)`);
        else log(`Redis unreachable for ${DEFAULTS.agentCloseMs / 1000}s while draining: stopping the ${count()} still running`);
      } finally {
        redisAway.cancel();
        graceOver.abort();
      }
      await close();
    })();
    return draining;
  };
  startDrain = () => void drain();
  if (drainAsked) startDrain();

  log(`agent ${id} started (concurrency ${concurrency}${serves === null ? '' : `, serving ${serves}`}, deployment ${options.deployment})`);
  const stats = (): AgentStats => ({
    running: runner.runningIds.length,
    sshConnectionsOpen: sshPool.openConnections,
    lastBeatAt: heartbeat.lastBeatAt,
  });
  return { id, closed, drain, close, stats };
}
