import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { startRedisCluster, type TestRedisCluster } from './support/redis-cluster.js';
import { oneAtATimeOnLocalhost, parseRecords, untilState, type JobJson } from './support/use-fleet.js';

/**
 * SPEC §6: with FLEET_REDIS_CLUSTER, everything works the same. The prefix's
 * hash tag keeps every key of fleet, BullMQ's included, in one slot.
 */
let cluster: TestRedisCluster;
let env: FleetEnv;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await cluster.stop();
});
beforeEach(async () => {
  env = await createFleetEnv(null, { FLEET_REDIS_CLUSTER: cluster.seeds });
});
afterEach(async () => {
  // createFleetEnv was given no single server; stop this test's agents through the cluster.
  const agents = await env.fleet(['agents', '--json']);
  for (const agent of JSON.parse(agents.stdout || '[]') as { pid: number }[]) process.kill(agent.pid, 'SIGKILL');
  await env.cleanup();
});

describe('on a Redis Cluster', () => {
  it('runs, lists, receives, stops and removes jobs', async () => {
    const job = await env.json<JobJson>(['start', '--name', 'clustered', '--', 'echo on a cluster']);
    await untilState(env, job.id, ['Completed']);
    expect((await env.fleet(['receive', 'clustered'])).stdout).toBe('on a cluster\n');

    const parent = await oneAtATimeOnLocalhost(env, 'echo hi; exit 1');
    await untilState(env, parent.id, ['Failed']);
    const records = parseRecords((await env.fleet(['receive', String(parent.id), '--json'])).stdout);
    expect(records.filter((record) => record.stream === 'stdout')).toHaveLength(3);

    const sleeper = await env.json<JobJson>(['start', '--', `${env.sleep} 300`]);
    await untilState(env, sleeper.id, ['Running']);
    expect((await env.fleet(['stop', String(sleeper.id)])).code).toBe(0);
    expect((await env.fleet(['remove', '--state', 'Failed'])).code).toBe(0);
    expect((await env.json<JobJson[]>(['get'])).map((listed) => [listed.id, listed.state])).toEqual([
      [job.id, 'Completed'],
      [sleeper.id, 'Stopped'],
    ]);
  });

  it('follows a job with fleet events: the events stream and the output stream are read together in one slot', async () => {
    const parent = await oneAtATimeOnLocalhost(env, 'echo hi');
    const result = await env.fleet(['events', String(parent.id), '--json']);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event?: string; jobId: number; state?: string; stream?: string; data?: string });
    const states = lines.filter((line) => line.event === 'state').map((line) => [line.jobId, line.state]);
    expect(states.filter(([id]) => id !== parent.id)).toHaveLength(2 * parent.childIds.length);
    expect(states.at(-1)).toEqual([parent.id, 'Completed']);
    expect(lines.filter((line) => line.stream === 'stdout').map((line) => line.data)).toEqual(['hi\n', 'hi\n', 'hi\n']);
  });
});
