import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeAclRules, nodeAclUser, nodeAgentLayout } from '@fleet/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { freePort, redisAnswers } from './support/redis-server.js';
import { storedEntries } from './support/stored-output.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(1);

/** This machine's Redis user when it may make users, and one limited as the README's least-privilege line. */
const ADMIN_PASSWORD = 'admin-pw-7f3e9b1c';
const FLEET_PASSWORD = 'fleet-pw-4a8d2e6f';

let dir: string;
let server: ChildProcess;
let port: number;
const admin = () => `redis://admin:${ADMIN_PASSWORD}@127.0.0.1:${port}`;
const limited = () => `redis://fleet:${FLEET_PASSWORD}@127.0.0.1:${port}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-job-env-'));
  port = await freePort();
  server = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
      ...['--user', 'default', 'off'],
      ...['--user', 'admin', 'on', `>${ADMIN_PASSWORD}`, '~*', '&*', '+@all'],
      ...['--user', 'fleet', 'on', `>${FLEET_PASSWORD}`, '~*', '&*', '+@all', '-@dangerous', '+info'],
    ],
    { stdio: 'ignore' },
  );
  await until(() => redisAnswers(admin()), { what: 'redis-server with ACL users' });
});
afterAll(async () => {
  server.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A fleet environment on the ACL server, as `url`'s user, reaching the test's SSH host. */
async function withEnv(url: string, test: (env: FleetEnv, client: Redis) => Promise<void>): Promise<void> {
  const env = await createFleetEnv(null, { FLEET_REDIS_URL: url, FLEET_SSH_CONFIG: ssh.fleet.sshConfig });
  const client = new Redis(admin());
  try {
    await test(env, client);
  } finally {
    client.disconnect();
    await env.cleanup();
  }
}

/** Everything a job's leaf wrote (stdout, stderr, a thread's values), read from Redis directly. */
async function storedStdout(env: FleetEnv, client: Redis, job: JobJson): Promise<string> {
  const done = await untilState(env, job.id, ['Completed', 'Failed'], 60_000);
  expect(done.state).toBe('Completed');
  const leaf = job.childIds[0] ?? job.id;
  const entries = (await storedEntries(client, env.prefix, job.id)).filter((entry) => entry.jobId === leaf);
  return Buffer.concat(entries.map((entry) => entry.data)).toString();
}

function expectNoSecret(stored: string, ...secrets: string[]): void {
  expect(stored).toContain('PATH=');
  expect(stored).not.toMatch(/FLEET_REDIS|FLEET_SIGNING_KEY|FLEET_TRUSTED_KEYS|FLEET_PREFIX/);
  for (const secret of secrets) expect(stored).not.toContain(secret);
}

describe("no secret of fleet's reaches a job", () => {
  it("keeps the local agent's FLEET_ settings, its Redis password among them, out of process and thread jobs", async () => {
    await withEnv(limited(), async (env, client) => {
      const started = await env.json<JobJson>(['start', '--', 'env']);
      expectNoSecret(await storedStdout(env, client, started), FLEET_PASSWORD);
      const invoked = await env.json<JobJson>(['invoke', '-c', 'localhost', '--as-job', '--env', 'GREETING=hi', '--', 'env']);
      const stored = await storedStdout(env, client, invoked);
      expectNoSecret(stored, FLEET_PASSWORD);
      // The job's own variables and fleet's per-child ones still arrive.
      expect(stored).toContain('GREETING=hi\n');
      expect(stored).toContain('FLEET_RANK=0\n');
      const thread = await env.json<JobJson>([
        'start',
        '--thread',
        '--eval',
        'return Object.entries(process.env).map(([k, v]) => `${k}=${v}`).join("\\n")',
      ]);
      expectNoSecret(await storedStdout(env, client, thread), FLEET_PASSWORD);
    });
  });

  it("gives a node a Redis user of its own (--node-acl): the node's agent works with it, and neither agent.env nor a job sees this machine's password", async () => {
    const [host] = ssh.fleet.entries as [string];
    const agentEnvFile = join(ssh.fleet.hosts[0]!.home, nodeAgentLayout(host).dir, 'agent.env');
    await withEnv(admin(), async (env, client) => {
      try {
        const deployed = await env.fleet(['deploy', '-c', host, '--node-acl'], { timeoutMs: 90_000 });
        expect(deployed.code).toBe(0);
        const user = nodeAclUser(host);
        expect(deployed.stdout).toContain(`; Redis user ${user})`);
        const agentEnv = await readFile(agentEnvFile, 'utf8');
        expect(agentEnv).not.toContain(ADMIN_PASSWORD);
        const nodePassword = /^FLEET_REDIS_URL='?redis:\/\/([^:]+):([0-9a-f]+)@127\.0\.0\.1:\d+'?$/m.exec(agentEnv);
        expect(nodePassword?.[1]).toBe(user);
        // Limited as the README says: fleet's keys and channels, nothing dangerous.
        const rules = (await client.call('ACL', 'GETUSER', user)) as unknown[];
        expect(JSON.stringify(rules)).toContain(`~${env.prefix}*`);
        expect(JSON.stringify(rules)).toContain('-@admin');
        expect(JSON.stringify(rules)).toContain('-flushall');

        const job = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'env']);
        const stored = await storedStdout(env, client, job);
        expectNoSecret(stored, ADMIN_PASSWORD, nodePassword![2]!);
        const list = (await env.fleet(['get', String(job.childIds[0]), '--format', 'list'])).stdout;
        expect(list).toMatch(/^Via\s+: agent /m);
        // A thread child in the node agent's own process: the same.
        const thread = await env.json<JobJson>([
          'invoke',
          '-c',
          host,
          '--thread',
          '--as-job',
          '--eval',
          'for (const [k, v] of Object.entries(process.env)) console.log(`${k}=${v}`)',
        ]);
        expectNoSecret(await storedStdout(env, client, thread), ADMIN_PASSWORD, nodePassword![2]!);
        expect((await env.fleet(['get', String(thread.childIds[0]), '--format', 'list'])).stdout).toMatch(/^Via\s+: agent /m);

        // Or a URL of the operator's choosing, for a user made by hand; the running agent is restarted with it.
        await client.call('ACL', 'SETUSER', 'by-hand', ...nodeAclRules(env.prefix, 'by-hand-pw-91c2'));
        const byHand = `redis://by-hand:by-hand-pw-91c2@127.0.0.1:${port}`;
        const again = await env.fleet(['deploy', '-c', host, '--node-redis-url', byHand], { timeoutMs: 90_000 });
        expect(again.code).toBe(0);
        expect(again.stdout).toContain('with new Redis credentials');
        expect(await readFile(agentEnvFile, 'utf8')).toMatch(new RegExp(`^FLEET_REDIS_URL='?${byHand}'?$`, 'm'));
        const second = await env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', 'env']);
        expectNoSecret(await storedStdout(env, client, second), ADMIN_PASSWORD, 'by-hand-pw-91c2');
      } finally {
        await env.fleet(['undeploy', '-c', host]);
      }
    });
  });

  it('says clearly when your Redis user may not make users, and deploys nothing', async () => {
    const [host] = ssh.fleet.entries as [string];
    await withEnv(limited(), async (env) => {
      const refused = await env.fleet(['deploy', '-c', host, '--node-acl'], { timeoutMs: 90_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('--node-acl: your Redis user may not make users (ACL SETUSER: NOPERM');
      expect(refused.stderr).toContain(
        `redis-cli ACL SETUSER ${nodeAclUser(host)} reset on >A-LONG-PASSWORD ~${env.prefix}* &${env.prefix}*`,
      );
      expect(existsSync(join(ssh.fleet.hosts[0]!.home, '.local/share/fleet'))).toBe(false);
      // A URL that is not one is refused without being echoed (it may hold a password), as are both options at once.
      const notAUrl = await env.fleet(['deploy', '-c', host, '--node-redis-url', 'http://u:not-shown-pw@10.0.0.5']);
      expect([notAUrl.code, notAUrl.stderr.includes('not-shown-pw')]).toEqual([2, false]);
      expect(notAUrl.stderr).toContain('--node-redis-url (FLEET_NODE_REDIS_URL) takes redis://USER:PASSWORD@HOST:PORT');
      const both = await env.fleet(['deploy', '-c', host, '--node-acl'], { env: { FLEET_NODE_REDIS_URL: `redis://10.0.0.5:6379` } });
      expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('choose one')]);
    });
  });
});
