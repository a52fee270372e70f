import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS } from '@fleet/core';
import { publishControl, type FleetStore } from '@fleet/store';

/**
 * Asks agents to drain through the control channel, as `fleet agent stop`
 * does, and waits up to `waitMs` for each to say so (its heartbeat's
 * `draining`) or to leave the registry. The message, not SIGTERM: agents of
 * earlier versions answer SIGTERM by stopping their jobs, but drain on the
 * message. False when one did not answer in time (an agent older than the
 * drain, or its Redis connection gone): the caller falls back to a signal.
 */
export async function askToDrain(store: FleetStore, ids: readonly string[], waitMs: number): Promise<boolean> {
  if (ids.length === 0) return true;
  await publishControl(store.client, store.keys, { op: 'drain', agents: [...ids] });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = await store.agents.list();
    const answered = (id: string) => {
      const agent = live.find((each) => each.id === id);
      return agent === undefined || agent.draining === true;
    };
    if (ids.every(answered)) return true;
    if (Date.now() >= deadline) return false;
    await delay(DEFAULTS.agentPollMs);
  }
}

/** Waits up to `waitMs` for the agents to leave the registry; true once they all have. */
export async function untilAgentsGone(store: FleetStore, ids: readonly string[], waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = new Set((await store.agents.list()).map((agent) => agent.id));
    if (ids.every((id) => !live.has(id))) return true;
    if (Date.now() >= deadline) return false;
    await delay(DEFAULTS.agentPollMs);
  }
}
