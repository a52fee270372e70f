import { isRedisOutOfMemory } from '@fleet/core';
import type { AgentInfo, FleetShards, FleetStore } from '@fleet/store';
import type { JobRunner } from './job-runner.js';

/** What a heartbeat does to the store; {@link shardsHeartbeatTarget} is the real one. */
export interface HeartbeatTarget {
  /** Says the agent is alive, for the heartbeat TTL. */
  beat(info: AgentInfo): Promise<void>;
  /** Fails the jobs of agents that stopped beating (`agent lost`) and dispatches what that frees. */
  reap(): Promise<void>;
  /** Of these jobs, the ones whose record asks them to stop. */
  stopRequested(ids: readonly number[]): Promise<number[]>;
}

/**
 * The {@link HeartbeatTarget} over every shard (issue 21): the registry of
 * shards is read again on each beat, and `onShards` hears the shards found
 * (the agent takes work from any new one); the agent beats on each (a
 * shard's reaper reads its own copy of the agent's record), and each
 * shard's lost agents are reaped there. One shard: the store of a single
 * Redis, as before.
 */
export function shardsHeartbeatTarget(shards: FleetShards, onShards: (stores: readonly FleetStore[]) => void): HeartbeatTarget {
  return {
    beat: async (info) => {
      shards.refresh();
      const stores = await shards.all();
      onShards(stores);
      await Promise.all(stores.map((store) => store.agents.beat(info)));
    },
    reap: async () => {
      await Promise.all((await shards.all()).map((store) => store.reap()));
    },
    stopRequested: async (ids) => {
      const byShard = new Map<FleetStore, number[]>();
      for (const [id, store] of await shards.locateMany(ids)) byShard.set(store, [...(byShard.get(store) ?? []), id]);
      const records = (await Promise.all([...byShard].map(([store, held]) => store.jobs.records(held)))).flat();
      return records.filter((record) => record.stopRequested).map((record) => record.view.id);
    },
  };
}

export interface AgentHeartbeatOptions {
  target: HeartbeatTarget;
  runner: Pick<JobRunner, 'runningIds' | 'interrupt'>;
  /** The agent as it stands now (what each beat records). */
  info: () => AgentInfo;
  intervalMs: number;
  /** How long without a job running before `onIdle`; null never. */
  idleTimeoutMs: number | null;
  /** Called when the agent has been idle for `idleTimeoutMs` (it then closes itself). */
  onIdle: () => void;
  log: (line: string) => void;
  /** When Redis took the beat made before this heartbeat started (ms since the epoch). @defaultValue null: none yet */
  beatenAt?: number | null;
}

/**
 * An agent's periodic upkeep. Every `intervalMs` it says the agent is alive,
 * reaps the jobs of lost agents, interrupts the jobs whose record asks them
 * to stop (belt and braces for a stop message missed while reconnecting),
 * and, once no job has run for `idleTimeoutMs`, asks the agent to exit, even
 * while Redis is unreachable.
 */
export class AgentHeartbeat {
  private lastBusy = Date.now();
  private timer: NodeJS.Timeout | null = null;
  /** A beat is waiting for Redis. */
  private beating = false;
  private idledOut = false;
  private beatenAt: number | null;

  constructor(private readonly options: AgentHeartbeatOptions) {
    this.beatenAt = options.beatenAt ?? null;
  }

  /** When Redis last took a beat (ms since the epoch); null before the first. Its age says how stale `fleet agents` is. */
  get lastBeatAt(): number | null {
    return this.beatenAt;
  }

  /** Notes that a job started or ended: idleness counts from the last such moment. */
  busy(): void {
    this.lastBusy = Date.now();
  }

  /**
   * Beats every `intervalMs` until {@link stop}; a failed beat is logged, and
   * the next one tries again. The idle check runs every interval whatever
   * Redis does; a beat still waiting for Redis (which is away: its requests
   * wait for the reconnection) is not joined by another.
   */
  start(): void {
    this.timer ??= setInterval(() => {
      this.checkIdle();
      if (this.beating) return;
      this.beating = true;
      this.tick()
        .catch((error: unknown) => this.options.log(`heartbeat failed: ${describeBeatFailure(error)}`))
        .finally(() => (this.beating = false));
    }, this.options.intervalMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One beat: alive, reap, stop requests. */
  async tick(): Promise<void> {
    const { target } = this.options;
    await target.beat(this.options.info());
    this.beatenAt = Date.now();
    await target.reap();
    await this.actOnStopRequests();
  }

  /**
   * Once no job has run for `idleTimeoutMs`, asks the agent to exit (once).
   * Needs no Redis: idle is no job running, and an agent whose Redis is gone
   * must idle out all the same.
   */
  checkIdle(): void {
    const { runner, idleTimeoutMs } = this.options;
    if (this.idledOut || idleTimeoutMs === null || runner.runningIds.length > 0) return;
    if (Date.now() - this.lastBusy <= idleTimeoutMs) return;
    this.idledOut = true;
    this.options.log(`idle for ${Math.round(idleTimeoutMs / 1000)}s, exiting`);
    this.options.onIdle();
  }

  private async actOnStopRequests(): Promise<void> {
    const ids = this.options.runner.runningIds;
    if (ids.length === 0) return;
    for (const id of await this.options.target.stopRequested(ids)) this.options.runner.interrupt(id, 'stop');
  }
}

/** A failed beat in words: Redis full is said plainly (the beat itself runs while full; a dispatch it makes may not). */
function describeBeatFailure(error: unknown): string {
  if (isRedisOutOfMemory(error)) return 'Redis is out of memory: jobs due are handed out once memory is freed';
  return error instanceof Error ? error.message : String(error);
}
