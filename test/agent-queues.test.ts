import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { agentQueueName } from '@fleet/core';
import { FleetStore, openBullQueue, SHARED_QUEUE, type RedisClient } from '@fleet/store';
import { startRedis, type TestRedis } from './support/redis-server.js';

// The store's side of connection affinity, against a real Redis: the
// transition script's `release` and the reaper's gone agents, and the removal
// of an agent's own BullMQ queue, one that exists and one that never did.
let redis: TestRedis;
let client: Redis;
let store: FleetStore;
let round = 0;
let prefix = '';

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
});
beforeEach(async () => {
  await store?.close();
  round += 1;
  prefix = `{agentqueues${round}}`;
  store = new FleetStore({ client: client as RedisClient, prefix, heartbeatTtlMs: 10_000 });
});
afterAll(async () => {
  await store?.close();
  client?.disconnect();
  await redis?.stop();
});

/** Child records, NotStarted unless said, routed to `agentId`'s own queue (a shared agent's). */
async function routedChildren(agentId: string, ids: number[], state = 'NotStarted'): Promise<void> {
  for (const id of ids) await client.hset(`${prefix}:job:${id}`, 'id', id, 'state', state, 'location', `web${id}`, 'type', 'remote');
  await store.transitions.route({ toNodes: [], toAgents: ids.map((id) => ({ id, agentId })), via: [] });
}

/** An agent's record as its heartbeat writes it, and its place in the agents set. */
async function liveAgent(agentId: string, record: string): Promise<void> {
  await client.set(`${prefix}:agent:${agentId}`, record, 'PX', 60_000);
  await client.sadd(`${prefix}:agents`, agentId);
}

const queueKeys = (agentId: string) => client.keys(`${prefix}:${agentQueueName(agentId)}:*`);

describe('release', () => {
  it("takes back the agent's routed children that have not started, and only its own", async () => {
    await routedChildren('leaving', [2, 3]);
    await routedChildren('leaving', [4], 'Running');
    await routedChildren('staying', [5]);
    expect((await store.transitions.release('leaving')).sort()).toEqual([2, 3]);
    expect(await client.hgetall(`${prefix}:routed`)).toEqual({ 5: 'staying' });
    // Noted for dispatch, so that a reaper hands them out if the caller's dispatch never lands.
    expect((await client.zrange(`${prefix}:dispatching`, '0', '-1')).sort()).toEqual(['2', '3']);
    expect(await store.transitions.release('leaving')).toEqual([]);
  });
});

describe('reap', () => {
  it('takes agents whose record expired out of the set and returns each once; moves the routed children of those and of draining shared agents', async () => {
    await liveAgent('live', JSON.stringify({ id: 'live', draining: false, startedAt: '1' }));
    await liveAgent('draining', JSON.stringify({ id: 'draining', draining: true, takesRouted: true, startedAt: '2' }));
    await liveAgent('garbled', '{not json');
    // A node agent's queue is the node's: the agent that replaces a draining one takes what waits there.
    await liveAgent('node-draining', JSON.stringify({ id: 'node-draining', draining: true, serves: 'web9', startedAt: '3' }));
    await client.sadd(`${prefix}:agents`, 'gone');
    await routedChildren('live', [2]);
    await routedChildren('draining', [3]);
    await routedChildren('garbled', [4]);
    await routedChildren('gone', [5]);
    await routedChildren('node-draining', [6]);

    const first = await store.transitions.reap();
    expect(first.goneAgents).toEqual(['gone']);
    expect(first.failover.sort()).toEqual([3, 5]);
    expect((await client.smembers(`${prefix}:agents`)).sort()).toEqual(['draining', 'garbled', 'live', 'node-draining']);
    expect(await client.hgetall(`${prefix}:routed`)).toEqual({ 2: 'live', 4: 'garbled', 6: 'node-draining' });
    // The agent list no longer takes an expired agent out of the set: the reaper is the one place.
    await client.del(`${prefix}:agent:garbled`);
    expect((await store.agents.list()).map((agent) => agent.id).sort()).toEqual(['draining', 'live', 'node-draining']);
    expect(await client.sismember(`${prefix}:agents`, 'garbled')).toBe(1);

    const second = await store.transitions.reap();
    expect(second.goneAgents).toEqual(['garbled']);
    expect(second.failover).toEqual([4]);
    expect((await store.transitions.reap()).goneAgents).toEqual([]);
  });

  it("removes a gone agent's own queue, with what it held, and sends its unstarted children to the shared queue", async () => {
    const queue = await openBullQueue(client as RedisClient, prefix, agentQueueName('gone'));
    await queue.addBulk([{ id: 2 }]);
    await queue.close();
    await routedChildren('gone', [2]);
    await client.sadd(`${prefix}:agents`, 'gone');
    expect((await queueKeys('gone')).length).toBeGreaterThan(0);

    await store.reap();
    expect(await queueKeys('gone')).toEqual([]);
    expect(await client.exists(`${prefix}:${SHARED_QUEUE}:j2`)).toBe(1);
  });
});

describe('removeAgentQueue', () => {
  it('leaves nothing behind for an agent that never had a queue (a node agent)', async () => {
    await store.removeAgentQueue('node-agent');
    expect(await client.keys(`${prefix}:*`)).toEqual([]);
  });
});
