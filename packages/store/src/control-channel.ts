import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** A message agents act on. */
export type ControlMessage = { op: 'stop'; ids: number[] };

export async function publishControl(client: RedisClient, keys: FleetKeys, message: ControlMessage): Promise<void> {
  await client.publish(keys.controlChannel, JSON.stringify(message));
}

export function parseControlMessage(text: string): ControlMessage | null {
  try {
    const value = JSON.parse(text) as Partial<ControlMessage>;
    if (value.op === 'stop' && Array.isArray(value.ids)) return { op: 'stop', ids: value.ids.map(Number) };
  } catch {
    // Not ours; ignore.
  }
  return null;
}
