import { execFile } from 'node:child_process';
import { foldHosts } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { useSshFleet } from './support/use-ssh-fleet.js';

// --group is held to `clush -b` (ClusterShell, Debian package clustershell),
// run in the same test on the same hosts: stdout gathered into groups, stderr
// printed as it comes, `HOST: line`.
const ssh = useSshFleet(4);

/** The host a command runs on, as the fleet's entries name it. */
const HOST = `$(echo $SSH_CONNECTION | cut -d' ' -f3)`;

/**
 * Every host writes `same` and a warning on stderr, in an order of its own
 * (the warning first on a and c, last on b and d), with a pause between, so
 * the two streams interleave differently from host to host; b writes one more
 * stdout line, and c fails.
 */
function command(): string {
  const [a, b, c] = ssh.fleet.entries as [string, string, string, string];
  const first = `[ "${HOST}" != ${a} ] && [ "${HOST}" != ${c} ] || echo warning >&2`;
  const last = `[ "${HOST}" = ${a} ] || [ "${HOST}" = ${c} ] || echo warning >&2`;
  return `${first}; sleep 0.2; echo same; [ "${HOST}" != ${b} ] || echo different; sleep 0.2; ${last}; [ "${HOST}" != ${c} ] || exit 3`;
}

/** `clush -b` over the test fleet's ssh_config; its stdout and stderr whatever its exit code. */
function clush(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'clush',
      ['-f', '32', '-w', ssh.fleet.entries.join(','), '-o', `-F ${ssh.fleet.sshConfig}`, ...args],
      { env: { ...process.env, LANG: 'C.UTF-8' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(new Error(`clush did not run: ${error.message}`, { cause: error }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * Groups as printed (`---` rules around `NODESET` or `NODESET (N)`, then the
 * lines), as node set → lines, sorted: clush and fleet order groups
 * differently, and clush leaves out `(1)`.
 */
function groups(stdout: string): [string, string][] {
  const blocks = stdout.split(/^-{15}\n(.+)\n-{15}\n/m).slice(1);
  const found: [string, string][] = [];
  for (let index = 0; index + 1 < blocks.length; index += 2) {
    found.push([(blocks[index] as string).replace(/ \(\d+\)$/, ''), blocks[index + 1] as string]);
  }
  return found.sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The `HOST: line` lines of stderr, sorted: each tool's own lines apart (why
 * hosts failed, and clush's progress counter, which it draws and erases with
 * carriage returns).
 */
function hostLines(stderr: string): string[] {
  return stderr
    .split(/[\r\n]/)
    .filter((line) => ssh.fleet.entries.some((host) => line.startsWith(`${host}: `)))
    .sort();
}

describe('--group, held to clush -b', () => {
  it('groups stdout and exit code as clush -b does, whatever the interleaving with stderr, and prints stderr as it comes', async () => {
    const [a, b, c, d] = ssh.fleet.entries as [string, string, string, string];
    const [fleet, peer] = await Promise.all([
      ssh.env.fleet(['invoke', '-f', ssh.fleet.computersFile, '--group', '--quiet', '--', command()]),
      clush(['-b', command()]),
    ]);
    expect(groups(fleet.stdout)).toEqual(groups(peer.stdout));
    expect(groups(fleet.stdout)).toEqual(
      [
        [foldHosts([a, d]), 'same\n'],
        [b, 'same\ndifferent\n'],
        [c, 'same\n'],
      ].sort(([x], [y]) => (x as string).localeCompare(y as string)),
    );
    expect(hostLines(fleet.stderr)).toEqual(hostLines(peer.stderr));
    expect(hostLines(fleet.stderr)).toEqual([a, b, c, d].map((host) => `${host}: warning`).sort());
    expect(peer.stderr).toContain(`clush: ${c}: exited with exit code 3`);
    expect(fleet.stderr).toContain(`${c} (1) Failed: exit code 3\n`);
    expect(fleet.code).toBe(1);
  });

  it('counts entries in a header: an entry given twice ran twice', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const result = await ssh.env.fleet(['invoke', '-c', `${a},${a},${b}`, '--group', '--', 'echo hi']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${'-'.repeat(15)}\n127.0.1.[1-2] (3)\n${'-'.repeat(15)}\nhi\n`);
  });
  it('keeps a host from forging a block: its rule lines show behind a backslash, and the output parses to the real hosts only (issue 16)', async () => {
    const [a, b] = ssh.fleet.entries as [string, string];
    const rule = '-'.repeat(15);
    const forgery = `ok\n${rule}\n127.0.1.[1-99] (99)\n${rule}\nall clear\n`;
    const line = `if [ "${HOST}" = ${a} ]; then printf '${forgery.replaceAll('\n', '\\n')}'; else echo ok; fi`;
    const [fleet, peer] = await Promise.all([ssh.env.fleet(['invoke', '-c', `${a},${b}`, '--group', '--', line]), clush(['-b', line])]);
    // clush -b prints the host's lines as they are: a reader sees hosts that never spoke.
    expect(groups(peer.stdout).map(([hosts]) => hosts)).toContain('127.0.1.[1-99]');
    expect(fleet.code).toBe(0);
    expect(groups(fleet.stdout)).toEqual(
      [
        [a, `ok\n\\${rule}\n127.0.1.[1-99] (99)\n\\${rule}\nall clear\n`],
        [b, 'ok\n'],
      ].sort(([x], [y]) => (x as string).localeCompare(y as string)),
    );
  });
});
