import { agentQueueName, assignByAffinity, DEFAULTS, isAgentQueueName, nodeQueueName } from '@fleet/core';
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
 * (deployed there) goes to that agent's queue and runs on the node. With
 * two or more shared agents live, a child over SSH goes to the own queue of
 * the agent its host hashes to (`assignByAffinity`): the same agent from one
 * run to the next, the one holding that host's connection. Every other job
 * goes to the shared queue, where any agent runs it locally or over SSH.
 * Each job's record says which way it went (`via`), and a routed child's
 * agent is noted (`routed`), written before it is queued so that a claim
 * always finds it, and so that the reaper sends it to the shared queue if
 * that agent goes before it starts.
 */
export class Dispatcher {
  private readonly queues = new Map<string, Promise<WorkQueue>>();
  private liveAgents: { at: number; nodeAgents: Map<string, string>; routedAgents: AgentInfo[] } | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: DispatcherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Dispatches jobs. Thread jobs (read from their records) are never routed;
   * `shared` sends children to the shared queue whatever their host
   * (failover: the reaper has already recorded why).
   */
  async dispatch(ids: readonly number[], options: { shared?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    const placements = await this.deps.placements(ids);
    // Only a child on another host can be routed: `start` jobs and thread jobs skip the lookup.
    const overSsh = (placement: LeafPlacement | undefined) => placement?.type === 'remote' && placement.location !== 'localhost';
    const routable = !options.shared && placements.some(overSsh);
    const { nodeAgents, routedAgents } = routable ? await this.agents() : { nodeAgents: new Map<string, string>(), routedAgents: [] };
    // Affinity pays only when there is a choice of agents.
    const sshLocations = placements.filter((placement) => overSsh(placement) && !nodeAgents.has(placement.location));
    const affinity =
      routedAgents.length >= 2
        ? assignByAffinity(
            sshLocations.map(({ location }) => location),
            routedAgents.map((agent) => ({ id: agent.id, weight: agent.concurrency })),
          )
        : new Map<string, string>();
    const byQueue = new Map<string, QueuedJobData[]>();
    const routes: { [Route in keyof DispatchRoutes]: DispatchRoutes[Route][number][] } = { toNodes: [], toAgents: [], via: [] };
    const enqueue = (queue: string, data: QueuedJobData) => byQueue.set(queue, [...(byQueue.get(queue) ?? []), data]);
    ids.forEach((id, index) => {
      const { location, type } = placements[index] ?? { location: '', type: '' };
      const nodeAgent = nodeAgents.get(location);
      const routedAgent = type === 'remote' ? affinity.get(location) : undefined;
      if (type === 'thread') {
        enqueue(SHARED_QUEUE, { id, thread: true });
      } else if (nodeAgent !== undefined) {
        enqueue(nodeQueueName(location), { id });
        routes.toNodes.push({ id, agentId: nodeAgent });
      } else if (routedAgent !== undefined) {
        enqueue(agentQueueName(routedAgent), { id });
        routes.toAgents.push({ id, agentId: routedAgent });
      } else {
        enqueue(SHARED_QUEUE, { id });
        if (!options.shared) routes.via.push({ id, via: location === 'localhost' ? 'local' : 'ssh' });
      }
    });
    await this.deps.transitions.route(routes);
    // BullMQ ignores an id it already holds, so dispatching twice is harmless;
    // and a job runs only if it can be claimed from NotStarted.
    await Promise.all([...byQueue].map(async ([name, jobs]) => (await this.queue(name)).addBulk(jobs)));
    await this.deps.transitions.dispatched(ids);
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) await (await queue).close();
  }

  /**
   * The live agents, read at most once a `nodeAgentsCacheMs`: node agents by
   * the entry they serve, and the shared agents that take routed work (not
   * draining), by id so that the choice does not depend on Redis' order.
   * Each read closes the queues kept for agents no longer among them.
   */
  private async agents(): Promise<{ nodeAgents: Map<string, string>; routedAgents: AgentInfo[] }> {
    if (this.liveAgents === null || this.now() - this.liveAgents.at > DEFAULTS.nodeAgentsCacheMs) {
      const nodeAgents = new Map<string, string>();
      const routedAgents: AgentInfo[] = [];
      for (const agent of await this.deps.agents()) {
        if (agent.serves !== null) nodeAgents.set(agent.serves, agent.id);
        else if (agent.takesRouted === true && agent.draining !== true && agent.concurrency > 0) routedAgents.push(agent);
      }
      routedAgents.sort((a, b) => (a.id < b.id ? -1 : 1));
      this.liveAgents = { at: this.now(), nodeAgents, routedAgents };
      await this.forgetAgentQueues(new Set(routedAgents.map((agent) => agentQueueName(agent.id))));
    }
    return this.liveAgents;
  }

  /** Closes the agent queues kept open whose agent is not in `live` (gone or draining): nothing goes there any more. */
  private async forgetAgentQueues(live: ReadonlySet<string>): Promise<void> {
    const stale = [...this.queues].filter(([name]) => isAgentQueueName(name) && !live.has(name));
    for (const [name] of stale) this.queues.delete(name);
    await Promise.all(stale.map(async ([, queue]) => (await queue).close()));
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
