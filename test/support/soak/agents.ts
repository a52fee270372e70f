// The soak's own foreground agents, one per slot, and their memory over time.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FLEET_BIN, runFleet } from '../fleet-cli.js';
import { isAlive, until } from '../poll.js';
import type { AgentMemory } from './invariants.js';

export interface SoakAgentsOptions {
  env: NodeJS.ProcessEnv;
  slots: number;
  concurrency: number;
  /** Where every agent's standard error goes. */
  logFile: string;
  /** How often each live agent's VmRSS is read. */
  sampleEveryMs: number;
}

/**
 * `fleet agent` processes the soak starts, kills and restarts, by slot. Each
 * process (a restart is a new one) keeps its own series of RSS samples from
 * /proc/PID/status.
 */
export class SoakAgents {
  private readonly running = new Map<number, { child: ChildProcess; memory: AgentMemory; startedAt: number }>();
  private readonly memoryOfAll: AgentMemory[] = [];
  private readonly log: number;
  private readonly sampler: NodeJS.Timeout;

  constructor(private readonly options: SoakAgentsOptions) {
    this.log = openSync(options.logFile, 'a');
    this.sampler = setInterval(() => void this.sample(), options.sampleEveryMs);
  }

  start(slot: number): number {
    const child = spawn(process.execPath, [FLEET_BIN, 'agent', '--concurrency', String(this.options.concurrency)], {
      env: this.options.env,
      cwd: this.options.env.HOME,
      stdio: ['ignore', this.log, this.log],
    });
    const memory: AgentMemory = { pid: child.pid as number, slot, samples: [] };
    this.memoryOfAll.push(memory);
    this.running.set(slot, { child, memory, startedAt: Date.now() });
    return child.pid as number;
  }

  /** Slots whose agent is alive. */
  liveSlots(): number[] {
    return [...this.running.entries()].filter(([, agent]) => isAlive(agent.child.pid as number)).map(([slot]) => slot);
  }

  pids(): number[] {
    return [...this.running.values()].map((agent) => agent.child.pid as number);
  }

  /** Sends `signal` to a slot's agent and waits (up to `timeoutMs`) for it to exit; false if it did not. */
  async signal(slot: number, signal: NodeJS.Signals, timeoutMs = 60_000): Promise<boolean> {
    const agent = this.running.get(slot);
    if (!agent) return true;
    const pid = agent.child.pid as number;
    agent.child.kill(signal);
    const exited = await until(() => !isAlive(pid), { what: `agent ${pid} to exit`, timeoutMs, intervalMs: 50 }).then(
      () => true,
      () => false,
    );
    if (exited) this.running.delete(slot);
    return exited;
  }

  /** Starts an agent in every slot that has none alive. */
  fill(): void {
    for (let slot = 0; slot < this.options.slots; slot += 1) {
      const agent = this.running.get(slot);
      if (!agent || !isAlive(agent.child.pid as number)) this.start(slot);
    }
  }

  /** How many jobs each slot's agent runs, as `fleet agents --json` says (empty while Redis is down). */
  async runningBySlot(): Promise<Map<number, number>> {
    const listed = await runFleet(['agents', '--json'], { env: this.options.env, timeoutMs: 20_000 });
    const running = new Map<number, number>();
    if (listed.code !== 0) return running;
    const byPid = new Map((JSON.parse(listed.stdout) as { pid: number; running: number }[]).map((agent) => [agent.pid, agent.running]));
    for (const [slot, agent] of this.running) running.set(slot, byPid.get(agent.child.pid as number) ?? 0);
    return running;
  }

  memory(): AgentMemory[] {
    return this.memoryOfAll;
  }

  stopSampling(): void {
    clearInterval(this.sampler);
  }

  /** SIGKILLs every agent still alive (SIGCONT first, in case one was stopped). */
  async killAll(): Promise<void> {
    this.stopSampling();
    for (const [slot, agent] of this.running) {
      agent.child.kill('SIGCONT');
      await this.signal(slot, 'SIGKILL', 10_000);
    }
    closeSync(this.log);
  }

  private async sample(): Promise<void> {
    for (const agent of this.running.values()) {
      const status = await readFile(`/proc/${agent.child.pid}/status`, 'utf8').catch(() => '');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      if (rss !== undefined) agent.memory.samples.push({ atMs: Date.now() - agent.startedAt, rssKiB: Number(rss) });
    }
  }
}
