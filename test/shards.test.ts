import { shardIndexForJob, shardPrefixes } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { parseRecords, untilState, useFleet, type JobJson } from './support/use-fleet.js';

/**
 * Issue 21: with FLEET_SHARDS, each job tree lives under the prefix of one
 * shard, and every command finds it there. On one redis-server the shards
 * are prefixes side by side (the Cluster tests put them on several masters).
 */
const fleet = useFleet({ FLEET_SHARDS: '3' });

/** The shard prefix that holds job `id`'s record, read straight from Redis. */
async function shardOf(prefix: string, id: number): Promise<string | null> {
  const client = fleet.redis.client();
  for (const shard of shardPrefixes(prefix, 3)) if ((await client.exists(`${shard}:job:${id}`)) === 1) return shard;
  return null;
}

describe('FLEET_SHARDS=3 on one Redis', () => {
  it('puts each job on the shard its id hashes to, and get, receive, wait and remove find them there', async () => {
    const { env } = fleet;
    const jobs: JobJson[] = [];
    const shards: (string | null)[] = [];
    // Until every shard holds one (the hash spreads ids evenly: a few jobs do).
    for (let index = 0; new Set(shards).size < 3; index += 1) {
      expect(index).toBeLessThan(30);
      const job = await env.json<JobJson>([
        'invoke',
        '-c',
        'localhost,localhost',
        '--name',
        `job${index}`,
        '--as-job',
        '--',
        `echo ${index}`,
      ]);
      jobs.push(job);
      shards.push(await shardOf(env.prefix, job.id));
      expect(shards.at(-1)).toBe(shardPrefixes(env.prefix, 3)[shardIndexForJob(job.id, 3)]);
      // A child lives with its parent.
      expect(await shardOf(env.prefix, job.childIds[0] as number)).toBe(shards.at(-1));
    }
    const waited = await env.json<JobJson[]>(['wait', ...jobs.map((job) => String(job.id))]);
    expect(waited.map((job) => [job.id, job.state])).toEqual(jobs.map((job) => [job.id, 'Completed']));
    expect((await env.json<JobJson[]>(['get'])).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
    const second = jobs[1] as JobJson;
    const children = await env.json<JobJson[]>(['get', second.name, '--children']);
    expect(children.map((job) => job.id)).toEqual([second.id, ...second.childIds]);

    // One receive of jobs on three shards: every host's line, and the exit code of them all.
    const received = await env.fleet(['receive', ...jobs.map((job) => String(job.id)), '--json']);
    expect(received.code).toBe(0);
    const lines = parseRecords(received.stdout).map((record) => record.data);
    expect(lines.sort()).toEqual(jobs.flatMap((_, index) => [String(index), String(index)]).sort());

    const [first, ...rest] = jobs as [JobJson, ...JobJson[]];
    expect((await env.fleet(['remove', ...rest.map((job) => String(job.id))])).code).toBe(0);
    expect((await env.json<JobJson[]>(['get'])).map((job) => job.id)).toEqual([first.id]);
    const client = fleet.redis.client();
    for (const [index, job] of rest.entries()) expect(await client.exists(`${shards[index + 1]}:job:${job.id}`)).toBe(0);
  });

  it('runs a synchronous fan-out on its shard, and stops a job on another by id or name', async () => {
    const { env } = fleet;
    const run = await env.fleet(['invoke', '-c', 'localhost,localhost,localhost', '--', 'echo from $FLEET_RANK']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean).sort()).toEqual(['localhost: from 0', 'localhost: from 1', 'localhost: from 2']);

    // One name, jobs on two shards or more (started until two shards hold one): all of them stop.
    const sleepers: JobJson[] = [];
    const shards = new Set<string | null>();
    while (shards.size < 2) {
      expect(sleepers.length).toBeLessThan(20);
      const job = await env.json<JobJson>(['start', '--name', 'nap', '--', `${env.sleep} 300`]);
      sleepers.push(job);
      shards.add(await shardOf(env.prefix, job.id));
    }
    for (const job of sleepers) await untilState(env, job.id, ['Running']);
    expect((await env.fleet(['stop', 'nap'])).code).toBe(0);
    expect((await env.json<JobJson[]>(['get', 'nap'])).map((job) => job.state)).toEqual(sleepers.map(() => 'Stopped'));
    const missing = await env.fleet(['get', '999999']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('999999');
  });

  it('keeps jobs made on three shards readable, and running, after the count goes back to one', async () => {
    const { env } = fleet;
    const jobs = [await env.json<JobJson>(['start', '--', 'echo first']), await env.json<JobJson>(['start', '--', 'echo second'])];
    const single = { FLEET_SHARDS: '1' };
    for (const job of jobs) await untilState(env, job.id, ['Completed']);
    const later = await env.fleet(['start', '--json', '--', 'echo third'], { env: single });
    const third = JSON.parse(later.stdout) as JobJson;
    expect(await shardOf(env.prefix, third.id)).toBe(env.prefix);
    const listed = JSON.parse((await env.fleet(['get', '--json'], { env: single })).stdout) as JobJson[];
    expect(listed.map((job) => job.id)).toEqual([...jobs, third].map((job) => job.id));
    for (const [job, word] of [
      [jobs[0], 'first'],
      [jobs[1], 'second'],
    ] as const) {
      expect((await env.fleet(['receive', String(job?.id)], { env: single })).stdout).toBe(`${word}\n`);
    }
  });

  it('takes nothing but its own shards from the registry a Redis writer can add to', async () => {
    const { env } = fleet;
    const client = fleet.redis.client();
    // Prefixes that are not shards of this deployment's: another deployment's keys, and junk.
    await client.sadd(`${env.prefix}:shards`, '{other}', `${env.prefix}-x`, 'nothing');
    await client.hset('{other}:job:424242', 'id', '424242', 'name', 'planted', 'state', 'Completed');
    await client.zadd('{other}:roots', 424242, '424242');
    const job = await env.json<JobJson>(['start', '--', 'echo mine']);
    await untilState(env, job.id, ['Completed']);
    expect((await env.json<JobJson[]>(['get'])).map((listed) => listed.id)).toEqual([job.id]);
    expect((await env.fleet(['get', '424242'])).code).toBe(2);
    await client.del('{other}:job:424242', '{other}:roots');
  });
});
