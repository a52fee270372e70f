import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_BIN, runFleet } from './support/fleet-cli.js';

/**
 * `fleet ssh-config` against `ssh -G`, case by case (test/ssh-config-cases):
 * for every host of a case, the lines ssh prints for the keywords fleet acts
 * on must be exactly fleet's, in the same order.
 */

const CASES = fileURLToPath(new URL('./ssh-config-cases/', import.meta.url));
const FLEET_KEYWORDS = new Set([
  'host',
  'user',
  'hostname',
  'port',
  'identitiesonly',
  'stricthostkeychecking',
  'connectionattempts',
  'serveralivecountmax',
  'serveraliveinterval',
  'ciphers',
  'hostkeyalgorithms',
  'hostkeyalias',
  'identityagent',
  'kexalgorithms',
  'macs',
  'pubkeyacceptedalgorithms',
  'identityfile',
  'certificatefile',
  'globalknownhostsfile',
  'userknownhostsfile',
  'connecttimeout',
  'proxycommand',
  'proxyjump',
]);
// ssh expands ~ with the passwd home directory; fleet with $HOME, set to the same here.
const HOME = userInfo().homedir;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME,
  FLEET_TEST_AGENT: '/tmp/fleet-test-agent.sock',
  SSH_AUTH_SOCK: '/tmp/fleet-test-auth.sock',
};
delete env.FLEET_SSH_CONFIG;

function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: options.env ?? env, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fleet entry as ssh's command line: `user@host:port` is `-p port user@host`. */
function sshArgs(entry: string): string[] {
  const found = /^(.*?)(?::(\d+))?$/.exec(entry);
  const target = found?.[1] ?? entry;
  return found?.[2] === undefined ? [target] : ['-p', found[2], target];
}

function keptLines(output: string): string[] {
  return output.split('\n').filter((line) => FLEET_KEYWORDS.has(line.split(' ')[0] ?? ''));
}

/** Faults ssh reports without a line ("Too many recursive configuration includes", "Invalid number of ConnectionAttempts"): fleet names it. */
const LINES_SSH_DOES_NOT_NAME: Record<string, string> = { 'include-cycle.conf': '2', 'connection-attempts-zero.conf': '2' };

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fleet-ssh-config-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Copies a case to the temporary directory with `@DIR@` replaced by where it now is. */
async function copyCase(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(join(CASES, name), dir, { recursive: true });
  const rewrite = async (path: string): Promise<void> => {
    for (const item of await readdir(path, { withFileTypes: true })) {
      const full = join(path, item.name);
      if (item.isDirectory()) await rewrite(full);
      else await writeFile(full, (await readFile(full, 'utf8')).replaceAll('@DIR@', dir));
    }
  };
  await rewrite(dir);
  return dir;
}

async function hostsOf(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'hosts'), 'utf8')).split('\n').filter((line) => line !== '');
}

async function readLog(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  await rm(path, { force: true });
  return text;
}

describe('fleet ssh-config matches ssh -G', () => {
  for (const name of ['include-tree', 'match-kinds', 'tokens', 'proxy', 'algorithms', 'options', 'certificates', 'match-lists']) {
    it(name, async () => {
      const dir = await copyCase(name);
      const config = join(dir, 'config');
      const hosts = await hostsOf(dir);
      const expected: string[][] = [];
      for (const host of hosts) {
        const ssh = await run('ssh', ['-G', '-F', config, ...sshArgs(host)]);
        expect(ssh.stderr.replace(/Pseudo-terminal will not be allocated[^\n]*\n/g, ''), `ssh -G ${host}`).toBe('');
        expected.push(keptLines(ssh.stdout));
      }
      // Match exec commands append their expanded tokens here: ssh's, then fleet's.
      const sshExecLog = await readLog(join(dir, 'exec.log'));
      const fleet = await runFleet(['ssh-config', ...hosts], { env: { ...env, FLEET_SSH_CONFIG: config } });
      expect(fleet.stderr).toBe('');
      expect(fleet.code).toBe(0);
      const blocks = fleet.stdout.split('\n\n').map((block) => block.split('\n').filter((line) => line !== ''));
      expect(blocks).toHaveLength(hosts.length);
      hosts.forEach((host, index) => expect(blocks[index], host).toEqual(expected[index]));
      expect(await readLog(join(dir, 'exec.log'))).toBe(sshExecLog);
    });
  }

  it('prints a token ssh expands only when connecting as ssh -G prints it, and warns that a connection fails on it', async () => {
    const config = join(work, 'connect-time-token');
    await writeFile(config, 'Host *\n  IdentityFile ~/.ssh/%z\n  ProxyCommand nc %z\n');
    const ssh = await run('ssh', ['-G', '-F', config, 'a']);
    expect(ssh.code).toBe(0);
    const fleet = await runFleet(['ssh-config', 'a'], { env: { ...env, FLEET_SSH_CONFIG: config } });
    expect(fleet.code).toBe(0);
    expect(fleet.stdout.split('\n').filter((line) => line !== '')).toEqual(keptLines(ssh.stdout));
    expect(fleet.stderr).toBe(
      `fleet: warning: a: ${config} line 2: unknown key %z in "${HOME}/.ssh/%z" (a connection fails on it)\n` +
        `fleet: warning: a: ${config} line 3: unknown key %z in "nc %z" (a connection fails on it)\n`,
    );
  });

  it('refuses what ssh refuses, naming the same line', async () => {
    const dir = await copyCase('errors');
    for (const file of (await readdir(dir)).sort()) {
      const path = join(dir, file);
      const ssh = await run('ssh', ['-G', '-F', path, 'a']);
      expect(ssh.code, `ssh -G -F ${file}`).not.toBe(0);
      const line = /line (\d+)/.exec(ssh.stderr)?.[1] ?? LINES_SSH_DOES_NOT_NAME[file];
      expect(line, ssh.stderr).toBeDefined();
      const fleet = await runFleet(['ssh-config', 'a'], { env: { ...env, FLEET_SSH_CONFIG: path } });
      expect(fleet.code, fleet.stderr).toBe(2);
      expect(fleet.stderr, `ssh said: ${ssh.stderr}`).toContain(`${path} line ${line}:`);
    }
  });

  it('reads ~/.ssh/config then /etc/ssh/ssh_config, as ssh does (in a private mount namespace)', async () => {
    const dir = await copyCase('system-and-user');
    const hosts = await hostsOf(dir);
    // Both run where the case's files are mounted over the real ones, which stay untouched.
    const script = [
      'set -e',
      `mount --bind "${join(dir, 'ssh_config')}" /etc/ssh/ssh_config`,
      `mount --bind "${join(dir, 'home')}" "${HOME}"`,
      ...hosts.map((host) => `ssh -G ${sshArgs(host).join(' ')} 2>/dev/null; echo ====`),
      `"${process.execPath}" "${FLEET_BIN}" ssh-config ${hosts.join(' ')}`,
    ].join('\n');
    const result = await run('unshare', ['-m', 'sh', '-c', script]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const parts = result.stdout.split('====\n');
    const fleetOutput = parts.pop() ?? '';
    const blocks = fleetOutput.split('\n\n').map((block) => block.split('\n').filter((line) => line !== ''));
    expect(blocks).toHaveLength(hosts.length);
    hosts.forEach((host, index) => expect(blocks[index], host).toEqual(keptLines(parts[index] ?? '')));
    // The user's file won for web1's User, the system file filled in the Port.
    expect(blocks[0]).toContain('user web-user');
    expect(blocks[0]).toContain('port 2202');
    expect(blocks[1]).toContain('port 2002');
  });
});
