import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
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
afterEach(async () => {
  for (const env of envs.splice(0)) {
    const agents = await env.fleet(['agents', '--json']);
    for (const agent of JSON.parse(agents.stdout || '[]') as { pid: number }[]) process.kill(agent.pid, 'SIGKILL');
    await env.cleanup();
  }
});

async function envWith(seeds: string): Promise<FleetEnv> {
  const env = await createFleetEnv(null, { FLEET_REDIS_CLUSTER: seeds });
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
});
