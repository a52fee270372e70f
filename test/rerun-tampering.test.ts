import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/**
 * Someone who can write to fleet's Redis waits for the operator's documented
 * `fleet invoke --rerun-failed JOB`, which signs anew what Redis holds. Each
 * test changes a failed job in Redis as that person would, then reruns it:
 * fleet must refuse, saying what was changed, and launch nothing.
 */
describe('invoke --rerun-failed against a Redis writer', () => {
  let client: Redis | undefined;
  afterEach(() => {
    client?.disconnect();
    client = undefined;
  });
  const redis = (): Redis => (client ??= fleet.redis.client());
  const key = (id: number) => `${fleet.env.prefix}:job:${id}`;
  /** The command the writer wants run: it leaves a file if it ever does. */
  const evil = () => `touch ${join(fleet.env.home, 'evil')}`;
  const evilRan = () => existsSync(join(fleet.env.home, 'evil'));

  /** Three localhost children; ranks 1 and 2 fail until `fixed` exists. */
  async function failedJob(env: NodeJS.ProcessEnv = {}): Promise<{ job: JobJson; children: JobJson[] }> {
    const fixed = join(fleet.env.home, 'fixed');
    const result = await fleet.env.fleet(
      ['invoke', '-c', 'localhost,localhost,localhost', '--as-job', '--json', '--', `[ -e '${fixed}' ] || [ "$FLEET_RANK" = 0 ] || exit 3`],
      { env },
    );
    const job = JSON.parse(result.stdout) as JobJson;
    await untilState(fleet.env, job.id, ['Failed']);
    const children = (await fleet.env.json<JobJson[]>(['get', String(job.id), '--children'])).slice(1);
    expect(children.map((child) => child.state)).toEqual(['Completed', 'Failed', 'Failed']);
    return { job, children };
  }

  async function swapSpec(jobId: number, line: string): Promise<void> {
    const spec = JSON.parse((await redis().hget(key(jobId), 'spec'))!) as { command: { line: string } };
    spec.command.line = line;
    await redis().hset(key(jobId), 'spec', JSON.stringify(spec));
  }

  /** Reruns `jobId`, expecting the refusal `why`, and checks that nothing was launched or ran. */
  async function expectRefused(jobId: number, why: string): Promise<void> {
    const before = (await fleet.env.json<JobJson[]>(['get'])).map((job) => job.id);
    const rerun = await fleet.env.fleet(['invoke', '--rerun-failed', String(jobId)]);
    expect(rerun.code).toBe(1);
    expect(rerun.stderr).toContain(`fleet: refused to rerun job ${jobId}: ${why}`);
    expect((await fleet.env.json<JobJson[]>(['get'])).map((job) => job.id)).toEqual(before);
    expect(await redis().get(`${fleet.env.prefix}:ids`)).toBe(String(Math.max(...before) + 3));
    expect(evilRan()).toBe(false);
  }

  it('refuses a parent whose spec was swapped, whether or not the shown command was changed with it', async () => {
    const { job, children } = await failedJob();
    await swapSpec(job.id, evil());
    const notSigned = `host localhost's child ${children[1]!.id} is not signed by your key (its spec or host was changed in Redis)`;
    await expectRefused(job.id, notSigned);
    // `fleet get` would show the evil command too: still refused.
    await redis().hset(key(job.id), 'command', evil());
    await expectRefused(job.id, notSigned);
  });

  it('refuses a failed child pointed at another host', async () => {
    const { job, children } = await failedJob();
    await redis().hset(key(children[2]!.id), 'location', '127.0.0.1');
    await expectRefused(job.id, `host 127.0.0.1's child ${children[2]!.id} is not signed by your key`);
  });

  it('refuses a child that succeeded, marked Failed and pointed elsewhere', async () => {
    const { job, children } = await failedJob();
    await redis().hset(key(children[0]!.id), { state: 'Failed', location: 'root@127.0.0.1' });
    await expectRefused(job.id, `host root@127.0.0.1's child ${children[0]!.id} is not signed by your key`);
  });

  it('refuses a command field changed alone, on the parent or on a child', async () => {
    const { job, children } = await failedJob();
    const original = job.command;
    await redis().hset(key(job.id), 'command', 'uptime');
    await expectRefused(job.id, 'its command field ("uptime") is not the command it was signed with (it was changed in Redis)');
    await redis().hset(key(job.id), 'command', original);
    await redis().hset(key(children[1]!.id), 'command', 'uptime');
    await expectRefused(job.id, `host localhost's child ${children[1]!.id} shows the command "uptime", not the one it was signed with`);
  });

  it('still reruns what it signed, after its signatures have expired', async () => {
    const { job, children } = await failedJob({ FLEET_SIGNATURE_TTL: '3s' });
    const expiresAt = (JSON.parse((await redis().hget(key(children[1]!.id), 'signature'))!) as { expiresAt: number }).expiresAt;
    await until(() => Date.now() > expiresAt, { what: 'the first run’s signatures to expire' });
    await writeFile(join(fleet.env.home, 'fixed'), '');
    const rerun = await fleet.env.json<JobJson>(['invoke', '--rerun-failed', String(job.id), '--as-job']);
    expect(rerun.id).not.toBe(job.id);
    expect(rerun.location).toBe('localhost,localhost');
    expect(rerun.command).toBe(job.command);
    await untilState(fleet.env, rerun.id, ['Completed']);
  });
});
