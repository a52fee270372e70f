import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith } from './support/fleet-env.js';
import { startForegroundAgent, type AgentJson } from './support/agents.js';
import { until } from './support/poll.js';
import { parseAllRecords, untilState, useFleet, type JobJson } from './support/use-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

const fleet = useFleet();

const foregroundAgent = (args: string[] = []) => startForegroundAgent(fleet.env, args);

describe('fleet agent', () => {
  it('runs at most --concurrency jobs at once', async () => {
    await foregroundAgent(['--concurrency', '1']);
    const gate = join(fleet.env.home, 'gate');
    const command = `while [ ! -e '${gate}' ]; do sleep 0.05; done # ${fleet.env.marker}`;
    const first = await fleet.env.json<JobJson>(['start', '--', command]);
    const second = await fleet.env.json<JobJson>(['start', '--', command]);
    await untilState(fleet.env, first.id, ['Running']);
    const agents = await fleet.env.json<AgentJson[]>(['agents']);
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({ concurrency: 1 });
    expect((await fleet.env.json<JobJson[]>(['get', String(second.id)]))[0]?.state).toBe('NotStarted');
    await appendFile(gate, '');
    await untilState(fleet.env, first.id, ['Completed']);
    await untilState(fleet.env, second.id, ['Completed']);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('drains on %s, and a second one stops the jobs it was running', async (signal) => {
    const agent = await foregroundAgent();
    const job = await fleet.env.json<JobJson>(['start', '--', `echo up; ${fleet.env.sleep} 300`]);
    await untilState(fleet.env, job.id, ['Running']);
    agent.child.kill(signal);
    // The first signal drains (test/agent-drain.test.ts): the job runs on.
    await until(() => agent.stderr().includes('draining: taking no new work'), { what: 'the agent to drain' });
    agent.child.kill(signal);
    expect(await agent.exited).toBe(0);
    const ended = (await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0];
    expect(ended).toMatchObject({ state: 'Failed', reason: 'agent shut down' });
    expect(await processesWith(fleet.env.marker)).toEqual([]);
    expect(await fleet.env.json<AgentJson[]>(['agents'])).toEqual([]);
    expect(agent.stderr()).toContain(`${signal}: draining`);
    expect(agent.stderr()).toContain(`${signal} again: stopping the running jobs now`);
  });
});

describe('at most once', () => {
  it('fails a job whose agent died mid-command as agent lost, and never runs it again', async () => {
    const agent = await foregroundAgent();
    const counter = join(fleet.env.home, 'runs');
    const job = await fleet.env.json<JobJson>(['start', '--', `echo run >> '${counter}'; ${fleet.env.sleep} 300`]);
    await until(async () => (await readFile(counter, 'utf8').catch(() => '')) === 'run\n', { what: 'the command to start' });
    agent.child.kill('SIGKILL');
    await agent.exited;

    // The heartbeat expires, and the next look at the job finds its agent gone.
    const lost = await untilState(fleet.env, job.id, ['Failed'], 60_000);
    expect(lost).toMatchObject({ reason: 'agent lost', exitCode: null });

    // A new agent takes new work but never the lost job.
    await foregroundAgent();
    const next = await fleet.env.json<JobJson>(['start', '--', 'echo next']);
    await untilState(fleet.env, next.id, ['Completed']);
    expect(await readFile(counter, 'utf8')).toBe('run\n');
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]).toMatchObject({ state: 'Failed', reason: 'agent lost' });
    const records = await fleet.env.fleet(['receive', String(job.id)]);
    expect(records.stderr).toBe('error: agent lost\n');

    // Its command did not outlive it (issue 17 point 1; see test/no-orphan.test.ts).
    await untilNoProcessesWith(fleet.env.marker, { what: 'the orphan watcher to end the command' });
  });
});

describe('fleet agent --run-nothing', () => {
  it('ends every child Completed at once, running no command anywhere (what bench/control-plane.ts measures)', async () => {
    await foregroundAgent(['--run-nothing']);
    const witness = join(fleet.env.home, 'ran');
    // No such hosts: a connection would fail them; nothing is tried.
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost,no-such-host-1,no-such-host-2', '--json', '--', `touch '${witness}'`]);
    expect(result.code, result.stderr).toBe(0);
    const records = parseAllRecords(result.stdout);
    expect(records.filter((record) => record.stream !== 'end')).toEqual([]);
    expect(records.map((record) => [record.host, (record.data as { state: string; exitCode: number }).state])).toEqual(
      expect.arrayContaining([
        ['localhost', 'Completed'],
        ['no-such-host-1', 'Completed'],
        ['no-such-host-2', 'Completed'],
      ]),
    );
    // Whoever invokes is told what kind of agent took the work.
    expect(result.stderr).toContain('runs nothing (fleet agent --run-nothing)');
    await expect(readFile(witness)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
