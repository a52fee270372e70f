import { DEFAULTS, nodeQueueName } from '@fleet/core';
import type { Queue } from 'bullmq';
import type { AgentRegistry } from './agent-registry.js';
import { SHARED_QUEUE, type FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** BullMQ job data: the id (the agent reads what to run from the job record), and whether it is a thread job. */
export interface QueuedJobData {
  id: number;
  /** Thread jobs wait for one of the agent's thread slots before they are claimed. */
  thread?: boolean;
}

/** The BullMQ job id of a fleet job. BullMQ refuses integer custom ids, hence the letter. */
export function queueJobId(id: number): string {
  return `j${id}`;
}

let queueLibrary: Promise<typeof import('bullmq')> | null = null;

/**
 * Starts loading BullMQ (2 MB of JavaScript) without waiting for it, so that a
 * command about to dispatch overlaps that load with its Redis round trips.
 */
export function preloadQueueLibrary(): Promise<typeof import('bullmq')> {
  queueLibrary ??= import('bullmq');
  return queueLibrary;
}

/**
 * Hands leaf jobs to BullMQ. A child whose host has a live agent of its own
 * (deployed there) goes to that agent's queue and runs on the node; every
 * other job goes to the shared queue, where agents run it locally or over
 * SSH. Each job's record says which way it went (`via`). bullmq is imported
 * on first use, so commands that never dispatch do not pay for loading it.
 */
export class Dispatcher {
  private readonly queues = new Map<string, Promise<Queue<QueuedJobData>>>();
  private nodeAgents: { at: number; byEntry: Map<string, string> } | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    private readonly agents: AgentRegistry,
  ) {}

  /**
   * Dispatches jobs. Thread jobs (read from their records) are never routed to
   * a node; `shared` sends children to the shared queue whatever their host
   * (failover).
   */
  async dispatch(ids: readonly number[], options: { shared?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    const routes = new Map<string, number[]>();
    const threads = new Set<number>();
    const via = this.client.pipeline();
    const add = (queue: string, id: number) => routes.set(queue, [...(routes.get(queue) ?? []), id]);
    const leaves = await this.leaves(ids);
    // Only a child on another host can have a node agent: `start` jobs and thread jobs skip the lookup.
    const routable = !options.shared && leaves.some(({ location, type }) => type === 'remote' && location !== 'localhost');
    const nodeAgents = routable ? await this.liveNodeAgents() : new Map<string, string>();
    ids.forEach((id, index) => {
      const { location, type } = leaves[index] ?? { location: '', type: '' };
      const agentId = nodeAgents.get(location);
      if (type === 'thread') {
        threads.add(id);
        add(SHARED_QUEUE, id);
      } else if (agentId !== undefined) {
        add(nodeQueueName(location), id);
        via.hset(this.keys.job(id), 'via', `agent ${agentId}`);
        via.hset(this.keys.routed, String(id), agentId);
      } else {
        add(SHARED_QUEUE, id);
        if (!options.shared) via.hset(this.keys.job(id), 'via', location === 'localhost' ? 'local' : 'ssh');
      }
    });
    // Recorded before the jobs are queued, so that a claim always finds it.
    if (via.length > 0) await via.exec();
    for (const [name, queued] of routes) {
      const queue = await this.open(name);
      // BullMQ ignores an id it already holds, so dispatching twice is harmless;
      // and a job runs only if it can be claimed from NotStarted.
      const data = (id: number): QueuedJobData => (threads.has(id) ? { id, thread: true } : { id });
      await queue.addBulk(queued.map((id) => ({ name: 'run', data: data(id), opts: { jobId: queueJobId(id) } })));
    }
    await this.client.zrem(this.keys.dispatching, ...ids.map(String));
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) await (await queue).close();
  }

  private async leaves(ids: readonly number[]): Promise<{ location: string; type: string }[]> {
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.job(id), 'location', 'type');
    return ((await pipeline.exec()) ?? []).map(([, value]) => {
      const [location, type] = (value as (string | null)[] | null) ?? [];
      return { location: location ?? '', type: type ?? '' };
    });
  }

  private async liveNodeAgents(): Promise<Map<string, string>> {
    if (this.nodeAgents === null || Date.now() - this.nodeAgents.at > DEFAULTS.nodeAgentsCacheMs) {
      const byEntry = new Map<string, string>();
      for (const agent of await this.agents.list()) if (agent.serves !== null) byEntry.set(agent.serves, agent.id);
      this.nodeAgents = { at: Date.now(), byEntry };
    }
    return this.nodeAgents.byEntry;
  }

  private open(name: string): Promise<Queue<QueuedJobData>> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = preloadQueueLibrary().then(
        ({ Queue }) =>
          new Queue<QueuedJobData>(name, {
            connection: this.client,
            prefix: this.keys.prefix,
            defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
          }),
      );
      this.queues.set(name, queue);
    }
    return queue;
  }
}
