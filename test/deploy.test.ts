import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEET_VERSION, nodeAgentLayout, quoteShellWord } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { useBarePath } from './support/bare-path.js';
import { processesWith } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { userDeployment } from './support/signing.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// Host 3 has no Node.js, as a bare node would: its PATH is a directory of the
// usual tools, without node (which is in /usr/bin here, with everything else).
const bareBin = useBarePath('deploy', [
  'sh',
  'uname',
  'cat',
  'sleep',
  'setsid',
  'mkdir',
  'chmod',
  'rm',
  'rmdir',
  'id',
  'dirname',
  'printf',
  'true',
  'ls',
  'env',
  'pgrep',
  'pkill',
]);
const ssh = useSshFleet(4, { hostEnv: (index): Record<string, string> => (index === 3 ? { PATH: bareBin } : {}) });

interface AgentJson {
  id: string;
  pid: number;
  version: string;
  concurrency: number;
  serves: string | null;
  running: number;
  heartbeatAt: string;
}

async function deploy(hosts: string[], extra: string[] = []) {
  return ssh.env.fleet(['deploy', '-c', hosts.join(','), ...extra], { timeoutMs: 90_000 });
}

async function nodeAgents(): Promise<AgentJson[]> {
  return (await ssh.env.json<AgentJson[]>(['agents'])).filter((agent) => agent.serves !== null);
}

/** What each child printed for `echo [$SSH_CONNECTION]` and its per-child variables, and which way it went. */
async function runEverywhere(hosts: string[]): Promise<{ location: string; via: string; ssh: boolean; vars: string }[]> {
  const parent = await ssh.env.json<JobJson>([
    'invoke',
    '-c',
    hosts.join(','),
    '--as-job',
    '--',
    'echo "[$SSH_CONNECTION]"; echo "vars $FLEET_HOST $FLEET_RANK $FLEET_COUNT"',
  ]);
  await untilState(ssh.env, parent.id, ['Completed'], 60_000);
  const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
  const vias = [...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1] ?? '').slice(1);
  const output = (await ssh.env.fleet(['receive', String(parent.id)])).stdout;
  return hosts.map((location, index) => ({
    location,
    via: vias[index] ?? '',
    ssh: !output.includes(`${location}: []`),
    vars:
      output
        .split('\n')
        .find((line) => line.startsWith(`${location}: vars `))
        ?.slice(`${location}: vars `.length) ?? '',
  }));
}

describe('fleet deploy', () => {
  it('installs and starts an agent that outlives the SSH session, and does nothing the second time', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const first = await deploy([a, b]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(
        `^${a.replaceAll('.', '\\.')}: installed ${FLEET_VERSION.replaceAll('.', '\\.')} \\(detached process; agent \\S+\\)$`,
        'm',
      ),
    );
    expect(first.stderr).toBe('2 of 2 hosts deployed\n');
    // The deploying CLI and its SSH sessions are gone; the agents run on, one per node.
    const agents = await nodeAgents();
    expect(agents.map((agent) => agent.serves).sort()).toEqual([a, b].sort());
    for (const agent of agents) expect(agent).toMatchObject({ version: FLEET_VERSION, concurrency: 64, running: 0 });
    const home = ssh.fleet.hosts[0]?.home as string;
    const dir = join(home, nodeAgentLayout(a).dir);
    expect((await readdir(join(home, '.local/share/fleet/nodes'))).sort()).toEqual([a]);
    expect((await readdir(dir)).sort()).toEqual(
      [
        'agent.env',
        'agent.log',
        'agent.pid',
        'fleet-agent.mjs',
        'package.json',
        'start.sh',
        'state',
        'thread-worker.js',
        'trusted-keys',
        'version',
      ].sort(),
    );
    // The node's agent trusts the deploying user's key: it runs the jobs that user signs.
    const userKey = (await ssh.env.fleet(['key'])).stdout;
    const trusted = join(dir, 'trusted-keys');
    expect(await readFile(trusted, 'utf8')).toBe(userKey);
    // And serves the deploying controller's deployment, never taking it from Redis.
    const agentEnv = await readFile(join(dir, 'agent.env'), 'utf8');
    expect(agentEnv).toContain(`FLEET_DEPLOYMENT=${quoteShellWord(await userDeployment(ssh.env))}\n`);

    const again = await deploy([a]);
    expect(again.stdout).toContain(`already at ${FLEET_VERSION}, running`);
    expect(await readFile(trusted, 'utf8')).toBe(userKey);
    expect((await nodeAgents()).map((agent) => agent.pid).sort()).toEqual(agents.map((agent) => agent.pid).sort());

    // Another version on the node: deploy replaces it in place.
    await writeFile(join(dir, 'version'), '0.0.9');
    const upgraded = await deploy([a]);
    // The new agent starts beside the old one, which is told to drain (test/agent-drain.test.ts) and, idle, exits.
    const before = agents.find((agent) => agent.serves === a);
    expect(upgraded.stdout).toContain(`upgraded 0.0.9 to ${FLEET_VERSION}`);
    expect(upgraded.stdout).toContain(`; the old agent ${before?.id} exits\n`);
    await until(() => !isAlive(before?.pid ?? 0), { what: 'the replaced agent to exit' });
    await expect(ssh.env.fleet(['undeploy', '-c', `${a},${b}`])).resolves.toMatchObject({ code: 0 });
  });

  it("sends this machine's Node when asked (or when the node has none), and reports each host like invoke", async () => {
    const [, , c, d] = ssh.fleet.entries as [string, string, string, string];
    await ssh.fleet.stopHost(3);
    const result = await deploy([c, d], ['--ship-node']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${c.replaceAll('.', '\\.')}: installed ${FLEET_VERSION.replaceAll('.', '\\.')} \\(detached process, this machine's Node sent; agent`,
        'm',
      ),
    );
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`1 of 2 hosts deployed; failed: ${d} (1): connection refused`);
    const dir = join(ssh.fleet.hosts[2]?.home as string, nodeAgentLayout(c).dir);
    const start = await readFile(join(dir, 'start.sh'), 'utf8');
    expect(start).toContain(`exec ${dir}/node ./fleet-agent.mjs agent --serve ${c}`);
    await ssh.env.fleet(['undeploy', '-c', c]);
  });

  it("sends this machine's Node by itself to a node that has none", async () => {
    const bare = ssh.fleet.entries[3] as string;
    expect((await ssh.fleet.ssh(3, 'command -v node || echo none')).stdout.trim()).toBe('none');
    const result = await deploy([bare]);
    expect(result.stdout).toContain(`installed ${FLEET_VERSION} (detached process, this machine's Node sent; agent`);
    const [ran] = await runEverywhere([bare]);
    expect(ran).toMatchObject({ via: expect.stringMatching(/^agent /), ssh: false });
    await ssh.env.fleet(['undeploy', '-c', bare]);
  });

  it('refuses to hand a node a Redis it cannot reach', async () => {
    const config = join(ssh.env.home, 'ssh_config');
    await writeFile(
      config,
      `Host web1\n  HostName ${ssh.fleet.hosts[0]?.address}\n${(await readFile(ssh.fleet.sshConfig, 'utf8')).replace('Host 127.0.*', 'Host *')}`,
    );
    const result = await ssh.env.fleet(['deploy', '-c', 'web1,localhost'], { env: { FLEET_SSH_CONFIG: config } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "web1: this machine's Redis is on a loopback address, which web1 cannot reach: deploy with --redis redis://ADDRESS:6379",
    );
    expect(result.stderr).toContain('localhost: localhost runs on this machine already');
  });
});

describe('routing', () => {
  it("runs a deployed node's children on the node without SSH, the others over SSH, in one job", async () => {
    const entries = ssh.fleet.entries;
    expect((await deploy(entries.slice(0, 2))).code).toBe(0);
    const agents = await nodeAgents();
    const ran = await runEverywhere(entries);
    expect(ran).toEqual([
      {
        location: entries[0],
        via: `agent ${agents.find((agent) => agent.serves === entries[0])?.id}`,
        ssh: false,
        vars: `${entries[0]} 0 4`,
      },
      {
        location: entries[1],
        via: `agent ${agents.find((agent) => agent.serves === entries[1])?.id}`,
        ssh: false,
        vars: `${entries[1]} 1 4`,
      },
      // The agent on the shared queue that ran it is named after the way.
      { location: entries[2], via: expect.stringMatching(/^ssh, agent \S+$/), ssh: true, vars: `${entries[2]} 2 4` },
      { location: entries[3], via: expect.stringMatching(/^ssh, agent \S+$/), ssh: true, vars: `${entries[3]} 3 4` },
    ]);
    await ssh.env.fleet(['undeploy', '-c', entries.slice(0, 2).join(',')]);
  });

  it('pushes to a deployed node through its agent, without SSH, into the same home as over SSH', async () => {
    const [onNode, overSsh] = [ssh.fleet.entries[0] as string, ssh.fleet.entries[2] as string];
    const homes = [ssh.fleet.hosts[0]?.home as string, ssh.fleet.hosts[2]?.home as string];
    expect((await deploy([onNode])).code).toBe(0);
    const [agent] = await nodeAgents();
    const local = await mkdtemp(join(tmpdir(), 'fleet-deploy-push-'));
    try {
      await writeFile(join(local, 'app.conf'), `pushed ${ssh.env.marker}\n`);
      const parent = await ssh.env.json<JobJson>(['push', '-c', `${onNode},${overSsh}`, '--as-job', join(local, 'app.conf'), '~/']);
      await untilState(ssh.env, parent.id, ['Completed'], 60_000);
      const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
      const vias = [...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1]);
      expect(vias.slice(1)).toEqual([`agent ${agent?.id}`, expect.stringMatching(/^ssh, agent \S+$/)]);
      for (const home of homes) expect(await readFile(join(home, 'app.conf'), 'utf8')).toBe(`pushed ${ssh.env.marker}\n`);
      const received = (await ssh.env.fleet(['receive', String(parent.id)])).stdout;
      expect(received).toContain(`${onNode}: changed ~/app.conf\n`);
      expect(received).toContain(`${overSsh}: changed ~/app.conf\n`);
      // The second time the node's agent finds it there, as SSH does.
      const again = await ssh.env.fleet(['push', '-c', onNode, join(local, 'app.conf'), '~/']);
      expect(again.stdout).toBe(`${onNode}: unchanged ~/app.conf\n`);
    } finally {
      await rm(local, { recursive: true, force: true });
      for (const home of homes) await rm(join(home, 'app.conf'), { force: true });
      await ssh.env.fleet(['undeploy', '-c', onNode]);
    }
  });

  it('pulls from a deployed node through its agent, without SSH, as over SSH', async () => {
    const [onNode, overSsh] = [ssh.fleet.entries[0] as string, ssh.fleet.entries[2] as string];
    const homes = [ssh.fleet.hosts[0]?.home as string, ssh.fleet.hosts[2]?.home as string];
    expect((await deploy([onNode])).code).toBe(0);
    const [agent] = await nodeAgents();
    const local = await mkdtemp(join(tmpdir(), 'fleet-deploy-pull-'));
    try {
      for (const [index, home] of homes.entries()) await writeFile(join(home, 'report.txt'), `report ${index} ${ssh.env.marker}\n`);
      const parent = await ssh.env.json<JobJson>(['pull', '-c', `${onNode},${overSsh}`, '--as-job', '~/report.txt']);
      await untilState(ssh.env, parent.id, ['Completed'], 60_000);
      const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
      const vias = [...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1]);
      expect(vias.slice(1)).toEqual([`agent ${agent?.id}`, expect.stringMatching(/^ssh, agent \S+$/)]);
      const written = await ssh.env.fleet(['receive', String(parent.id), '--dest', local]);
      expect(written.code, written.stderr).toBe(0);
      const hostDirs = await readdir(local);
      expect(hostDirs).toHaveLength(2);
      const pulled = await Promise.all(hostDirs.map((dir) => readFile(join(local, dir, 'report.txt'), 'utf8')));
      expect(pulled.sort()).toEqual([`report 0 ${ssh.env.marker}\n`, `report 1 ${ssh.env.marker}\n`]);
    } finally {
      await rm(local, { recursive: true, force: true });
      for (const home of homes) await rm(join(home, 'report.txt'), { force: true });
      await ssh.env.fleet(['undeploy', '-c', onNode]);
    }
  });

  it('sends a child over SSH when its node agent dies before taking it', async () => {
    const host = ssh.fleet.entries[0] as string;
    await deploy([host]);
    const [agent] = await nodeAgents();
    process.kill(agent?.pid as number, 'SIGSTOP'); // hung: no heartbeat, takes nothing
    try {
      const [ran] = await runEverywhere([host]);
      expect(ran).toEqual({
        location: host,
        via: expect.stringMatching(new RegExp(`^ssh \\(the node agent ${agent?.id} was lost before it started\\), agent \\S+$`)),
        ssh: true,
        vars: `${host} 0 1`,
      });
      // A silent agent drops out of the list.
      await until(async () => (await nodeAgents()).length === 0, { what: 'the hung agent to drop out' });
    } finally {
      process.kill(agent?.pid as number, 'SIGCONT');
    }
    await ssh.env.fleet(['undeploy', '-c', host]);
  });

  it('stops and times out node-run children as it does SSH-run ones', async () => {
    const host = ssh.fleet.entries[1] as string;
    await deploy([host]);
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      host,
      '--as-job',
      '--',
      `echo up; ${ssh.env.sleep} 300 & ${ssh.env.sleep} 300`,
    ]);
    await until(async () => (await ssh.env.json<JobJson[]>(['get', String(parent.id + 1)]))[0]?.hasMoreData, {
      what: 'the command to start',
    });
    await ssh.env.fleet(['stop', String(parent.id)]);
    expect((await ssh.env.json<JobJson[]>(['get', String(parent.id + 1)]))[0]).toMatchObject({ state: 'Stopped' });
    expect(await processesWith(ssh.env.marker)).toEqual([]);
    const slow = await ssh.env.json<JobJson>(['invoke', '-c', host, '--timeout', '1', '--as-job', '--', `${ssh.env.sleep} 300`]);
    expect(await untilState(ssh.env, slow.id + 1, ['Failed'])).toMatchObject({ reason: 'timed out after 1s' });
    expect(await processesWith(ssh.env.marker)).toEqual([]);
    await ssh.env.fleet(['undeploy', '-c', host]);
  });
});

describe('fleet undeploy', () => {
  it('stops the agent and leaves the node as it was', async () => {
    const host = ssh.fleet.entries[2] as string;
    const home = ssh.fleet.hosts[2]?.home as string;
    const before = await readdir(home);
    await deploy([host]);
    const [agent] = await nodeAgents();
    const result = await ssh.env.fleet(['undeploy', '-c', host]);
    expect([result.code, result.stdout]).toEqual([0, `${host}: agent stopped and removed\n`]);
    expect(isAlive(agent?.pid ?? 0)).toBe(false);
    expect(await nodeAgents()).toEqual([]);
    expect(await readdir(home)).toEqual(before);
    expect((await ssh.env.fleet(['undeploy', '-c', host])).stdout).toBe(`${host}: no agent was deployed there\n`);
  });

  it('leaves out the hosts -x names, as invoke does (SPEC §7)', async () => {
    const [kept, left] = [ssh.fleet.entries[1], ssh.fleet.entries[2]] as [string, string];
    const deployed = await deploy([kept, left], ['-x', left]);
    expect(deployed.code).toBe(0);
    expect(deployed.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${kept.replaceAll('.', '\\.')}: installed `)),
    ]);
    expect((await nodeAgents()).map((agent) => agent.serves)).toEqual([kept]);
    const removed = await ssh.env.fleet(['undeploy', '-c', `${kept},${left}`, '-x', left]);
    expect([removed.code, removed.stdout]).toEqual([0, `${kept}: agent stopped and removed\n`]);
    expect(await nodeAgents()).toEqual([]);
  });
});

describe('Redis restarts', () => {
  it('a deployed agent reconnects by itself and keeps taking work', async () => {
    const host = ssh.fleet.entries[3] as string;
    await deploy([host]);
    const [agent] = await nodeAgents();
    await ssh.redis.restart();
    // The agent's heartbeat comes back on the restarted server.
    await until(async () => (await nodeAgents()).some((candidate) => candidate.id === agent?.id), { what: 'the agent to report in again' });
    const [ran] = await runEverywhere([host]);
    expect(ran).toEqual({ location: host, via: `agent ${agent?.id}`, ssh: false, vars: `${host} 0 1` });
    await ssh.env.fleet(['undeploy', '-c', host]);
  });
});

describe('node-run children behave as SSH-run ones', () => {
  it('keep the output cap and fail as agent lost, never re-run, when their agent dies', async () => {
    const host = ssh.fleet.entries[0] as string;
    await deploy([host]);
    // The cap holds back what nobody receives: a job left to itself (a synchronous invoke would take it all).
    const created = await ssh.env.fleet(['invoke', '-c', host, '--as-job', '--json', '--', 'seq 1000000 1000999'], {
      env: { FLEET_MAX_OUTPUT: '1K' },
    });
    const cappedJob = JSON.parse(created.stdout) as JobJson;
    expect((await ssh.env.fleet(['wait', String(cappedJob.id)])).code).toBe(1);
    const capped = await ssh.env.fleet(['receive', String(cappedJob.id), '--json']);
    const records = capped.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { stream: string; data: string });
    expect(records.filter((record) => record.stream === 'stdout')).toHaveLength(128);
    expect(records.filter((record) => record.stream === 'error').map((record) => record.data)).toEqual([
      expect.stringMatching(/^output exceeded 1 KiB: dropped the remaining 6\.8 KiB/),
      'exit code 0, but 6.8 KiB of output past FLEET_MAX_OUTPUT (1 KiB) was dropped',
    ]);

    const counter = join(ssh.fleet.hosts[0]?.home as string, 'runs');
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `echo run >> ${counter}; ${ssh.env.sleep} 300`]);
    await until(async () => (await readFile(counter, 'utf8').catch(() => '')) === 'run\n', { what: 'the command to start' });
    const [agent] = await nodeAgents();
    process.kill(agent?.pid as number, 'SIGKILL');
    expect(await untilState(ssh.env, parent.id + 1, ['Failed'], 60_000)).toMatchObject({ reason: 'agent lost' });
    expect(await readFile(counter, 'utf8')).toBe('run\n');
    // The orphaned command of the killed agent (see docs/design.md), then the deploy's files.
    for (const pid of await processesWith(ssh.env.marker)) process.kill(pid, 'SIGKILL');
    await ssh.env.fleet(['undeploy', '-c', host]);
  });
});

describe('node-run thread children behave as the others', () => {
  it('run on the node agent, stop, time out, keep the output cap, and fail as agent lost, never re-run', async () => {
    const host = ssh.fleet.entries[1] as string;
    await deploy([host]);
    const [agent] = await nodeAgents();
    const thread = async (code: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
      const created = await ssh.env.fleet(['invoke', '-c', host, '--thread', '--as-job', '--json', ...extra, '--eval', code], { env });
      const parent = JSON.parse(created.stdout) as JobJson;
      return parent.id + 1;
    };
    // A thread that never ends by itself, after saying it started.
    const hang = 'console.log("up"); await new Promise(() => setInterval(() => {}, 1000))';
    const started = (child: number) =>
      until(async () => (await ssh.env.json<JobJson[]>(['get', String(child)]))[0]?.hasMoreData, { what: 'the thread to start' });

    const stopped = await thread(hang);
    await started(stopped);
    const list = (await ssh.env.fleet(['get', String(stopped), '--format', 'list'])).stdout;
    expect(list).toMatch(new RegExp(`^Via\\s+: agent ${agent?.id}$`, 'm'));
    await ssh.env.fleet(['stop', String(stopped - 1)]);
    expect(await untilState(ssh.env, stopped, ['Stopped'])).toMatchObject({ state: 'Stopped' });

    const slow = await thread(hang, ['--timeout', '1']);
    expect(await untilState(ssh.env, slow, ['Failed'])).toMatchObject({ reason: 'timed out after 1s' });

    const capped = await thread('for (let i = 1000000; i < 1001000; i++) console.log(i)', [], { FLEET_MAX_OUTPUT: '1K' });
    await untilState(ssh.env, capped, ['Completed', 'Failed']);
    const records = parseRecords((await ssh.env.fleet(['receive', String(capped), '--json'])).stdout);
    expect(records.filter((record) => record.stream === 'stdout')).toHaveLength(128);
    expect(records.find((record) => record.stream === 'error')?.data).toMatch(/^output exceeded 1 KiB: dropped the remaining 6\.8 KiB/);

    const lost = await thread(hang);
    await started(lost);
    process.kill(agent?.pid as number, 'SIGKILL');
    expect(await untilState(ssh.env, lost, ['Failed'], 60_000)).toMatchObject({ reason: 'agent lost' });
    // Deployed again, the node's new agent does not run it a second time.
    expect((await deploy([host])).code).toBe(0);
    await until(async () => (await nodeAgents()).length === 1, { what: 'the new agent' });
    const output = parseRecords((await ssh.env.fleet(['receive', String(lost), '--json', '--keep'])).stdout);
    expect(output.filter((record) => record.stream === 'stdout').map((record) => record.data)).toEqual(['up']);
    expect(await untilState(ssh.env, lost, ['Failed'])).toMatchObject({ reason: 'agent lost' });
    await ssh.env.fleet(['undeploy', '-c', host]);
  });
});
