import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { nodeQueueName, parseComputerNames, resolveJobRequest, type JobRequest } from '@fleet/core';
import { FleetStore, queueJobId } from '@fleet/store';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { userSigner } from './support/signing.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

interface AgentJson {
  id: string;
  serves: string | null;
}

/**
 * Someone who can write to fleet's Redis takes a job the operator signed for
 * one node (or for `localhost`) and queues it for another node's agent. The
 * signature is valid, only for another host: the agent must refuse it and
 * run nothing.
 */
describe('a node agent runs only jobs signed for the entry it serves', () => {
  it('refuses a child signed for another node, and a start job signed for localhost, queued on its own queue', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const marker = (name: string) => `/tmp/${ssh.env.marker}-${name}`;
    const client = ssh.redis.client();
    const store = new FleetStore({ client, prefix: ssh.env.prefix, heartbeatTtlMs: 10_000 });
    const signer = await userSigner(ssh.env);
    /** A job as the operator's CLI makes it, signed, but never handed to BullMQ by fleet. */
    const signedJob = async (request: JobRequest) => {
      const { job } = await store.jobs.create(request, signer);
      // Its dispatch note gone, no reaper hands it out the honest way: only the writer queues it.
      await client.zrem(`${ssh.env.prefix}:dispatching`, ...(job.childIds.length > 0 ? job.childIds : [job.id]).map(String));
      return job;
    };
    try {
      const forA = await signedJob(
        resolveJobRequest({ type: 'remote', command: { kind: 'shell', line: `touch ${marker('moved')}` }, hosts: parseComputerNames(a) }),
      );
      const started = await signedJob(resolveJobRequest({ type: 'process', command: { kind: 'shell', line: `touch ${marker('start')}` } }));
      // The same for both kinds of child: JavaScript (invoke --thread, start --thread) as well as commands.
      const touch = (name: string) => ({
        kind: 'thread' as const,
        source: 'eval' as const,
        name: '',
        code: `(await import('node:fs')).writeFileSync(${JSON.stringify(marker(name))}, '')`,
        args: [],
      });
      const threadForA = await signedJob(
        resolveJobRequest({ type: 'remote', command: touch('thread-moved'), hosts: parseComputerNames(a) }),
      );
      const threadStarted = await signedJob(resolveJobRequest({ type: 'thread', command: touch('thread-start') }));

      expect((await ssh.env.fleet(['deploy', '-c', `${a},${b}`], { timeoutMs: 90_000 })).code).toBe(0);
      expect((await ssh.env.json<AgentJson[]>(['agents'])).map((agent) => agent.serves).sort()).toEqual([a, b].sort());

      const queue = new Queue(nodeQueueName(b), { connection: client, prefix: ssh.env.prefix });
      try {
        const childrenForA = [forA.childIds[0] as number, threadForA.childIds[0] as number];
        const startJobs = [started.id, threadStarted.id];
        for (const id of [...childrenForA, ...startJobs]) await queue.add('run', { id }, { jobId: queueJobId(id) });
        for (const id of childrenForA) {
          const moved = await untilState(ssh.env, id, ['Completed', 'Failed']);
          expect(moved).toMatchObject({ location: a, state: 'Failed', reason: `refused: signed for ${a}, this agent serves ${b}` });
        }
        for (const id of startJobs) {
          const local = await untilState(ssh.env, id, ['Completed', 'Failed']);
          expect(local).toMatchObject({
            location: 'localhost',
            state: 'Failed',
            reason: `refused: signed for localhost, this agent serves ${b}`,
          });
        }
        for (const name of ['moved', 'start', 'thread-moved', 'thread-start']) expect(existsSync(marker(name))).toBe(false);
      } finally {
        await queue.close();
      }

      // The honest way still works: a job for A runs on A's agent.
      const honest = await ssh.env.json<JobJson>(['invoke', '-c', a, '--as-job', '--', `touch ${marker('honest')}`]);
      await untilState(ssh.env, honest.id, ['Completed']);
      await until(() => existsSync(marker('honest')), { what: 'the honest job to run' });
      const honestThread = await ssh.env.json<JobJson>(['invoke', '-c', a, '--thread', '--as-job', '--eval', touch('thread-honest').code]);
      await untilState(ssh.env, honestThread.id, ['Completed']);
      await until(() => existsSync(marker('thread-honest')), { what: 'the honest thread child to run' });
    } finally {
      await ssh.env.fleet(['undeploy', '-c', `${a},${b}`]);
      await store.close();
      client.disconnect();
      for (const name of ['moved', 'start', 'honest', 'thread-moved', 'thread-start', 'thread-honest'])
        await rm(marker(name), { force: true });
    }
  });

  it('will not serve localhost', async () => {
    const result = await ssh.env.fleet(['agent', '--serve', 'localhost']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--serve localhost: localhost jobs are run by agents on the shared queue');
  });
});
