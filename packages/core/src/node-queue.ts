import { createHash } from 'node:crypto';

/**
 * The BullMQ queue of the agent deployed on a node, named from the host entry
 * it serves. A hash, because entries hold characters (`:`, `@`, `[`) that
 * BullMQ uses in its own key names.
 */
export function nodeQueueName(entry: string): string {
  return `node-${createHash('sha256').update(entry).digest('hex').slice(0, 24)}`;
}
