import { describe, expect, it } from 'vitest';
import { createFleetEnv, processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { oneAtATimeOnLocalhost, untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/** A job that prints a line, then sleeps until stopped; its processes carry the test's marker. */
function sleeper(extra: string[] = []): Promise<JobJson> {
  return fleet.env.json<JobJson>(['start', ...extra, '--', `echo started; ${fleet.env.sleep} 300 & ${fleet.env.sleep} 300`]);
}

describe('fleet wait', () => {
  it('returns once every job has finished and prints them', async () => {
    const a = await fleet.env.json<JobJson>(['start', '--', 'sleep 0.5']);
    const b = await fleet.env.json<JobJson>(['start', '--', 'exit 2']);
    const result = await fleet.env.fleet(['wait', String(a.id), String(b.id), '--json']);
    const jobs = JSON.parse(result.stdout) as JobJson[];
    expect(jobs.map((job) => [job.id, job.state])).toEqual([
      [a.id, 'Completed'],
      [b.id, 'Failed'],
    ]);
    expect(result.code).toBe(1);
    const ok = await fleet.env.fleet(['wait', String(a.id)]);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/Completed/)]);
  });

  it('returns with --any once one has finished', async () => {
    const slow = await sleeper();
    const quick = await fleet.env.json<JobJson>(['start', '--', 'true']);
    const result = await fleet.env.fleet(['wait', String(slow.id), String(quick.id), '--any', '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as JobJson[]).map((job) => job.id)).toEqual([quick.id]);
    await fleet.env.fleet(['stop', String(slow.id)]);
  });

  it('gives up after --timeout with exit 124 and leaves the job running', async () => {
    const job = await sleeper();
    const result = await fleet.env.fleet(['wait', String(job.id), '--timeout', '1']);
    expect(result.code).toBe(124);
    expect(result.stderr).toMatch(/timed out after 1s; still running: job 1/);
    expect((await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.state).toBe('Running');
    await fleet.env.fleet(['stop', String(job.id)]);
  });
});

describe('fleet stop', () => {
  it('ends the process and every process it started, keeping the output so far', async () => {
    const job = await sleeper();
    await until(async () => (await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData, { what: 'first line' });
    await until(async () => (await processesWith(fleet.env.marker)).length >= 2, { what: 'both sleeps' });
    const result = await fleet.env.fleet(['stop', String(job.id)]);
    expect(result.code).toBe(0);
    const stopped = (await fleet.env.json<JobJson[]>(['get', String(job.id)]))[0];
    expect(stopped).toMatchObject({ state: 'Stopped', reason: 'stopped', hasMoreData: true });
    expect(await processesWith(fleet.env.marker)).toEqual([]);
    const received = await fleet.env.fleet(['receive', String(job.id)]);
    expect(received.stdout).toBe('started\n');
    expect(received.stderr).toBe('error: stopped\n');
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    // The grace period is the agent's setting: this test's agent gets 1 s.
    const quick = await createFleetEnv(fleet.redis, { FLEET_STOP_GRACE: '1' });
    try {
      const job = await quick.json<JobJson>(['start', '--', `trap '' TERM; echo armed; ${quick.sleep} 300`]);
      await until(async () => (await quick.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData, { what: 'trap armed' });
      expect((await quick.fleet(['stop', String(job.id)])).code).toBe(0);
      expect((await quick.json<JobJson[]>(['get', String(job.id)]))[0]?.state).toBe('Stopped');
      expect(await processesWith(quick.marker)).toEqual([]);
    } finally {
      await quick.cleanup();
    }
  });

  it('stops children not yet started without running them', async () => {
    const parent = await oneAtATimeOnLocalhost(fleet.env, `echo ran; ${fleet.env.sleep} 300`);
    await untilState(fleet.env, parent.id + 1, ['Running']);
    await fleet.env.fleet(['stop', String(parent.id)]);
    const jobs = await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    expect(jobs.map((job) => [job.id, job.state, job.beganAt === null])).toEqual([
      [parent.id, 'Stopped', false],
      [parent.id + 1, 'Stopped', false],
      [parent.id + 2, 'Stopped', true],
      [parent.id + 3, 'Stopped', true],
    ]);
    const out = await fleet.env.fleet(['receive', String(parent.id)]);
    expect(out.stdout).toBe('localhost: ran\n');
  });
});

describe('fleet remove', () => {
  it('refuses a running job unless --force, which stops it first', async () => {
    const job = await sleeper();
    const refused = await fleet.env.fleet(['remove', String(job.id)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/job 1 is (Running|NotStarted).*--force/s);
    expect(await fleet.env.json<JobJson[]>(['get', String(job.id)])).toHaveLength(1);
    expect((await fleet.env.fleet(['remove', String(job.id), '--force'])).code).toBe(0);
    expect((await fleet.env.fleet(['get', String(job.id)])).code).toBe(2);
    expect(await processesWith(fleet.env.marker)).toEqual([]);
  });

  it('removes a finished job with its children and output', async () => {
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'echo x']);
    await untilState(fleet.env, parent.id, ['Completed']);
    // The ended list (what a follower reads) holds both children, and expires with the tree.
    const ended = `${fleet.env.prefix}:ended:${parent.id}`;
    expect((await fleet.redis.client().lrange(ended, 0, -1)).sort()).toEqual([String(parent.id + 1), String(parent.id + 2)]);
    expect(await fleet.redis.client().ttl(ended)).toBeGreaterThan(0);
    const child = await fleet.env.fleet(['remove', String(parent.id + 1)]);
    expect(child.code).toBe(2);
    expect(child.stderr).toMatch(/job 2 is a child of job 1.*remove job 1/s);
    expect((await fleet.env.fleet(['remove', String(parent.id)])).code).toBe(0);
    for (const id of [parent.id, parent.id + 1, parent.id + 2]) expect((await fleet.env.fleet(['get', String(id)])).code).toBe(2);
    const keys = await fleet.redis.client().keys(`${fleet.env.prefix}:*`);
    expect(keys.filter((key) => /:(job|out|pending|done|ended):/.test(key))).toEqual([]);
  });

  it('removes every job in a state with --state', async () => {
    const ok = await fleet.env.json<JobJson>(['start', '--', 'true']);
    const bad = await fleet.env.json<JobJson>(['start', '--', 'false']);
    await untilState(fleet.env, ok.id, ['Completed']);
    await untilState(fleet.env, bad.id, ['Failed']);
    expect((await fleet.env.fleet(['remove', '--state', 'Failed'])).code).toBe(0);
    expect((await fleet.env.json<JobJson[]>(['get'])).map((job) => job.id)).toEqual([ok.id]);
  });
});
