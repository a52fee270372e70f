import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { parseComputerNames, resolveJobRequest } from '@fleet/core';
import { FleetStore, SHARED_QUEUE } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { startForegroundAgent } from './support/agents.js';
import { until } from './support/poll.js';
import { userSigner } from './support/signing.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

const foregroundAgent = (args: string[]) => startForegroundAgent(fleet.env, args);

describe('an agent killed with SIGKILL mid-command', () => {
  it('fails its children as agent lost without running them again; the parent finishes and the other agent goes on', async () => {
    const doomed = await foregroundAgent(['--concurrency', '3']);
    await foregroundAgent(['--concurrency', '3']);
    const runs = join(fleet.env.home, 'runs');
    const release = join(fleet.env.home, 'release');
    // Each child notes its run, then waits for the test to let it finish.
    const command = `echo run >> '${runs}'; while [ ! -e '${release}' ]; do ${fleet.env.sleep} 0.05; done; echo done`;
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', Array(6).fill('localhost').join(','), '--as-job', '--', command]);
    // Three on each agent: both are full.
    await until(async () => (await readFile(runs, 'utf8').catch(() => '')).split('\n').length - 1 === 6, { what: 'all six to start' });

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // Its three are noticed within the heartbeat's lifetime, whatever else happens.
    await until(
      async () =>
        (await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children'])).filter((job) => job.reason === 'agent lost').length ===
        3,
      { what: 'three children to fail as agent lost', timeoutMs: 60_000 },
    );
    await appendFile(release, '');
    const done = await untilState(fleet.env, parent.id, ['Failed']);
    expect(done.endedAt).not.toBeNull();
    const children = (await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    expect(children.map((child) => child.state).sort()).toEqual(['Completed', 'Completed', 'Completed', 'Failed', 'Failed', 'Failed']);
    for (const child of children.filter((job) => job.state === 'Failed'))
      expect(child).toMatchObject({ reason: 'agent lost', exitCode: null });

    // The survivor takes new work; nothing ran twice.
    const next = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost,localhost', '--as-job', '--', `echo run >> '${runs}'`]);
    await untilState(fleet.env, next.id, ['Completed']);
    expect((await fleet.env.json<{ pid: number }[]>(['agents'])).length).toBe(1);
    expect((await readFile(runs, 'utf8')).split('\n').length - 1).toBe(8);
    const output = await fleet.env.fleet(['receive', String(parent.id)]);
    expect(output.stdout).toBe('localhost: done\n'.repeat(3));
    expect(output.stderr).toBe('localhost: error: agent lost\n'.repeat(3));
  });
});

describe('the CLI killed while invoke --as-job creates a job', () => {
  it('leaves each job whole or absent: every parent it made has all its children, and finishes', async () => {
    const hosts = join(fleet.env.home, 'hosts');
    const count = 1000;
    await appendFile(hosts, 'localhost\n'.repeat(count));
    // The first CLI start also starts the agent; later ones only create and dispatch.
    await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'true']);
    // Kills spread over the CLI's life: before, during and after it writes the job.
    for (const afterMs of [150, 200, 250, 300, 350, 400, 450, 500, 600, 800]) {
      const cli = fleet.env.spawn(['invoke', '-f', hosts, '--as-job', '--', 'true']);
      const exited = new Promise<void>((resolve) => cli.on('close', () => resolve()));
      await delay(afterMs);
      cli.kill('SIGKILL');
      await exited;
    }

    const parents = await fleet.env.json<JobJson[]>(['get']);
    for (const parent of parents) {
      expect(parent.childIds).toHaveLength(count);
      const done = await untilState(fleet.env, parent.id, ['Completed'], 300_000);
      expect(done.hasMoreData).toBe(false);
      const children = (await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
      expect(children.map((child) => child.id)).toEqual(parent.childIds);
      expect(children.every((child) => child.state === 'Completed')).toBe(true);
    }
    // No job record belongs to a parent that was not made: every key is a listed job or its child.
    const client = fleet.redis.client();
    const known = new Set(parents.flatMap((job) => [job.id, ...job.childIds]));
    const keys = await client.keys(`${fleet.env.prefix}:job:*`);
    client.disconnect();
    const strays = keys.map((key) => Number(key.slice(key.lastIndexOf(':') + 1))).filter((id) => !known.has(id));
    expect(strays).toEqual([]);
    // Up to ten jobs of 1,000 children each run to the end: minutes on a loaded 2-core CI machine.
  }, 900_000);
});

describe('an agent killed after BullMQ handed it a job, before it claimed it', () => {
  it('leaves the job to another agent, which runs it once', async () => {
    const store = new FleetStore({ client: fleet.redis.client(), prefix: fleet.env.prefix, heartbeatTtlMs: 10_000 });
    const runs = join(fleet.env.home, 'runs');
    const request = resolveJobRequest({
      type: 'remote',
      command: { kind: 'shell', line: `echo run >> '${runs}'` },
      hosts: parseComputerNames('localhost'),
    });
    const { job, dispatchIds } = await store.jobs.create(request, await userSigner(fleet.env));
    // A BullMQ worker that takes the job and dies holding it: an agent killed between the two steps.
    const taker = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Worker } from 'bullmq';
         new Worker(${JSON.stringify(SHARED_QUEUE)}, async () => { console.log('taken'); await new Promise(() => {}); },
           { connection: { host: '127.0.0.1', port: ${fleet.redis.port}, maxRetriesPerRequest: null }, prefix: ${JSON.stringify(fleet.env.prefix)}, lockDuration: 2000 });`,
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const taken = new Promise<void>((resolve) => taker.stdout?.on('data', () => resolve()));
    await store.dispatcher.dispatch(dispatchIds);
    await taken;
    taker.kill('SIGKILL');
    await store.close();

    expect((await fleet.env.json<JobJson[]>(['get', String(job.id), '--children']))[1]?.state).toBe('NotStarted');
    await foregroundAgent([]);
    const done = await untilState(fleet.env, job.id, ['Completed'], 90_000);
    expect(done.state).toBe('Completed');
    expect(await readFile(runs, 'utf8')).toBe('run\n');
  });
});
