import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { TEST_USER } from './support/ssh-fleet.js';

const run = promisify(execFile);

// These agents read the test HOME's ~/.ssh/config, as a user's would.
const ssh = useSshFleet(2, { sshConfig: false });

async function writeSshConfig(text: string): Promise<string> {
  const dir = join(ssh.env.home, '.ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'config'), text);
  return dir;
}

/** Runs `whoami` on one entry as a job and returns the finished child. */
async function whoami(entry: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: JobJson; output: string }> {
  const started = await ssh.env.fleet(['invoke', '-c', entry, '--as-job', '--json', '--', `whoami; touch /tmp/${ssh.env.marker}-ran`], {
    env,
  });
  const parent = JSON.parse(started.stdout) as JobJson;
  const child = await untilState(ssh.env, parent.id + 1, ['Completed', 'Failed']);
  const output = (await ssh.env.fleet(['receive', String(parent.id)])).stdout;
  return { child, output };
}

async function ran(): Promise<boolean> {
  return readFile(`/tmp/${ssh.env.marker}-ran`).then(
    () => true,
    () => false,
  );
}

describe('~/.ssh/config', () => {
  it('resolves aliases with HostName, User, Port, IdentityFile and known_hosts, first match winning', async () => {
    const { fleet } = ssh;
    await writeSshConfig(`
Host web1
  HostName ${fleet.hosts[0]?.address}
  Port ${fleet.port}
  User ${TEST_USER}
  IdentityFile ${fleet.clientKey}
  UserKnownHostsFile ${fleet.knownHosts}
  StrictHostKeyChecking yes

# Matches web1 too, but every keyword here was already set above.
Host web*
  User nobody
  Port 1
  HostName 127.0.9.9

Host *
  ConnectTimeout 3
`);
    const { child, output } = await whoami('web1');
    expect(child).toMatchObject({ state: 'Completed', location: 'web1' });
    expect(output).toBe(`web1: ${TEST_USER}\n`);
  });

  it('follows Include and Match as ssh does, and logs the Match line it does not evaluate instead of applying it', async () => {
    const { fleet } = ssh;
    const dir = await writeSshConfig(`Include fleet.d/*.conf\nHost *\n  UserKnownHostsFile ${fleet.knownHosts}\n`);
    await mkdir(join(dir, 'fleet.d'), { recursive: true });
    await writeFile(
      join(dir, 'fleet.d', 'web.conf'),
      [
        'Match localnetwork 0.0.0.0/0',
        '  Port 1',
        'Match originalhost web1 exec "test %n = web1"',
        `  HostName ${fleet.hosts[0]?.address}`,
        `  Port ${fleet.port}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'fleet.d', 'zz-user.conf'), `Host *\n  User ${TEST_USER}\n  IdentityFile ${fleet.clientKey}\n`);
    const { child, output } = await whoami('web1');
    expect(child).toMatchObject({ state: 'Completed', location: 'web1' });
    expect(output).toBe(`web1: ${TEST_USER}\n`);
    const log = await readFile(join(ssh.env.home, 'state', 'agent.log'), 'utf8');
    expect(log).toContain(
      `ssh_config ${join(dir, 'fleet.d', 'web.conf')} line 1: Match localnetwork is a criterion fleet does not evaluate`,
    );
  });

  it('fails the child with the file and line of a configuration ssh would refuse', async () => {
    const dir = await writeSshConfig(`Host *\n  NoSuchOption yes\n`);
    const { child } = await whoami(ssh.fleet.entries[0] as string);
    expect(child).toMatchObject({ state: 'Failed' });
    expect(child.reason).toBe(`ssh configuration refused: ${join(dir, 'config')} line 2: Bad configuration option: nosuchoption`);
    expect(await ran()).toBe(false);
  });

  it('uses ssh-agent through SSH_AUTH_SOCK', async () => {
    const { fleet } = ssh;
    await writeSshConfig(`Host *\n  User ${TEST_USER}\n  Port ${fleet.port}\n  UserKnownHostsFile ${fleet.knownHosts}\n`);
    const socket = join(ssh.env.home, 'agent.sock');
    const { stdout } = await run('ssh-agent', ['-a', socket, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)?.[1]);
    try {
      await run('ssh-add', [fleet.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const { child } = await whoami(fleet.entries[0] as string, { SSH_AUTH_SOCK: socket });
      expect(child.state).toBe('Completed');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('IdentitiesOnly keeps ssh-agent but offers only the keys of the identity files, as OpenSSH does', async () => {
    const { fleet } = ssh;
    const socket = join(ssh.env.home, 'agent-only.sock');
    const { stdout } = await run('ssh-agent', ['-a', socket, '-s']);
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)?.[1]);
    try {
      await run('ssh-add', [fleet.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      // Only the public halves are on disk: any signature must come from the agent.
      const matching = join(ssh.env.home, 'matching');
      await writeFile(`${matching}.pub`, (await run('ssh-keygen', ['-y', '-f', fleet.clientKey])).stdout);
      const other = join(ssh.env.home, 'other');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      await rm(other);
      const base = `Host *\n  User ${TEST_USER}\n  Port ${fleet.port}\n  UserKnownHostsFile ${fleet.knownHosts}\n  IdentityAgent ${socket}\n`;
      await writeSshConfig(`${base}  IdentitiesOnly yes\n  IdentityFile ${other}\n`);
      const refused = await whoami(fleet.entries[0] as string);
      expect(refused.child.state).toBe('Failed');
      expect(refused.child.reason).toMatch(/^authentication failed/);
      await writeSshConfig(`${base}  IdentitiesOnly yes\n  IdentityFile ${matching}\n`);
      expect((await whoami(fleet.entries[1] as string)).child.state).toBe('Completed');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('falls back to the default identity files, and says when authentication fails', async () => {
    const { fleet } = ssh;
    const dir = await writeSshConfig(`Host *\n  User ${TEST_USER}\n  Port ${fleet.port}\n  UserKnownHostsFile ${fleet.knownHosts}\n`);
    const denied = await whoami(fleet.entries[0] as string);
    expect(denied.child).toMatchObject({
      state: 'Failed',
      reason: `authentication failed for ${TEST_USER}@${fleet.entries[0]} (tried: no keys found)`,
    });
    await copyFile(fleet.clientKey, join(dir, 'id_ed25519'));
    expect((await whoami(fleet.entries[0] as string)).child.state).toBe('Completed');
  });
});

describe('host keys', () => {
  async function configWith(knownHosts: string, strict: string): Promise<string> {
    const file = join(ssh.env.home, 'known_hosts');
    await writeFile(file, knownHosts);
    await writeSshConfig(
      `Host *\n  User ${TEST_USER}\n  Port ${ssh.fleet.port}\n  IdentityFile ${ssh.fleet.clientKey}\n  UserKnownHostsFile ${file}\n  StrictHostKeyChecking ${strict}\n`,
    );
    return file;
  }

  it('accepts hashed known_hosts entries for [host]:port', async () => {
    const file = await configWith(await readFile(ssh.fleet.knownHosts, 'utf8'), 'yes');
    await run('ssh-keygen', ['-H', '-f', file]);
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/);
    expect((await whoami(ssh.fleet.entries[1] as string)).child.state).toBe('Completed');
  });

  it('refuses an unknown host unless StrictHostKeyChecking is accept-new (recorded) or no', async () => {
    const host = ssh.fleet.entries[0] as string;
    const file = await configWith('', 'yes');
    const refused = await whoami(host);
    expect(refused.child).toMatchObject({ state: 'Failed' });
    expect(refused.child.reason).toMatch(
      new RegExp(`^unknown host key for \\[${host.replaceAll('.', '\\.')}\\]:${ssh.fleet.port}: not in known_hosts`),
    );
    expect(await ran()).toBe(false);

    await configWith('', 'accept-new');
    expect((await whoami(host)).child.state).toBe('Completed');
    expect(await readFile(file, 'utf8')).toBe(`[${host}]:${ssh.fleet.port} ${ssh.fleet.hosts[0]?.publicKey}\n`);

    // Another host, so that a fresh connection (not the pooled one) is checked.
    await configWith('', 'no');
    expect((await whoami(ssh.fleet.entries[1] as string)).child.state).toBe('Completed');
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('always refuses a changed host key, and sends no command', async () => {
    const [first, second] = ssh.fleet.hosts;
    // known_hosts says host 0 has host 1's key: what a man in the middle looks like.
    for (const strict of ['yes', 'accept-new', 'no']) {
      await configWith(`[${first?.address}]:${ssh.fleet.port} ${second?.publicKey}\n`, strict);
      const { child } = await whoami(first?.address as string);
      expect(child.state).toBe('Failed');
      expect(child.reason).toMatch(/^host key mismatch for /);
    }
    expect(await ran()).toBe(false);
  });
});
