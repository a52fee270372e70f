import { DEFAULTS, type Outcome } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { allowOomScript, type ScriptCall } from './allow-oom-script.js';
import { BOUNDED_TRANSITIONS, BOUNDED_TRANSITIONS_LUA, TRANSITIONS_LUA } from './transitions-lua.js';

type TransitionCommand = (key: string, ...args: (string | Buffer)[]) => Promise<unknown>;

/** A leaf job an agent has claimed: what to run and where its output goes. */
export interface ClaimedJob {
  id: number;
  rootId: number;
  location: string;
  /** The stored run spec (JSON), parsed by the caller once its signature is checked. */
  spec: string;
  /** The leaf's stored signature, or null when it has none. */
  signature: string | null;
  /** How many children its parent has (1 for a top-level leaf); the signature covers it. */
  count: number;
}

/** What the script's `create` writes: see {@link JobStore.create}, which builds it. */
export interface CreatePlan {
  rootId: number;
  rootName: string;
  /** The top-level job's hash. */
  root: Record<string, string>;
  /** The fields every child shares. */
  child: Record<string, string>;
  /** Each child's own fields, in host-list order. */
  children: readonly { id: number; name: string; location: string; signature: string }[];
  /** How many leaves (children, or the top-level leaf itself) are dispatched at once; the rest wait. */
  dispatchNow: number;
  /** When the leaves' signatures expire (ms): the watchdog fails those not started by then. */
  deadlineMs: number;
  /** For a creator that follows the output itself: how long it counts as following before its own first word. */
  followMs?: number | undefined;
}

/** Which way dispatched children go: to a node agent's own queue, or how else (`via`). */
export interface DispatchRoutes {
  /** Children sent to a node agent's own queue. */
  toNodes: readonly { id: number; agentId: string }[];
  /** Children sent to a shared agent's own queue (affinity), over SSH as any other. */
  toAgents: readonly { id: number; agentId: string }[];
  via: readonly { id: number; via: string }[];
}

/**
 * Typed calls of the transition script. Every method is one atomic round trip.
 * Times are passed in (not read from Redis) so that records carry ISO strings.
 */
export class Transitions {
  private readonly command: TransitionCommand;
  /** The same script flagged allow-oom, for the operations that must run while Redis is full. */
  private readonly boundedCommand: ScriptCall;

  constructor(
    client: RedisClient,
    private readonly keys: FleetKeys,
  ) {
    if (!('fleetTransition' in client)) {
      client.defineCommand('fleetTransition', { numberOfKeys: 1, lua: TRANSITIONS_LUA });
    }
    this.command = (client as unknown as { fleetTransition: TransitionCommand }).fleetTransition.bind(client);
    this.boundedCommand = allowOomScript(client, 'fleetBoundedTransition', 1, BOUNDED_TRANSITIONS_LUA);
  }

  private call(op: string, ...args: (string | number | Buffer)[]): Promise<unknown> {
    const argv = [this.keys.slot, op, this.keys.prefix, ...args.map((arg) => (Buffer.isBuffer(arg) ? arg : String(arg)))] as const;
    return isBounded(op) ? this.boundedCommand(...argv) : this.command(...argv);
  }

  /** Writes a new job and indexes it; returns the leaf ids to hand to BullMQ now. */
  async create(plan: CreatePlan): Promise<number[]> {
    const reply = (await this.call(
      'create',
      JSON.stringify({
        rootId: String(plan.rootId),
        rootName: plan.rootName,
        root: Object.entries(plan.root).flat(),
        child: Object.entries(plan.child).flat(),
        children: plan.children.map((child) => [String(child.id), child.name, child.location, child.signature]),
        dispatchNow: plan.dispatchNow,
        deadlineMs: plan.deadlineMs,
        ...(plan.followMs === undefined ? {} : { followMs: plan.followMs }),
      }),
    )) as string[];
    return reply.map(Number);
  }

  /** Deletes top-level jobs with their children, output and index entries. */
  async remove(rootIds: readonly number[]): Promise<void> {
    if (rootIds.length > 0) await this.call('remove', ...rootIds);
  }

  /** Drops top-level jobs whose records have expired from the list of roots. */
  async pruneRoots(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.call('pruneRoots', ...ids);
  }

  /** Records which way each dispatched child goes, before it is queued, so that a claim always finds it. */
  async route(routes: DispatchRoutes): Promise<void> {
    if (routes.toNodes.length === 0 && routes.toAgents.length === 0 && routes.via.length === 0) return;
    const pairs = (list: DispatchRoutes['toNodes']) => list.map(({ id, agentId }) => [String(id), agentId]);
    await this.call(
      'route',
      JSON.stringify({
        toNodes: pairs(routes.toNodes),
        toAgents: pairs(routes.toAgents),
        via: routes.via.map(({ id, via }) => [String(id), via]),
      }),
    );
  }

  /** Takes back the children routed to this agent's own queue that have not started; their ids, for the shared queue. */
  async release(agentId: string): Promise<number[]> {
    return ((await this.call('release', agentId)) as string[]).map(Number);
  }

  /** Leaves BullMQ now holds: the reaper need not dispatch them again. */
  async dispatched(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.call('dispatched', ...ids);
  }

  /** Moves a NotStarted job to Running for this agent; null if it is not NotStarted. */
  async claim(id: number, agentId: string, now = new Date()): Promise<ClaimedJob | null> {
    const reply = (await this.call('claim', id, agentId, now.toISOString())) as [string, string, string, string, string] | null;
    if (!reply) return null;
    return {
      id,
      spec: reply[0],
      location: reply[1],
      rootId: Number(reply[2]),
      signature: reply[3] === '' ? null : reply[3],
      count: Number(reply[4]),
    };
  }

  /**
   * Ends a running job with its outcome. Returns the pending siblings to
   * dispatch now: the next one into the slot it frees, a whole wave when it
   * ended one (--batch), or none.
   */
  async finish(id: number, outcome: Outcome, agentId: string, now = new Date()): Promise<number[]> {
    const reply = await this.call('finish', id, outcome.state, outcome.exitCode ?? '', outcome.reason ?? '', now.toISOString(), agentId);
    return Array.isArray(reply) ? reply.map(Number) : [];
  }

  /** Stops leaf jobs: NotStarted ones end now as Stopped; returns the ids still running. */
  async stop(ids: readonly number[], now = new Date()): Promise<number[]> {
    if (ids.length === 0) return [];
    const reply = (await this.call('stop', now.toISOString(), ...ids)) as string[];
    return reply.map(Number);
  }

  /**
   * Fails running jobs whose agent is gone (`agent lost`), takes back children
   * routed to the own queue of an agent that is gone or draining (a node's
   * or a shared one's), finds dispatches that never reached BullMQ, fails
   * leaves that never started before their signature expired (the
   * watchdog), and takes the agents whose record expired out of the agents
   * set. Returns the siblings to dispatch, the children to send to the
   * shared queue instead, the jobs to dispatch again, and `goneAgents`: the
   * ids taken out of the set, each returned by one reap only, whose own
   * queues the caller removes.
   */
  async reap(now = new Date()): Promise<{ dispatch: number[]; failover: number[]; redispatch: number[]; goneAgents: string[] }> {
    const reply = (await this.call('reap', now.toISOString(), DEFAULTS.redispatchAfterMs)) as [string[], string[], string[], string[]];
    return { dispatch: reply[0].map(Number), failover: reply[1].map(Number), redispatch: reply[2].map(Number), goneAgents: reply[3] };
  }

  /**
   * Appends one numbered batch of a job's output records (stream, data, ts);
   * a batch number already written is skipped, so a resend cannot duplicate.
   * stdout and stderr data are raw bytes, stored as they are. Returns how
   * many bytes of the job's output Redis now holds unreceived.
   */
  async append(
    jobId: number,
    rootId: number,
    host: string,
    outputBatch: number,
    records: readonly [string, string | Buffer, string][],
  ): Promise<number> {
    return Number(await this.call('append', jobId, rootId, host, outputBatch, ...records.flat()));
  }

  /**
   * Deletes received output entries of one top-level job and lowers the
   * unread counts: entries, and bytes by each entry's `bytes` (the length
   * of its data, which the reader has).
   */
  async acknowledge(rootId: number, entries: readonly { entryId: string; jobId: number; bytes: number }[]): Promise<void> {
    // Bounded batches keep each script call short.
    for (let start = 0; start < entries.length; start += 1000) {
      const batch = entries.slice(start, start + 1000).flatMap((entry) => [entry.entryId, String(entry.jobId), String(entry.bytes)]);
      await this.call('ack', rootId, ...batch);
    }
  }
}

function isBounded(op: string): boolean {
  return (BOUNDED_TRANSITIONS as readonly string[]).includes(op);
}
