import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * A message agents act on: stop these jobs, or drain these agents (null: all
 * of them), which take no new work, finish what they run, and exit.
 */
export type ControlMessage = { op: 'stop'; ids: number[] } | { op: 'drain'; agents: string[] | null };

export async function publishControl(client: RedisClient, keys: FleetKeys, message: ControlMessage): Promise<void> {
  await client.publish(keys.controlChannel, JSON.stringify(message));
}

export function parseControlMessage(text: string): ControlMessage | null {
  try {
    const value = JSON.parse(text) as { op?: unknown; ids?: unknown; agents?: unknown };
    if (value.op === 'stop' && Array.isArray(value.ids)) return { op: 'stop', ids: value.ids.map(Number) };
    if (value.op === 'drain' && value.agents === null) return { op: 'drain', agents: null };
    if (value.op === 'drain' && Array.isArray(value.agents)) return { op: 'drain', agents: value.agents.map(String) };
  } catch {
    // Not ours; ignore.
  }
  return null;
}
