import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPublicKey, generateSigningKey, jobSigner, parseComputerNames, resolveJobRequest, type JobSigner } from '@fleet/core';
import { FleetStore } from '@fleet/store';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { userDeployment, userSigner, userSigningKey } from './support/signing.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/**
 * Someone who can write to Redis but holds no trusted key. Each test makes a
 * job the way that person could (by hand, or by changing what fleet wrote),
 * hands it to BullMQ, and checks that the agent refuses it with a clear
 * reason and that nothing ran: every command here would leave a file.
 */
describe('an agent runs only jobs signed by a key it trusts', () => {
  let store: FleetStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  function openStore(): FleetStore {
    store = new FleetStore({ client: fleet.redis.client(), prefix: fleet.env.prefix, heartbeatTtlMs: 10_000 });
    return store;
  }

  /** A command that leaves `name` in the test's HOME if it ever runs. */
  const leaves = (name: string) => `touch ${join(fleet.env.home, name)}`;
  const ran = (name: string) => existsSync(join(fleet.env.home, name));

  async function createJob(line: string, hosts: string, signer: JobSigner): Promise<{ id: number; childIds: number[] }> {
    const request = resolveJobRequest({ type: 'remote', command: { kind: 'shell', line }, hosts: parseComputerNames(hosts) });
    const { job } = await openStore().jobs.create(request, signer);
    return { id: job.id, childIds: job.childIds };
  }

  async function dispatchAndWait(id: number, ids: number[]): Promise<JobJson[]> {
    await openStore().dispatcher.dispatch(ids);
    // The first fleet command starts the agent, which runs as the test user and trusts the test user's key.
    await untilState(fleet.env, id, ['Completed', 'Failed', 'Stopped']);
    return fleet.env.json<JobJson[]>(['get', String(id), '--children']);
  }

  async function startAgent(): Promise<void> {
    fleet.env.spawn(['agent']);
    await until(async () => (await fleet.env.json<unknown[]>(['agents'])).length === 1, { what: 'the agent' });
  }

  it('refuses a job written straight into Redis, with no signature', async () => {
    await startAgent();
    const client = fleet.redis.client();
    const id = Number(await client.incr(`${fleet.env.prefix}:ids`));
    const spec = JSON.stringify({
      command: { kind: 'shell', line: leaves('forged') },
      workdir: null,
      env: {},
      timeoutMs: null,
      connectTimeoutMs: null,
      maxOutputBytes: 1024,
    });
    await client.hset(`${fleet.env.prefix}:job:${id}`, {
      id: String(id),
      name: `Job${id}`,
      kind: 'leaf',
      type: 'process',
      state: 'NotStarted',
      location: 'localhost',
      command: 'forged',
      parentId: '',
      childIds: '',
      unread: '0',
      spec,
    });
    await client.zadd(`${fleet.env.prefix}:roots`, id, String(id));
    const [job] = await dispatchAndWait(id, [id]);
    expect(job).toMatchObject({ state: 'Failed', exitCode: null });
    expect(job?.reason).toMatch(/^refused: the job is not signed/);
    expect(ran('forged')).toBe(false);
    client.disconnect();
  });

  it('refuses a bad or missing signature, a changed command or child count, and a signature replayed for another host', async () => {
    await startAgent();
    const signer = await userSigner(fleet.env);
    const client = fleet.redis.client();
    const key = (jobId: number) => `${fleet.env.prefix}:job:${jobId}`;

    const { id: changedId, childIds: changed } = await createJob(leaves('changed'), 'localhost', signer);
    await client.hset(key(changedId), 'spec', (await client.hget(key(changedId), 'spec'))!.replace('changed', 'changed-by-someone'));

    const { id: pairId, childIds: pair } = await createJob(leaves('pair'), 'localhost,127.0.0.1', signer);
    // The 127.0.0.1 child carries the localhost child's (valid) signature: it was made for another host.
    await client.hset(key(pair[1]!), 'signature', (await client.hget(key(pair[0]!), 'signature'))!);

    const { id: badId, childIds: bad } = await createJob(leaves('bad'), 'localhost', signer);
    const signature = JSON.parse((await client.hget(key(bad[0]!), 'signature'))!) as { signature: string };
    signature.signature = Buffer.alloc(64, 7).toString('base64');
    await client.hset(key(bad[0]!), 'signature', JSON.stringify(signature));

    const { id: missingId, childIds: missing } = await createJob(leaves('missing'), 'localhost', signer);
    await client.hdel(key(missing[0]!), 'signature');

    // FLEET_COUNT is signed: a parent said to have more children than it was made with.
    const { id: countedId, childIds: counted } = await createJob(leaves('counted'), 'localhost', signer);
    await client.hset(key(countedId), 'total', '5');

    const badSignature =
      /^refused: bad signature \(the job was changed after it was signed, or its signature belongs to another job or host\)$/;
    const [, changedChild] = await dispatchAndWait(changedId, changed);
    expect(changedChild).toMatchObject({ state: 'Failed', reason: expect.stringMatching(badSignature) });
    const [, signedForLocalhost, replayed] = await dispatchAndWait(pairId, pair);
    expect(signedForLocalhost).toMatchObject({ location: 'localhost', state: 'Completed' });
    expect(replayed).toMatchObject({ location: '127.0.0.1', state: 'Failed', reason: expect.stringMatching(badSignature) });
    const [, badChild] = await dispatchAndWait(badId, bad);
    expect(badChild).toMatchObject({ state: 'Failed', reason: expect.stringMatching(badSignature) });
    const [, missingChild] = await dispatchAndWait(missingId, missing);
    expect(missingChild).toMatchObject({ state: 'Failed', reason: expect.stringMatching(/^refused: the job is not signed/) });
    // Its parent never rolls up (it waits for five), so the child itself is watched.
    await openStore().dispatcher.dispatch(counted);
    const countedChild = await untilState(fleet.env, counted[0]!, ['Completed', 'Failed']);
    expect(countedChild).toMatchObject({ state: 'Failed', reason: expect.stringMatching(badSignature) });

    // Only the untouched child ran, once.
    expect(ran('pair')).toBe(true);
    expect([ran('changed'), ran('changed-by-someone'), ran('bad'), ran('missing'), ran('counted')]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    client.disconnect();
  });

  it('refuses an expired job, and the watchdog fails one that never started before its expiry', async () => {
    await startAgent();
    const key = await userSigningKey(fleet.env);
    const expired = jobSigner(key, Date.now() - 1000, await userDeployment(fleet.env));
    const { id, childIds } = await createJob(leaves('expired'), 'localhost', expired);
    const [, child] = await dispatchAndWait(id, childIds);
    expect(child).toMatchObject({
      state: 'Failed',
      reason: expect.stringMatching(/^refused: its signature expired at .* before it started/),
    });
    expect(ran('expired')).toBe(false);

    // Never handed to BullMQ, and its dispatch note lost too: only the watchdog can end it.
    const soon = jobSigner(key, Date.now() + 2000, await userDeployment(fleet.env));
    const lost = await createJob(leaves('lost'), 'localhost,localhost', soon);
    const client = fleet.redis.client();
    await client.del(`${fleet.env.prefix}:dispatching`);
    client.disconnect();
    const parent = await untilState(fleet.env, lost.id, ['Failed']);
    expect(parent.reason).toBeTruthy();
    const children = (await fleet.env.json<JobJson[]>(['get', String(lost.id), '--children'])).slice(1);
    for (const lostChild of children) {
      expect(lostChild).toMatchObject({
        state: 'Failed',
        reason: 'never started: no agent took it before its signature expired (FLEET_SIGNATURE_TTL)',
      });
    }
    expect(ran('lost')).toBe(false);
  });

  it("refuses another user's key until the agent's trusted-keys file lists it, then runs its jobs, and refuses them again once it no longer does, without a restart", async () => {
    await startAgent();
    const stranger = generateSigningKey();
    const first = await createJob(
      leaves('stranger-1'),
      'localhost',
      jobSigner(stranger, Date.now() + 60_000, await userDeployment(fleet.env)),
    );
    const [, refused] = await dispatchAndWait(first.id, first.childIds);
    expect(refused).toMatchObject({ state: 'Failed' });
    expect(refused?.reason).toBe(
      `refused: signed by key ${stranger.id}, which this agent does not trust ` +
        `(add the public key that 'fleet key' prints where the job was made to ${join(fleet.env.home, '.config/fleet/trusted-keys')})`,
    );
    expect(ran('stranger-1')).toBe(false);

    await mkdir(join(fleet.env.home, '.config/fleet'), { recursive: true });
    await appendFile(
      join(fleet.env.home, '.config/fleet/trusted-keys'),
      `# the stranger\n${formatPublicKey(stranger.publicKey, 'stranger@elsewhere')}\n`,
    );
    const second = await createJob(
      leaves('stranger-2'),
      'localhost',
      jobSigner(stranger, Date.now() + 60_000, await userDeployment(fleet.env)),
    );
    const [, accepted] = await dispatchAndWait(second.id, second.childIds);
    expect(accepted).toMatchObject({ state: 'Completed' });
    expect(ran('stranger-2')).toBe(true);

    // The key taken out of the file: the same running agent refuses its next job.
    await writeFile(join(fleet.env.home, '.config/fleet/trusted-keys'), '# nobody else\n');
    const third = await createJob(
      leaves('stranger-3'),
      'localhost',
      jobSigner(stranger, Date.now() + 60_000, await userDeployment(fleet.env)),
    );
    const [, revoked] = await dispatchAndWait(third.id, third.childIds);
    expect(revoked).toMatchObject({
      state: 'Failed',
      reason: expect.stringContaining(`signed by key ${stranger.id}, which this agent does not trust`),
    });
    expect(ran('stranger-3')).toBe(false);
    expect(await fleet.env.json<unknown[]>(['agents'])).toHaveLength(1);
  });

  it("trusts only its own user's key while the trusted-keys file is half written, and the listed key again once it is whole, without a restart", async () => {
    const trustedKeys = join(fleet.env.home, '.config/fleet/trusted-keys');
    const listed = generateSigningKey();
    const line = `${formatPublicKey(listed.publicKey, 'listed@elsewhere')}\n`;
    await mkdir(join(fleet.env.home, '.config/fleet'), { recursive: true });
    await writeFile(trustedKeys, line);
    await startAgent();
    const byListed = async (name: string) =>
      createJob(leaves(name), 'localhost', jobSigner(listed, Date.now() + 60_000, await userDeployment(fleet.env)));

    const before = await byListed('listed-1');
    const [, trusted] = await dispatchAndWait(before.id, before.childIds);
    expect(trusted).toMatchObject({ state: 'Completed' });

    // An editor's save caught half way: the key line cut short. The agent must not go on trusting what it read before.
    await writeFile(trustedKeys, line.slice(0, 30));
    const during = await byListed('listed-2');
    const [, refused] = await dispatchAndWait(during.id, during.childIds);
    expect(refused).toMatchObject({
      state: 'Failed',
      reason: expect.stringContaining(`signed by key ${listed.id}, which this agent does not trust`),
    });
    expect(ran('listed-2')).toBe(false);
    const mine = await createJob(leaves('mine'), 'localhost', await userSigner(fleet.env));
    const [, own] = await dispatchAndWait(mine.id, mine.childIds);
    expect(own).toMatchObject({ state: 'Completed' });
    expect(ran('mine')).toBe(true);

    await writeFile(trustedKeys, line);
    const after = await byListed('listed-3');
    const [, trustedAgain] = await dispatchAndWait(after.id, after.childIds);
    expect(trustedAgain).toMatchObject({ state: 'Completed' });
    expect(ran('listed-3')).toBe(true);
    expect(await fleet.env.json<unknown[]>(['agents'])).toHaveLength(1);
  });
});

describe('signing keys', () => {
  it("makes this user's key on first use, private to the user, and prints the public half with fleet key", async () => {
    const printed = await fleet.env.fleet(['key']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^fleet-ed25519 [A-Za-z0-9+/]{43}= \S+@\S+\n$/);
    const keyFile = join(fleet.env.home, '.config/fleet/signing-key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(fleet.env.home, '.config/fleet'))).mode & 0o777).toBe(0o700);
    expect(await readFile(`${keyFile}.pub`, 'utf8')).toBe(printed.stdout);
    // The same key every time after.
    expect((await fleet.env.fleet(['key'])).stdout).toBe(printed.stdout);
  });

  it('is made once when many fleet commands start at the same moment, and none of them sees half a key', async () => {
    const printed = await Promise.all(Array.from({ length: 12 }, () => fleet.env.fleet(['key'])));
    expect(printed.map((result) => result.code)).toEqual(Array(12).fill(0));
    expect(new Set(printed.map((result) => result.stdout)).size).toBe(1);
  });

  it('refuses to start an agent whose trusted-keys file holds something that is not a key', async () => {
    await mkdir(join(fleet.env.home, '.config/fleet'), { recursive: true });
    await appendFile(join(fleet.env.home, '.config/fleet/trusted-keys'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI me@there\n');
    const result = await fleet.env.fleet(['agent']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(fleet.env.home, '.config/fleet/trusted-keys')}:1: not a fleet public key`);
  });
});
