import { setTimeout as delay } from 'node:timers/promises';
import { UsageError } from '@fleet/core';
import { publishControl } from '@fleet/store';
import type { CliContext } from './context.js';
import { forTerminal } from './format/terminal-text.js';

/** How often `fleet agent stop` looks whether the agents it drains are gone. */
const GONE_POLL_MS = 200;

/**
 * `fleet agent stop ID...|--all`: asks the agents, through the control
 * channel, to drain (no new work; the jobs they run end as they would), and
 * waits until each has left the registry.
 */
export async function stopAgents(context: CliContext, ids: readonly string[], all: boolean): Promise<void> {
  if (all === ids.length > 0) {
    throw new UsageError('fleet agent stop takes agent ids or --all, not both nor neither', { hint: 'fleet agents lists the live ones' });
  }
  const { store } = context;
  const live = await store.agents.list();
  const unknown = ids.filter((id) => !live.some((agent) => agent.id === id));
  if (unknown.length > 0) {
    throw new UsageError(`no live agent ${unknown.join(', ')}`, {
      hint: live.length === 0 ? 'no agent is alive' : `live agents: ${live.map((agent) => agent.id).join(', ')}`,
    });
  }
  const chosen = all ? live.map((agent) => agent.id) : [...ids];
  if (chosen.length === 0) {
    process.stderr.write('fleet: no live agent to stop\n');
    return;
  }
  await publishControl(store.client, store.keys, { op: 'drain', agents: all ? null : chosen });
  process.stderr.write(`fleet: draining ${chosen.length} agent(s): they take no new work and exit once their jobs end\n`);
  let waiting = chosen;
  while (waiting.length > 0) {
    await delay(GONE_POLL_MS);
    const still = new Set((await store.agents.list()).map((agent) => agent.id));
    for (const id of waiting.filter((each) => !still.has(each))) process.stdout.write(`${forTerminal(process.stdout, `stopped ${id}`)}\n`);
    waiting = waiting.filter((each) => still.has(each));
  }
}
