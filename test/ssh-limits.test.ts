import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { TEST_USER } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { useSshFleet } from './support/use-ssh-fleet.js';

const ssh = useSshFleet(5);

/** `pgrep` on a host over a fresh OpenSSH connection; `[f]` keeps pgrep's own shell out of the match. */
async function remoteProcesses(index: number, marker: string): Promise<string> {
  const { stdout } = await ssh.fleet.ssh(index, `pgrep -u ${TEST_USER} -af '[f]${marker.slice(1)}' || true`);
  return stdout.trim();
}

async function children(parentId: number): Promise<JobJson[]> {
  return (await ssh.env.json<JobJson[]>(['get', String(parentId), '--children'])).slice(1);
}

describe('--throttle', () => {
  it('runs at most N children of a job at once, counted on the hosts', async () => {
    const dir = join('/tmp', `${ssh.env.marker}-throttle`);
    // Each child notes how many were running when it started; the hosts share this machine's /tmp.
    const command = `mkdir -p ${dir}/running; touch ${dir}/running/$$; ls ${dir}/running | wc -l >> ${dir}/seen; sleep 0.4; rm ${dir}/running/$$`;
    const hosts = [...ssh.fleet.entries, ...ssh.fleet.entries, ...ssh.fleet.entries].join(',');
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', hosts, '--throttle', '3', '--as-job', '--', command]);
    await untilState(ssh.env, parent.id, ['Completed'], 60_000);
    const seen = (await readFile(join(dir, 'seen'), 'utf8')).trim().split('\n').map(Number);
    expect(seen).toHaveLength(15);
    expect(Math.max(...seen)).toBeLessThanOrEqual(3);
    expect(Math.max(...seen)).toBeGreaterThan(1);
  });
});

describe('--timeout and --connect-timeout', () => {
  it('fails a host that runs too long, and its remote processes are gone', async () => {
    const marker = ssh.env.marker;
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-c',
      `${ssh.fleet.entries[0]},${ssh.fleet.entries[1]}`,
      '--timeout',
      '1',
      '--as-job',
      '--',
      `if [ "$(echo $SSH_CONNECTION | cut -d' ' -f3)" = ${ssh.fleet.entries[0]} ]; then ${ssh.env.sleep} 300 & ${ssh.env.sleep} 300; fi`,
    ]);
    await untilState(ssh.env, parent.id, ['Failed'], 60_000);
    const [slow, quick] = await children(parent.id);
    expect(slow).toMatchObject({ state: 'Failed', reason: 'timed out after 1s' });
    expect(quick).toMatchObject({ state: 'Completed' });
    await until(async () => (await remoteProcesses(0, marker)) === '', { what: 'remote processes to end' });
  });

  it('fails a frozen host within --connect-timeout while the others complete', async () => {
    await ssh.fleet.freeze(2);
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--connect-timeout',
      '2',
      '--as-job',
      '--',
      'true',
    ]);
    await untilState(ssh.env, parent.id, ['Failed'], 60_000);
    const states = (await children(parent.id)).map((child) => [child.location, child.state, child.reason]);
    expect(states).toEqual(
      ssh.fleet.entries.map((host, index) => (index === 2 ? [host, 'Failed', 'connection timed out after 2s'] : [host, 'Completed', null])),
    );
  });
});

describe('failures per host', () => {
  it('says why each host failed, in plain words, while the others complete', async () => {
    const { fleet } = ssh;
    const emptyKnownHosts = join(ssh.env.home, 'empty_known_hosts');
    const wrongKnownHosts = join(ssh.env.home, 'wrong_known_hosts');
    await writeFile(emptyKnownHosts, '');
    // Host 4 presenting host 3's key: a changed key.
    await writeFile(wrongKnownHosts, `[${fleet.hosts[4]?.address}]:${fleet.port} ${fleet.hosts[3]?.publicKey}\n`);
    const config = join(ssh.env.home, 'ssh_config');
    await writeFile(
      config,
      [
        `Host stranger\n  HostName ${fleet.hosts[3]?.address}\n  UserKnownHostsFile ${emptyKnownHosts}\n`,
        `Host impostor\n  HostName ${fleet.hosts[4]?.address}\n  UserKnownHostsFile ${wrongKnownHosts}\n`,
        (await readFile(fleet.sshConfig, 'utf8')).replace('Host 127.0.*', 'Host *'),
      ].join('\n'),
    );
    // The agent reads FLEET_SSH_CONFIG when it starts: this test gets its own.
    const env = await createFleetEnv(ssh.redis, { FLEET_SSH_CONFIG: config });
    try {
      await fleet.stopHost(1);
      const [ok, down, , , last] = fleet.entries;
      // With --throttle 1 the children run one after another, in list order;
      // the three on the last host exit 3, die of SIGKILL, and succeed, by turn.
      const turn = `/tmp/${env.marker}-turn`;
      const command = `n=$(cat ${turn} 2>/dev/null || echo 0); echo $((n+1)) > ${turn}; [ $n = 1 ] && exit 3; [ $n = 2 ] && kill -9 $$; true`;
      const hosts = [ok, down, `nobody@${ok}`, 'stranger', 'impostor', last, last, last];
      const parent = await env.json<JobJson>(['invoke', '-c', hosts.join(','), '--throttle', '1', '--as-job', '--', command]);
      await untilState(env, parent.id, ['Failed'], 60_000);
      const outcome = (await env.json<JobJson[]>(['get', String(parent.id), '--children'])).slice(1);
      expect(outcome.map((child) => [child.location, child.state, child.reason, child.exitCode])).toEqual([
        [ok, 'Completed', null, 0],
        [down, 'Failed', 'connection refused', null],
        [`nobody@${ok}`, 'Failed', `authentication failed for nobody@${ok} (tried: publickey)`, null],
        ['stranger', 'Failed', expect.stringMatching(/^unknown host key for \[127\.0\.1\.4\]:\d+: not in known_hosts/), null],
        ['impostor', 'Failed', expect.stringMatching(/^host key mismatch for \[127\.0\.1\.5\]:\d+/), null],
        [last, 'Failed', 'exit code 3', 3],
        [last, 'Failed', 'killed by signal SIGKILL', null],
        [last, 'Completed', null, 0],
      ]);
    } finally {
      await env.cleanup();
    }
  });

  it('fails a host that goes down mid-command as connection lost', async () => {
    const hosts = `${ssh.fleet.entries[0]},${ssh.fleet.entries[2]}`;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', hosts, '--as-job', '--', `echo up; ${ssh.env.sleep} 300`]);
    await until(async () => (await children(parent.id)).every((child) => child.hasMoreData), { what: 'both hosts to start' });
    await ssh.fleet.stopHost(2);
    await until(async () => (await children(parent.id))[1]?.state === 'Failed', { what: 'the lost host to fail' });
    const lost = (await children(parent.id))[1];
    expect(lost?.reason).toBe('connection lost while the command was running');
    expect((await children(parent.id))[0]?.state).toBe('Running');
    await ssh.env.fleet(['stop', String(parent.id)]);
    // Its slot is free, and the host is reached afresh once its sshd is back.
    await ssh.fleet.startHost(2);
    const next = await ssh.env.fleet(['invoke', '-c', ssh.fleet.entries[2] as string, '--', 'echo back']);
    expect(next.stdout).toBe(`${ssh.fleet.entries[2]}: back\n`);
  });
  it('notices through keepalives a host that hangs mid-command, and frees the slot', async () => {
    const host = ssh.fleet.entries[3] as string;
    const parent = await ssh.env.json<JobJson>(['invoke', '-c', host, '--as-job', '--', `echo up; ${ssh.env.sleep} 300`]);
    await until(async () => (await children(parent.id))[0]?.hasMoreData, { what: 'the command to start' });
    await ssh.fleet.freeze(3);
    // Keepalives every 5 s, three missed: the agent gives up on the connection within ~20 s.
    const failed = await untilState(ssh.env, parent.id + 1, ['Failed'], 60_000);
    expect(failed.reason).toBe('connection lost while the command was running');
    await ssh.fleet.thaw(3);
    // The agent's slot is free again and the host is reached afresh.
    const next = await ssh.env.fleet(['invoke', '-c', host, '--', 'echo back']);
    expect(next.stdout).toBe(`${host}: back\n`);
    // The command on the host that hung does not outlive the lost connection: once thawed, sshd
    // closes the session and the wrapper's watcher ends the command's tree (no orphan, issue 17 §1).
    await until(async () => (await remoteProcesses(3, ssh.env.marker)) === '', { what: 'the command the lost connection ran to end' });
  });
});

describe('stop', () => {
  it('ends every remote process tree, stops unstarted children, and keeps the output so far', async () => {
    const marker = ssh.env.marker;
    const parent = await ssh.env.json<JobJson>([
      'invoke',
      '-f',
      ssh.fleet.computersFile,
      '--throttle',
      '3',
      '--as-job',
      '--',
      `echo up; ${ssh.env.sleep} 300 & ${ssh.env.sleep} 300`,
    ]);
    await until(async () => (await children(parent.id)).filter((child) => child.hasMoreData).length === 3, {
      what: 'three hosts to start',
    });
    expect((await ssh.env.fleet(['stop', String(parent.id)])).code).toBe(0);
    const after = await children(parent.id);
    expect(after.map((child) => child.state)).toEqual(Array(5).fill('Stopped'));
    expect(after.map((child) => child.beganAt === null)).toEqual([false, false, false, true, true]);
    for (const index of [0, 1, 2, 3, 4]) expect(await remoteProcesses(index, marker)).toBe('');
    const output = await ssh.env.fleet(['receive', String(parent.id)]);
    expect(output.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ssh.fleet.entries
        .slice(0, 3)
        .map((host) => `${host}: up`)
        .sort(),
    );
    expect((await ssh.env.json<JobJson[]>(['get', String(parent.id)]))[0]?.state).toBe('Stopped');
  });
});
