import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeAgentLayout, quoteShellWord } from '@fleet/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { freePort, redisAnswers } from './support/redis-server.js';
import { startSshFleet, TEST_USER, type SshFleet } from './support/ssh-fleet.js';
import { makeTestTls, redisTlsArgs, type TestTls } from './support/test-tls.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';

// Three sshd hosts whose login user has one HOME, as cluster nodes on an NFS
// /home do; they differ only by the entry each agent is deployed for. Redis
// speaks TLS only, with a CA of the test's own, kept where the nodes' user
// cannot read it: a node agent reaches Redis only with the CA's content.
let dir: string;
let shared: string;
let tls: TestTls;
let redis: ChildProcess;
let redisUrl: string;
let fleet: SshFleet;
let env: FleetEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-shared-home-'));
  shared = await mkdtemp(join(tmpdir(), 'fleet-shared-home-nfs-'));
  execFileSync('chown', [TEST_USER, shared]);
  tls = await makeTestTls(dir);
  const port = await freePort();
  // AOF on, as fleet needs: a Redis without it has fleet warn once on stderr, which the checks of deploy's stderr would meet.
  redis = spawn('redis-server', ['--save', '', '--appendonly', 'yes', '--dir', dir, '--bind', '127.0.0.1', ...redisTlsArgs(tls, port)], {
    stdio: 'ignore',
  });
  redisUrl = `rediss://127.0.0.1:${port}`;
  await until(() => redisAnswers(redisUrl, { tls: { ca: tls.caPem } }), { what: 'redis-server over TLS' });
  fleet = await startSshFleet(3, { hostEnv: () => ({ HOME: shared }) });
});
afterAll(async () => {
  redis?.kill('SIGKILL');
  await fleet?.close();
  await rm(dir, { recursive: true, force: true });
  await rm(shared, { recursive: true, force: true });
});
beforeEach(async () => {
  env = await createFleetEnv(null, { FLEET_REDIS_URL: redisUrl, FLEET_REDIS_CA: tls.ca, FLEET_SSH_CONFIG: fleet.sshConfig });
});
afterEach(async () => {
  // createFleetEnv has no Redis of its own to list agents from: stop this test's here.
  for (const agent of await agents().catch(() => [])) if (isAlive(agent.pid)) process.kill(agent.pid, 'SIGKILL');
  await env.cleanup();
});

interface AgentJson {
  id: string;
  pid: number;
  serves: string | null;
}

async function agents(): Promise<AgentJson[]> {
  return env.json<AgentJson[]>(['agents']);
}

async function nodeAgents(): Promise<AgentJson[]> {
  return (await agents())
    .filter((agent) => agent.serves !== null)
    .map(({ id, pid, serves }) => ({ id, pid, serves }))
    .sort((x, y) => (x.serves ?? '').localeCompare(y.serves ?? ''));
}

/** Each child's Via line and whether it saw an SSH session, for `echo [$SSH_CONNECTION]` over `hosts`. */
async function routes(hosts: string[]): Promise<string[]> {
  const parent = await env.json<JobJson>(['invoke', '-c', hosts.join(','), '--as-job', '--', 'echo "[$SSH_CONNECTION]"']);
  await untilState(env, parent.id, ['Completed'], 60_000);
  const list = (await env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
  const output = (await env.fleet(['receive', String(parent.id)])).stdout;
  expect(output.trimEnd().split('\n').sort()).toEqual(hosts.map((host) => `${host}: []`).sort());
  return [...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1] ?? '').slice(1);
}

const nodeDir = (entry: string) => join(shared, nodeAgentLayout(entry).dir);

describe('nodes that share one home directory', () => {
  it('deploy, the agents and undeploy work on each node alone, each with files of its own and the CA content', async () => {
    const [a, b, c] = fleet.entries as [string, string, string];
    const deployed = await env.fleet(['deploy', '-c', `${a},${b},${c}`], { timeoutMs: 120_000 });
    expect(deployed.stderr).toBe('3 of 3 hosts deployed\n');
    expect(deployed.code).toBe(0);
    const before = await nodeAgents();
    expect(before.map((agent) => agent.serves)).toEqual([a, b, c].sort());
    expect((await readdir(join(shared, '.local/share/fleet/nodes'))).sort()).toEqual([a, b, c].sort());

    for (const agent of before) {
      const own = nodeDir(agent.serves as string);
      // The pid file, the log and the state directory are this node's own.
      expect(Number(await readFile(join(own, 'agent.pid'), 'utf8'))).toBe(agent.pid);
      const log = await readFile(join(own, 'agent.log'), 'utf8');
      expect(log).toContain(`agent ${agent.id} started`);
      for (const other of before.filter((one) => one !== agent)) expect(log).not.toContain(other.id);
      // The CA went as content, into a file only the node's user reads, and the agent uses it.
      expect(await readFile(join(own, 'redis-ca.pem'))).toEqual(tls.caPem);
      expect((await stat(join(own, 'redis-ca.pem'))).mode & 0o777).toBe(0o600);
      const agentEnv = await readFile(join(own, 'agent.env'), 'utf8');
      expect(agentEnv).toContain(`FLEET_REDIS_CA=${quoteShellWord(join(own, 'redis-ca.pem'))}\n`);
      expect(agentEnv).toContain(`FLEET_STATE_DIR=${quoteShellWord(join(own, 'state'))}\n`);
      expect(agentEnv).not.toContain(tls.ca);
    }
    expect(await routes([a, b, c])).toEqual([a, b, c].map((entry) => `agent ${before.find((agent) => agent.serves === entry)?.id}`));
    for (const entry of [a, b, c]) expect(await readdir(join(nodeDir(entry), 'state'))).toContain('ran');

    // One node's undeploy leaves the others running, their files untouched.
    const undeployed = await env.fleet(['undeploy', '-c', b]);
    expect([undeployed.code, undeployed.stdout]).toEqual([0, `${b}: agent stopped and removed\n`]);
    expect(existsSync(nodeDir(b))).toBe(false);
    const after = await nodeAgents();
    expect(after).toEqual(before.filter((agent) => agent.serves !== b));
    for (const agent of after) expect(isAlive(agent.pid)).toBe(true);
    expect(await routes([a, c])).toEqual(after.map((agent) => `agent ${agent.id}`));

    expect((await env.fleet(['undeploy', '-c', `${a},${c}`])).code).toBe(0);
    expect(await readdir(shared)).toEqual([]);
  });

  it("runs thread children on each node's own agent, and fails one for a node without an agent, saying what to do", async () => {
    const [a, b, c] = fleet.entries as [string, string, string];
    const deployed = await env.fleet(['deploy', '-c', `${a},${b}`], { timeoutMs: 120_000 });
    expect([deployed.code, deployed.stderr]).toEqual([0, '2 of 2 hosts deployed\n']);
    const byEntry = new Map((await nodeAgents()).map((agent) => [agent.serves, agent.pid]));
    const code = 'emit(process.env.FLEET_HOST); return { pid: process.pid, args }';
    const parent = await env.json<JobJson>(['invoke', '-c', `${a},${b},localhost`, '--thread', '--as-job', '--eval', code, '--', 'x']);
    await untilState(env, parent.id, ['Completed'], 60_000);
    const records = parseRecords((await env.fleet(['receive', String(parent.id), '--json'])).stdout);
    const local = (await agents()).find((agent) => agent.serves === null);
    expect(records.map(({ host, stream, data }) => ({ host, stream, data })).sort((x, y) => x.host.localeCompare(y.host))).toEqual(
      [
        ...[a, b].flatMap((host) => [
          { host, stream: 'output', data: host },
          { host, stream: 'output', data: { pid: byEntry.get(host), args: ['x'] } },
        ]),
        { host: 'localhost', stream: 'output', data: 'localhost' },
        { host: 'localhost', stream: 'output', data: { pid: local?.pid, args: ['x'] } },
      ].sort((x, y) => x.host.localeCompare(y.host)),
    );

    const refused = await env.fleet(['invoke', '-c', c, '--thread', '--eval', 'return 1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`no agent of its own runs on ${c}`);
    expect(refused.stderr).toContain(`fleet deploy -c ${c}`);
    expect((await env.fleet(['undeploy', '-c', `${a},${b}`])).code).toBe(0);
  });
});
