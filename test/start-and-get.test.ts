import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

describe('fleet start', () => {
  it('runs a command and prints the job as a table', async () => {
    const result = await fleet.env.fleet(['start', '--', 'echo', 'hello world']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Id\s+Name\s+Type\s+State\s+HasMoreData\s+Location\s+Command/);
    expect(result.stdout).toMatch(/\n1\s+Job1\s+process\s+NotStarted\s+False\s+localhost\s+echo hello world/);
    await untilState(fleet.env, 1, ['Completed']);
    const received = await fleet.env.fleet(['receive', '1']);
    expect(received.stdout).toBe('hello world\n');
  });

  it('prints exactly the SPEC job object with --json', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--name', 'nightly', '--', 'true']);
    expect(Object.keys(job)).toEqual(
      'id name type state hasMoreData location command parentId childIds beganAt endedAt exitCode reason'.split(' '),
    );
    expect(job).toMatchObject({ name: 'nightly', type: 'process', location: 'localhost', command: 'true', parentId: null, childIds: [] });
    const done = await untilState(fleet.env, job.id, ['Completed']);
    expect(done).toMatchObject({ exitCode: 0, reason: null, hasMoreData: false });
    expect(Date.parse(done.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done.beganAt ?? ''));
  });

  it('runs a script with its arguments, with or without a shebang', async () => {
    const bare = join(fleet.env.home, 'bare.sh');
    await writeFile(bare, 'echo "sh got $# args: $1|$2"\n');
    const shebang = join(fleet.env.home, 'node.mjs');
    await writeFile(shebang, `#!${process.execPath}\nconsole.log('node got', JSON.stringify(process.argv.slice(2)))\n`);
    await chmod(shebang, 0o644); // fleet makes its own executable copy
    const a = await fleet.env.json<JobJson>(['start', '--script', bare, '--', 'one two', '$HOME']);
    const b = await fleet.env.json<JobJson>(['start', '--file-path', shebang, '--', 'x', "it's"]);
    expect(a.command).toBe(`${bare} 'one two' '$HOME'`);
    await untilState(fleet.env, a.id, ['Completed']);
    await untilState(fleet.env, b.id, ['Completed']);
    expect((await fleet.env.fleet(['receive', String(a.id)])).stdout).toBe('sh got 2 args: one two|$HOME\n');
    expect((await fleet.env.fleet(['receive', String(b.id)])).stdout).toBe(`node got ["x","it's"]\n`);
  });

  it('starts in the home directory unless --workdir says otherwise', async () => {
    const elsewhere = join(fleet.env.home, 'work dir');
    await mkdir(elsewhere);
    const home = await fleet.env.json<JobJson>(['start', '--', 'pwd']);
    const other = await fleet.env.json<JobJson>(['start', '--workdir', elsewhere, '--', 'pwd']);
    const missing = await fleet.env.json<JobJson>(['start', '--workdir', '/no/such/dir', '--', 'pwd']);
    await untilState(fleet.env, other.id, ['Completed']);
    await untilState(fleet.env, home.id, ['Completed']);
    expect((await fleet.env.fleet(['receive', String(home.id)])).stdout).toBe(`${fleet.env.home}\n`);
    expect((await fleet.env.fleet(['receive', String(other.id)])).stdout).toBe(`${elsewhere}\n`);
    const failed = await untilState(fleet.env, missing.id, ['Failed']);
    expect(failed.reason).toBe('working directory /no/such/dir does not exist');
  });

  it('passes --env and fails a job past --timeout', async () => {
    const env = await fleet.env.json<JobJson>(['start', '--env', 'GREETING=hi there', '--', 'echo "$GREETING"']);
    const slow = await fleet.env.json<JobJson>(['start', '--timeout', '1', '--', `${fleet.env.sleep} 60`]);
    await untilState(fleet.env, env.id, ['Completed']);
    expect((await fleet.env.fleet(['receive', String(env.id)])).stdout).toBe('hi there\n');
    expect(await untilState(fleet.env, slow.id, ['Failed'])).toMatchObject({ reason: 'timed out after 1s' });
  });
});

describe('ids and names', () => {
  it('takes ids from one counter and names jobs Job<id> by default', async () => {
    const first = await fleet.env.json<JobJson>(['start', '--', 'true']);
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'true']);
    const third = await fleet.env.json<JobJson>(['start', '--', 'true']);
    expect([first.id, parent.id, parent.childIds, third.id]).toEqual([1, 2, [3, 4], 5]);
    expect([first.name, parent.name, third.name]).toEqual(['Job1', 'Job2', 'Job5']);
  });

  it('keeps jobs after the CLI that made them has exited', async () => {
    // Every fleet call here is its own process: start in one, read in others.
    const job = await fleet.env.json<JobJson>(['start', '--', 'echo kept']);
    await untilState(fleet.env, job.id, ['Completed']);
    expect((await fleet.env.fleet(['receive', String(job.id)])).stdout).toBe('kept\n');
  });
});

describe('fleet get', () => {
  it('selects by id and by a name that several jobs share', async () => {
    const a = await fleet.env.json<JobJson>(['start', '--name', 'shared', '--', 'true']);
    await fleet.env.json<JobJson>(['start', '--name', 'other', '--', 'true']);
    const c = await fleet.env.json<JobJson>(['start', '--name', 'shared', '--', 'true']);
    const byName = await fleet.env.json<JobJson[]>(['get', 'shared']);
    expect(byName.map((job) => job.id)).toEqual([a.id, c.id]);
    const byId = await fleet.env.json<JobJson[]>(['get', String(c.id)]);
    expect(byId.map((job) => job.id)).toEqual([c.id]);
    const all = await fleet.env.json<JobJson[]>(['get']);
    expect(all.map((job) => job.id)).toEqual([1, 2, 3]);
  });

  it('filters by --state and adds children with --children', async () => {
    const ok = await fleet.env.json<JobJson>(['start', '--', 'true']);
    const bad = await fleet.env.json<JobJson>(['start', '--', 'exit 4']);
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'true']);
    await untilState(fleet.env, ok.id, ['Completed']);
    await untilState(fleet.env, bad.id, ['Failed']);
    await untilState(fleet.env, parent.id, ['Completed']);
    expect((await fleet.env.json<JobJson[]>(['get', '--state', 'failed'])).map((job) => job.id)).toEqual([bad.id]);
    const listed = await fleet.env.json<JobJson[]>(['get']);
    expect(listed.map((job) => job.id)).toEqual([ok.id, bad.id, parent.id]);
    const withChildren = await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    expect(withChildren.map((job) => [job.id, job.parentId, job.location])).toEqual([
      [parent.id, null, 'localhost,localhost'],
      [parent.id + 1, parent.id, 'localhost'],
      [parent.id + 2, parent.id, 'localhost'],
    ]);
    expect((await fleet.env.fleet(['get', '--state', 'Sideways'])).code).toBe(2);
  });

  it('shows one field a line with --format list', async () => {
    const job = await fleet.env.json<JobJson>(['start', '--', 'exit 3']);
    await untilState(fleet.env, job.id, ['Failed']);
    const result = await fleet.env.fleet(['get', String(job.id), '--format', 'list']);
    expect(result.stdout).toMatch(/^Id\s+: 1$/m);
    expect(result.stdout).toMatch(/^State\s+: Failed$/m);
    expect(result.stdout).toMatch(/^ExitCode\s+: 3$/m);
    expect(result.stdout).toMatch(/^Reason\s+: exit code 3$/m);
  });
});

describe('retention', () => {
  it('expires finished jobs, their children and their output after FLEET_RETENTION', async () => {
    const short = await createFleetEnv(fleet.redis, { FLEET_RETENTION: '3' });
    try {
      const job = await short.json<JobJson>(['start', '--', 'echo bye']);
      const parent = await short.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', 'echo bye']);
      // They finish at once and are kept 3 s: wait sees them finished, then they go.
      const waited = await short.fleet(['wait', String(job.id), String(parent.id), '--json']);
      expect((JSON.parse(waited.stdout) as JobJson[]).map((done) => done.state)).toEqual(['Completed', 'Completed']);
      await until(async () => (await short.json<JobJson[]>(['get'])).length === 0, { what: 'the jobs to expire' });
      for (const id of [job.id, parent.id, ...parent.childIds]) expect((await short.fleet(['get', String(id)])).code).toBe(2);
      const keys = await fleet.redis.client().keys(`${short.prefix}:*`);
      expect(keys.filter((key) => /:(job|out|pending):/.test(key))).toEqual([]);
    } finally {
      await short.cleanup();
    }
  });
});
