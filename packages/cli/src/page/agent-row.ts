import type { Agent } from './api-shapes.js';

/** What a row of the Agents tab shows of an agent: text and job ids only. */
export interface AgentRow {
  id: string;
  draining: boolean;
  host: string;
  pid: string;
  serves: string;
  running: string;
  concurrency: string;
  runningIds: number[];
  heartbeatAt: string;
  version: string;
}

/**
 * An agent's record as the row shows it. The record is whatever JSON an
 * agent's key in Redis holds, and anyone who can write Redis can forge one: a
 * field of another type shows as its JSON, and running ids that are not a
 * list of integers are left out, so one bad record cannot break the tab.
 */
export function agentRow(agent: Agent): AgentRow {
  const text = (value: unknown): string => {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value) ?? '';
  };
  const ids: unknown = agent.runningIds;
  return {
    id: text(agent.id),
    draining: agent.draining === true,
    host: text(agent.host),
    pid: text(agent.pid),
    serves: agent.serves === null || agent.serves === undefined ? 'the shared queue' : text(agent.serves),
    running: text(agent.running),
    concurrency: text(agent.concurrency),
    runningIds: Array.isArray(ids) ? ids.filter((id): id is number => Number.isSafeInteger(id)) : [],
    heartbeatAt: text(agent.heartbeatAt),
    version: text(agent.version),
  };
}
