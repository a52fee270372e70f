import { DEFAULTS, nodeQueueName } from '@fleet/core';
import type { AgentInfo } from './agent-registry.js';
import { SHARED_QUEUE } from './keys.js';
import type { DispatchRoutes, Transitions } from './transitions.js';
import type { QueuedJobData, WorkQueue } from './work-queue.js';

/** Where a leaf runs and how, as its record says: what routing needs of it. */
export interface LeafPlacement {
  location: string;
  type: string;
}

/** What a dispatcher reads and writes; the store passes the real ones, unit tests fakes. */
export interface DispatcherDeps {
  /** Each leaf's placement, in the order of `ids` (empty strings for one that is gone). */
  placements(ids: readonly number[]): Promise<LeafPlacement[]>;
  /** The live agents. */
  agents(): Promise<AgentInfo[]>;
  transitions: Pick<Transitions, 'route' | 'dispatched'>;
  /** Opens a BullMQ queue by name (once per name; the dispatcher keeps it). */
  openQueue(name: string): Promise<WorkQueue>;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * Hands leaf jobs to BullMQ. A child whose host has a live agent of its own
 * (deployed there) goes to that agent's queue and runs on the node; every
 * other job goes to the shared queue, where agents run it locally or over
 * SSH. Each job's record says which way it went (`via`), written before it
 * is queued so that a claim always finds it.
 */
export class Dispatcher {
  private readonly queues = new Map<string, Promise<WorkQueue>>();
  private nodeAgents: { at: number; byEntry: Map<string, string> } | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Dispatches jobs. Thread jobs (read from their records) are never routed to
   * a node; `shared` sends children to the shared queue whatever their host
   * (failover: the reaper has already recorded why).
   */
  async dispatch(ids: readonly number[], options: { shared?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    const placements = await this.deps.placements(ids);
    // Only a child on another host can have a node agent: `start` jobs and thread jobs skip the lookup.
    const routable = !options.shared && placements.some(({ location, type }) => type === 'remote' && location !== 'localhost');
    const nodeAgents = routable ? await this.liveNodeAgents() : new Map<string, string>();
    const byQueue = new Map<string, QueuedJobData[]>();
    const routes: { toNodes: DispatchRoutes['toNodes'][number][]; via: DispatchRoutes['via'][number][] } = { toNodes: [], via: [] };
    const enqueue = (queue: string, data: QueuedJobData) => byQueue.set(queue, [...(byQueue.get(queue) ?? []), data]);
    ids.forEach((id, index) => {
      const { location, type } = placements[index] ?? { location: '', type: '' };
      const agentId = nodeAgents.get(location);
      if (type === 'thread') {
        enqueue(SHARED_QUEUE, { id, thread: true });
      } else if (agentId !== undefined) {
        enqueue(nodeQueueName(location), { id });
        routes.toNodes.push({ id, agentId });
      } else {
        enqueue(SHARED_QUEUE, { id });
        if (!options.shared) routes.via.push({ id, via: location === 'localhost' ? 'local' : 'ssh' });
      }
    });
    await this.deps.transitions.route(routes);
    for (const [name, jobs] of byQueue) {
      // BullMQ ignores an id it already holds, so dispatching twice is harmless;
      // and a job runs only if it can be claimed from NotStarted.
      await (await this.queue(name)).addBulk(jobs);
    }
    await this.deps.transitions.dispatched(ids);
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) await (await queue).close();
  }

  private async liveNodeAgents(): Promise<Map<string, string>> {
    if (this.nodeAgents === null || this.now() - this.nodeAgents.at > DEFAULTS.nodeAgentsCacheMs) {
      const byEntry = new Map<string, string>();
      for (const agent of await this.deps.agents()) if (agent.serves !== null) byEntry.set(agent.serves, agent.id);
      this.nodeAgents = { at: this.now(), byEntry };
    }
    return this.nodeAgents.byEntry;
  }

  private queue(name: string): Promise<WorkQueue> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = this.deps.openQueue(name);
      this.queues.set(name, queue);
    }
    return queue;
  }
}
