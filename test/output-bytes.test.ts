import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedBytes, storedEntries } from './support/stored-output.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(1);
const run = promisify(execFile);

/** Files the test hosts' user can read: they run on this machine. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-bytes-'));
  await chmod(dir, 0o755);
  // Random bytes: NULs, invalid UTF-8, \r and \n anywhere; no final newline.
  await writeFile(
    join(dir, 'random.bin'),
    Buffer.concat([Buffer.from('\0\xff\xfe\r\n', 'latin1'), randomBytes(1_000_000), Buffer.from('\r')]),
  );
  // One line of 10 MB.
  await writeFile(join(dir, 'line.txt'), `${randomBytes(7_500_000).toString('base64')}\n`);
  await chmod(join(dir, 'random.bin'), 0o644);
  await chmod(join(dir, 'line.txt'), 0o644);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a program with its stdout and stderr going to files, as `> out 2> err` would. */
async function runToFiles(file: string, args: string[], out: string, err: string): Promise<void> {
  const [stdout, stderr] = await Promise.all([open(out, 'w'), open(err, 'w')]);
  try {
    const child = spawn(file, args, { stdio: ['ignore', stdout.fd, stderr.fd] });
    const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
    expect(code).toBe(0);
  } finally {
    await Promise.all([stdout.close(), stderr.close()]);
  }
}

/** `cmp` of two files: whether they hold the same bytes. */
async function sameBytes(a: string, b: string): Promise<boolean> {
  return run('cmp', [a, b]).then(
    () => true,
    () => false,
  );
}

describe('output is stored byte for byte, as the command wrote it', () => {
  it.each<[string, () => string, 'stdout' | 'stderr']>([
    ['a random binary file', () => `cat ${dir}/random.bin`, 'stdout'],
    ['a random binary file on stderr', () => `cat ${dir}/random.bin >&2`, 'stderr'],
    ['a 10 MB single line', () => `cat ${dir}/line.txt`, 'stdout'],
    ['text without a final newline', () => "printf 'a\\r\\nb'", 'stdout'],
  ])('%s: over SSH as plain ssh gives it, and on localhost as the command writes it', async (_case, command, stream) => {
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', `${host},localhost`, '--as-job', '--', command()]);
    expect((await untilState(ssh.env, parent.id, ['Completed', 'Failed'], 60_000)).state).toBe('Completed');
    const [remote, local] = parent.childIds as [number, number];
    const client = ssh.redis.client();
    const work = await mkdtemp(join(tmpdir(), 'fleet-cmp-'));
    try {
      const fromFleet = join(work, 'fleet');
      const fromLocal = join(work, 'local');
      await writeFile(fromFleet, await storedBytes(client, ssh.env.prefix, parent.id, remote, stream));
      await writeFile(fromLocal, await storedBytes(client, ssh.env.prefix, parent.id, local, stream));
      const [out, err] = [join(work, 'ssh.out'), join(work, 'ssh.err')];
      await runToFiles('ssh', ['-F', ssh.fleet.sshConfig, '-o', 'BatchMode=yes', host, command()], out, err);
      expect(await sameBytes(fromFleet, stream === 'stdout' ? out : err)).toBe(true);
      const [shOut, shErr] = [join(work, 'sh.out'), join(work, 'sh.err')];
      await runToFiles('/bin/sh', ['-c', command()], shOut, shErr);
      expect(await sameBytes(fromLocal, stream === 'stdout' ? shOut : shErr)).toBe(true);
      // And, where the command writes a file out, that file itself.
      if (command().startsWith('cat ')) expect(await sameBytes(fromLocal, command().split(' ')[1] as string)).toBe(true);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('packs chunks of a stream into entries of up to 64 KiB, each marked raw, cut wherever the size falls', async () => {
    const host = ssh.fleet.entries[0] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `cat ${dir}/line.txt`]);
    await untilState(ssh.env, parent.id, ['Completed']);
    const entries = (await storedEntries(ssh.redis.client(), ssh.env.prefix, parent.id)).filter((entry) => entry.stream === 'stdout');
    expect(entries.every((entry) => entry.raw && entry.data.length <= 64 * 1024)).toBe(true);
    // SSH hands data over in packets of at most 32 KiB: whole 64 KiB entries are packed ones, and no entry ends a line.
    expect(entries.filter((entry) => entry.data.length === 64 * 1024).length).toBeGreaterThan(100);
    expect(entries.slice(0, -1).every((entry) => !entry.data.includes(0x0a))).toBe(true);
  });
});
