import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnFleet } from './support/fleet-cli.js';
import { until } from './support/poll.js';
import { storedBytes } from './support/stored-output.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(1);

/** A small cap, so that a few hundred KiB of output pass it. */
const CAP = { FLEET_MAX_OUTPUT: '64K' };

/** What `seq from to` prints. */
function seq(from: number, to: number): string {
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');
}

/** A shell condition that holds once the file exists: a command waits on it to go on. */
const waitFor = (gate: string) => `while [ ! -e '${gate}' ]; do sleep 0.05; done`;

const DROPPED = /^exit code 0, but \d+(\.\d)? KiB of output past FLEET_MAX_OUTPUT \(64 KiB\) was dropped$/;

describe('FLEET_MAX_OUTPUT bounds what Redis holds unreceived', () => {
  it('fails a job nobody reads that writes past it, keeps what came first byte for byte, and every report of it exits 1', async () => {
    const host = ssh.fleet.entries[0] as string;
    const created = await ssh.env.fleet(['invoke', '-c', host, '--as-job', '--json', '--', 'seq 1 100000'], { env: CAP });
    const parent = JSON.parse(created.stdout) as JobJson;
    const child = parent.childIds[0] as number;
    const waited = await ssh.env.fleet(['wait', String(parent.id)]);
    expect(waited.code).toBe(1);
    const [, ended] = await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    expect(ended).toMatchObject({ state: 'Failed', exitCode: 0, reason: expect.stringMatching(DROPPED) });
    expect((await storedBytes(ssh.redis.client(), ssh.env.prefix, parent.id, child, 'stdout')).toString()).toBe(
      seq(1, 100000).slice(0, 64 * 1024),
    );
    const received = await ssh.env.fleet(['receive', String(parent.id), '--json']);
    expect(received.code).toBe(1);
    const errors = parseRecords(received.stdout).filter((record) => record.stream === 'error');
    expect(errors.map((record) => record.data)).toEqual([
      expect.stringMatching(/^output exceeded 64 KiB: dropped the remaining/),
      ended?.reason,
    ]);
  });

  it('lets a synchronous invoke whose reader keeps up take every byte, and exit 0', async () => {
    const host = ssh.fleet.entries[0] as string;
    const path = join(ssh.env.home, 'out');
    const file = await open(path, 'w');
    try {
      const cli = spawnFleet(['invoke', '-c', host, '--', 'seq 1 300000'], { env: { ...ssh.env.env, ...CAP } });
      cli.stdout?.pipe(file.createWriteStream());
      cli.stderr?.resume();
      expect(await new Promise((resolve) => cli.on('close', resolve))).toBe(0);
    } finally {
      await file.close().catch(() => {});
    }
    const printed = await readFile(path, 'utf8');
    // Some 30 times the cap went through.
    expect(printed.length).toBeGreaterThan(30 * 64 * 1024);
    expect(printed).toBe(seq(1, 300000).replace(/^(?=.)/gm, `${host}: `));
  });

  it('lets receive --wait of a whole job take every byte, and the job complete', async () => {
    const gate = join(ssh.env.home, 'gate');
    const created = await ssh.env.fleet(['start', '--json', '--', `${waitFor(gate)}; seq 1 200000`], { env: CAP });
    const job = JSON.parse(created.stdout) as JobJson;
    const follower = ssh.env.spawn(['receive', String(job.id), '--wait']);
    let printed = '';
    follower.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.on('close', resolve));
    // The follower has said that it follows before the job writes a byte.
    const redis = ssh.redis.client();
    await until(async () => (await redis.exists(`${ssh.env.prefix}:follow:${job.id}`)) === 1, { what: 'the follower' });
    await writeFile(gate, '');
    expect(await exited).toBe(0);
    expect(printed).toBe(seq(1, 200000));
    expect((await untilState(ssh.env, job.id, ['Completed', 'Failed'])).state).toBe('Completed');
  });

  it('drops instead of waiting once the reader of a synchronous invoke is killed, and the job ends', async () => {
    const host = ssh.fleet.entries[0] as string;
    const gate = `/tmp/${ssh.env.marker}-gate`; // where the hosts' user sees it
    // More than the cap before the gate (so the reader is waited for), and more again after it.
    const command = `seq 1 100000; ${waitFor(gate)}; seq 100001 400000`;
    const cli = ssh.env.spawn(['invoke', '-c', host, '--', command], CAP);
    let printed = '';
    cli.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise((resolve) => cli.on('close', resolve));
    await until(() => printed.endsWith(`${host}: 100000\n`), { what: 'the output before the gate' });
    cli.kill('SIGKILL');
    await exited;
    const [parent] = await ssh.env.json<JobJson[]>(['get']);
    await writeFile(gate, '');
    try {
      const child = await untilState(ssh.env, parent?.childIds[0] ?? 0, ['Completed', 'Failed'], 60_000);
      expect(child).toMatchObject({
        state: 'Failed',
        exitCode: 0,
        reason: expect.stringMatching(/^exit code 0, but .* of output past FLEET_MAX_OUTPUT \(64 KiB\) was dropped$/),
      });
    } finally {
      await rm(gate, { force: true });
    }
  });

  it('counts a thread job’s values against the cap too', async () => {
    const created = await ssh.env.fleet(
      ['start', '--thread', '--json', '--eval', 'for (let i = 0; i < 100; i++) emit("x".repeat(1000)); return 1'],
      { env: { FLEET_MAX_OUTPUT: '10K' } },
    );
    const job = JSON.parse(created.stdout) as JobJson;
    // Ten values of 1,002 bytes of JSON fit in 10 KiB; the rest, and the return value, are dropped.
    expect(await untilState(ssh.env, job.id, ['Completed', 'Failed'])).toMatchObject({
      state: 'Failed',
      reason: 'exit code 0, but 88.1 KiB of output past FLEET_MAX_OUTPUT (10 KiB) was dropped',
    });
    const records = parseRecords((await ssh.env.fleet(['receive', String(job.id), '--json'])).stdout);
    expect(records.filter((record) => record.stream === 'output')).toHaveLength(10);
  });
});
