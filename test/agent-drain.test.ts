import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_VERSION, nodeAgentLayout } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { startForegroundAgent } from './support/agents.js';
import { processesWith, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { fleetLoginLines } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { tmpGate } from './support/tmp-gate.js';
import { untilNoProcessesWith } from './support/processes.js';

const ssh = useSshFleet(3);

interface AgentJson {
  id: string;
  pid: number;
  serves: string | null;
  running: number;
  draining: boolean;
}

/** The agent that ran a leaf, as `get --format list` names it. */
async function via(env: FleetEnv, id: number): Promise<string> {
  const list = (await env.fleet(['get', String(id), '--format', 'list'])).stdout;
  return /^Via\s+: (.*)$/m.exec(list)?.[1] ?? '';
}

async function agentsNow(env: FleetEnv): Promise<AgentJson[]> {
  return env.json<AgentJson[]>(['agents']);
}

describe('an agent sent SIGTERM drains', () => {
  it('finishes the job it runs with all its output, takes no new work, and exits 0', async () => {
    const env = ssh.env;
    const agent = await startForegroundAgent(env);
    const gate = tmpGate(env, 'gate');
    const job = await env.json<JobJson>(['start', '--', `echo before; ${gate.wait}; echo after`]);
    await untilState(env, job.id, ['Running']);

    agent.child.kill('SIGTERM');
    await until(async () => (await agentsNow(env)).find((each) => each.pid === agent.child.pid)?.draining, {
      what: 'the agent to say it drains',
    });
    // Work queued now goes to another agent (the CLI starts one: a draining agent is not counted on).
    const later = await env.json<JobJson>(['start', '--', 'echo later']);
    await untilState(env, later.id, ['Completed']);
    const drainingId = (await agentsNow(env)).find((each) => each.pid === agent.child.pid)?.id as string;
    expect(await via(env, later.id)).not.toContain(drainingId);
    expect((await env.json<JobJson[]>(['get', String(job.id)]))[0]?.state).toBe('Running');

    await gate.open();
    expect(await agent.exited).toBe(0);
    expect(await untilState(env, job.id, ['Completed'])).toMatchObject({ state: 'Completed' });
    expect((await env.fleet(['receive', '--keep', String(job.id)])).stdout).toBe('before\nafter\n');
    expect(agent.stderr()).toMatch(/SIGTERM: draining/);
    expect(agent.stderr()).toMatch(/drained: every job it ran has ended; exiting/);
  });

  it('a second SIGTERM stops the running jobs now: the child fails agent shut down and its remote command is gone', async () => {
    const env = ssh.env;
    const host = ssh.fleet.entries[0] as string;
    const agent = await startForegroundAgent(env);
    const parent = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `echo up; ${env.sleep} 300 & ${env.sleep} 300`]);
    const child = parent.childIds[0] ?? parent.id + 1;
    await until(async () => (await env.json<JobJson[]>(['get', String(child)]))[0]?.hasMoreData, { what: 'the command to start' });
    expect(await processesWith(env.marker)).not.toEqual([]);

    agent.child.kill('SIGTERM');
    await until(async () => (await agentsNow(env)).find((each) => each.pid === agent.child.pid)?.draining, {
      what: 'the agent to say it drains',
    });
    const forcedAt = Date.now();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    console.log(`agent exited ${Date.now() - forcedAt} ms after the second SIGTERM, its SSH command stopped`);
    expect(await untilState(env, child, ['Failed'])).toMatchObject({ state: 'Failed', reason: 'agent shut down' });
    await untilNoProcessesWith(env.marker, { what: "the remote command's processes to end" });
    expect(agent.stderr()).toMatch(/SIGTERM again: stopping the running jobs now/);
    // Forced, not drained: the log does not say every job ended.
    expect(agent.stderr()).toMatch(/drain cut short: the running jobs were stopped/);
    expect(agent.stderr()).not.toMatch(/drained: every job it ran has ended/);
  });

  it('past FLEET_DRAIN_GRACE, stops what still runs as fleet stop does (agent shut down), and exits 0', async () => {
    const env = ssh.env;
    env.env.FLEET_DRAIN_GRACE = '2s';
    const agent = await startForegroundAgent(env);
    const job = await env.json<JobJson>(['start', '--', `echo up; ${env.sleep} 300`]);
    await until(async () => (await env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData, { what: 'the command to start' });
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(await untilState(env, job.id, ['Failed'])).toMatchObject({ state: 'Failed', reason: 'agent shut down' });
    expect((await env.fleet(['receive', '--keep', String(job.id)])).stdout).toBe('up\n');
    await untilNoProcessesWith(env.marker, { what: "the command's processes to end" });
    expect(agent.stderr()).toMatch(/drain grace of 2s passed: stopping the 1 job\(s\) still running \(agent shut down\)/);
  });
});

describe('fleet deploy of a new version onto a node that runs a job', () => {
  it('starts the new agent at once, lets the old one finish its job, and fails nothing', async () => {
    const env = ssh.env;
    const host = ssh.fleet.entries[1] as string;
    const nodeAgents = async () => (await agentsNow(env)).filter((each) => each.serves === host);
    expect((await env.fleet(['deploy', '-c', host], { timeoutMs: 90_000 })).code).toBe(0);
    const [old] = await nodeAgents();
    if (old === undefined) throw new Error('no node agent after deploy');

    const gate = tmpGate(env, 'node-gate');
    const parent = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `echo before; ${gate.wait}; echo after`]);
    const child = parent.childIds[0] ?? parent.id + 1;
    await until(async () => (await env.json<JobJson[]>(['get', String(child)]))[0]?.hasMoreData, { what: 'the job to start' });
    await until(async () => (await nodeAgents()).find((each) => each.id === old.id)?.running === 1, {
      what: 'the node agent to say it runs the job',
    });
    expect(await via(env, child)).toBe(`agent ${old.id}`);

    // Another version on the node, as deploy.test.ts makes one: deploy upgrades it.
    await writeFile(join(ssh.fleet.hosts[1]?.home as string, nodeAgentLayout(host).dir, 'version'), '0.0.9');
    const upgradeAt = Date.now();
    const upgraded = await env.fleet(['deploy', '-c', host], { timeoutMs: 90_000 });
    console.log(`deploy of an upgrade, the new agent up and the old one told to drain, took ${Date.now() - upgradeAt} ms`);
    expect(upgraded.code).toBe(0);
    const fresh = (await nodeAgents()).find((each) => each.id !== old.id);
    expect(upgraded.stdout).toBe(
      `${host}: upgraded 0.0.9 to ${FLEET_VERSION} (detached process; agent ${fresh?.id}); the old agent ${old.id} drains its 1 job(s), then exits\n`,
    );
    await until(async () => (await nodeAgents()).find((each) => each.id === old.id)?.draining, { what: 'the old agent to drain' });
    // By the control message, which agents of earlier versions honour too, not by SIGTERM, which they answer by stopping their jobs.
    const nodeLog = await readFile(join(ssh.fleet.hosts[1]?.home as string, nodeAgentLayout(host).dir, 'agent.log'), 'utf8');
    expect(nodeLog).toContain(`${old.id}: asked to drain by a control message`);
    expect(nodeLog).not.toMatch(/SIGTERM: draining/);

    // Work for the node now goes to the new agent, while the old one still runs its job.
    const next = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'echo next']);
    await untilState(env, next.id, ['Completed']);
    expect(await via(env, next.childIds[0] ?? next.id + 1)).toBe(`agent ${fresh?.id}`);
    expect((await env.json<JobJson[]>(['get', String(child)]))[0]?.state).toBe('Running');

    await gate.open();
    expect(await untilState(env, parent.id, ['Completed'])).toMatchObject({ state: 'Completed' });
    expect((await env.fleet(['receive', '--keep', String(parent.id)])).stdout).toBe(`${host}: before\n${host}: after\n`);
    await until(() => !isAlive(old.pid), { what: 'the old agent to exit' });
    expect((await nodeAgents()).map((each) => each.id)).toEqual([fresh?.id]);
    await env.fleet(['undeploy', '-c', host]);
  });
});

describe('fleet undeploy', () => {
  it('stops at once the jobs of the node agent and of the one still draining from an upgrade: they fail agent shut down', async () => {
    const env = ssh.env;
    const host = ssh.fleet.entries[2] as string;
    const nodeAgents = async () => (await agentsNow(env)).filter((each) => each.serves === host);
    const running = async (command: string) => {
      const parent = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', command]);
      const child = parent.childIds[0] ?? parent.id + 1;
      await until(async () => (await env.json<JobJson[]>(['get', String(child)]))[0]?.hasMoreData, { what: 'the job to start' });
      return child;
    };
    expect((await env.fleet(['deploy', '-c', host], { timeoutMs: 90_000 })).code).toBe(0);
    const [old] = await nodeAgents();
    const first = await running(`echo up; ${env.sleep} 300`);
    await until(async () => (await nodeAgents())[0]?.running === 1, { what: 'the node agent to say it runs the job' });
    await writeFile(join(ssh.fleet.hosts[2]?.home as string, nodeAgentLayout(host).dir, 'version'), '0.0.9');
    expect((await env.fleet(['deploy', '-c', host], { timeoutMs: 90_000 })).stdout).toContain('drains its 1 job(s)');
    const second = await running(`echo up; ${env.sleep} 300`);
    const pids = (await nodeAgents()).map((each) => each.pid);
    expect(pids).toHaveLength(2);
    expect(pids).toContain(old?.pid);

    const undeployAt = Date.now();
    const undeployed = await env.fleet(['undeploy', '-c', host], { timeoutMs: 90_000 });
    console.log(`undeploy of two agents running a job each took ${Date.now() - undeployAt} ms`);
    expect(undeployed.stdout).toBe(`${host}: agent stopped and removed\n`);
    for (const child of [first, second]) {
      expect(await untilState(env, child, ['Failed'])).toMatchObject({ state: 'Failed', reason: 'agent shut down' });
    }
    expect(pids.filter(isAlive)).toEqual([]);
    await untilNoProcessesWith(env.marker, { what: "the jobs' processes to end" });
  });
});

describe('a detached agent and a changed SSH configuration file', () => {
  it('uses the changed file (an Included one) for the next job, without a restart', async () => {
    const env = ssh.env;
    const included = join(env.home, 'movable.conf');
    const main = join(env.home, 'ssh_config');
    const block = (index: number) =>
      ['Host movable', `  HostName ${ssh.fleet.hosts[index]?.address}`, ...fleetLoginLines(ssh.fleet), ''].join('\n');
    await writeFile(included, block(0));
    await writeFile(main, `Include ${included}\n`);
    env.env.FLEET_SSH_CONFIG = main;
    const run = async () => {
      const job = await env.json<JobJson>(['invoke', '-c', 'movable', '--as-job', '--', 'echo "$SSH_CONNECTION"']);
      await untilState(env, job.id, ['Completed']);
      const output = (await env.fleet(['receive', '--keep', String(job.id)])).stdout;
      return { server: output.split(' ')[3], via: await via(env, job.childIds[0] ?? job.id + 1) };
    };
    const first = await run();
    expect(first.server).toBe(ssh.fleet.hosts[0]?.address);

    await writeFile(included, block(2));
    const second = await run();
    expect(second.server).toBe(ssh.fleet.hosts[2]?.address);
    // The same detached agent ran both: it read the file again, it was not restarted.
    expect(second.via).toBe(first.via);
    expect(first.via).toMatch(/^ssh, agent \S+$/);
  });
});
