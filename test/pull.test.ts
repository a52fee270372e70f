import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { createReadStream, mkdtempSync, chmodSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostFileName } from '@fleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { expectTransferTree, makeTransferTree } from './support/transfer-tree.js';
import { hostProcessIn, sshdServing } from './support/host-session.js';
import { expectRefusedBeforeAnything } from './support/refused-input.js';
import { useLocalAttacker } from './support/local-user.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// fleet pull against real sshd hosts (no SFTP subsystem). Each host has a
// home of its own, so ~/ is a different directory per host, as on separate
// machines. The third host's PATH starts with a directory that is empty
// until the attacker's test puts a hostile `tar` in it.
const hostileBin = mkdtempSync(join(tmpdir(), 'fleet-pull-hostile-bin-'));
chmodSync(hostileBin, 0o755);
const ssh = useSshFleet(3, {
  withoutSftp: true,
  hostEnv: (index): Record<string, string> => (index === 2 ? { PATH: `${hostileBin}:/usr/local/bin:/usr/bin:/bin` } : {}),
});
const sh = promisify(execFile);
const attacker = useLocalAttacker('fleet-pull-shared-');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fleet-pull-local-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(hostileBin, { recursive: true, force: true });
});

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Where host i's files land under `dir`. */
const landed = (dir: string, index: number) => join(dir, hostFileName(ssh.fleet.entries[index] as string));

/** A fresh LOCAL_DIR. */
const localDir = () => mkdtemp(join(work, 'dest-'));

/** Every path under `dir`, relative, sorted (links not followed). */
async function tree(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string, prefix: string) => {
    for (const name of await readdir(at)) {
      found.push(prefix + name);
      const info = await lstat(join(at, name));
      if (info.isDirectory()) await walk(join(at, name), `${prefix}${name}/`);
    }
  };
  await walk(dir, '');
  return found.sort();
}

/** A 100 MB file in the first host's home, as `~/big.bin`: long enough to write out that a signal lands mid-file. */
async function bigFileOnFirstHost(): Promise<Buffer> {
  const content = randomBytes(100 * 1024 * 1024);
  await writeFile(join(ssh.fleet.hosts[0]!.home, 'big.bin'), content);
  return content;
}

/**
 * Runs fleet, sends SIGINT once a file's temp name shows under `dest` (the
 * write-out has begun), and gives the exit code, after checking that no temp
 * file and no half file are left.
 */
async function interruptedMidWrite(args: string[], dest: string): Promise<number | null> {
  const running = ssh.env.spawn(args);
  const exited = new Promise<number | null>((resolve) => running.on('close', (code) => resolve(code)));
  await until(async () => (await tree(dest).catch(() => [])).some((path) => path.includes('/.fleet-pull.')), {
    what: 'the write-out to begin',
    intervalMs: 5,
  });
  running.kill('SIGINT');
  const code = await exited;
  expect((await tree(dest)).filter((path) => path.includes('.fleet-pull.') || path.endsWith('/big.bin'))).toEqual([]);
  return code;
}

describe('fleet pull over SSH (no SFTP subsystem on the hosts)', () => {
  it('pulls an empty file and a 100 MB binary file byte-exact from every host', async () => {
    const big = join(work, 'big.bin');
    await writeFile(big, randomBytes(100 * 1024 * 1024));
    for (const host of ssh.fleet.hosts) {
      await cp(big, join(host.home, 'big.bin'));
      await writeFile(join(host.home, 'empty'), '');
    }
    const dest = await localDir();
    const pulled = await ssh.env.fleet(['pull', '-f', ssh.fleet.computersFile, '~/big.bin', '~/empty', dest], { timeoutMs: 110_000 });
    expect(pulled.stderr).toContain('3 of 3 hosts completed');
    expect(pulled.code).toBe(0);
    const want = await sha256File(big);
    for (const index of [0, 1, 2]) {
      expect(await sha256File(join(landed(dest, index), 'big.bin'))).toBe(want);
      expect((await stat(join(landed(dest, index), 'empty'))).size).toBe(0);
      expect(await readdir(landed(dest, index))).toEqual(['big.bin', 'empty']);
    }
    // The job and what it stored are gone with it.
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:chunk*`)).toEqual([]);
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:pulled*`)).toEqual([]);
  });

  it('pulls a tree with odd names and symlinks (-r -p); a name with a newline is refused, said, and the rest lands', async () => {
    const odd = 'a b "c\' é ☃';
    for (const host of ssh.fleet.hosts.slice(0, 2)) {
      const at = join(host.home, 'conf');
      await rm(at, { recursive: true, force: true });
      await mkdir(at);
      await writeFile(join(at, 'new\nline'), 'refused');
      await makeTransferTree(at, odd, '/etc/passwd', (path) => sh('chown', ['-R', 'fleet-test', path]));
    }
    const dest = await localDir();
    const hosts = ssh.fleet.entries.slice(0, 2).join(',');
    const pulled = await ssh.env.fleet(['pull', '-c', hosts, '-r', '-p', '~/conf', dest]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain(`refused "conf/new\\nline": its name holds a control character`);
    for (const index of [0, 1]) {
      const at = join(landed(dest, index), 'conf');
      await expectTransferTree(at, odd, '/etc/passwd');
      expect((await readdir(at)).sort()).toEqual([odd, 'link to odd', 'sub dir'].sort());
    }
  });

  it('fails the hosts that cannot send with a reason naming the path; the others land', async () => {
    const [missing, denied, fine] = ssh.fleet.hosts as [
      (typeof ssh.fleet.hosts)[0],
      (typeof ssh.fleet.hosts)[0],
      (typeof ssh.fleet.hosts)[0],
    ];
    await rm(join(missing.home, 'app.log'), { force: true });
    await writeFile(join(denied.home, 'app.log'), 'secret\n', { mode: 0o600 }); // root's: the login user may not read it
    await chmod(join(denied.home, 'app.log'), 0o600);
    await writeFile(join(fine.home, 'app.log'), 'fine\n');
    const dest = await localDir();
    const parent = await ssh.env.json<JobJson>(['pull', '-f', ssh.fleet.computersFile, '--as-job', '~/app.log']);
    await untilState(ssh.env, parent.id, ['Failed']);
    const children = await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    const byHost = new Map(children.map((child) => [child.location, child]));
    expect(byHost.get(ssh.fleet.entries[missing.index]!)).toMatchObject({
      state: 'Failed',
      reason: '~/app.log: no such file or directory',
    });
    expect(byHost.get(ssh.fleet.entries[denied.index]!)).toMatchObject({ state: 'Failed', reason: '~/app.log: permission denied' });
    expect(byHost.get(ssh.fleet.entries[fine.index]!)).toMatchObject({ state: 'Completed' });
    const received = await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
    expect(received.code).toBe(1);
    expect(await readFile(join(landed(dest, fine.index), 'app.log'), 'utf8')).toBe('fine\n');
    expect(await readdir(dest)).toEqual([hostFileName(ssh.fleet.entries[fine.index]!)]);
    // --rerun-failed pulls again from exactly the hosts that failed.
    await writeFile(join(missing.home, 'app.log'), 'was missing\n');
    await chmod(join(denied.home, 'app.log'), 0o644);
    const again = await localDir();
    const rerun = await ssh.env.fleet(['pull', '--rerun-failed', String(parent.id), again]);
    expect(rerun.code).toBe(0);
    expect((await readdir(again)).sort()).toEqual([missing, denied].map((host) => hostFileName(ssh.fleet.entries[host.index]!)).sort());
    expect(await readFile(join(landed(again, missing.index), 'app.log'), 'utf8')).toBe('was missing\n');
    // A directory without -r is the child's failure, as with scp.
    await mkdir(join(fine.home, 'logs'), { recursive: true });
    const notRecursive = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[fine.index]!, '~/logs', dest]);
    expect(notRecursive.code).toBe(1);
    expect(notRecursive.stderr).toContain('~/logs: is a directory (pull it with -r)');
  });

  it('--as-job keeps the files for receive --dest, content stored once for all hosts, removed with the job', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5);
    for (const host of ssh.fleet.hosts) await writeFile(join(host.home, 'same.bin'), content);
    const parent = await ssh.env.json<JobJson>(['pull', '-f', ssh.fleet.computersFile, '--as-job', '~/same.bin']);
    await untilState(ssh.env, parent.id, ['Completed']);
    // Four chunks (3 MiB and 5 bytes), once, not once per host.
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:chunk:${parent.id}:*`)).toHaveLength(4);
    const dest = await localDir();
    const received = await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
    expect(received.code).toBe(0);
    const want = createHash('sha256').update(content).digest('hex');
    for (const index of [0, 1, 2]) expect(await sha256File(join(landed(dest, index), 'same.bin'))).toBe(want);
    expect((await ssh.env.fleet(['remove', String(parent.id)])).code).toBe(0);
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:chunk*`)).toEqual([]);
    expect(await ssh.redis.client().keys(`${ssh.env.prefix}:pulled*`)).toEqual([]);
  });

  it('Ctrl-C during receive --dest: exit 130, no temp file left, the job kept; a second receive --dest writes it all', async () => {
    const content = await bigFileOnFirstHost();
    const parent = await ssh.env.json<JobJson>(['pull', '-c', ssh.fleet.entries[0]!, '--as-job', '~/big.bin']);
    await untilState(ssh.env, parent.id, ['Completed']);
    const dest = await localDir();
    expect(await interruptedMidWrite(['receive', String(parent.id), '--dest', dest], dest)).toBe(130);

    const again = await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(await sha256File(join(landed(dest, 0), 'big.bin'))).toBe(createHash('sha256').update(content).digest('hex'));
  });

  it('Ctrl-C while a pull writes out: exit 130, no temp file left, and the job removed as after any synchronous run', async () => {
    await bigFileOnFirstHost();
    const dest = await localDir();
    expect(await interruptedMidWrite(['pull', '-c', ssh.fleet.entries[0]!, '~/big.bin', dest], dest)).toBe(130);
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('a host over FLEET_MAX_PULL_BYTES fails, naming the size and the setting, and nothing of it is written out', async () => {
    const [host] = ssh.fleet.hosts;
    await writeFile(join(host!.home, 'two-m.bin'), randomBytes(2 * 1024 * 1024));
    const dest = await localDir();
    const pulled = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[0]!, '~/two-m.bin', dest], { env: { FLEET_MAX_PULL_BYTES: '1M' } });
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain('the host sent more than FLEET_MAX_PULL_BYTES (1 MiB)');
    expect(pulled.stderr).toContain('nothing of it is written out');
    expect(await tree(dest)).toEqual([]);
  });

  it('stop mid-transfer: the child is Stopped and nothing of it is written out', async () => {
    const [host] = ssh.fleet.hosts;
    const size = 30 * 1024 * 1024 + randomInt(1, 1_000_000);
    await writeFile(join(host!.home, 'stopped.bin'), randomBytes(size));
    const parent = await ssh.env.json<JobJson>(['pull', '-c', ssh.fleet.entries[0]!, '--as-job', '~/stopped.bin']);
    // Hold the host's tar mid-file, so the stop comes while the stream is half sent.
    const pid = await until(() => hostProcessIn('tar -cf - ./stopped.bin', host!.home), {
      what: 'the host sending the file',
      intervalMs: 20,
    });
    process.kill(pid, 'SIGSTOP');
    try {
      expect((await ssh.env.fleet(['stop', String(parent.id)])).code).toBe(0);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await untilState(ssh.env, parent.childIds[0]!, ['Stopped']);
    const dest = await localDir();
    await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
    expect(await tree(dest)).toEqual([]);
    expect(await ssh.redis.client().hkeys(`${ssh.env.prefix}:pulled:${parent.id}`)).toEqual([]);
  });

  it('a connection cut mid-transfer fails the child, and nothing of it is written out', async () => {
    const host = ssh.fleet.hosts[1]!;
    await writeFile(join(host.home, 'cut.bin'), randomBytes(30 * 1024 * 1024));
    const parent = await ssh.env.json<JobJson>(['pull', '-c', ssh.fleet.entries[1]!, '--as-job', '~/cut.bin']);
    const pid = await until(() => hostProcessIn('tar -cf - ./cut.bin', host.home), { what: 'the host sending the file', intervalMs: 20 });
    process.kill(pid, 'SIGSTOP');
    try {
      process.kill(await sshdServing(pid), 'SIGKILL');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const child = await untilState(ssh.env, parent.childIds[0]!, ['Failed']);
    expect(child.reason).toMatch(/connection lost/);
    const dest = await localDir();
    await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
    expect(await tree(dest)).toEqual([]);
    expect(await ssh.redis.client().hkeys(`${ssh.env.prefix}:pulled:${parent.id}`)).toEqual([]);
  });

  it('THE ATTACKER host: a hostile tar on its PATH writes nothing outside LOCAL_DIR/HOST', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'fleet-pull-outside-'));
    const absolute = join(tmpdir(), `fleet-pull-abs-${randomBytes(6).toString('hex')}`);
    const stream = join(hostileBin, 'stream.tar');
    await writeFile(
      stream,
      Buffer.concat([
        tarMember('./../escape', 'file', 'up one'),
        tarMember('./../../escape2', 'file', 'up two'),
        tarMember(absolute, 'file', 'absolute'),
        tarMember('./out', 'symlink', '', outside),
        tarMember('./out/file', 'file', 'through the link'),
        tarMember('./new\nline', 'file', 'newline'),
        tarMember('./passwd', 'hardlink', '', '/etc/passwd'),
        tarMember('./good.txt', 'file', 'good'),
        Buffer.alloc(1024),
      ]),
    );
    await writeFile(join(hostileBin, 'tar'), `#!/bin/sh\nexec cat ${stream}\n`, { mode: 0o755 });
    try {
      const [, , hostile] = ssh.fleet.hosts;
      await writeFile(join(hostile!.home, 'anything'), 'x');
      const dest = await localDir();
      const pulled = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[2]!, '~/anything', dest]);
      expect(pulled.code).toBe(1);
      for (const refused of ['"../escape"', '"../../escape2"', JSON.stringify(absolute), '"out/file"', '"new\\nline"', '"passwd"']) {
        expect(pulled.stderr).toContain(`refused ${refused}`);
      }
      // Only what is safe landed: the good file and the link itself (never followed).
      expect(await tree(dest)).toEqual([
        hostFileName(ssh.fleet.entries[2]!),
        `${hostFileName(ssh.fleet.entries[2]!)}/good.txt`,
        `${hostFileName(ssh.fleet.entries[2]!)}/out`,
      ]);
      expect(await readlink(join(landed(dest, 2), 'out'))).toBe(outside);
      expect(await readdir(outside)).toEqual([]);
      await expect(lstat(absolute)).rejects.toThrow(/ENOENT/);
      await expect(lstat(join(dest, '..', 'escape2'))).rejects.toThrow(/ENOENT/);
      // A second pull may not go through the link the first one made either.
      const again = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[2]!, '~/anything', dest]);
      expect(again.code).toBe(1);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(join(hostileBin, 'tar'), { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a Redis writer who rewrites a child’s records gets nothing written outside LOCAL_DIR/HOST', async () => {
    const [host] = ssh.fleet.hosts;
    await writeFile(join(host!.home, 'victim.txt'), 'victim\n');
    await writeFile(join(host!.home, 'other.txt'), 'other\n');
    const parent = await ssh.env.json<JobJson>(['pull', '-c', ssh.fleet.entries[0]!, '--as-job', '~/victim.txt', '~/other.txt']);
    await untilState(ssh.env, parent.id, ['Completed']);
    const key = `${ssh.env.prefix}:pulled:${parent.id}`;
    const child = parent.childIds[0]!;
    const first = JSON.parse((await ssh.redis.client().hget(key, `${child}:0`)) as string) as Record<string, unknown>;
    await ssh.redis.client().hset(key, `${child}:0`, JSON.stringify({ ...first, path: '../../x' }));
    const dest = await localDir();
    // A link planted where the second file goes, as an earlier pull or another user might.
    const outside = await mkdtemp(join(tmpdir(), 'fleet-pull-outside-'));
    await mkdir(landed(dest, 0));
    await symlink(outside, join(landed(dest, 0), 'sub'));
    const second = JSON.parse((await ssh.redis.client().hget(key, `${child}:1`)) as string) as Record<string, unknown>;
    await ssh.redis.client().hset(key, `${child}:1`, JSON.stringify({ ...second, path: 'sub/other.txt' }));
    try {
      const received = await ssh.env.fleet(['receive', String(parent.id), '--dest', dest]);
      expect(received.code).toBe(1);
      expect(received.stderr).toContain('refused entry 0: its name has a ".." component');
      expect(received.stderr).toContain('refused "sub/other.txt": "sub" is a symbolic link here');
      await expect(lstat(join(dest, '..', '..', 'x'))).rejects.toThrow(/ENOENT/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('THE ATTACKER host: one file and many hard links to it go over FLEET_MAX_PULL_BYTES, nothing is written', async () => {
    const stream = join(hostileBin, 'links.tar');
    const links = Array.from({ length: 40 }, (_, index) => tarMember(`./link${index}`, 'hardlink', '', './big'));
    await writeFile(stream, Buffer.concat([tarMember('./big', 'file', 'x'.repeat(100_000)), ...links, Buffer.alloc(1024)]));
    await writeFile(join(hostileBin, 'tar'), `#!/bin/sh\nexec cat ${stream}\n`, { mode: 0o755 });
    try {
      await writeFile(join(ssh.fleet.hosts[2]!.home, 'anything'), 'x');
      const dest = await localDir();
      // The stream is about 120 KB: the 40 links would write 4 MB.
      const pulled = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[2]!, '~/anything', dest], {
        env: { FLEET_MAX_PULL_BYTES: '1M' },
      });
      expect(pulled.code).toBe(1);
      expect(pulled.stderr).toContain('the host sent more than FLEET_MAX_PULL_BYTES (1 MiB)');
      expect(await tree(dest)).toEqual([]);
    } finally {
      await rm(join(hostileBin, 'tar'), { force: true });
    }
  });

  it('a Redis writer cannot go past the signed cap, flip -p, or reach the terminal with a link target', async () => {
    const [host] = ssh.fleet.hosts;
    await writeFile(join(host!.home, 'four-k.txt'), 'y'.repeat(4096));
    const started = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[0]!, '--as-job', '~/four-k.txt', '--json'], {
      env: { FLEET_MAX_PULL_BYTES: '10K' },
    });
    const parent = JSON.parse(started.stdout) as JobJson;
    await untilState(ssh.env, parent.id, ['Completed']);
    const redis = ssh.redis.client();
    const key = `${ssh.env.prefix}:pulled:${parent.id}`;
    const child = parent.childIds[0]!;
    const first = JSON.parse((await redis.hget(key, `${child}:0`)) as string) as Record<string, unknown>;
    // The same record four more times (16 KiB against a 10 KiB cap), and a link whose target holds ESC and is too long.
    for (const index of [1, 2, 3, 4]) await redis.hset(key, `${child}:${index}`, JSON.stringify({ ...first, path: `copy${index}` }));
    const target = `\u001b]0;owned\u0007${'t'.repeat(5000)}`;
    await redis.hset(key, `${child}:5`, JSON.stringify({ path: 'link', mode: 0o777, mtime: 0, type: 'symlink', target }));
    await redis.hset(key, String(child), '6');
    const dest = await localDir();
    const received = await ssh.env.fleet(['receive', String(parent.id), '--keep', '--dest', dest]);
    expect(received.code).toBe(1);
    expect(received.stderr).toContain(`refused "copy2": its 4096 bytes are past what is left of the host's FLEET_MAX_PULL_BYTES`);
    expect(received.stderr).toContain('refused "link": ENAMETOOLONG in symlink (link target "\\u001b]0;owned\\u0007ttt');
    expect(received.stderr).not.toContain('\u001b');
    expect(await tree(landed(dest, 0))).toEqual(['copy1', 'four-k.txt']);
    // -p turned on in the stored spec: the signature no longer matches, and nothing is written.
    const jobKey = `${ssh.env.prefix}:job:${parent.id}`;
    const spec = JSON.parse((await redis.hget(jobKey, 'spec')) as string) as { command: Record<string, unknown> };
    await redis.hset(jobKey, 'spec', JSON.stringify({ ...spec, command: { ...spec.command, preserve: true } }));
    const again = await localDir();
    const flipped = await ssh.env.fleet(['receive', String(parent.id), '--dest', again]);
    expect(flipped.code).toBe(2);
    expect(flipped.stderr).toContain(`refused to write out the files of job ${parent.id}`);
    expect(await tree(again)).toEqual([]);
  });

  it('ANOTHER LOCAL USER who made LOCAL_DIR/HOST first (mode 777) gets nothing written through it', async () => {
    const [host] = ssh.fleet.hosts;
    await writeFile(join(host!.home, 'motd'), 'hello\n');
    const hostDir = landed(attacker.tmp.dir, 0);
    await attacker.user.run('mkdir', ['-m', '777', hostDir]);
    try {
      const pulled = await ssh.env.fleet(['pull', '-c', ssh.fleet.entries[0]!, '~/motd', attacker.tmp.dir]);
      expect(pulled.code).toBe(1);
      expect(pulled.stderr).toContain(`refused ${JSON.stringify(hostDir)}: it is owned by another user (uid ${attacker.user.uid})`);
      expect(await readdir(hostDir)).toEqual([]);
    } finally {
      await rm(hostDir, { recursive: true, force: true });
    }
  });

  it('pulls from localhost with the same sender, locally', async () => {
    const source = await mkdtemp(join(tmpdir(), 'fleet-pull-source-'));
    try {
      await writeFile(join(source, 'here.txt'), 'local\n');
      const dest = await localDir();
      const pulled = await ssh.env.fleet(['pull', '-c', 'localhost', join(source, 'here.txt'), dest]);
      expect(pulled.code).toBe(0);
      expect(await readFile(join(dest, 'localhost', 'here.txt'), 'utf8')).toBe('local\n');
    } finally {
      await rm(source, { recursive: true, force: true });
    }
  });
});

describe('fleet pull refuses bad input with exit 2, before anything runs', () => {
  it.each([
    ['a relative remote path', (dir: string) => ['pull', '-c', 'localhost', 'etc/motd', dir], /neither absolute nor ~\/-relative/],
    ['no local directory', () => ['pull', '-c', 'localhost', '/etc/motd'], /what to bring back and then the local directory/],
    ['a local file as LOCAL_DIR', (dir: string) => ['pull', '-c', 'localhost', '/etc/motd', join(dir, 'f')], /is not a directory/],
    ['a remote path without a name', (dir: string) => ['pull', '-c', 'localhost', '/var/log/..', dir], /does not end in a name/],
    [
      'two remote paths with the same name',
      (dir: string) => ['pull', '-c', 'localhost', '/etc/motd', '/run/motd', dir],
      /remote paths "\/etc\/motd" and "\/run\/motd" would both land as "motd"/,
    ],
  ])('%s', async (_what, args, message) => {
    await expectRefusedBeforeAnything(ssh.env, ssh.redis, args, message);
  });
});

/** One ustar member, as a hostile host would write it (any name, any link target). */
function tarMember(name: string, type: 'file' | 'symlink' | 'hardlink', content: string, linkName = ''): Buffer {
  const header = Buffer.alloc(512);
  const body = Buffer.from(content);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write('14000000000\0', 136, 'latin1');
  header.write('        ', 148, 'latin1');
  header.write(type === 'file' ? '0' : type === 'symlink' ? '2' : '1', 156, 'latin1');
  header.write(linkName, 157, 100, 'utf8');
  header.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding]);
}
