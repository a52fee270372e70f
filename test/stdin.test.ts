import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHostEntry, resolveJobRequest } from '@fleet/core';
import { FleetStore } from '@fleet/store';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDropbear, type DropbearHost } from './support/dropbear-host.js';
import { fleetWithInput } from './support/fleet-bytes.js';
import { until } from './support/poll.js';
import { userSigner } from './support/signing.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// invoke --stdin (SPEC §9, issue 18 §2): the CLI's standard input, to its end,
// is given to every host's command, which then sees end of file; without it
// the command's input is closed. Real sshd hosts and a localhost child, held
// to what plain `ssh HOST CMD < FILE` gives.
const ssh = useSshFleet(3);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every host of the fleet and a local child. */
const everyHost = () => [...ssh.fleet.entries, 'localhost'];

/** Writes `bytes` to a file in the test's home, for a CLI's standard input. */
async function inputFile(name: string, bytes: Buffer): Promise<string> {
  const file = join(ssh.env.home, name);
  await writeFile(file, bytes);
  return file;
}

/** `HOST: line` lines of a synchronous invoke's stdout, as a map. */
function linesByHost(stdout: string): Map<string, string[]> {
  const byHost = new Map<string, string[]>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const at = line.indexOf(': ');
    const host = line.slice(0, at);
    byHost.set(host, [...(byHost.get(host) ?? []), line.slice(at + 2)]);
  }
  return byHost;
}

/** The chunk keys of the test's prefix in Redis. */
async function chunkKeys(): Promise<string[]> {
  const client = ssh.redis.client();
  try {
    return await client.keys(`${ssh.env.prefix}:chunk:*`);
  } finally {
    client.disconnect();
  }
}

describe('invoke --stdin', () => {
  it('gives binary input byte for byte to every host, as plain ssh does, and removes its chunks with the job', async () => {
    const bytes = Buffer.concat([Buffer.from([0, 255, 10, 13, 0x1e, 0]), randomBytes(200_000), Buffer.from('no final newline')]);
    const file = await inputFile('binary', bytes);
    const host = ssh.fleet.entries[0] as string;
    const plain = spawnSync('ssh', ['-F', ssh.fleet.sshConfig, '-o', 'BatchMode=yes', host, 'sha256sum'], { input: bytes });
    expect(plain.status).toBe(0);
    expect(plain.stdout.toString()).toBe(`${sha256(bytes)}  -\n`);

    const result = await fleetWithInput(['invoke', '-c', everyHost().join(','), '--stdin', '--', 'sha256sum'], ssh.env.env, file);
    expect(result.code).toBe(0);
    const byHost = linesByHost(result.stdout);
    for (const entry of everyHost()) expect(byHost.get(entry)?.join('\n')).toBe(plain.stdout.toString().trimEnd());
    // The synchronous invoke removed its job, and the stored input with it.
    expect(await chunkKeys()).toEqual([]);
  });

  it('gives empty input as end of file at once', async () => {
    const file = await inputFile('empty', Buffer.alloc(0));
    const result = await fleetWithInput(['invoke', '-c', everyHost().join(','), '--stdin', '--', 'wc -c'], ssh.env.env, file);
    expect(result.code).toBe(0);
    for (const lines of linesByHost(result.stdout).values()) expect(lines.map((line) => line.trim())).toEqual(['0']);
    expect(linesByHost(result.stdout).size).toBe(everyHost().length);
  });

  it('gives a command that reads slowly more than a pipe holds, every byte, stored once for all hosts', async () => {
    const bytes = randomBytes(1536 * 1024); // two chunks of the store
    const file = await inputFile('large', bytes);
    // 64 KiB at a time, with a pause after each: the input waits for the reader.
    const slowly =
      'F="$HOME/slow-$FLEET_RANK"; : > "$F"; while n=$(head -c 65536 | tee -a "$F" | wc -c) && [ "$n" -gt 0 ]; do sleep 0.05; done; sha256sum < "$F"; rm -f "$F"';
    const parent = JSON.parse(
      (await fleetWithInput(['invoke', '-c', everyHost().join(','), '--stdin', '--as-job', '--json', '--', slowly], ssh.env.env, file))
        .stdout,
    ) as JobJson;
    expect((await chunkKeys()).sort()).toEqual(
      [0, 1]
        .map((index) => `${ssh.env.prefix}:chunk:${parent.id}:${sha256(bytes.subarray(index * 1048576, (index + 1) * 1048576))}`)
        .sort(),
    );
    expect(await untilState(ssh.env, parent.id, ['Completed', 'Failed'], 90_000)).toMatchObject({ state: 'Completed' });
    const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
    expect(records.map((record) => [record.host, record.data]).sort()).toEqual(
      everyHost()
        .map((host) => [host, `${sha256(bytes)}  -`])
        .sort(),
    );
    expect((await ssh.env.fleet(['remove', String(parent.id)])).code).toBe(0);
    expect(await chunkKeys()).toEqual([]);
  });

  it('gives a script its own input after its text', async () => {
    const script = join(ssh.env.home, 'count.sh');
    await writeFile(script, 'while IFS= read -r line; do echo "read: $line"; done\n');
    const file = await inputFile('lines', Buffer.from('one\ntwo\n'));
    const result = await fleetWithInput(['invoke', '-c', everyHost().join(','), '--stdin', '--script', script], ssh.env.env, file);
    expect(result.code).toBe(0);
    for (const entry of everyHost()) expect(linesByHost(result.stdout).get(entry)).toEqual(['read: one', 'read: two']);
  });

  it('leaves the command reading end of file at once without --stdin, whatever the CLI was given', async () => {
    const file = await inputFile('unread', Buffer.from('not for the command\n'));
    const result = await fleetWithInput(
      ['invoke', '-c', everyHost().join(','), '--timeout', '20', '--', 'cat; echo "end"'],
      ssh.env.env,
      file,
    );
    expect(result.code).toBe(0);
    for (const entry of everyHost()) expect(linesByHost(result.stdout).get(entry)).toEqual(['end']);
  });

  it('--rerun-failed gives the new job the same input, without reading its own', async () => {
    const ok = `/tmp/${ssh.env.marker}-ok`;
    const bytes = randomBytes(70_000);
    const file = await inputFile('rerun', bytes);
    const hosts = `${ssh.fleet.entries[0]},localhost`;
    try {
      const args = ['invoke', '-c', hosts, '--stdin', '--as-job', '--json', '--', `sha256sum; [ -e ${ok} ]`];
      const first = JSON.parse((await fleetWithInput(args, ssh.env.env, file)).stdout) as JobJson;
      expect(await untilState(ssh.env, first.id, ['Completed', 'Failed'])).toMatchObject({ state: 'Failed' });
      await writeFile(ok, '');
      const rerun = await ssh.env.json<JobJson>(['invoke', '--rerun-failed', String(first.id), '--as-job']);
      expect(await untilState(ssh.env, rerun.id, ['Completed', 'Failed'])).toMatchObject({ state: 'Completed' });
      const records = parseRecords((await ssh.env.fleet(['receive', String(rerun.id), '--json'])).stdout);
      expect(records.map((record) => record.data)).toEqual([`${sha256(bytes)}  -`, `${sha256(bytes)}  -`]);
      expect(await chunkKeys()).toContain(`${ssh.env.prefix}:chunk:${rerun.id}:${sha256(bytes)}`);
    } finally {
      await rm(ok, { force: true });
    }
  });

  it('start --stdin gives the input to a local job', async () => {
    const bytes = randomBytes(100_000);
    const file = await inputFile('start', bytes);
    const job = JSON.parse((await fleetWithInput(['start', '--stdin', '--json', '--', 'sha256sum'], ssh.env.env, file)).stdout) as JobJson;
    expect(await untilState(ssh.env, job.id, ['Completed', 'Failed'])).toMatchObject({ state: 'Completed' });
    expect((await ssh.env.fleet(['receive', String(job.id)])).stdout).toBe(`${sha256(bytes)}  -\n`);
  });
});

describe("invoke --stdin through a node's own agent", () => {
  it('feeds the command the node agent runs, every byte, to a slow reader, and its input is closed without --stdin', async () => {
    const node = ssh.fleet.entries[2] as string;
    expect((await ssh.env.fleet(['deploy', '-c', node], { timeoutMs: 90_000 })).code).toBe(0);
    try {
      const bytes = randomBytes(1536 * 1024);
      const file = await inputFile('node', bytes);
      const slowly =
        'while n=$(head -c 65536 | tee -a "$HOME/slow" | wc -c) && [ "$n" -gt 0 ]; do sleep 0.05; done; sha256sum < "$HOME/slow"; rm -f "$HOME/slow"';
      const parent = JSON.parse(
        (await fleetWithInput(['invoke', '-c', node, '--stdin', '--as-job', '--json', '--', slowly], ssh.env.env, file)).stdout,
      ) as JobJson;
      expect(await untilState(ssh.env, parent.id, ['Completed', 'Failed'], 60_000)).toMatchObject({ state: 'Completed' });
      const list = (await ssh.env.fleet(['get', String(parent.id), '--children', '--format', 'list'])).stdout;
      expect([...list.matchAll(/^Via\s+: (.*)$/gm)].map((match) => match[1])[1]).toMatch(/^agent /);
      expect((await ssh.env.fleet(['receive', String(parent.id)])).stdout).toBe(`${node}: ${sha256(bytes)}  -\n`);
      const closed = await fleetWithInput(['invoke', '-c', node, '--timeout', '20', '--', 'cat; echo end'], ssh.env.env, file);
      expect([closed.code, closed.stdout]).toEqual([0, `${node}: end\n`]);
    } finally {
      await ssh.env.fleet(['undeploy', '-c', node]);
    }
  });
});

describe('invoke --stdin on Dropbear', () => {
  const ADDRESS = '127.0.5.2';
  let dropbear: DropbearHost | undefined;
  let sshConfig = '';
  beforeAll(async () => {
    dropbear = await startDropbear(ADDRESS, [TEST_USER]);
    const knownHosts = join(ssh.fleet.dir, 'stdin_known_hosts');
    await writeFile(knownHosts, dropbear.knownHostsLine);
    sshConfig = join(ssh.fleet.dir, 'stdin_ssh_config');
    const login = [`  HostName ${ADDRESS}`, `  Port ${dropbear.port}`, `  User ${TEST_USER}`, `  IdentityFile ${dropbear.clientKey}`];
    const checks = [`  UserKnownHostsFile ${knownHosts}`, '  StrictHostKeyChecking yes', '  ConnectTimeout 5'];
    await writeFile(sshConfig, [`Include ${ssh.fleet.sshConfig}`, 'Host dropbear', ...login, ...checks, ''].join('\n'));
  });
  afterAll(async () => {
    await dropbear?.close();
  });
  beforeEach(() => {
    ssh.env.env.FLEET_SSH_CONFIG = sshConfig;
  });

  it('gives a slow reader more than a pipe holds, byte for byte, as plain ssh does', async () => {
    const bytes = randomBytes(1536 * 1024);
    const file = await inputFile('dropbear', bytes);
    const slowly =
      'while n=$(head -c 65536 | tee -a "$HOME/slow" | wc -c) && [ "$n" -gt 0 ]; do sleep 0.05; done; sha256sum < "$HOME/slow"; rm -f "$HOME/slow"';
    const plain = spawnSync('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', 'dropbear', slowly], { input: bytes });
    expect([plain.status, plain.stdout.toString()]).toEqual([0, `${sha256(bytes)}  -\n`]);
    const result = await fleetWithInput(['invoke', '-c', `dropbear,${ssh.fleet.entries[0]}`, '--stdin', '--', slowly], ssh.env.env, file);
    expect(result.code).toBe(0);
    expect(linesByHost(result.stdout)).toEqual(
      new Map([
        ['dropbear', [`${sha256(bytes)}  -`]],
        [ssh.fleet.entries[0], [`${sha256(bytes)}  -`]],
      ]),
    );
  });
});

describe('invoke --stdin refuses', () => {
  it("-f - (hosts from standard input), --script /dev/stdin, --thread, a rerun, and pssh's -I, before anything runs (exit 2)", async () => {
    const refused = [
      [['invoke', '-f', '-', '--stdin', '--', 'cat'], '-f - and --stdin both read standard input'],
      [['invoke', '-c', 'localhost', '--stdin', '--script', '/dev/stdin'], '--script /dev/stdin and --stdin both read standard input'],
      [['invoke', '-c', 'localhost', '--stdin', '--thread', '--eval', 'return 1'], 'a thread job (--thread) has no standard input'],
      [['start', '--stdin', '--thread', '--eval', 'return 1'], 'a thread job (--thread) has no standard input'],
      [['invoke', '-c', 'localhost', '-I', '--', 'cat'], "unknown option -I; pssh's -I (--send-input) is --stdin here"],
      [['invoke', '--rerun-failed', '1', '--stdin'], 'leave out --stdin'],
    ] as const;
    for (const [args, message] of refused) {
      const result = await ssh.env.fleet([...args], { input: 'localhost\n' });
      expect([result.code, result.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('input past FLEET_MAX_STDIN, creating no job and storing nothing (exit 2)', async () => {
    const file = await inputFile('too-large', randomBytes(2049));
    const env = { ...ssh.env.env, FLEET_MAX_STDIN: '2K' };
    const result = await fleetWithInput(['invoke', '-c', 'localhost', '--stdin', '--', 'touch ran'], env, file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('standard input is larger than FLEET_MAX_STDIN (2 KiB); nothing was run');
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
    expect(await chunkKeys()).toEqual([]);
    expect(existsSync(join(ssh.env.home, 'ran'))).toBe(false);
    const exact = await inputFile('exact', randomBytes(2048));
    expect((await fleetWithInput(['invoke', '-c', 'localhost', '--stdin', '--', 'wc -c'], env, exact)).stdout).toBe('localhost: 2048\n');
  });

  it('a chunk changed in Redis before an agent read it: every host that reads it fails, saying so, and runs nothing', async () => {
    // The attacker writes before any agent runs: the job is made and dispatched by hand, then an agent is started.
    const store = new FleetStore({ client: ssh.redis.client(), prefix: ssh.env.prefix, heartbeatTtlMs: 10_000 });
    const ran = `/tmp/${ssh.env.marker}-ran`;
    try {
      const bytes = randomBytes(5000);
      const rootId = await store.jobs.reserveIds(3);
      const manifest = await store.chunks.put(
        rootId,
        (async function* () {
          yield await Promise.resolve(bytes);
        })(),
      );
      const request = resolveJobRequest({
        type: 'remote',
        command: { kind: 'shell', line: `sha256sum; touch ${ran}-$FLEET_RANK` },
        hosts: [parseHostEntry(ssh.fleet.entries[0] as string), parseHostEntry('localhost')],
      });
      const { job } = await store.jobs.create({ ...request, run: { ...request.run, stdin: manifest } }, await userSigner(ssh.env), {
        rootId,
      });
      await ssh.redis
        .client()
        .set(`${ssh.env.prefix}:chunk:${rootId}:${sha256(bytes)}`, Buffer.concat([Buffer.from('#'), bytes.subarray(1)]));
      await store.dispatcher.dispatch(job.childIds);
      ssh.env.spawn(['agent']);
      expect((await untilState(ssh.env, job.id, ['Failed', 'Completed'])).state).toBe('Failed');
      const children = (await ssh.env.json<JobJson[]>(['get', String(job.id), '--children'])).slice(1);
      expect(children.map((child) => child.state)).toEqual(['Failed', 'Failed']);
      for (const child of children) {
        expect(child.reason).toMatch(new RegExp(`^standard input \\(--stdin\\): stored chunk 0 \\(${sha256(bytes)}\\) .*refused`));
      }
      expect([0, 1].filter((rank) => existsSync(`${ran}-${rank}`))).toEqual([]);
    } finally {
      await store.close();
      await Promise.all([0, 1].map((rank) => rm(`${ran}-${rank}`, { force: true })));
    }
  });

  it('a chunk changed in Redis after an agent checked it reaches no host: the others get the signed bytes', async () => {
    // The hosts share /tmp (they are sshd processes of this machine); the local child does too.
    const mark = (what: string) => `/tmp/${ssh.env.marker}-${what}`;
    const bytes = randomBytes(5000);
    const file = await inputFile('signed', bytes);
    const [first, last] = ssh.fleet.entries as [string, string];
    // One host at a time: the first, once its command runs (its input all read), waits for the
    // gate, holding back the others until the chunk has been changed.
    const line = `if [ "$FLEET_RANK" = 0 ]; then touch ${mark('started')}; while [ ! -e ${mark('gate')} ]; do sleep 0.05; done; fi; sha256sum`;
    try {
      const args = ['invoke', '-c', `${first},localhost,${last}`, '--throttle', '1', '--stdin', '--as-job', '--json', '--', line];
      const parent = JSON.parse((await fleetWithInput(args, ssh.env.env, file)).stdout) as JobJson;
      await until(() => existsSync(mark('started')), { what: 'the first host to start its command' });
      const client = ssh.redis.client();
      try {
        const key = `${ssh.env.prefix}:chunk:${parent.id}:${sha256(bytes)}`;
        const stored = await client.getBuffer(key);
        expect(stored?.equals(bytes)).toBe(true);
        await client.set(key, Buffer.concat([Buffer.from('#'), bytes.subarray(1)]));
      } finally {
        client.disconnect();
      }
      await writeFile(mark('gate'), '');
      expect((await untilState(ssh.env, parent.id, ['Failed', 'Completed'])).state).toBe('Completed');
      const records = parseRecords((await ssh.env.fleet(['receive', String(parent.id), '--json'])).stdout);
      expect(records.map((record) => [record.host, record.data])).toEqual(
        [first, 'localhost', last].map((host) => [host, `${sha256(bytes)}  -`]),
      );
    } finally {
      await Promise.all(['started', 'gate'].map((what) => rm(mark(what), { force: true })));
    }
  });
});
