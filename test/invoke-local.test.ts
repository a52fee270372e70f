import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneAtATimeOnLocalhost, parseRecords, untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();
const SHIPPED_COMPUTERS = fileURLToPath(new URL('../computers.txt', import.meta.url));

describe('fleet invoke on localhost', () => {
  it('runs the quick start: the shipped computers.txt, streamed as HOST: line', async () => {
    const result = await fleet.env.fleet(['invoke', '-f', SHIPPED_COMPUTERS, '--', 'uname', '-a']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^localhost: Linux .+\n$/);
    expect(result.stderr).toBe('1 of 1 host completed\n');
    // The synchronous form removes its job.
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
    expect((await readFile(SHIPPED_COMPUTERS, 'utf8')).split('\n').filter((line) => line.trim() && !line.startsWith('#'))).toEqual([
      'localhost',
    ]);
  });

  it('exits 1 and names the hosts that failed, and why', async () => {
    const hosts = join(fleet.env.home, 'hosts');
    await writeFile(hosts, 'localhost\nlocalhost\n');
    const script = join(fleet.env.home, 'fail-second.sh');
    // The first child to take the lock succeeds, the second fails.
    const lock = join(fleet.env.home, 'lock');
    await writeFile(script, `if mkdir '${lock}' 2>/dev/null; then echo first; else echo second >&2; exit 7; fi\n`);
    const result = await fleet.env.fleet(['invoke', '-f', hosts, '--script', script]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('localhost: first\n');
    expect(result.stderr).toContain('localhost: second\n');
    expect(result.stderr).toContain('localhost: error: exit code 7\n');
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('1 of 2 hosts completed; failed: localhost (1): exit code 7');
  });

  it('prints records as JSON lines with --json', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost', '--json', '--', 'echo', 'a b']);
    const records = parseRecords(result.stdout);
    expect(records.map(({ host, stream, data }) => ({ host, stream, data }))).toEqual([
      { host: 'localhost', stream: 'stdout', data: 'a b' },
    ]);
  });

  it('makes one parent and one child per entry with --as-job, and rolls their states up', async () => {
    const parent = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      'localhost',
      '-c',
      'localhost,localhost',
      '--as-job',
      '--name',
      'trio',
      '--',
      'exit $((RANDOM % 1))',
    ]);
    expect(parent).toMatchObject({ name: 'trio', type: 'remote', location: 'localhost,localhost,localhost', childIds: [2, 3, 4] });
    const done = await untilState(fleet.env, parent.id, ['Completed']);
    expect(done.endedAt).not.toBeNull();
    const children = (await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    expect(children.map((child) => [child.name, child.type, child.parentId, child.state])).toEqual([
      ['Job2', 'remote', 1, 'Completed'],
      ['Job3', 'remote', 1, 'Completed'],
      ['Job4', 'remote', 1, 'Completed'],
    ]);
    const single = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost', '--as-job', '--', 'false']);
    expect(single.childIds).toHaveLength(1);
    expect(await untilState(fleet.env, single.id, ['Failed'])).toMatchObject({ reason: '1 failed of 1 child' });
  });

  it('never runs more than --throttle children of a job at once, and runs them all', async () => {
    const dir = fleet.env.home;
    // Each child records how many siblings were running when it started.
    const command = `mkdir -p '${dir}/running'; touch "${dir}/running/$$"; ls '${dir}/running' | wc -l >> '${dir}/seen'; sleep 0.3; rm "${dir}/running/$$"`;
    const parent = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      Array(6).fill('localhost').join(','),
      '--throttle',
      '2',
      '--as-job',
      '--',
      command,
    ]);
    await untilState(fleet.env, parent.id, ['Completed']);
    const seen = (await readFile(join(dir, 'seen'), 'utf8')).trim().split('\n').map(Number);
    expect(seen).toHaveLength(6);
    expect(Math.max(...seen)).toBeLessThanOrEqual(2);
  });

  it('lets one child fail without holding back or cancelling its siblings', async () => {
    const parent = await oneAtATimeOnLocalhost(
      fleet.env,
      `test -e '${fleet.env.home}/flag' || { touch '${fleet.env.home}/flag'; exit 1; }`,
    );
    const final = await untilState(fleet.env, parent.id, ['Failed']);
    expect(final.reason).toBe('1 failed of 3 children');
    const children = (await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
    expect(children.map((child) => child.state)).toEqual(['Failed', 'Completed', 'Completed']);
  });
});
