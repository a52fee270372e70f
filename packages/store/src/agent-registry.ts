import type { SealingIdentity } from '@fleet/core';
import { allowOomScript, type ScriptCall } from './allow-oom-script.js';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** What `fleet agents` shows of a live agent. */
export interface AgentInfo {
  id: string;
  host: string;
  version: string;
  pid: number;
  concurrency: number;
  /** The host entry it serves, for an agent deployed on a node; null for one that takes the shared queue. */
  serves: string | null;
  /** Jobs running on it now. */
  running: number;
  /** The ids of the jobs it runs now (missing from older agents). */
  runningIds?: number[];
  /**
   * The SSH configuration file it read when it started, the one it uses for
   * every connection (FLEET_SSH_CONFIG, else ~/.ssh/config); null for a node's
   * agent, which runs its jobs without SSH (missing from older agents).
   */
  sshConfig?: string | null;
  /** The Redis it takes jobs from, password hidden (missing from older agents). */
  redis?: string;
  /** Its idle exit, set on the agents fleet starts itself; null for one run by hand (missing from older agents). */
  idleTimeoutMs?: number | null;
  /** Told to stop: it takes no new work and exits once its jobs end (missing from older agents). */
  draining?: boolean;
  /**
   * It also takes the children routed to its own queue (`agentQueueName(id)`):
   * those of the hosts it is the one to serve while two or more such agents
   * are live. A shared agent sets it; older agents and node agents do not.
   */
  takesRouted?: boolean;
  /** Started with `--run-nothing`: the children it takes end Completed without being run (missing otherwise). */
  runsNothing?: boolean;
  /**
   * Its public sealing key and a trusted signing key's vouch for it: the CLI
   * seals `--ask-sudo-pass` to it only when the vouch holds (missing from
   * older agents, and from agents no key vouched for).
   */
  sealing?: SealingIdentity;
  startedAt: string;
  heartbeatAt: string;
}

/** KEYS: the agent's key, the set of agents; ARGV: its info (JSON), the TTL (ms), its id. */
const BEAT_LUA = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
`;

/**
 * Live agents. Each agent refreshes a key with a time-to-live; an agent whose
 * heartbeat stops drops out once the key expires, and the jobs it was running
 * are then failed as `agent lost` by the reaper.
 */
export class AgentRegistry {
  private readonly beatScript: ScriptCall;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    private readonly ttlMs: number,
  ) {
    this.beatScript = allowOomScript(client, 'fleetAgentBeat', 2, BEAT_LUA);
  }

  /**
   * Says the agent is alive. Runs while Redis is full: it rewrites one key
   * in place, and an agent whose beat failed would have its running jobs
   * reaped as `agent lost` ten seconds later.
   */
  async beat(info: AgentInfo): Promise<void> {
    await this.beatScript(this.keys.agent(info.id), this.keys.agents, JSON.stringify(info), String(this.ttlMs), info.id);
  }

  async remove(agentId: string): Promise<void> {
    await this.client.multi().del(this.keys.agent(agentId)).srem(this.keys.agents, agentId).exec();
  }

  /**
   * Every agent whose heartbeat has not expired, oldest first. An expired
   * one stays in the set until the reaper takes it out (`Transitions.reap`,
   * which hands back its queued work and has its own queue removed).
   */
  async list(): Promise<AgentInfo[]> {
    const ids = await this.client.smembers(this.keys.agents);
    if (ids.length === 0) return [];
    const values = await this.client.mget(...ids.map((id) => this.keys.agent(id)));
    const agents = values.filter((value) => value !== null).map((value) => JSON.parse(value) as AgentInfo);
    return agents.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
