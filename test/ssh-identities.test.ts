import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_USER } from './support/ssh-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const run = promisify(execFile);

const ssh = useSshFleet(1, { sshConfig: false });

/** An ssh-agent of the test's own holding the fleet's authorized client key, and a key sshd does not accept. */
let agent: { socket: string; pid: number; stranger: string };

beforeEach(async () => {
  const socket = join(ssh.env.home, 'agent.sock');
  const { stdout } = await run('ssh-agent', ['-a', socket, '-s']);
  const stranger = join(ssh.env.home, 'stranger_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', stranger]);
  agent = { socket, pid: Number(/SSH_AGENT_PID=(\d+)/.exec(stdout)?.[1]), stranger };
  await run('ssh-add', ['-q', ssh.fleet.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
});

afterEach(() => {
  process.kill(agent.pid, 'SIGTERM');
});

/** ~/.ssh/config for web1 (host 0) with these lines; its path. */
async function writeSshConfig(...lines: string[]): Promise<string> {
  const { fleet, env } = ssh;
  const dir = join(env.home, '.ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config');
  const head = ['Host web1', `  HostName ${fleet.hosts[0]?.address}`, `  Port ${fleet.port}`, `  User ${TEST_USER}`];
  await writeFile(path, [...head, `  UserKnownHostsFile ${fleet.knownHosts}`, ...lines.map((line) => `  ${line}`), ''].join('\n'));
  return path;
}

/** fleet and plain ssh, each with the config and SSH_AUTH_SOCK as given: exit codes, and fleet's stderr. */
async function bothRun(config: string, authSocket: string | null) {
  const socketEnv = authSocket === null ? {} : { SSH_AUTH_SOCK: authSocket };
  const viaFleet = ssh.env.fleet(['invoke', '-c', 'web1', '--', 'true'], { env: socketEnv });
  const { SSH_AUTH_SOCK: _ignored, ...withoutSocket } = process.env;
  const viaSsh = run('ssh', ['-F', config, '-o', 'BatchMode=yes', 'web1', 'true'], { env: { ...withoutSocket, ...socketEnv } }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? 255,
  );
  const [fleetResult, sshCode] = await Promise.all([viaFleet, viaSsh]);
  return { fleet: fleetResult.code, fleetStderr: fleetResult.stderr, ssh: sshCode };
}

describe('identities, as ssh offers them', () => {
  it('uses the agent IdentityAgent names, without SSH_AUTH_SOCK', async () => {
    const named = await writeSshConfig(`IdentityAgent ${agent.socket}`, `IdentityFile ${agent.stranger}`);
    expect(await bothRun(named, null)).toMatchObject({ fleet: 0, ssh: 0 });
  });

  it('goes on to the identity files when the agent cannot be reached, as ssh does', async () => {
    const gone = await writeSshConfig(`IdentityAgent ${join(ssh.env.home, 'no-agent.sock')}`, `IdentityFile ${ssh.fleet.clientKey}`);
    expect(await bothRun(gone, null)).toMatchObject({ fleet: 0, ssh: 0 });
  });

  it('offers no agent with IdentityAgent none, whatever SSH_AUTH_SOCK says', async () => {
    const none = await writeSshConfig('IdentityAgent none', `IdentityFile ${agent.stranger}`);
    const result = await bothRun(none, agent.socket);
    expect(result).toMatchObject({ fleet: 1, ssh: 255 });
    expect(result.fleetStderr).toContain(`authentication failed for ${TEST_USER}@${ssh.fleet.hosts[0]?.address} (tried: publickey)`);
  });

  it('with IdentitiesOnly offers only agent keys an IdentityFile names, as ssh does', async () => {
    const only = await writeSshConfig('IdentitiesOnly yes', `IdentityFile ${agent.stranger}`);
    expect(await bothRun(only, agent.socket)).toMatchObject({ fleet: 1, ssh: 255 });
    // The authorized key named by its .pub alone (its private half only in the agent) is offered.
    const pubOnly = join(ssh.env.home, 'authorized_only');
    await run('cp', [`${ssh.fleet.clientKey}.pub`, `${pubOnly}.pub`]);
    const named = await writeSshConfig('IdentitiesOnly yes', `IdentityFile ${pubOnly}`);
    expect(await bothRun(named, agent.socket)).toMatchObject({ fleet: 0, ssh: 0 });
  });

  it('names the certificates it cannot use, beside a key and in the agent, in the failure and the agent log', async () => {
    const ca = join(ssh.env.home, 'user_ca');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'user-ca', '-f', ca]);
    await run('ssh-keygen', ['-q', '-s', ca, '-I', 'stranger-cert', '-n', TEST_USER, `${agent.stranger}.pub`]);
    // ssh-add adds the key and the certificate beside it.
    await run('ssh-add', ['-q', agent.stranger], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
    const config = await writeSshConfig(`IdentityAgent ${agent.socket}`, 'IdentitiesOnly yes', `IdentityFile ${agent.stranger}`);
    const result = await bothRun(config, null);
    expect(result.fleet).toBe(1);
    expect(result.fleetStderr).toContain(
      `certificate ${agent.stranger}-cert.pub not used: fleet's SSH library (ssh2 1.x, mscdex/ssh2#551)`,
    );
    expect(result.fleetStderr).toContain('agent certificate stranger (ssh-ed25519-cert-v01@openssh.com) not used');
    const log = await readFile(join(ssh.env.home, 'state', 'agent.log'), 'utf8');
    expect(log).toContain(`${TEST_USER}@${ssh.fleet.hosts[0]?.address}:${ssh.fleet.port}: certificate ${agent.stranger}-cert.pub not used`);
    expect(log).toContain(`${TEST_USER}@${ssh.fleet.hosts[0]?.address}:${ssh.fleet.port}: agent certificate stranger`);
  });
});
