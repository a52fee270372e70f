import { execFile } from 'node:child_process';
import { foldHosts } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { useFleet, type JobJson } from './support/use-fleet.js';

// Ranges are held to ClusterShell's node sets (`nodeset`, Debian package
// clustershell), run in the same test: what fleet expands is what `nodeset -e`
// expands, and what fleet folds `nodeset -e` reads back to the same set.
const fleet = useFleet();

function nodeset(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('nodeset', args, (error, stdout, stderr) => {
      if (error) reject(new Error(`nodeset ${args.join(' ')}: ${stderr || error.message}`, { cause: error }));
      else resolve(stdout.split(/\s+/).filter(Boolean));
    });
  });
}

// `.invalid` never resolves (RFC 6761), so no child reaches anything.
const PATTERNS = [
  'web[01-12].invalid',
  'db[1-3,7].invalid',
  'rack[1-2]-node[01-04].invalid',
  'n[1-10/3].invalid',
  'n[3,1-2,2].invalid',
  'n[8-11].invalid',
  'u@web[1-3].invalid:2222',
  'a[1,01].invalid',
];

describe('host ranges, as ClusterShell has them', () => {
  it.each(PATTERNS)('expands %s into the children nodeset -e names, in its order', async (pattern) => {
    const parent = await fleet.env.json<JobJson>(['invoke', '-c', pattern, '--connect-timeout', '2', '--as-job', '--', 'true']);
    const jobs = await fleet.env.json<JobJson[]>(['get', String(parent.id), '--children']);
    const children = jobs.filter((job) => job.parentId === parent.id).sort((a, b) => a.id - b.id);
    expect(children.map((job) => job.location)).toEqual(await nodeset(['-e', pattern]));
    await fleet.env.fleet(['stop', String(parent.id)]);
    expect((await fleet.env.fleet(['remove', '--force', String(parent.id)])).code).toBe(0);
  });

  it('folds the failed hosts of a summary into a set nodeset -e reads back', async () => {
    const list = 'web[01-03,10].invalid,db[1-2]-x[1-2].invalid,web02.invalid,mail.invalid';
    const result = await fleet.env.fleet(['invoke', '-c', list, '--connect-timeout', '2', '--', 'true']);
    expect(result.code).toBe(1);
    const summary = result.stderr.trimEnd().split('\n').at(-1) ?? '';
    expect(summary).toMatch(/^0 of 10 hosts completed; failed: /);
    const groups = [...summary.matchAll(/failed: (\S+) \((\d+)\): [^;]+/g)];
    // web02 was given twice: two entries, one host.
    expect(groups.reduce((sum, group) => sum + Number(group[2]), 0)).toBe(10);
    const readBack = (await Promise.all(groups.map((group) => nodeset(['-e', group[1] as string])))).flat();
    expect(new Set(readBack)).toEqual(new Set(await nodeset(['-e', list])));
  });

  it.each([
    [['web1', 'web2', 'web3', 'web7', 'db']],
    [['web01', 'web02', 'web03', 'web10', 'web9']],
    [['n9', 'n010', 'n10', 'n11']],
    [['rack1-node3', 'rack1-node4', 'rack2-node3']],
    [['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.2.1']],
    [['web1.example.com', 'web2.example.com', 'mail']],
  ])('folds %j into a set nodeset -e reads back', async (hosts) => {
    expect((await nodeset(['-e', foldHosts(hosts)])).sort()).toEqual((await nodeset(['-e', hosts.join(',')])).sort());
  });

  it('refuses a malformed range, and one past the limit, as exit 2 before anything runs', async () => {
    const malformed = await fleet.env.fleet(['invoke', '-c', 'web[1-', '--', 'true']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('bad host entry "web[1-": malformed range');
    expect(malformed.stderr).toContain('    web[1-\n          ^\n');
    const huge = await fleet.env.fleet(['invoke', '-c', 'node[1-99999999]', '--', 'true']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('would name 99,999,999 hosts, more than the 100,000');
    expect(await fleet.env.json<JobJson[]>(['get'])).toEqual([]);
  });

  it('leaves out what -x names, warns of a pattern that matches nothing, and refuses an empty selection', async () => {
    const result = await fleet.env.fleet(['invoke', '-c', 'localhost,web[1-3].invalid', '-x', 'web*,mail[1-2]', '--', 'echo', 'hi']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('localhost: hi\n');
    expect(result.stderr).toBe('fleet: warning: --exclude mail[1-2] matches no host\n1 of 1 host completed\n');
    const empty = await fleet.env.fleet(['invoke', '-c', 'web[1-3]', '-x', 'web[1-3]', '--', 'true']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--exclude leaves no hosts');
    // A rerun takes its hosts from the job: -x there is refused, not ignored.
    const rerun = await fleet.env.fleet(['invoke', '--rerun-failed', '1', '-x', 'web1']);
    expect(rerun.code).toBe(2);
    expect(rerun.stderr).toContain('leave out -x');
  });
});
