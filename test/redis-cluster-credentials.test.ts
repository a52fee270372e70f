import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
import { makeTestTls } from './support/test-tls.js';
import { untilState, type JobJson } from './support/use-fleet.js';

/**
 * FLEET_REDIS_CLUSTER carries credentials as a URL does
 * (`redis://user:password@h1:7000,h2:7001`), against a real cluster whose
 * nodes admit only that ACL user.
 */
const PASSWORD = 'cluster-pw-5f3a9e';
let cluster: TestRedisCluster;
const envs: FleetEnv[] = [];
beforeAll(async () => {
  cluster = await startRedisCluster({ user: { name: 'fleet', password: PASSWORD } });
});
afterAll(async () => {
  await cluster.stop();
});
afterEach(() => cleanUp());

/** Stops the agents of this test's environments, through the cluster they used, and checks nothing leaked. */
async function cleanUp(): Promise<void> {
  for (const env of envs.splice(0)) {
    const agents = await env.fleet(['agents', '--json']);
    for (const agent of JSON.parse(agents.stdout || '[]') as { pid: number }[]) process.kill(agent.pid, 'SIGKILL');
    await env.cleanup();
  }
}

async function envWith(seeds: string, extra: NodeJS.ProcessEnv = {}): Promise<FleetEnv> {
  const env = await createFleetEnv(null, { FLEET_REDIS_CLUSTER: seeds, ...extra });
  envs.push(env);
  return env;
}

describe('FLEET_REDIS_CLUSTER with credentials', () => {
  it('reaches a cluster that requires an ACL user, and its agent does too', async () => {
    const env = await envWith(`redis://fleet:${PASSWORD}@${cluster.seeds}`);
    const job = await env.json<JobJson>(['start', '--name', 'acl-clustered', '--', 'echo through the ACL user']);
    await untilState(env, job.id, ['Completed']);
    expect((await env.fleet(['receive', 'acl-clustered'])).stdout).toBe('through the ACL user\n');
  });

  it('is refused without them, or with a wrong password, and never echoes the password', async () => {
    const bare = await (await envWith(cluster.seeds)).fleet(['get']);
    expect(bare.code).toBe(3);
    const wrong = await (await envWith(`redis://fleet:not-${PASSWORD}@${cluster.seeds}`)).fleet(['get']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('redis://fleet:***@');
    expect(wrong.stderr).not.toContain(PASSWORD);
  });

  it('reaches a cluster over TLS with rediss://, checked against FLEET_REDIS_CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-cluster-tls-'));
    const tls = await makeTestTls(dir);
    const overTls = await startRedisCluster({ user: { name: 'fleet', password: PASSWORD }, tls });
    try {
      const env = await envWith(`rediss://fleet:${PASSWORD}@${overTls.seeds}`, { FLEET_REDIS_CA: tls.ca });
      const job = await env.json<JobJson>(['start', '--name', 'tls-clustered', '--', 'echo over TLS']);
      expect(job.name).toBe('tls-clustered');
      await untilState(env, job.id, ['Completed']);
      expect((await env.fleet(['receive', 'tls-clustered'])).stdout).toBe('over TLS\n');
      // Without the CA the server's certificate is unknown; without rediss:// the nodes do not answer in clear.
      const untrusted = await env.fleet(['get'], { env: { FLEET_REDIS_CA: '' } });
      expect(untrusted.code).toBe(3);
      expect(untrusted.stderr).toContain('FLEET_REDIS_CA');
      expect(untrusted.stderr).not.toContain(PASSWORD);
      expect((await env.fleet(['get'], { env: { FLEET_REDIS_CLUSTER: `redis://fleet:${PASSWORD}@${overTls.seeds}` } })).code).toBe(3);
    } finally {
      await cleanUp();
      await overTls.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
