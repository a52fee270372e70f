import { AGENT_QUEUE_EVENTS, agentQueueName, isAgentQueueName } from '@fleet/core';
import { AgentRegistry } from './agent-registry.js';
import { ChunkStore } from './chunk-store.js';
import { Dispatcher } from './dispatcher.js';
import { EventStream } from './event-stream.js';
import { JobStore } from './job-store.js';
import { fleetKeys, type FleetKeys } from './keys.js';
import { OutputStore } from './output-store.js';
import { PulledStore } from './pulled-store.js';
import { SealedSecrets } from './sealed-secrets.js';
import { openBullQueue, removeBullQueue } from './work-queue.js';
import type { RedisClient } from './redis-connection.js';
import { Transitions } from './transitions.js';

export interface FleetStoreOptions {
  client: RedisClient;
  prefix: string;
  /** The base prefix, when this store is one shard of several (see fleet-shards.ts): it holds the keys they share. @defaultValue prefix */
  coordinatorPrefix?: string;
  heartbeatTtlMs: number;
}

/** Everything fleet keeps in Redis under one prefix (one shard), over one connection. */
export class FleetStore {
  readonly keys: FleetKeys;
  readonly jobs: JobStore;
  readonly transitions: Transitions;
  readonly output: OutputStore;
  readonly events: EventStream;
  readonly chunks: ChunkStore;
  readonly pulled: PulledStore;
  readonly agents: AgentRegistry;
  readonly dispatcher: Dispatcher;
  readonly sealed: SealedSecrets;

  constructor(readonly options: FleetStoreOptions) {
    this.keys = fleetKeys(options.prefix, options.coordinatorPrefix);
    this.transitions = new Transitions(options.client, this.keys);
    this.jobs = new JobStore(options.client, this.keys, this.transitions);
    this.output = new OutputStore(options.client, this.keys);
    this.events = new EventStream(options.client, this.keys);
    this.chunks = new ChunkStore(options.client, this.keys);
    this.pulled = new PulledStore(options.client, this.keys);
    this.agents = new AgentRegistry(options.client, this.keys, options.heartbeatTtlMs);
    this.sealed = new SealedSecrets(options.client, this.keys);
    this.dispatcher = new Dispatcher({
      placements: (ids) => this.jobs.placements(ids),
      agents: () => this.agents.list(),
      transitions: this.transitions,
      openQueue: (name) =>
        openBullQueue(options.client, this.keys.prefix, name, isAgentQueueName(name) ? { eventsMaxLen: AGENT_QUEUE_EVENTS } : {}),
    });
  }

  get client(): RedisClient {
    return this.options.client;
  }

  /**
   * Fails jobs of lost agents and dispatches the siblings that frees; children
   * that waited in the own queue of an agent that is gone or draining go to
   * the shared queue, and the own queues of agents gone are removed; jobs whose
   * dispatch never reached BullMQ are dispatched again, and jobs still not
   * started when their signature expires are failed, so that no job (and no
   * parent) waits for ever.
   */
  async reap(): Promise<void> {
    const { dispatch, failover, redispatch, goneAgents } = await this.transitions.reap();
    // Each gone agent is returned by this reap only: its queue goes whether or not the dispatches
    // succeed (those are noted, and the next reap hands them out again). Its unstarted children
    // were taken back by the same reap; a node agent's id names no queue, and removing it is a no-op.
    const outcomes = await Promise.allSettled([
      this.dispatcher.dispatch([...dispatch, ...redispatch]),
      this.dispatcher.dispatch(failover, { shared: true }),
      ...goneAgents.map((agentId) => this.removeAgentQueue(agentId)),
    ]);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * An agent about to stop taking its own queue (draining) hands the
   * children routed there and not yet started to the shared queue.
   */
  async releaseRouted(agentId: string): Promise<void> {
    await this.dispatcher.dispatch(await this.transitions.release(agentId), { shared: true });
  }

  /** Removes an agent's own queue (`agentQueueName`) and what it holds: after the agent stopped taking it. */
  async removeAgentQueue(agentId: string): Promise<void> {
    await removeBullQueue(this.client, this.keys.prefix, agentQueueName(agentId));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
