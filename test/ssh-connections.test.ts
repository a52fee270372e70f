import { describe, expect, it } from 'vitest';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

// A strict MaxStartups (drop half of the unauthenticated connections beyond 3)
// makes a burst of first connections meet sshd's limit for real.
const ssh = useSshFleet(2, { sshdOptions: ['MaxStartups=3:50:6'] });

/** The client port each child's connection came from (SSH_CONNECTION), one per line of output. */
async function sourcePorts(hosts: string[], throttle = 32, command = 'echo $SSH_CONNECTION'): Promise<string[]> {
  const parent = await ssh.env.json<JobJson>(['invoke', '-c', hosts.join(','), '--throttle', String(throttle), '--as-job', '--', command]);
  await untilState(ssh.env, parent.id, ['Completed', 'Failed'], 60_000);
  const failed = (await ssh.env.json<JobJson[]>(['get', String(parent.id), '--children'])).filter((child) => child.state !== 'Completed');
  expect(failed.map((child) => child.reason)).toEqual([]);
  const output = (await ssh.env.fleet(['receive', String(parent.id)])).stdout;
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[2] as string);
}

describe('connections', () => {
  it('are kept and reused for later commands to the same host', async () => {
    const host = ssh.fleet.entries[0] as string;
    const first = await sourcePorts([host]);
    const second = await sourcePorts([host]);
    expect(second).toEqual(first);
  });

  it('carry up to 8 commands at once each, below sshd MaxSessions, opening more as needed', async () => {
    const host = ssh.fleet.entries[1] as string;
    const ports = await sourcePorts(Array(20).fill(host), 20, 'echo $SSH_CONNECTION; sleep 1');
    expect(ports).toHaveLength(20);
    const perConnection = new Map<string, number>();
    for (const port of ports) perConnection.set(port, (perConnection.get(port) ?? 0) + 1);
    expect(perConnection.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...perConnection.values())).toBeLessThanOrEqual(8);
  });

  it('survive a burst of first connections to one sshd without tripping MaxStartups', async () => {
    const host = ssh.fleet.entries[0] as string;
    const ports = await sourcePorts(Array(60).fill(host), 60, 'echo $SSH_CONNECTION; sleep 2');
    expect(ports).toHaveLength(60);
  });

  it('are replaced when the host restarts under them', async () => {
    const host = ssh.fleet.entries[1] as string;
    const before = await sourcePorts([host]);
    await ssh.fleet.stopHost(1);
    await ssh.fleet.startHost(1);
    const after = await sourcePorts([host]);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });
});
