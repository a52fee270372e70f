// The soak's fault injector: a fault every few seconds, each undone after a
// short random time, in an order drawn from the soak's seed.
import { setTimeout as delay } from 'node:timers/promises';
import type { TestRedis } from '../redis-server.js';
import type { SshFleet } from '../ssh-fleet.js';
import type { SoakAgents } from './agents.js';
import type { Random } from './random.js';

export const FAULT_KINDS = ['agent SIGKILL', 'agent restart (SIGTERM)', 'redis crash and restart', 'sshd stop', 'sshd freeze'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTargets {
  agents: SoakAgents;
  /** Agent slots that are never touched, so that one agent lives through the whole run (its memory is the one judged over it). */
  steadySlots: number;
  redis: TestRedis;
  fleet: SshFleet;
}

export interface FaultTiming {
  /** Between two faults: [min, max] ms. */
  everyMs: [number, number];
  /** Before a fault is undone (restart, thaw): [min, max] ms. */
  undoAfterMs: [number, number];
}

export interface FaultInjector {
  /** Faults injected so far, by kind. */
  counts: Record<FaultKind, number>;
  /** What did not go as planned (an agent that would not exit on SIGTERM). */
  notes: string[];
  /** Stops injecting, and waits for every fault in flight to be undone. */
  stop(): Promise<void>;
}

export function startFaults(targets: FaultTargets, random: Random, timing: FaultTiming, log: (line: string) => void): FaultInjector {
  const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const notes: string[] = [];
  const busy = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let bag: FaultKind[] = [];

  // Each kind comes once in every round of five, in a shuffled order: a short run still meets them all.
  const nextKind = (): FaultKind => {
    if (bag.length === 0) bag = random.shuffle(FAULT_KINDS);
    return bag.shift() as FaultKind;
  };
  const free = (names: string[]) => names.filter((name) => !busy.has(name));

  /** A fault on `claim`: `act`, a short random wait, then `undo`. */
  const fault = (claim: string, act: () => Promise<unknown>, undo: () => unknown) => ({
    claim,
    async run() {
      await act();
      await delay(random.between(...timing.undoAfterMs));
      await undo();
    },
  });
  const inject = async (kind: FaultKind): Promise<{ claim: string; run: () => Promise<void> } | null> => {
    const hosts = free(targets.fleet.hosts.map((host) => `host ${host.index}`));
    const { agents, redis, fleet } = targets;
    const agentSlots = kind.startsWith('agent') ? await busiestAgents(agents, targets.steadySlots, random) : [];
    const candidates = kind.startsWith('agent')
      ? free(agentSlots.map((slot) => `agent ${slot}`))
      : kind.startsWith('sshd')
        ? hosts
        : free(['redis']);
    if (candidates.length === 0) return null;
    // The busiest agent: a fault that meets no command proves little.
    const name = kind.startsWith('agent') ? (candidates[0] as string) : random.pick(candidates);
    const index = Number(name.split(' ')[1]);
    switch (kind) {
      case 'agent SIGKILL':
        return fault(
          name,
          () => agents.signal(index, 'SIGKILL'),
          () => agents.start(index),
        );
      case 'agent restart (SIGTERM)':
        return fault(
          name,
          async () => {
            if (await agents.signal(index, 'SIGTERM')) return;
            notes.push(`agent in slot ${index} did not exit within 60 s of SIGTERM; SIGKILLed`);
            await agents.signal(index, 'SIGKILL');
          },
          () => agents.start(index),
        );
      case 'redis crash and restart':
        return fault(
          name,
          () => redis.kill(),
          () => redis.start(),
        );
      case 'sshd stop':
        return fault(
          name,
          () => fleet.stopHost(index),
          () => fleet.startHost(index),
        );
      case 'sshd freeze':
        return fault(
          name,
          () => fleet.freeze(index),
          () => fleet.thaw(index),
        );
    }
  };

  const loop = (async () => {
    while (!stopping) {
      await delay(random.between(...timing.everyMs));
      if (stopping) break;
      // A kind whose targets are all busy waits for the next round; the next kind is tried instead.
      const skipped: FaultKind[] = [];
      let kind = nextKind();
      let injected = await inject(kind);
      while (injected === null && skipped.length < FAULT_KINDS.length - 1) {
        skipped.push(kind);
        kind = nextKind();
        injected = await inject(kind);
      }
      bag.push(...skipped);
      if (injected === null) {
        bag.push(kind);
        continue;
      }
      counts[kind] += 1;
      log(`fault: ${kind}`);
      const { claim } = injected;
      busy.add(claim);
      const running: Promise<void> = injected
        .run()
        .catch((error: unknown) => void notes.push(`${kind} failed: ${String(error)}`))
        .finally(() => {
          busy.delete(claim);
          inFlight.delete(running);
        });
      inFlight.add(running);
    }
  })();

  return {
    counts,
    notes,
    async stop() {
      stopping = true;
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}

/** The faultable agents' slots, the one running the most jobs first (a random order when Redis does not say). */
async function busiestAgents(agents: SoakAgents, steadySlots: number, random: Random): Promise<number[]> {
  const running = await agents.runningBySlot();
  return random
    .shuffle(agents.liveSlots().filter((slot) => slot >= steadySlots))
    .sort((a, b) => (running.get(b) ?? 0) - (running.get(a) ?? 0));
}
