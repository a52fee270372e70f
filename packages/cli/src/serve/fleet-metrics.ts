import { isFinalState, JOB_STATES } from '@fleet/core';
import { SHARED_QUEUE, type FleetShards, type FleetStore, type JobRecord } from '@fleet/store';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ProgressTally, type TalliedJob } from './progress-tally.js';

/**
 * `GET /metrics`: what Redis holds, read at scrape time (nothing is written
 * for metrics). Gauges are read as they stand; the children counters are
 * this server's tally of what moved between scrapes (see ProgressTally).
 */
export class FleetMetrics {
  private readonly registry = new Registry();
  private readonly tally = new ProgressTally();
  private readonly jobs = this.gauge('fleet_jobs', 'Top-level jobs held in Redis, by state', ['state']);
  private readonly children = this.gauge('fleet_children', 'Leaves (children, start jobs) of the jobs held, by state', ['state']);
  private readonly started = this.counter(
    'fleet_children_started_total',
    'Leaves seen to begin running by this server (not those stopped before they ran)',
  );
  private readonly finished = this.counter('fleet_children_finished_total', 'Leaves seen to finish (any way) by this server');
  private readonly failed = this.counter('fleet_children_failed_total', 'Leaves seen to fail by this server');
  private readonly durations = new Histogram({
    name: 'fleet_job_duration_seconds',
    help: 'Run time of top-level jobs, from begin to end, as this server saw them finish',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });
  private readonly unreadBytes = this.gauge('fleet_output_unread_bytes', 'Bytes of output Redis holds not yet received');
  private readonly agents = this.gauge('fleet_agents', 'Live agents (a heartbeat within its time to live)');
  private readonly queued = this.gauge('fleet_queue_waiting', 'Leaves waiting in the shared BullMQ queue for an agent');

  /** Reads Redis (every shard) and renders every metric in Prometheus' text format. */
  async scrape(shards: FleetShards): Promise<string> {
    const read = await Promise.all((await shards.all()).map(readShard));
    const roots = read.flatMap((shard) => shard.roots);
    const waiting = read.reduce((total, shard) => total + shard.waiting, 0);
    const leaves = new Map(read.flatMap((shard) => [...shard.leaves]));
    const agents = await shards.coordinator.agents.list();

    for (const state of JOB_STATES) this.jobs.set({ state }, roots.filter((root) => root.view.state === state).length);
    const sum = { completed: 0, failed: 0, stopped: 0, running: 0, waiting: 0 };
    for (const { progress } of roots) {
      sum.completed += progress.completed;
      sum.failed += progress.failed;
      sum.stopped += progress.stopped;
      sum.running += progress.running;
      sum.waiting += Math.max(0, progress.total - progress.completed - progress.failed - progress.stopped - progress.running);
    }
    for (const [state, count] of Object.entries(sum)) this.children.set({ state }, count);
    const { delta, durations } = this.tally.update(roots.map((root) => tallied(root, leaves)));
    this.started.inc(delta.started);
    this.finished.inc(delta.finished);
    this.failed.inc(delta.failed);
    for (const seconds of durations) this.durations.observe(seconds);
    this.unreadBytes.set([...leaves.values()].reduce((total, leaf) => total + leaf.unread, 0));
    this.agents.set(agents.length);
    this.queued.set(waiting);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }
}

function tallied(root: JobRecord, leaves: ReadonlyMap<number, { began: boolean }>): TalliedJob {
  const { beganAt, endedAt } = root.view;
  const leafIds = root.isParent ? root.view.childIds : [root.view.id];
  const began = leafIds.filter((id) => leaves.get(id)?.began === true).length;
  const ended = isFinalState(root.view.state);
  const durationSeconds = ended && beganAt !== null && endedAt !== null ? (Date.parse(endedAt) - Date.parse(beganAt)) / 1000 : null;
  return { id: root.view.id, progress: root.progress, began, ended, durationSeconds };
}

/** What a scrape reads of each leaf. */
interface ScrapedLeaf {
  unread: number;
  began: boolean;
}

/** One shard's share of a scrape: after reaping, its top-level jobs, its shared queue's waiting leaves, its leaves' unread bytes and start. */
async function readShard(store: FleetStore): Promise<{ roots: JobRecord[]; waiting: number; leaves: Map<number, ScrapedLeaf> }> {
  await store.reap();
  const roots = await store.jobs.roots();
  const leafIds = roots.flatMap((root) => (root.isParent ? root.view.childIds : [root.view.id]));
  const queue = `${store.keys.prefix}:${SHARED_QUEUE}`;
  const pipeline = store.client.pipeline().llen(`${queue}:wait`).zcard(`${queue}:prioritized`);
  for (const id of leafIds) pipeline.hmget(store.keys.job(id), 'unreadBytes', 'beganAt');
  const replies = ((await pipeline.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const leaves = new Map<number, ScrapedLeaf>();
  leafIds.forEach((id, index) => {
    const [unread, beganAt] = (replies[index + 2] ?? []) as (string | null)[];
    leaves.set(id, { unread: Number(unread ?? 0), began: (beganAt ?? '') !== '' });
  });
  return { roots, waiting: Number(replies[0] ?? 0) + Number(replies[1] ?? 0), leaves };
}
