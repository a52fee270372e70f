import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveSshTarget, SshPool, type SshTarget } from '@fleet/agent';
import { OPENSSH_DEFAULT_ALGORITHMS, parseHostEntry } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { until } from './support/poll.js';
import { TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const run = promisify(execFile);

// Every sshd here speaks one cipher only, as a hardened host might.
const ssh = useSshFleet(2, { sshConfig: false, sshdOptions: ['Ciphers=aes256-ctr'] });

/** Writes the test HOME's ~/.ssh/config: alias webN for host N-1, each with these extra lines; returns its path. */
async function writeSshConfig(...lines: string[]): Promise<string> {
  const { fleet, env } = ssh;
  const dir = join(env.home, '.ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config');
  const blocks = fleet.hosts.map((host) =>
    [
      `Host web${host.index + 1}`,
      `  HostName ${host.address}`,
      `  Port ${fleet.port}`,
      `  User ${TEST_USER}`,
      `  IdentityFile ${fleet.clientKey}`,
      `  UserKnownHostsFile ${fleet.knownHosts}`,
      '  StrictHostKeyChecking yes',
      ...lines.map((line) => `  ${line}`),
    ].join('\n'),
  );
  await writeFile(path, `${blocks.join('\n')}\n`);
  return path;
}

async function agentLog(): Promise<string> {
  return readFile(join(ssh.env.home, 'state', 'agent.log'), 'utf8').catch(() => '');
}

/** The OpenSSH client with the config and extra options: its exit code and stderr. */
async function sshRun(config: string, ...options: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('ssh', ['-F', config, '-o', 'BatchMode=yes', ...options, 'web1', 'true']);
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 255, stderr: failed.stderr ?? '' };
  }
}

describe('ConnectionAttempts', () => {
  it('tries a refused connection again a second later, so a host whose sshd comes up in between is reached', async () => {
    const { fleet, env } = ssh;
    await writeSshConfig('ConnectionAttempts 5');
    await fleet.stopHost(1);
    const invoke = env.spawn(['invoke', '-c', 'web2', '--', 'echo up']);
    let stdout = '';
    invoke.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => invoke.once('exit', resolve));
    // ssh's way: the first refusal is logged, and sshd starts before the next attempt.
    const refusal = `${TEST_USER}@${fleet.hosts[1]?.address}:${fleet.port}: connection refused (attempt 1 of 5, trying again in 1s)`;
    await until(async () => (await agentLog()).includes(refusal), { what: 'the first refused attempt in the agent log' });
    await fleet.startHost(1);
    expect(await exited).toBe(0);
    expect(stdout).toBe('web2: up\n');
  });

  it('fails at the first refusal without it, as ssh does by default', async () => {
    const { fleet, env } = ssh;
    await writeSshConfig();
    await fleet.stopHost(1);
    const result = await env.fleet(['invoke', '-c', 'web2', '--', 'echo up']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connection refused');
    expect(await agentLog()).not.toContain('trying again in 1s');
  });
});

describe('algorithms (SshOptions as the resolver gives them for Ciphers)', () => {
  /** The agent's target for web1 with Ciphers as ssh_config would give them. */
  async function withCiphers(ciphers: string[]): Promise<SshTarget> {
    const config = await writeSshConfig();
    const resolved = await resolveSshTarget(parseHostEntry('web1'), 5000, { FLEET_SSH_CONFIG: config });
    return { ...resolved, options: { ...resolved.options, algorithms: { ...OPENSSH_DEFAULT_ALGORITHMS, ciphers } } };
  }

  /** Connects once through a pool of its own: null when up, else the error. */
  async function connects(to: SshTarget): Promise<(Error & { kind?: string }) | null> {
    const pool = new SshPool();
    try {
      (await pool.acquire(to)).release();
      return null;
    } catch (error) {
      return error as Error;
    } finally {
      pool.close();
    }
  }

  it('connects with the one cipher sshd allows, and says why not with another, as ssh does', async () => {
    const config = await writeSshConfig();
    expect(await sshRun(config, '-o', 'Ciphers=aes256-ctr')).toMatchObject({ code: 0 });
    expect(await connects(await withCiphers(['aes256-ctr']))).toBeNull();
    // Names ssh2 lacks are dropped, not fatal, while one it has is left.
    expect(await connects(await withCiphers(['aes256-ocb@example.org', 'aes256-ctr']))).toBeNull();

    const refusedBySsh = await sshRun(config, '-o', 'Ciphers=aes128-ctr');
    expect(refusedBySsh.code).toBe(255);
    expect(refusedBySsh.stderr).toMatch(/no matching cipher found/);
    const refused = await connects(await withCiphers(['aes128-ctr']));
    expect(refused?.kind).toBe('no-common-algorithm');
    expect(refused?.message).toBe(`${ssh.fleet.hosts[0]?.address}:${ssh.fleet.port} accepts no cipher fleet offered (Ciphers aes128-ctr)`);
  });

  it('refuses before dialling when ssh2 implements none of the list, naming the keyword and what ssh2 has', async () => {
    const refused = await connects(await withCiphers(['aes256-ocb@example.org']));
    expect(refused?.kind).toBe('no-common-algorithm');
    expect(refused?.message).toMatch(
      /^Ciphers for web1 leaves nothing fleet's SSH library \(ssh2\) implements \(Ciphers aes256-ocb@example.org; ssh2 offers .*aes256-ctr/,
    );
  });
});
