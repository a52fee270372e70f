import { agentQueueName, assignByAffinity, nodeQueueName } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import type { AgentInfo } from './agent-registry.js';
import { Dispatcher, type LeafPlacement } from './dispatcher.js';
import { SHARED_QUEUE } from './keys.js';
import type { DispatchRoutes } from './transitions.js';
import type { QueuedJobData } from './work-queue.js';

/** A dispatcher over fakes that write every call, in order, to one log. */
function fakeDispatcher(placements: Record<number, LeafPlacement>, agents: Partial<AgentInfo>[] = []) {
  const log: (
    | { call: 'route'; routes: DispatchRoutes }
    | { call: 'addBulk'; queue: string; jobs: readonly QueuedJobData[] }
    | { call: 'dispatched'; ids: readonly number[] }
    | { call: 'agents' }
    | { call: 'open' | 'close'; queue: string }
  )[] = [];
  let clock = 1_000_000;
  const dispatcher = new Dispatcher({
    placements: (ids) => Promise.resolve(ids.map((id) => placements[id] ?? { location: '', type: '' })),
    agents: () => {
      log.push({ call: 'agents' });
      return Promise.resolve(agents.map((agent) => ({ serves: null, ...agent }) as AgentInfo));
    },
    transitions: {
      route: (routes) => Promise.resolve(void log.push({ call: 'route', routes })),
      dispatched: (ids) => Promise.resolve(void log.push({ call: 'dispatched', ids })),
    },
    openQueue: (queue) => {
      log.push({ call: 'open', queue });
      return Promise.resolve({
        addBulk: (jobs) => Promise.resolve(void log.push({ call: 'addBulk', queue, jobs })),
        close: () => Promise.resolve(void log.push({ call: 'close', queue })),
      });
    },
    now: () => clock,
  });
  return { dispatcher, log, advance: (ms: number) => (clock += ms) };
}

const ssh = (location: string): LeafPlacement => ({ location, type: 'remote' });

describe('Dispatcher', () => {
  it('sends children to the shared queue, saying which go over SSH and which run here, before it queues them', async () => {
    const { dispatcher, log } = fakeDispatcher({ 2: ssh('web1'), 3: ssh('localhost'), 4: ssh('deploy@web2:2222') });
    await dispatcher.dispatch([2, 3, 4]);
    expect(log).toEqual([
      { call: 'agents' },
      {
        call: 'route',
        routes: {
          toNodes: [],
          toAgents: [],
          via: [
            { id: 2, via: 'ssh' },
            { id: 3, via: 'local' },
            { id: 4, via: 'ssh' },
          ],
        },
      },
      { call: 'open', queue: SHARED_QUEUE },
      { call: 'addBulk', queue: SHARED_QUEUE, jobs: [{ id: 2 }, { id: 3 }, { id: 4 }] },
      { call: 'dispatched', ids: [2, 3, 4] },
    ]);
  });

  it("routes a child whose host has a live agent of its own to that agent's queue, and records the agent", async () => {
    const { dispatcher, log } = fakeDispatcher({ 2: ssh('web1'), 3: ssh('web2') }, [
      { id: 'shared-agent' },
      { id: 'node-agent', serves: 'web2' },
    ]);
    await dispatcher.dispatch([2, 3]);
    expect(log.find((entry) => entry.call === 'route')).toEqual({
      call: 'route',
      routes: { toNodes: [{ id: 3, agentId: 'node-agent' }], toAgents: [], via: [{ id: 2, via: 'ssh' }] },
    });
    const queued = log.filter((entry) => entry.call === 'addBulk');
    expect(queued).toEqual([
      { call: 'addBulk', queue: SHARED_QUEUE, jobs: [{ id: 2 }] },
      { call: 'addBulk', queue: nodeQueueName('web2'), jobs: [{ id: 3 }] },
    ]);
  });

  it('never routes a thread job to a node, and marks it so that it waits for a thread slot', async () => {
    const { dispatcher, log } = fakeDispatcher({ 5: { location: 'localhost', type: 'thread' } }, [{ id: 'n', serves: 'localhost' }]);
    await dispatcher.dispatch([5]);
    expect(log.some((entry) => entry.call === 'agents')).toBe(false);
    expect(log.find((entry) => entry.call === 'addBulk')).toEqual({
      call: 'addBulk',
      queue: SHARED_QUEUE,
      jobs: [{ id: 5, thread: true }],
    });
  });

  it('sends failovers to the shared queue whatever their host, keeping the reason the reaper recorded', async () => {
    const { dispatcher, log } = fakeDispatcher({ 2: ssh('web2') }, [{ id: 'node-agent', serves: 'web2' }]);
    await dispatcher.dispatch([2], { shared: true });
    expect(log.some((entry) => entry.call === 'agents')).toBe(false);
    expect(log.find((entry) => entry.call === 'route')).toEqual({ call: 'route', routes: { toNodes: [], toAgents: [], via: [] } });
    expect(log.find((entry) => entry.call === 'addBulk')).toMatchObject({ queue: SHARED_QUEUE, jobs: [{ id: 2 }] });
  });

  it('reads the live agents at most once per cache period, and opens each queue once', async () => {
    const { dispatcher, log, advance } = fakeDispatcher({ 2: ssh('web1'), 3: ssh('web1') });
    await dispatcher.dispatch([2]);
    await dispatcher.dispatch([3]);
    expect(log.filter((entry) => entry.call === 'agents')).toHaveLength(1);
    advance(60_000);
    await dispatcher.dispatch([3]);
    expect(log.filter((entry) => entry.call === 'agents')).toHaveLength(2);
    expect(log.filter((entry) => entry.call === 'open')).toEqual([{ call: 'open', queue: SHARED_QUEUE }]);
    await dispatcher.close();
    expect(log.at(-1)).toEqual({ call: 'close', queue: SHARED_QUEUE });
  });

  it("with two or more shared agents, routes each SSH child to its host's agent's own queue; localhost stays shared", async () => {
    const agents = [
      { id: 'agent-b', concurrency: 32, takesRouted: true },
      { id: 'agent-a', concurrency: 32, takesRouted: true },
    ];
    const hosts = Array.from({ length: 20 }, (_, index) => `web${index}`);
    const placements = Object.fromEntries(hosts.map((host, index) => [index + 2, ssh(host)]));
    const { dispatcher, log } = fakeDispatcher({ ...placements, 40: ssh('localhost') }, agents);
    const ids = [...hosts.map((_, index) => index + 2), 40];
    await dispatcher.dispatch(ids);
    const want = assignByAffinity(hosts, [
      { id: 'agent-a', weight: 32 },
      { id: 'agent-b', weight: 32 },
    ]);
    const route = log.find((entry) => entry.call === 'route') as { routes: DispatchRoutes };
    expect(route.routes.toAgents).toEqual(hosts.map((host, index) => ({ id: index + 2, agentId: want.get(host) })));
    expect(route.routes.via).toEqual([{ id: 40, via: 'local' }]);
    const queued = log.filter((entry) => entry.call === 'addBulk') as { queue: string; jobs: readonly QueuedJobData[] }[];
    expect(new Set(queued.map((entry) => entry.queue))).toEqual(
      new Set([agentQueueName('agent-a'), agentQueueName('agent-b'), SHARED_QUEUE]),
    );
    for (const { queue, jobs } of queued) {
      for (const { id } of jobs) {
        const host = hosts[id - 2];
        expect(queue).toBe(host === undefined ? SHARED_QUEUE : agentQueueName(want.get(host) as string));
      }
    }
  });

  it('closes and forgets the queue of an agent that left once the cached agents are read again', async () => {
    const agents = ['a', 'b', 'c'].map((id) => ({ id, concurrency: 8, takesRouted: true }));
    const hosts = Array.from({ length: 30 }, (_, index) => `web${index}`);
    const { dispatcher, log, advance } = fakeDispatcher(Object.fromEntries(hosts.map((host, index) => [index + 2, ssh(host)])), agents);
    const ids = hosts.map((_, index) => index + 2);
    await dispatcher.dispatch(ids);
    expect(log.filter((entry) => entry.call === 'open').map((entry) => (entry as { queue: string }).queue)).toContain(agentQueueName('c'));
    expect(log.filter((entry) => entry.call === 'close')).toEqual([]);
    agents.pop();
    advance(60_000);
    await dispatcher.dispatch(ids);
    expect(log.filter((entry) => entry.call === 'close')).toEqual([{ call: 'close', queue: agentQueueName('c') }]);
    const lastAdds = log.slice(log.findLastIndex((entry) => entry.call === 'route')).filter((entry) => entry.call === 'addBulk');
    expect(lastAdds.map((entry) => (entry as { queue: string }).queue).sort()).toEqual([agentQueueName('a'), agentQueueName('b')].sort());
    // route() before every queue's addBulk (they run together), dispatched() after them all.
    const calls = log.slice(log.findLastIndex((entry) => entry.call === 'route')).map((entry) => entry.call);
    expect(calls.at(-1)).toBe('dispatched');
    expect(calls.filter((call) => call === 'addBulk')).toHaveLength(2);
  });

  it('routes nothing to an agent that is draining, takes no routed work (older), or is alone', async () => {
    for (const agents of [
      [{ id: 'a', concurrency: 8, takesRouted: true }],
      [
        { id: 'a', concurrency: 8, takesRouted: true },
        { id: 'b', concurrency: 8, takesRouted: true, draining: true },
      ],
      [
        { id: 'a', concurrency: 8, takesRouted: true },
        { id: 'old', concurrency: 8 },
      ],
    ]) {
      const { dispatcher, log } = fakeDispatcher({ 2: ssh('web1'), 3: ssh('web2') }, agents);
      await dispatcher.dispatch([2, 3]);
      expect(log.filter((entry) => entry.call === 'addBulk')).toEqual([
        { call: 'addBulk', queue: SHARED_QUEUE, jobs: [{ id: 2 }, { id: 3 }] },
      ]);
    }
  });

  it('does nothing for no ids', async () => {
    const { dispatcher, log } = fakeDispatcher({});
    await dispatcher.dispatch([]);
    expect(log).toEqual([]);
  });
});
