import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { TEST_USER } from './support/ssh-fleet.js';
import { parseRecords, untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(4);

/** A shell line that waits for a file on the (shared) host file system. */
function waitFor(path: string): string {
  return `while [ ! -e '${path}' ]; do sleep 0.05; done`;
}

describe('invoke over SSH', () => {
  it('streams HOST: line while hosts still run, ends with a summary, and removes its job', async () => {
    const gate = `/tmp/${ssh.env.marker}-gate`;
    const invoke = ssh.env.spawn([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--',
      `echo early; ${waitFor(gate)}; echo late # ${ssh.env.marker}`,
    ]);
    let stdout = '';
    let stderr = '';
    invoke.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    invoke.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => invoke.on('close', resolve));
    await until(() => ssh.fleet.entries.every((host) => stdout.includes(`${host}: early\n`)), { what: 'early lines from every host' });
    expect(stdout).not.toContain('late');
    await writeFile(gate, '');
    expect(await exited).toBe(0);
    for (const host of ssh.fleet.entries) expect(stdout).toContain(`${host}: late\n`);
    expect(stderr).toBe('4 of 4 hosts completed\n');
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('exits 1 and names each host that did not complete', async () => {
    const [a, b, c] = ssh.fleet.entries;
    const result = await ssh.env.fleet([
      'invoke',
      '-c',
      `${a},${b},${c}`,
      '--',
      `[ "$(echo $SSH_CONNECTION | cut -d' ' -f3)" != ${b} ] || exit 5`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${b}: error: exit code 5\n`);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`2 of 3 hosts completed; failed: ${b} (1): exit code 5`);
  });
});

describe('invoke --as-job over SSH', () => {
  it('makes a parent and a child per entry in list order, rolled up as the SPEC says', async () => {
    const entries = ssh.fleet.entries;
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--as-job',
      '--',
      'echo "$(whoami) on $SSH_CONNECTION"',
    ]);
    expect(parent).toMatchObject({ id: 1, name: 'Job1', type: 'remote', location: entries.join(','), childIds: [2, 3, 4, 5] });
    const done = await untilState(ssh.env, parent.id, ['Completed']);
    expect(done.hasMoreData).toBe(true);
    const children = (await ssh.env.json<JobJson[]>(['get', '1', '--children'])).slice(1);
    expect(children.map((child) => [child.id, child.location, child.state, child.exitCode])).toEqual(
      entries.map((host, index) => [index + 2, host, 'Completed', 0]),
    );
    const records = parseRecords((await ssh.env.fleet(['receive', '1', '--json', '--keep'])).stdout);
    expect(records).toHaveLength(4);
    for (const [index, host] of entries.entries()) {
      const record = records.find((candidate) => candidate.jobId === index + 2);
      expect(record).toMatchObject({ host, stream: 'stdout' });
      expect(String(record?.data)).toMatch(
        new RegExp(`^${TEST_USER} on 127\\.0\\.0\\.1 \\d+ ${host.replaceAll('.', '\\.')} ${ssh.fleet.port}$`),
      );
    }
    const one = await ssh.env.fleet(['receive', '1', '--host', entries[2] as string]);
    expect(one.stdout).toMatch(new RegExp(`^${entries[2]}: ${TEST_USER} on .*\\n$`));
    const rest = parseRecords((await ssh.env.fleet(['receive', '1', '--json'])).stdout);
    expect(rest.map((record) => record.host).sort()).toEqual([entries[0], entries[1], entries[3]].sort());
    expect((await ssh.env.fleet(['receive', '1'])).stdout).toBe('');
    expect((await ssh.env.json<JobJson[]>(['get', '1']))[0]?.hasMoreData).toBe(false);
  });

  it('lets one host fail without holding back the others, and the parent fails', async () => {
    const [a, b] = ssh.fleet.entries;
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      `${a},${b}`,
      '--as-job',
      '--',
      'test "$(echo $SSH_CONNECTION | cut -d" " -f3)" != ' + b,
    ]);
    const waited = await ssh.env.fleet(['wait', String(parent.id), '--json']);
    expect(waited.code).toBe(1);
    expect((JSON.parse(waited.stdout) as JobJson[])[0]).toMatchObject({ state: 'Failed', reason: '1 failed of 2 children' });
    const children = (await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    expect(children.map((child) => [child.location, child.state, child.reason])).toEqual([
      [a, 'Completed', null],
      [b, 'Failed', 'exit code 1'],
    ]);
    expect((await ssh.env.fleet(['remove', String(parent.id)])).code).toBe(0);
  });
});

describe('host lists', () => {
  it('reads -f FILE, -f - and -c, with user@host:port, comments and duplicates', async () => {
    const [a, b] = ssh.fleet.entries;
    const port = ssh.fleet.port;
    const file = join(ssh.env.home, 'hosts.txt');
    await writeFile(file, `# two entries, one twice\n\n${TEST_USER}@${a}:${port}\n  ${b}   # trailing comment\n${b}\n`);
    const fromFile = await ssh.env.json<JobJson>(['invoke', '-f', file, '--as-job', '--', 'true']);
    expect(fromFile.location).toBe(`${TEST_USER}@${a}:${port},${b},${b}`);
    const fromStdin = await ssh.env.fleet(['invoke', '-f', '-', '--as-job', '--json', '--', 'true'], { input: `${a}\n` });
    expect((JSON.parse(fromStdin.stdout) as JobJson).location).toBe(a);
    const mixed = await ssh.env.json<JobJson>(['invoke', '-f', file, '-c', `${a},localhost`, '--as-job', '--', 'true']);
    expect(mixed.childIds).toHaveLength(5);
    for (const job of [fromFile, mixed]) expect((await untilState(ssh.env, job.id, ['Completed', 'Failed'])).state).toBe('Completed');
  });
});
