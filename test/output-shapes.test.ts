import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldHosts } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(4);

/** The host a command runs on, as the fleet's entries name it. */
const HOST = `$(echo $SSH_CONNECTION | cut -d' ' -f3)`;

/** Prints `same` everywhere, one more line on b, a line on stderr on d, and fails on c. */
function mixedCommand(): string {
  const [, b, c, d] = ssh.fleet.entries;
  return `echo same; [ "${HOST}" != ${b} ] || echo different; [ "${HOST}" != ${d} ] || echo warning >&2; [ "${HOST}" != ${c} ] || exit 3`;
}

/**
 * Stdout grouped by output and exit code, as clush -b groups: d's stderr line
 * is not part of its group (stderr prints as it comes), so d groups with a; c
 * wrote the same but failed, so it is a group of its own, last.
 */
function groupedReport(): string {
  const [a, b, c, d] = ssh.fleet.entries as [string, string, string, string];
  const rule = '-'.repeat(15);
  const block = (hosts: string, ...lines: string[]) => [rule, hosts, rule, ...lines];
  return [...block(`${foldHosts([a, d])} (2)`, 'same'), ...block(`${b} (1)`, 'same', 'different'), ...block(`${c} (1)`, 'same'), ''].join(
    '\n',
  );
}

describe('invoke --group and receive --group', () => {
  it('print each distinct output once under its hosts, and the failures grouped by why', async () => {
    const [, , c, d] = ssh.fleet.entries;
    const result = await ssh.env.fleet(['invoke', '-f', ssh.fleet.computersFile, '--group', '--', mixedCommand()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(groupedReport());
    expect(result.stderr).toBe(`${d}: warning\n${c} (1) Failed: exit code 3\n3 of 4 hosts completed; failed: ${c} (1): exit code 3\n`);

    const job = await ssh.env.json<JobJson>(['invoke', '-f', ssh.fleet.computersFile, '--as-job', '--', mixedCommand()]);
    await untilState(ssh.env, job.id, ['Failed']);
    const received = await ssh.env.fleet(['receive', String(job.id), '--group']);
    expect(received.stdout).toBe(groupedReport());
    expect(received.stderr).toBe(`${d}: warning\n${c} (1) Failed: exit code 3\n`);
    expect(received.code).toBe(1);
  });

  it('refuse --json, and --group with --outdir, before running anything', async () => {
    for (const flags of [
      ['--group', '--json'],
      ['--outdir', join(ssh.env.home, 'out'), '--json'],
      ['--group', '--outdir', join(ssh.env.home, 'out')],
    ]) {
      const result = await ssh.env.fleet(['invoke', '-f', ssh.fleet.computersFile, ...flags, '--', 'echo ran']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--json prints every record|choose one of --group and --outdir/);
    }
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});

describe('--outdir', () => {
  it('writes each host’s stdout to HOST.out and stderr to HOST.err, and says on the terminal why a host failed', async () => {
    const [a, b, c, d] = ssh.fleet.entries as [string, string, string, string];
    const dir = join(ssh.env.home, 'out');
    await writeFile(join(ssh.env.home, 'marker'), ''); // a file beside, untouched
    const result = await ssh.env.fleet(['invoke', '-f', ssh.fleet.computersFile, '--outdir', dir, '--', mixedCommand()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${c}: error: exit code 3\n3 of 4 hosts completed; failed: ${c} (1): exit code 3\n`);
    expect((await readdir(dir)).sort()).toEqual([a, b, c, d].flatMap((host) => [`${host}.err`, `${host}.out`]).sort());
    const read = (name: string) => readFile(join(dir, name), 'utf8');
    expect(await read(`${a}.out`)).toBe('same\n');
    expect(await read(`${b}.out`)).toBe('same\ndifferent\n');
    expect(await read(`${d}.err`)).toBe('warning\n');
    expect(await read(`${a}.err`)).toBe('');

    // A new invoke into the same directory starts each file afresh, as pssh does.
    await ssh.env.fleet(['invoke', '-c', a, '--outdir', dir, '--', 'echo again']);
    expect(await read(`${a}.out`)).toBe('again\n');
  });

  it('appends what a later receive brings, so nothing received before is lost', async () => {
    const [a] = ssh.fleet.entries as [string];
    const gate = `/tmp/${ssh.env.marker}-gate`;
    const dir = await mkdtemp(join(tmpdir(), 'fleet-outdir-'));
    const job = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      a,
      '--as-job',
      '--',
      `echo first; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo second`,
    ]);
    await until(async () => (await ssh.env.json<JobJson[]>(['get', String(job.id)]))[0]?.hasMoreData, { what: 'the first line' });
    expect((await ssh.env.fleet(['receive', String(job.id), '--outdir', dir])).code).toBe(0);
    expect(await readFile(join(dir, `${a}.out`), 'utf8')).toBe('first\n');
    await writeFile(gate, '');
    await untilState(ssh.env, job.id, ['Completed']);
    expect((await ssh.env.fleet(['receive', String(job.id), '--outdir', dir])).code).toBe(0);
    expect(await readFile(join(dir, `${a}.out`), 'utf8')).toBe('first\nsecond\n');
  });

  it('refuses a directory it cannot make, before running anything', async () => {
    const file = join(ssh.env.home, 'not-a-dir');
    await writeFile(file, '');
    const result = await ssh.env.fleet(['invoke', '-f', ssh.fleet.computersFile, '--outdir', join(file, 'sub'), '--', 'echo ran']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not-a-dir');
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});
