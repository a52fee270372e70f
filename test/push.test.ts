import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseHostEntry, resolveJobRequest, type PushEntry } from '@fleet/core';
import { FleetStore } from '@fleet/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { userSigner } from './support/signing.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { expectTransferTree, makeTransferTree, ODD_NAME } from './support/transfer-tree.js';
import { hostProcessIn, sshdServing } from './support/host-session.js';
import { expectRefusedBeforeAnything } from './support/refused-input.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// fleet push against real sshd hosts. Each host has a home of its own (the
// hosts are processes of this machine, sharing its disk), so a push to ~/
// lands in a different directory per host, as on separate machines.
const ssh = useSshFleet(3, { withoutSftp: true });
const sh = promisify(execFile);

let local: string;
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'fleet-push-local-'));
  await chmod(local, 0o755);
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** True once a SIGTERM waits on a (stopped) process: /proc's pending masks, thread or process-wide. */
async function termPending(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const masks = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].map((match) => BigInt(`0x${match[1]}`));
  return masks.some((mask) => (mask & (1n << 14n)) !== 0n);
}

/** Where `~/name` is on each host. */
const onHosts = (name: string) => ssh.fleet.hosts.map((host) => join(host.home, name));

describe('fleet push over SSH (no SFTP subsystem on the hosts)', () => {
  it('pushes an empty file and a 100 MB binary file byte-exact to every host, then says unchanged', async () => {
    const big = join(local, 'big.bin');
    const empty = join(local, 'empty');
    await writeFile(big, randomBytes(100 * 1024 * 1024));
    await writeFile(empty, '');
    const pushed = await ssh.env.fleet(['push', '-f', ssh.fleet.computersFile, big, empty, '~/'], { timeoutMs: 110_000 });
    expect(pushed.stderr).toContain('3 of 3 hosts completed');
    expect(pushed.code).toBe(0);
    const want = await sha256File(big);
    for (const path of onHosts('big.bin')) expect(await sha256File(path)).toBe(want);
    for (const path of onHosts('empty')) expect((await stat(path)).size).toBe(0);
    for (const host of ssh.fleet.entries) {
      expect(pushed.stdout).toContain(`${host}: changed ~/big.bin\n`);
      expect(pushed.stdout).toContain(`${host}: changed ~/empty\n`);
    }
    // Once more, with --json: every host says unchanged, and nothing is left beside the files.
    const again = await ssh.env.fleet(['push', '-f', ssh.fleet.computersFile, '--json', big, empty, '~/'], { timeoutMs: 110_000 });
    expect(again.code).toBe(0);
    const lines = parseRecords(again.stdout).filter((record) => record.stream === 'stdout');
    expect(lines.map((record) => `${record.host} ${String(record.data)}`).sort()).toEqual(
      ssh.fleet.entries.flatMap((host) => [`${host} unchanged ~/big.bin`, `${host} unchanged ~/empty`]).sort(),
    );
    for (const host of ssh.fleet.hosts) expect((await readdir(host.home)).filter((name) => name.startsWith('.fleet-push'))).toEqual([]);
    // The job and its content are gone with it (a synchronous push removes its job).
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:chunk*`)).toEqual([]);
  });

  it('pushes a tree with odd names and symlinks (-r), and -p keeps modes and times', async () => {
    const tree = join(local, 'tree');
    const odd = ODD_NAME;
    await makeTransferTree(tree, odd, '../../etc/passwd');
    const pushed = await ssh.env.fleet(['push', '-c', ssh.fleet.entries.join(','), '-r', '-p', '--group', tree, '~/']);
    expect(pushed.code).toBe(0);
    // --group folds the hosts that changed the same files.
    expect(pushed.stdout).toContain(`changed ${JSON.stringify('~/tree/' + odd)}`);
    expect(pushed.stdout).toMatch(/\(3\)/);
    for (const host of ssh.fleet.hosts) {
      await expectTransferTree(join(host.home, 'tree'), odd, '../../etc/passwd');
    }
    // Without -p, a file new on the host gets the local mode less the host's umask, and its own mtime.
    const plain = await ssh.env.fleet(['push', '-c', ssh.fleet.entries[0] as string, join(tree, 'sub dir', 'run.sh'), '~/plain.sh']);
    expect(plain.code).toBe(0);
    expect((await stat(join(ssh.fleet.hosts[0]!.home, 'plain.sh'))).mtimeMs).not.toBe(1_500_000_000_000);
  });

  it('fails the hosts that cannot take the file with a reason naming the path; the others carry on', async () => {
    const [denied, missing, fine] = ssh.fleet.hosts as [
      (typeof ssh.fleet.hosts)[0],
      (typeof ssh.fleet.hosts)[0],
      (typeof ssh.fleet.hosts)[0],
    ];
    await mkdir(join(denied.home, 'locked'), { mode: 0o555 });
    await chmod(join(denied.home, 'locked'), 0o555); // owned by root: the login user may not write in it
    await mkdir(join(fine.home, 'locked'));
    await sh('chown', ['fleet-test', join(fine.home, 'locked')]);
    const file = join(local, 'conf');
    await writeFile(file, 'setting=1\n');
    const parent = await ssh.env.json<JobJson>(['push', '-f', ssh.fleet.computersFile, '--as-job', file, '~/locked/app.conf']);
    await untilState(ssh.env, parent.id, ['Failed']);
    const children = await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    const byHost = new Map(children.map((child) => [child.location, child]));
    expect(byHost.get(ssh.fleet.entries[denied.index]!)).toMatchObject({
      state: 'Failed',
      reason: '~/locked/app.conf: permission denied (cannot write in its directory)',
    });
    expect(byHost.get(ssh.fleet.entries[missing.index]!)).toMatchObject({
      state: 'Failed',
      reason: '~/locked/app.conf: no such directory',
    });
    expect(byHost.get(ssh.fleet.entries[fine.index]!)).toMatchObject({ state: 'Completed' });
    expect(await readFile(join(fine.home, 'locked', 'app.conf'), 'utf8')).toBe('setting=1\n');
    expect(await readdir(join(denied.home, 'locked'))).toEqual([]);
    // receive says which host changed what.
    const received = await ssh.env.fleet(['receive', String(parent.id)]);
    expect(received.stdout).toContain(`${ssh.fleet.entries[fine.index]}: changed ~/locked/app.conf\n`);
  });

  it('stop mid-transfer leaves no file under the real name, and no temporary file', async () => {
    const size = 30 * 1024 * 1024 + randomInt(1, 1_000_000);
    const file = join(local, 'stopped.bin');
    await writeFile(file, randomBytes(size));
    const [host] = ssh.fleet.hosts;
    const parent = await ssh.env.json<JobJson>(['push', '-c', ssh.fleet.entries[0] as string, '--as-job', file, '~/stopped.bin']);
    // Hold the receiver mid-file: its `dd` is stopped with the temporary file half written (the one in this host's home).
    const reader = `dd bs=1048576 count=${Math.floor(size / 1048576)} iflag=fullblock`;
    const pid = await until(() => hostProcessIn(reader, host!.home), { what: 'the receiver writing the file', intervalMs: 20 });
    process.kill(pid, 'SIGSTOP');
    let stopping: ReturnType<typeof ssh.env.fleet>;
    try {
      const temporary = () => readdir(host!.home).then((names) => names.filter((name) => name.startsWith('.fleet-push')));
      expect(await temporary()).toHaveLength(1);
      stopping = ssh.env.fleet(['stop', String(parent.id)]);
      // Once the stop's SIGTERM is pending on it, let it go on: it ends at once, as a running one would.
      await until(() => termPending(pid), { what: 'the stop to reach the receiver', intervalMs: 20 });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await stopping).code).toBe(0);
    const [child] = await ssh.env.json<JobJson[]>(['get', String(parent.childIds[0])]);
    await untilState(ssh.env, child!.id, ['Stopped']);
    await until(async () => (await readdir(host!.home)).every((name) => !name.startsWith('.fleet-push')), {
      what: 'the temporary file to go',
    });
    await expect(lstat(join(host!.home, 'stopped.bin'))).rejects.toThrow(/ENOENT/);
  });

  it('a connection dropped mid-file leaves no temporary file on the host (the receiver does not die of SIGPIPE)', async () => {
    const size = 30 * 1024 * 1024 + randomInt(1, 1_000_000);
    const file = join(local, 'dropped.bin');
    await writeFile(file, randomBytes(size));
    const host = ssh.fleet.hosts[1]!;
    const entry = ssh.fleet.entries[1] as string;
    const parent = await ssh.env.json<JobJson>(['push', '-c', entry, '--as-job', file, '~/dropped.bin']);
    const reader = `dd bs=1048576 count=${Math.floor(size / 1048576)} iflag=fullblock`;
    const pid = await until(() => hostProcessIn(reader, host.home), { what: 'the receiver writing the file', intervalMs: 20 });
    process.kill(pid, 'SIGSTOP');
    try {
      process.kill(await sshdServing(pid), 'SIGKILL');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await untilState(ssh.env, parent.id, ['Failed']);
    await until(async () => (await readdir(host.home)).every((name) => !name.startsWith('.fleet-push')), {
      what: 'the temporary file to go',
    });
    await expect(lstat(join(host.home, 'dropped.bin'))).rejects.toThrow(/ENOENT/);
  });

  it('never follows a symbolic link already on a host: nothing is written or changed outside the destination', async () => {
    const [host] = ssh.fleet.hosts;
    const outside = await mkdtemp(join(tmpdir(), 'fleet-push-outside-'));
    try {
      await chmod(outside, 0o755);
      await writeFile(join(outside, 'keep'), 'outside\n', { mode: 0o600 });
      await sh('chown', ['-R', 'fleet-test', outside]);
      // On the host: ~/linked -> outside, and ~/planted/conf -> outside.
      await mkdir(join(host!.home, 'planted'));
      await sh('chown', ['fleet-test', join(host!.home, 'planted')]);
      await symlink(outside, join(host!.home, 'linked'));
      await symlink(outside, join(host!.home, 'planted', 'conf'));
      const tree = join(local, 'linktree', 'planted');
      await mkdir(join(tree, 'conf'), { recursive: true });
      await writeFile(join(tree, 'conf', 'app.conf'), 'pushed\n');
      await chmod(join(tree, 'conf'), 0o700);
      const into = await ssh.env.fleet(['push', '-c', ssh.fleet.entries[0] as string, '-r', '-p', tree, '~/']);
      expect(into.code).not.toBe(0);
      expect(into.stderr).toContain('~/planted/conf: is a symbolic link on the host');
      const file = join(local, 'linktree', 'linked');
      await writeFile(file, 'replaces the link\n');
      const over = await ssh.env.fleet(['push', '-c', ssh.fleet.entries[0] as string, '-p', file, '~/']);
      expect(over.code).toBe(0);
      expect(await readdir(outside)).toEqual(['keep']);
      expect(await readFile(join(outside, 'keep'), 'utf8')).toBe('outside\n');
      expect((await stat(outside)).mode & 0o7777).toBe(0o755);
      expect((await lstat(join(host!.home, 'linked'))).isFile()).toBe(true);
      expect(await readFile(join(host!.home, 'linked'), 'utf8')).toBe('replaces the link\n');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a directory pushed twice to a name that did not exist lands in the same place both times', async () => {
    const conf = join(local, 'again', 'conf');
    await mkdir(conf, { recursive: true });
    await writeFile(join(conf, 'app.conf'), 'a=1\n');
    for (let round = 0; round < 2; round += 1) {
      const pushed = await ssh.env.fleet(['push', '-f', ssh.fleet.computersFile, '-r', conf, '~/conf.new']);
      expect(pushed.code).toBe(0);
      expect(pushed.stdout).toContain(`${ssh.fleet.entries[0]}: ${round === 0 ? 'changed' : 'unchanged'} ~/conf.new/app.conf\n`);
      for (const host of ssh.fleet.hosts) expect(await readdir(join(host.home, 'conf.new'))).toEqual(['app.conf']);
    }
  });

  it('refuses content or a path changed in Redis, and writes nothing', async () => {
    const store = new FleetStore({ client: ssh.redis.client(), prefix: ssh.env.prefix, heartbeatTtlMs: 10_000 });
    try {
      const signer = await userSigner(ssh.env);
      const job = async (name: string) => {
        const rootId = await store.jobs.reserveIds(2);
        const manifest = await store.chunks.put(
          rootId,
          (async function* () {
            yield await Promise.resolve(Buffer.from('signed content\n'));
          })(),
        );
        const entries: PushEntry[] = [{ type: 'file', path: name, mode: 0o644, mtime: 0, manifest }];
        const request = resolveJobRequest({
          type: 'remote',
          command: { kind: 'push', entries, dest: '~/', recursive: false, preserve: false },
          hosts: [parseHostEntry(ssh.fleet.entries[0] as string)],
        });
        const { job: created } = await store.jobs.create(request, signer, { rootId });
        return { ...created, manifest, rootId };
      };
      // Content: a chunk's bytes swapped.
      const swapped = await job('swapped.txt');
      await ssh.redis.client().set(`${ssh.env.prefix}:chunk:${swapped.rootId}:${swapped.manifest.chunks[0]}`, 'evil content\n');
      // Path: the signed spec rewritten to write elsewhere.
      const moved = await job('moved.txt');
      const key = `${ssh.env.prefix}:job:${moved.rootId}`;
      const spec = (await ssh.redis.client().hget(key, 'spec')) as string;
      await ssh.redis.client().hset(key, 'spec', spec.replace('moved.txt', '.bashrc'));
      await store.dispatcher.dispatch([...swapped.childIds, ...moved.childIds]);
      ssh.env.spawn(['agent']);
      const [a] = await Promise.all([untilState(ssh.env, swapped.id, ['Failed']), untilState(ssh.env, moved.id, ['Failed'])]);
      expect(a.state).toBe('Failed');
      const [swappedChild] = await ssh.env.json<JobJson[]>(['get', String(swapped.childIds[0])]);
      expect(swappedChild?.reason).toMatch(new RegExp(`^refused: stored chunk 0 \\(${swapped.manifest.chunks[0]}\\) .* hashes to`));
      const [movedChild] = await ssh.env.json<JobJson[]>(['get', String(moved.childIds[0])]);
      expect(movedChild?.reason).toMatch(/^refused: /);
      const home = ssh.fleet.hosts[0]!.home;
      for (const name of ['swapped.txt', 'moved.txt', '.bashrc']) await expect(lstat(join(home, name))).rejects.toThrow(/ENOENT/);
    } finally {
      await store.close();
    }
  });

  it('reruns a push on the hosts that failed, with the content carried over', async () => {
    const file = join(local, 'retry.conf');
    await writeFile(file, 'retry\n');
    const [first] = ssh.fleet.hosts;
    await mkdir(join(first!.home, 'later'));
    await sh('chown', ['fleet-test', join(first!.home, 'later')]);
    const parent = await ssh.env.json<JobJson>(['push', '-f', ssh.fleet.computersFile, '--as-job', file, '~/later/']);
    await untilState(ssh.env, parent.id, ['Failed']);
    for (const host of ssh.fleet.hosts.slice(1)) {
      await mkdir(join(host.home, 'later'));
      await sh('chown', ['fleet-test', join(host.home, 'later')]);
    }
    const rerun = await ssh.env.json<JobJson>(['push', '--rerun-failed', String(parent.id), '--as-job']);
    expect(rerun.childIds).toHaveLength(2);
    await untilState(ssh.env, rerun.id, ['Completed']);
    for (const path of onHosts('later/retry.conf')) expect(await readFile(path, 'utf8')).toBe('retry\n');
    const wrong = await ssh.env.fleet(['invoke', '--rerun-failed', String(parent.id)]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`fleet push --rerun-failed ${parent.id}`);
  });
});

describe('fleet push refuses bad input with exit 2, before anything runs', () => {
  it.each([
    ['a missing local file', (dir: string) => ['push', '-c', 'localhost', join(dir, 'absent'), '~/'], /no such file/],
    ['a directory without -r', (dir: string) => ['push', '-c', 'localhost', dir, '~/'], /is a directory/],
    [
      'a relative destination',
      (dir: string) => ['push', '-c', 'localhost', join(dir, 'f'), 'etc/app.conf'],
      /neither absolute nor ~\/-relative/,
    ],
    ['no destination', (dir: string) => ['push', '-c', 'localhost', join(dir, 'f')], /the local files and then where they go/],
  ])('%s', async (_what, args, message) => {
    await expectRefusedBeforeAnything(ssh.env, ssh.redis, args, message);
  });

  it('a push over FLEET_MAX_PUSH_BYTES, naming the size and the setting', async () => {
    const file = join(local, 'two-k');
    await writeFile(file, Buffer.alloc(2048));
    const result = await ssh.env.fleet(['push', '-c', 'localhost', file, '~/'], { env: { FLEET_MAX_PUSH_BYTES: '1K' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('this push is 2 KiB (2048 bytes) in 1 file, over FLEET_MAX_PUSH_BYTES (1 KiB)');
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:*`)).toEqual([]);
  });

  it('a file that is more than its size said, counted again as it is stored', async () => {
    // A /proc file says 0 bytes and reads as kilobytes: what a file that grew between the size
    // check and the upload looks like to the CLI, made deterministic. The first check passes.
    const procFile = '/proc/cpuinfo';
    expect((await stat(procFile)).size).toBe(0);
    const result = await ssh.env.fleet(['push', '-c', 'localhost', procFile, '~/'], { env: { FLEET_MAX_PUSH_BYTES: '100' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/this push is \d.* in 1 file, over FLEET_MAX_PUSH_BYTES \(100 bytes\)/);
    // Refused before its first chunk was stored: no job, no content; only the ids it reserved are spent.
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:*`)).toEqual([`${ssh.env.prefix}:ids`]);
    await expect(stat(join(ssh.env.home, 'cpuinfo'))).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(process.getuid?.() !== 0)('a file that passes the cap mid-store leaves none of its chunks staged', async () => {
    // /proc/kallsyms says 0 bytes and reads (as root) as megabytes: whole chunks are stored before the cap is passed.
    const procFile = '/proc/kallsyms';
    expect((await stat(procFile)).size).toBe(0);
    const result = await ssh.env.fleet(['push', '-c', 'localhost', procFile, '~/'], { env: { FLEET_MAX_PUSH_BYTES: '2M' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/this push is \d.* in 1 file, over FLEET_MAX_PUSH_BYTES \(2 MiB\)/);
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:*`)).toEqual([`${ssh.env.prefix}:ids`]);
    await expect(stat(join(ssh.env.home, 'kallsyms'))).rejects.toThrow(/ENOENT/);
  });
});
