import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseHostEntry } from '@fleet/core';
import { resolveSshTarget, SshPool, type SshTarget } from '@fleet/agent';
import { describe, expect, it } from 'vitest';
import { TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const run = promisify(execFile);

// sshd has an ECDSA host key besides its Ed25519 one, and presents a host certificate too (signed by the fleet's own CA), as on a fleet set up with one.
const ssh = useSshFleet(1, { sshConfig: false, hostCertificates: true, ecdsaHostKeys: true });

/** Writes the test HOME's ~/.ssh/config (what the agents read) for alias web1 → host 0, with more lines; returns its path. */
async function writeSshConfig(...lines: string[]): Promise<string> {
  const { fleet, env } = ssh;
  const dir = join(env.home, '.ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config');
  const host = fleet.hosts[0];
  await writeFile(
    path,
    [
      'Host web1',
      `  HostName ${host?.address}`,
      `  Port ${fleet.port}`,
      `  User ${TEST_USER}`,
      `  IdentityFile ${fleet.clientKey}`,
      ...lines.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
  return path;
}

/** A known_hosts file in the test HOME with these lines. */
async function knownHosts(name: string, ...lines: string[]): Promise<string> {
  const path = join(ssh.env.home, name);
  await writeFile(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

/** `fleet invoke -c web1 -- echo reached` with the agents' configuration. */
async function fleetReaches(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ssh.env.fleet(['invoke', '-c', 'web1', '--', 'echo reached']);
}

/** The OpenSSH client with the same configuration: its exit code and stderr. */
async function sshReaches(config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('ssh', ['-F', config, '-o', 'BatchMode=yes', 'web1', 'echo reached']);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 255, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Host 0's key as its known_hosts line under `name`. */
function line(name: string): string {
  return `${name} ${ssh.fleet.hosts[0]?.publicKey}`;
}

/** The `[address]:port` name known_hosts gives host 0 without an alias. */
function plainName(): string {
  return `[${ssh.fleet.hosts[0]?.address}]:${ssh.fleet.port}`;
}

describe('host keys, as OpenSSH checks them', () => {
  it('looks the key up under HostKeyAlias, as ssh does, and only there', async () => {
    const known = await knownHosts('known_hosts', line('webalias'));
    const config = await writeSshConfig('HostKeyAlias webalias', `UserKnownHostsFile ${known}`, 'StrictHostKeyChecking yes');
    const [viaFleet, viaSsh] = await Promise.all([fleetReaches(), sshReaches(config)]);
    expect(viaSsh).toMatchObject({ code: 0, stdout: 'reached\n' });
    expect(viaFleet.code, viaFleet.stderr).toBe(0);
    expect(viaFleet.stdout).toBe('web1: reached\n');
  });

  it('finds no key under the host name when known_hosts has it under an alias only, as ssh does', async () => {
    const known = await knownHosts('known_hosts', line('webalias'));
    const noAlias = await writeSshConfig(`UserKnownHostsFile ${known}`, 'StrictHostKeyChecking yes');
    const [refusedByFleet, refusedBySsh] = await Promise.all([fleetReaches(), sshReaches(noAlias)]);
    expect(refusedBySsh.code).toBe(255);
    expect(refusedByFleet.code).toBe(1);
    expect(refusedByFleet.stderr).toContain(`unknown host key for ${plainName()}`);
  });

  it('records a new key under HostKeyAlias with accept-new, as ssh records it', async () => {
    const forFleet = await knownHosts('known_hosts.fleet');
    const forSsh = await knownHosts('known_hosts.ssh');
    await writeSshConfig('HostKeyAlias webalias', `UserKnownHostsFile ${forFleet}`, 'StrictHostKeyChecking accept-new');
    const viaFleet = await fleetReaches();
    expect(viaFleet.code, viaFleet.stderr).toBe(0);
    const config = await writeSshConfig('HostKeyAlias webalias', `UserKnownHostsFile ${forSsh}`, 'StrictHostKeyChecking accept-new');
    expect((await sshReaches(config)).code).toBe(0);

    const recorded = (path: string) => readFile(path, 'utf8').then((text) => text.trim().split('\n'));
    const bySsh = await recorded(forSsh);
    // ssh records every host key type sshd offers; fleet the one it negotiated. Each names the alias alone.
    expect(bySsh).toContain(line('webalias'));
    expect(await recorded(forFleet)).toEqual([line('webalias')]);
  });

  it('asks a host known by its ECDSA key for that key, not its Ed25519 one, as ssh does', async () => {
    const known = await knownHosts('known_hosts', `${plainName()} ${ssh.fleet.hosts[0]?.ecdsaPublicKey}`);
    const config = await writeSshConfig(`UserKnownHostsFile ${known}`, 'StrictHostKeyChecking yes');
    const [viaFleet, viaSsh] = await Promise.all([fleetReaches(), sshReaches(config)]);
    expect(viaSsh).toMatchObject({ code: 0, stdout: 'reached\n' });
    expect(viaFleet.code, viaFleet.stderr).toBe(0);
    expect(viaFleet.stdout).toBe('web1: reached\n');
  });

  it('takes a key changed in known_hosts for the next command, even on a pooled connection, as ssh does', async () => {
    const known = await knownHosts('known_hosts', line(plainName()));
    const config = await writeSshConfig(`UserKnownHostsFile ${known}`, 'StrictHostKeyChecking yes');
    expect((await fleetReaches()).stdout).toBe('web1: reached\n');
    // The agent keeps that connection for its next command. Now known_hosts holds another key for the host.
    await knownHosts('known_hosts', `${plainName()} ${ssh.fleet.hostCa}`);
    const [refusedByFleet, refusedBySsh] = await Promise.all([fleetReaches(), sshReaches(config)]);
    expect(refusedBySsh.code).toBe(255);
    expect(refusedByFleet.code).toBe(1);
    expect(refusedByFleet.stderr).toContain(`host key mismatch for ${plainName()}`);
    // Put right again, it is reached again.
    await knownHosts('known_hosts', line(plainName()));
    expect((await fleetReaches()).stdout).toBe('web1: reached\n');
  });

  it('refuses a key a @revoked line names in any known_hosts file, even one another file accepts, as ssh does', async () => {
    const accepting = await knownHosts('known_hosts', line(plainName()));
    const revoking = await knownHosts('revoked_hosts', `@revoked * ${ssh.fleet.hosts[0]?.publicKey}`);
    const config = await writeSshConfig(`UserKnownHostsFile ${accepting} ${revoking}`, 'StrictHostKeyChecking yes');
    const [viaFleet, viaSsh] = await Promise.all([fleetReaches(), sshReaches(config)]);
    expect(viaSsh.code).toBe(255);
    expect(viaSsh.stderr).toMatch(/REVOKED/);
    expect(viaFleet.code).toBe(1);
    expect(viaFleet.stdout).toBe('');
    expect(viaFleet.stderr).toContain(`host key for ${plainName()} is revoked (${revoking})`);
  });

  it('refuses a host vouched for only by @cert-authority, saying ssh2 cannot check host certificates and what to do', async () => {
    const known = await knownHosts('known_hosts', `@cert-authority [127.0.*]:* ${ssh.fleet.hostCa}`);
    const config = await writeSshConfig(`UserKnownHostsFile ${known}`, 'StrictHostKeyChecking accept-new');
    const [viaFleet, viaSsh] = await Promise.all([fleetReaches(), sshReaches(config)]);
    // ssh negotiates the host certificate and checks it against the CA.
    expect(viaSsh).toMatchObject({ code: 0, stdout: 'reached\n' });
    expect(viaFleet.code).toBe(1);
    expect(viaFleet.stdout).toBe('');
    expect(viaFleet.stderr).toContain(
      `host ${plainName()} is known only through a @cert-authority line (${known}), and fleet's SSH library (ssh2) cannot negotiate host certificates`,
    );
    expect(viaFleet.stderr).toContain(
      `add the host's own key to known_hosts (ssh-keyscan -t ed25519 -p ${ssh.fleet.port} ${ssh.fleet.hosts[0]?.address}`,
    );
    // Not recorded under accept-new: the user meant the CA to decide.
    expect(await readFile(known, 'utf8')).toBe(`@cert-authority [127.0.*]:* ${ssh.fleet.hostCa}\n`);
  });
});

describe('GlobalKnownHostsFile (SshOptions as the resolver gives them)', () => {
  /** The agent's target for web1, with its known_hosts files replaced. */
  async function target(files: { user: string[]; global: string[] }): Promise<SshTarget> {
    await writeSshConfig('StrictHostKeyChecking yes');
    const resolved = await resolveSshTarget(parseHostEntry('web1'), 5000, { FLEET_SSH_CONFIG: join(ssh.env.home, '.ssh', 'config') });
    return { ...resolved, options: { ...resolved.options, userKnownHostsFiles: files.user, globalKnownHostsFiles: files.global } };
  }

  /** Connects once through a pool of its own: null when up, else why not. */
  async function connects(to: SshTarget): Promise<string | null> {
    const pool = new SshPool();
    try {
      const lease = await pool.acquire(to);
      lease.release();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      pool.close();
    }
  }

  it('accepts a key found only in a global file, after the user files, and a @revoked line there still wins', async () => {
    const empty = await knownHosts('known_hosts');
    const global = await knownHosts('ssh_known_hosts', line(plainName()));
    expect(await connects(await target({ user: [empty], global: [global] }))).toBeNull();
    expect(await connects(await target({ user: [empty], global: [] }))).toContain(`unknown host key for ${plainName()}`);

    const accepting = await knownHosts('known_hosts.accepting', line(plainName()));
    const revoking = await knownHosts('ssh_known_hosts.revoking', `@revoked ${plainName()} ${ssh.fleet.hosts[0]?.publicKey}`);
    expect(await connects(await target({ user: [accepting], global: [revoking] }))).toBe(
      `host key for ${plainName()} is revoked (${revoking})`,
    );
  });
});
