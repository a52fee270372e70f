import { parseComputerNames, resolveJobRequest } from '@fleet/core';
import { FleetStore } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { userSigner } from './support/signing.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/**
 * A CLI killed after it wrote a job (one transaction: all of it or nothing)
 * but before BullMQ got its children. Simulated exactly: the records are
 * written with the library the CLI uses, and nothing is dispatched.
 */
async function createWithoutDispatch(hosts: string, throttle: number): Promise<number> {
  const client = fleet.redis.client();
  const store = new FleetStore({ client, prefix: fleet.env.prefix, heartbeatTtlMs: 10_000 });
  const request = resolveJobRequest({
    type: 'remote',
    command: { kind: 'shell', line: 'echo recovered' },
    hosts: parseComputerNames(hosts),
    throttle,
  });
  const { job } = await store.jobs.create(request, await userSigner(fleet.env));
  await store.close();
  return job.id;
}

describe('a job whose dispatcher died before BullMQ got it', () => {
  it('is dispatched again by the reaper, and its parent finishes', async () => {
    const id = await createWithoutDispatch('localhost,localhost,localhost', 2);
    expect((await fleet.env.json<JobJson[]>(['get', String(id)]))[0]?.state).toBe('Running');
    // Any agent reaps; this one is started the way a user would start one.
    const agent = fleet.env.spawn(['agent']);
    await until(async () => (await fleet.env.json<unknown[]>(['agents'])).length === 1, { what: 'the agent' });
    const done = await untilState(fleet.env, id, ['Completed'], 60_000);
    expect(done.childIds).toHaveLength(3);
    const output = await fleet.env.fleet(['receive', String(id)]);
    expect(output.stdout).toBe('localhost: recovered\n'.repeat(3));
    agent.kill('SIGTERM');
  });
});
