import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentQueueName } from '@fleet/core';
import { SHARED_QUEUE } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { startForegroundAgent, type AgentJson } from './support/agents.js';
import { until } from './support/poll.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// Several agents on one Redis: each host's children go to the agent that
// holds its connection (its own queue), the same one from run to run; an
// agent that goes, or drains, hands what waited in its queue to the others.
const ssh = useSshFleet(8);

/** Which agent ran each child of a job, by host entry, read from the records in Redis. */
async function agentsByHost(parent: JobJson): Promise<Map<string, string>> {
  const client = ssh.redis.client();
  const byHost = new Map<string, string>();
  for (const id of parent.childIds) {
    const [location, agentId] = await client.hmget(`${ssh.env.prefix}:job:${id}`, 'location', 'agentId');
    byHost.set(location as string, agentId as string);
  }
  client.disconnect();
  return byHost;
}

/** A command that notes its run in the host's home, then waits while `~/hold` is there. */
const NOTE_AND_HOLD = 'echo run >> ~/runs; while [ -e ~/hold ]; do sleep 0.05; done';

const homeOf = (entry: string) => ssh.fleet.hosts[ssh.fleet.entries.indexOf(entry)]!.home;

async function runsOn(entry: string): Promise<number> {
  return (await readFile(join(homeOf(entry), 'runs'), 'utf8').catch(() => '')).split('\n').length - 1;
}

async function fanOut(command: string): Promise<JobJson> {
  return ssh.env.json<JobJson>(['invoke', '-f', ssh.fleet.computersFile, '--as-job', '--', command]);
}

/** BullMQ's keys of one agent's own queue (`agent-<hash>`; fleet's agent records are `agent:<id>`). */
async function queueKeysOf(agentId: string): Promise<string[]> {
  const client = ssh.redis.client();
  const keys = await client.keys(`${ssh.env.prefix}:${agentQueueName(agentId)}:*`);
  client.disconnect();
  return keys;
}

/** The id of the agent a `startForegroundAgent` started. */
async function idOf(agent: { child: { pid?: number | undefined } }): Promise<string> {
  const found = (await ssh.env.json<AgentJson[]>(['agents'])).find((listed) => listed.pid === agent.child.pid);
  if (found === undefined) throw new Error(`agent pid ${agent.child.pid} is not listed`);
  return found.id;
}

/** How many BullMQ jobs of the shared queue are active: fetched by an agent's worker, claimed or waiting for a slot. */
async function sharedActive(): Promise<number> {
  const client = ssh.redis.client();
  const count = await client.llen(`${ssh.env.prefix}:${SHARED_QUEUE}:active`);
  client.disconnect();
  return count;
}

async function clearHomes(): Promise<void> {
  for (const host of ssh.fleet.hosts) {
    await rm(join(host.home, 'runs'), { force: true });
    await rm(join(host.home, 'hold'), { force: true });
  }
}

describe('several agents', () => {
  it("run each host's children on the same agent from one fan-out to the next, and share the hosts", async () => {
    await startForegroundAgent(ssh.env, ['--concurrency', '4']);
    await startForegroundAgent(ssh.env, ['--concurrency', '4']);
    const agents = (await ssh.env.json<AgentJson[]>(['agents'])).map((agent) => agent.id);
    const first = await fanOut('true');
    await untilState(ssh.env, first.id, ['Completed']);
    const second = await fanOut('true');
    await untilState(ssh.env, second.id, ['Completed']);

    const before = await agentsByHost(first);
    expect(await agentsByHost(second)).toEqual(before);
    expect(new Set(before.values())).toEqual(new Set(agents));
    const children = await ssh.env.json<JobJson[]>(['get', String(second.id), '--children']);
    expect(children.slice(1).every((child) => child.state === 'Completed')).toBe(true);
  });

  it('an agent killed with children waiting in its own queue: the other agent runs them, each once; the running one is agent lost; its queue goes', async () => {
    await clearHomes();
    const doomed = await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    const doomedId = (await ssh.env.json<AgentJson[]>(['agents'])).find((agent) => agent.pid === doomed.child.pid)?.id;
    const mapping = await agentsByHost(await untilState(ssh.env, (await fanOut('true')).id, ['Completed']));
    const doomedHosts = [...mapping].filter(([, agent]) => agent === doomedId).map(([host]) => host);
    expect(doomedHosts.length).toBeGreaterThanOrEqual(2);

    for (const host of ssh.fleet.hosts) await writeFile(join(host.home, 'hold'), '');
    const parent = await fanOut(NOTE_AND_HOLD);
    // One child runs on each agent; the rest wait, the doomed agent's in its own queue.
    await until(async () => (await Promise.all(ssh.fleet.entries.map(runsOn))).reduce((a, b) => a + b) === 2, {
      what: 'one child to start on each agent',
    });
    expect(await queueKeysOf(doomedId as string)).not.toEqual([]);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    for (const host of ssh.fleet.hosts) await rm(join(host.home, 'hold'), { force: true });

    const done = await untilState(ssh.env, parent.id, ['Failed'], 90_000);
    const children = (await ssh.env.json<JobJson[]>(['get', String(done.id), '--children'])).slice(1);
    expect(children.filter((child) => child.state === 'Failed')).toEqual([expect.objectContaining({ reason: 'agent lost' })]);
    expect(children.filter((child) => child.state === 'Completed')).toHaveLength(7);
    for (const entry of ssh.fleet.entries) expect(await runsOn(entry)).toBe(1);
    // The doomed agent's queue went when its children were sent on.
    await until(async () => (await queueKeysOf(doomedId as string)).length === 0, { what: "the lost agent's queue to be removed" });
  });

  it('an agent asked to drain hands what waits in its own queue to the other at once, and removes its queue when it exits', async () => {
    await clearHomes();
    const draining = await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    const drainingId = (await ssh.env.json<AgentJson[]>(['agents'])).find((agent) => agent.pid === draining.child.pid)?.id as string;
    const mapping = await agentsByHost(await untilState(ssh.env, (await fanOut('true')).id, ['Completed']));
    const itsHosts = [...mapping].filter(([, agent]) => agent === drainingId).map(([host]) => host);
    expect(itsHosts.length).toBeGreaterThanOrEqual(2);

    // Its hosts hold; the other agent's run through.
    for (const host of itsHosts) await writeFile(join(homeOf(host), 'hold'), '');
    const parent = await fanOut(NOTE_AND_HOLD);
    const held = await until(
      async () => (await Promise.all(itsHosts.map(async (host) => ((await runsOn(host)) === 1 ? host : null)))).find(Boolean),
      {
        what: 'the draining agent to run one of its hosts',
      },
    );
    if (held === null || held === undefined) throw new Error('no held host');
    // The others of its hosts may go on once another agent takes them.
    for (const host of itsHosts.filter((entry) => entry !== held)) await rm(join(homeOf(host), 'hold'), { force: true });
    const stop = ssh.env.fleet(['agent', 'stop', drainingId], { timeoutMs: 120_000 });

    // Its waiting children run on the other agent while its own child is still held.
    const children = async () => (await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    await until(async () => (await children()).filter((child) => child.state === 'Completed').length === 7, {
      what: 'every child but the held one to complete',
      timeoutMs: 60_000,
    });
    const byHost = await agentsByHost(parent);
    for (const host of itsHosts.filter((entry) => entry !== held)) expect(byHost.get(host)).not.toBe(drainingId);
    expect((await children()).find((child) => child.location === held)?.state).toBe('Running');

    await rm(join(homeOf(held), 'hold'), { force: true });
    expect((await stop).code).toBe(0);
    expect(await draining.exited).toBe(0);
    await untilState(ssh.env, parent.id, ['Completed']);
    for (const entry of ssh.fleet.entries) expect(await runsOn(entry)).toBe(1);
    expect(await queueKeysOf(drainingId)).toEqual([]);
  });
  it('an agent killed after all its routed children completed: its queue, which existed, goes', async () => {
    const doomed = await startForegroundAgent(ssh.env, ['--concurrency', '2']);
    await startForegroundAgent(ssh.env, ['--concurrency', '2']);
    const doomedId = await idOf(doomed);
    const mapping = await agentsByHost(await untilState(ssh.env, (await fanOut('true')).id, ['Completed']));
    expect([...mapping.values()]).toContain(doomedId);
    expect(await queueKeysOf(doomedId)).not.toEqual([]);

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // Nothing waited in it: the reaper finds the agent gone from the agents set, not from a routed child.
    await until(async () => (await queueKeysOf(doomedId)).length === 0, {
      what: "the killed agent's queue to be removed",
      timeoutMs: 60_000,
    });
  });

  it('a job waiting for a slot in an agent that begins to drain goes back unclaimed, and runs on an agent that is not leaving', async () => {
    await clearHomes();
    const first = await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    const second = await startForegroundAgent(ssh.env, ['--concurrency', '1']);
    const leaving = [await idOf(first), await idOf(second)];
    for (const host of ssh.fleet.hosts) await writeFile(join(host.home, 'hold'), '');
    const parent = await fanOut(NOTE_AND_HOLD);
    // Each agent runs one held child from its own queue, its one slot taken.
    await until(async () => (await Promise.all(ssh.fleet.entries.map(runsOn))).reduce((a, b) => a + b) === 2, {
      what: 'one held child to run on each agent',
    });
    // A job of the shared queue: one agent's shared worker fetches it, and it waits there for the slot.
    const queued = await ssh.env.json<JobJson>(['start', '--', 'true']);
    await until(async () => (await sharedActive()) === 1, { what: 'an agent to fetch the shared job into its slot gate' });

    const stop = ssh.env.fleet(['agent', 'stop', '--all'], { timeoutMs: 120_000 });
    await until(() => [first, second].every((agent) => agent.stderr().includes('draining: taking no new work')), {
      what: 'both agents to drain',
    });
    // Their held children end, which frees the slot the queued job waited for.
    for (const host of ssh.fleet.hosts) await rm(join(host.home, 'hold'), { force: true });
    expect((await stop).code).toBe(0);
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect((await ssh.env.json<JobJson[]>(['get', String(queued.id)]))[0]?.state).toBe('NotStarted');

    const next = await startForegroundAgent(ssh.env, ['--concurrency', '4']);
    const nextId = await idOf(next);
    await untilState(ssh.env, queued.id, ['Completed']);
    const client = ssh.redis.client();
    const ranBy = await client.hget(`${ssh.env.prefix}:job:${queued.id}`, 'agentId');
    client.disconnect();
    expect(ranBy).toBe(nextId);
    expect(leaving).not.toContain(ranBy);
    await untilState(ssh.env, parent.id, ['Completed']);
    for (const entry of ssh.fleet.entries) expect(await runsOn(entry)).toBe(1);
  });
});
