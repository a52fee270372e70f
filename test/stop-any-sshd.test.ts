import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDropbear, type DropbearHost } from './support/dropbear-host.js';
import { processesWith } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { DASH_TEST_USER, TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

// One OpenSSH host (the loopback fleet's) and one Dropbear host, each logged in to
// as a bash user and as a dash user, under ssh_config aliases named for both.
const ssh = useSshFleet(1, { sshConfig: false });
const DROPBEAR_ADDRESS = '127.0.5.1';
let dropbear: DropbearHost | undefined;
let sshConfig = '';

beforeAll(async () => {
  dropbear = await startDropbear(DROPBEAR_ADDRESS, [TEST_USER, DASH_TEST_USER]);
  const fleet = ssh.fleet;
  const knownHosts = join(fleet.dir, 'stop_known_hosts');
  await writeFile(knownHosts, `[${fleet.hosts[0]?.address}]:${fleet.port} ${fleet.hosts[0]?.publicKey}\n${dropbear.knownHostsLine}`);
  sshConfig = join(fleet.dir, 'stop_ssh_config');
  await writeFile(
    sshConfig,
    [
      'Host openssh-bash openssh-dash',
      `  HostName ${fleet.hosts[0]?.address}`,
      `  Port ${fleet.port}`,
      `  IdentityFile ${fleet.clientKey}`,
      'Host dropbear-bash dropbear-dash',
      `  HostName ${DROPBEAR_ADDRESS}`,
      `  Port ${dropbear.port}`,
      `  IdentityFile ${dropbear.clientKey}`,
      'Host *-bash',
      `  User ${TEST_USER}`,
      'Host *-dash',
      `  User ${DASH_TEST_USER}`,
      'Host *',
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '  ConnectTimeout 5',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await dropbear?.close();
});

beforeEach(() => {
  ssh.env.env.FLEET_SSH_CONFIG = sshConfig;
});

const HOSTS = ['openssh-bash', 'openssh-dash', 'dropbear-bash', 'dropbear-dash'];

async function childOf(parentId: number): Promise<JobJson> {
  const [, child] = await ssh.env.json<JobJson[]>(['get', String(parentId), '--children']);
  if (child === undefined) throw new Error(`job ${parentId} has no child`);
  return child;
}

/** The command's processes on the host (the hosts are this machine's), found by the test's marker; read-only. */
const commandProcesses = () => processesWith(ssh.env.marker);

describe.each(HOSTS)('on %s', (host) => {
  it('--timeout ends the command and its tree, which never gets to its end', async () => {
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      host,
      '--timeout',
      '3',
      '--as-job',
      '--',
      `${ssh.env.sleep} 25; echo done`,
    ]);
    await untilState(ssh.env, parent.id, ['Failed'], 60_000);
    expect(await childOf(parent.id)).toMatchObject({ state: 'Failed', reason: 'timed out after 3s' });
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command to end', timeoutMs: 30_000 });
    expect((await ssh.env.fleet(['receive', String(parent.id), '--keep'])).stdout).not.toContain('done');
  });

  it('stop ends a running command with a tree of processes', async () => {
    const command = `sh -c '${ssh.env.sleep} 300 & ${ssh.env.sleep} 300; wait'`;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', command]);
    // Both sleeps (and the shells above them) run.
    await until(async () => (await commandProcesses()).length >= 3, { what: 'the command tree to start', timeoutMs: 30_000 });
    expect((await ssh.env.fleet(['stop', String(parent.id)])).code).toBe(0);
    expect(await childOf(parent.id)).toMatchObject({ state: 'Stopped', reason: 'stopped' });
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command tree to end', timeoutMs: 30_000 });
  });
});

describe.each(['openssh-bash', 'dropbear-dash'])('a host that never confirms the end (%s)', (host) => {
  it('the child ends after the grace anyway, saying so, and the command ends once the host answers again', async () => {
    ssh.env.env.FLEET_STOP_GRACE = '1s';
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `${ssh.env.sleep} 300`]);
    await until(async () => (await commandProcesses()).length >= 1, { what: 'the command to start', timeoutMs: 30_000 });
    const freeze = host.startsWith('dropbear') ? () => dropbear?.freeze() : () => ssh.fleet.freeze(0);
    const thaw = host.startsWith('dropbear') ? () => dropbear?.thaw() : () => ssh.fleet.thaw(0);
    await freeze();
    try {
      expect((await ssh.env.fleet(['stop', String(parent.id)])).code).toBe(0);
      expect(await childOf(parent.id)).toMatchObject({ state: 'Stopped', reason: 'stopped; the host did not confirm the command ended' });
    } finally {
      await thaw();
    }
    // The kill the agent sent reaches the host once it answers again.
    await untilNoProcessesWith(ssh.env.marker, { what: 'the command to end after the thaw', timeoutMs: 30_000 });
  });
});
