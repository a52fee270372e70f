import { describe, expect, it } from 'vitest';
import { DASH_TEST_USER, TEST_USER } from './support/ssh-fleet.js';
import { type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(2);

describe('pssh and clush habits', () => {
  it('takes -w as -c (clush), -l as the login user of entries without one, and -p as --throttle (pssh)', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const result = await ssh.env.fleet(['invoke', '-w', `${a},${TEST_USER}@${b}`, '-l', DASH_TEST_USER, '-p', '1', '--', 'id -un']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [`${DASH_TEST_USER}@${a}: ${DASH_TEST_USER}`, `${TEST_USER}@${b}: ${TEST_USER}`].sort(),
    );
    expect(result.stderr).toBe('2 of 2 hosts completed\n');
    expect((await ssh.env.fleet(['invoke', '-w', a, '-p', '0', '--', 'true'])).stderr).toContain('--throttle must be a whole number');
  });

  it('takes -t as the command timeout, as pssh does (clush has it as the connect timeout)', async () => {
    const [a] = ssh.fleet.entries as [string];
    const result = await ssh.env.fleet(['invoke', '-w', a, '-t', '1', '--', `${ssh.env.sleep} 30`]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`0 of 1 host completed; failed: ${a} (1): timed out after 1s`);
    expect(await ssh.env.json<JobJson[]>(['get'])).toEqual([]);
  });
});
