import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startForegroundAgent } from './support/agents.js';
import { isAlive, until } from './support/poll.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

interface StatusJson {
  redis: string;
  prefix: string;
  agents: {
    id: string;
    pid: number;
    version: string;
    serves: string | null;
    sshConfig: string | null;
    runningIds: number[];
    redis: string;
    heartbeatAt: string;
  }[];
}

describe('agents you can see', () => {
  it('fleet status shows the Redis and prefix in use, and each agent with its SSH configuration, queue and running jobs', async () => {
    const sshConfig = join(fleet.env.home, 'fleet-ssh-config');
    await writeFile(sshConfig, '');
    // The CLI reads the same configuration: otherwise it would start an agent of its own (see the last test).
    fleet.env.env.FLEET_SSH_CONFIG = sshConfig;
    const agent = fleet.env.spawn(['agent']);
    let log = '';
    agent.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // Registered before the job is made, so that fleet does not start an agent of its own.
    await until(async () => (await fleet.env.json<StatusJson['agents']>(['agents'])).some((each) => each.pid === agent.pid), {
      what: 'the agent to register',
    });
    const gate = join(fleet.env.home, 'gate');
    const job = await fleet.env.json<JobJson>(['start', '--', `while [ ! -e '${gate}' ]; do sleep 0.05; done # ${fleet.env.marker}`]);
    await untilState(fleet.env, job.id, ['Running']);
    // The leaf that runs: the job's one child, or the job itself when it has none.
    const child = job.childIds[0] ?? job.id;

    const status = await until(
      async () => {
        const seen = await fleet.env.json<StatusJson>(['status']);
        return seen.agents.some((each) => each.runningIds.includes(child)) && seen;
      },
      { what: 'the agent to say it runs the child' },
    );
    expect(status).toMatchObject({ redis: fleet.redis.url, prefix: fleet.env.prefix });
    expect(status.agents).toHaveLength(1);
    const [seen] = status.agents;
    expect(seen).toMatchObject({ pid: agent.pid, serves: null, sshConfig, runningIds: [child], redis: fleet.redis.url });

    const text = (await fleet.env.fleet(['status'])).stdout;
    expect(text).toContain(`Redis:  ${fleet.redis.url}\nPrefix: ${fleet.env.prefix}\nAgents: 1\n`);
    expect(text).toMatch(new RegExp(`^${seen?.id}\\s.*\\sshared\\s+${sshConfig}\\s+${child}\\s+\\d+s ago$`, 'm'));
    expect((await fleet.env.fleet(['agents'])).stdout).toMatch(new RegExp(`^${seen?.id}\\s.*\\s${sshConfig}\\s`, 'm'));

    // The child says which agent ran it, and the agent's log lines say which agent, prefix and Redis.
    await appendFile(gate, '');
    await untilState(fleet.env, job.id, ['Completed']);
    const list = (await fleet.env.fleet(['get', String(job.id), '--children', '--format', 'list'])).stdout;
    expect(list).toMatch(new RegExp(`^Via\\s+: local, agent ${seen?.id}$`, 'm'));
    expect(log).toMatch(
      new RegExp(
        `fleet agent \\[prefix ${escape(fleet.env.prefix)}, ${escape(fleet.redis.url)}\\]: ${seen?.id}: agent ${seen?.id} started`,
      ),
    );
    agent.kill('SIGTERM');
    await until(() => agent.exitCode !== null || agent.signalCode !== null, { what: 'the agent to exit' });
  });

  it('fleet agent stop drains an agent: its running job ends as it would, then it exits', async () => {
    const agent = await startForegroundAgent(fleet.env);
    const [registered] = await fleet.env.json<StatusJson['agents']>(['agents']);
    const gate = join(fleet.env.home, 'gate');
    const job = await fleet.env.json<JobJson>([
      'start',
      '--',
      `while [ ! -e '${gate}' ]; do sleep 0.05; done; echo finished # ${fleet.env.marker}`,
    ]);
    await untilState(fleet.env, job.id, ['Running']);

    const stop = fleet.env.fleet(['agent', 'stop', registered?.id as string], { timeoutMs: 120_000 });
    await until(() => agent.stderr().includes('draining: taking no new work, finishing the 1 job(s) it runs'), {
      what: 'the agent to drain',
    });
    // Draining, it still runs its job, and says it is alive.
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.state).toBe('Running');
    await appendFile(gate, '');
    const stopped = await stop;
    expect(stopped).toMatchObject({ code: 0, stdout: `stopped ${registered?.id}\n` });
    expect(await agent.exited).toBe(0);
    expect(await untilState(fleet.env, job.id, ['Completed'])).toMatchObject({ state: 'Completed', exitCode: 0 });
    expect((await fleet.env.fleet(['receive', String(job.id)])).stdout).toBe('finished\n');
    expect(await fleet.env.json(['agents'])).toEqual([]);
  });

  it('fleet agent stop refuses an id that is no live agent, and wants ids or --all', async () => {
    const unknown = await fleet.env.fleet(['agent', 'stop', 'nobody-1-000000']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no live agent nobody-1-000000');
    const neither = await fleet.env.fleet(['agent', 'stop']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('fleet agent stop takes agent ids or --all');
  });

  it('an agent fleet started with another SSH configuration is drained, and a matching one runs the job', async () => {
    const first = await fleet.env.json<JobJson>(['start', '--', 'echo one']);
    await untilState(fleet.env, first.id, ['Completed']);
    const [old] = await fleet.env.json<StatusJson['agents']>(['agents']);
    expect(old?.sshConfig).toBe(join(fleet.env.home, '.ssh', 'config'));

    const sshConfig = join(fleet.env.home, 'exported-ssh-config');
    await writeFile(sshConfig, '');
    const exported = { FLEET_SSH_CONFIG: sshConfig };
    const second = await fleet.env.fleet(['start', '--json', '--', 'echo two'], { env: exported });
    expect(second.code).toBe(0);
    expect(second.stderr).toBe(
      `fleet: agent ${old?.id} reads SSH configuration ${old?.sshConfig}, not ${sshConfig}: it is told to finish its jobs and exit\n`,
    );
    const job = JSON.parse(second.stdout) as JobJson;
    await untilState(fleet.env, job.id, ['Completed']);
    const agents = await fleet.env.json<StatusJson['agents']>(['agents']);
    const matching = agents.find((each) => each.sshConfig === sshConfig);
    expect(matching).toBeDefined();
    const list = (await fleet.env.fleet(['get', String(job.id), '--children', '--format', 'list'])).stdout;
    expect(list).toMatch(new RegExp(`^Via\\s+: local, agent ${matching?.id}$`, 'm'));
    await until(() => !isAlive(old?.pid as number), { what: 'the drained agent to exit' });
    expect((await fleet.env.fleet(['start', '--', 'echo three'], { env: exported })).stderr).toBe('');
    // --all: every live agent, here the matching one alone.
    const stopped = await fleet.env.fleet(['agent', 'stop', '--all'], { env: exported, timeoutMs: 120_000 });
    expect(stopped).toMatchObject({ code: 0, stdout: `stopped ${matching?.id}\n` });
    expect(await fleet.env.json(['agents'])).toEqual([]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
