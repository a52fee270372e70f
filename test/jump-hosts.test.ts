import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, processesWith, type FleetEnv } from './support/fleet-env.js';
import { JUMP_ROLES, NOTHING, startJumpFleet, type JumpFleet } from './support/jump-network.js';
import { isAlive, until } from './support/poll.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { accepts } from './support/ssh-fleet.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

const TARGETS = 10;
let redis: TestRedis | undefined;
let jump: JumpFleet | undefined;
let current: FleetEnv | undefined;

beforeAll(async () => {
  [redis, jump] = await Promise.all([startRedis(), startJumpFleet(TARGETS)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), jump?.close()]);
});
beforeEach(async () => {
  current = await createFleetEnv(redis ?? null, { FLEET_SSH_CONFIG: jump?.sshConfig });
});
afterEach(async () => {
  await current?.cleanup();
});

/** The jump fleet and this test's FleetEnv. */
function ready(): { net: JumpFleet; env: FleetEnv } {
  if (!jump || !current) throw new Error('no jump fleet outside a test');
  return { net: jump, env: current };
}

/** Each target has a HOME of its own: what a command there prints tells the hosts apart. */
function homeOf(targetIndex: number): string {
  return ready().net.fleet.hosts[JUMP_ROLES.firstTarget + targetIndex]?.home as string;
}

describe('hosts behind jump hosts (ProxyJump)', () => {
  it('reaches hosts behind one jump host that nothing here reaches directly, as plain ssh does through the same ssh_config', async () => {
    const { net, env } = ready();
    const [first, second] = net.targets as [string, string];
    // Not from here: only through the jump host.
    expect(await accepts(first, net.fleet.port)).toBe(false);

    const result = await env.fleet(['invoke', '-c', `${first},${second}`, '--', 'echo $HOME']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([`${first}: ${homeOf(0)}`, `${second}: ${homeOf(1)}`].sort());
    const oracle = await Promise.all([net.ssh(first, 'echo $HOME'), net.ssh(second, 'echo $HOME')]);
    expect(
      oracle.map((answer) => answer.stdout),
      oracle.map((answer) => answer.stderr).join(''),
    ).toEqual([`${homeOf(0)}\n`, `${homeOf(1)}\n`]);
  });

  it('goes through a chain of two jump hosts, each resolved through ssh_config, the first allowed to forward only to the second', async () => {
    const { net, env } = ready();
    const result = await env.fleet(['invoke', '-c', 'deep0,deep1', '--', 'echo $HOME']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([`deep0: ${homeOf(0)}`, `deep1: ${homeOf(1)}`]);
    const deep = await net.ssh('deep0', 'echo $HOME');
    expect(deep.stdout, deep.stderr).toBe(`${homeOf(0)}\n`);

    // gate forwards to inner alone: straight from gate, the target is refused, by sshd and so by ssh too.
    const refused = await env.fleet(['invoke', '-c', 'gated', '--', 'true']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('via gate: the jump host may not forward to');
    expect((await net.ssh('gated', 'true')).code).toBe(255);
  });

  it('names the jump host that cannot be reached', async () => {
    const { net, env } = ready();
    const result = await env.fleet(['invoke', '-c', 'behind-dead', '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('jump host dead-bastion: connection refused');
    expect((await net.ssh('behind-dead', 'true')).code).toBe(255);

    // The jump host is up, and it is the host behind it that refuses.
    const behind = await env.fleet(['invoke', '-c', 'behind-nothing', '--', 'true']);
    expect(behind.stderr).toContain(`behind-nothing (1): via bastion1: ${NOTHING}:${net.fleet.port}: connection refused`);
    expect((await net.ssh('behind-nothing', 'true')).code).toBe(255);
  });

  it('refuses a loop of jump hosts, naming it', async () => {
    // Not held to ssh, which would start ssh after ssh around the loop.
    const { env } = ready();
    const result = await env.fleet(['invoke', '-c', 'loop-a', '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/loop-a \(1\): jump host loop: \S+ -> \S+ -> \S+/);
  });

  it('checks host keys at every hop: a jump host whose key changed, and a host behind one whose key changed', async () => {
    const { net, env } = ready();
    const atJump = await env.fleet(['invoke', '-c', 'behind-changed', '--', 'true']);
    expect(atJump.code).not.toBe(0);
    expect(atJump.stderr).toMatch(/jump host changed-bastion: host key mismatch for \[127\.0\.0\.1\]:\d+/);
    const behind = await env.fleet(['invoke', '-c', 'changed-behind-bastion', '--', 'true']);
    expect(behind.code).not.toBe(0);
    expect(behind.stderr).toContain(`via bastion1: host key mismatch for [${net.targets[0]}]:${net.fleet.port}`);
    expect((await net.ssh('behind-changed', 'true')).code).toBe(255);
    expect((await net.ssh('changed-behind-bastion', 'true')).code).toBe(255);
  });

  it('stops a command behind a jump host, and times one out: its process tree on the host ends', async () => {
    const { net, env } = ready();
    const target = net.targets[0] as string;
    const job = await env.json<JobJson>(['invoke', '-c', target, '--as-job', '--', `echo up; ${env.sleep} 300 & ${env.sleep} 300`]);
    await until(async () => (await env.json<JobJson[]>(['get', String(job.id + 1)]))[0]?.hasMoreData, { what: 'the command to start' });
    // The two sleeps and the shell that started them.
    expect((await processesWith(env.marker)).length).toBeGreaterThanOrEqual(2);
    await env.fleet(['stop', String(job.id)]);
    expect((await env.json<JobJson[]>(['get', String(job.id + 1)]))[0]).toMatchObject({ state: 'Stopped' });
    await untilNoProcessesWith(env.marker, { what: 'the sleeps behind the jump host to end' });

    const slow = await env.json<JobJson>(['invoke', '-c', target, '--timeout', '1', '--as-job', '--', `${env.sleep} 300`]);
    expect(await untilState(env, slow.id + 1, ['Failed'])).toMatchObject({ reason: 'timed out after 1s' });
    await untilNoProcessesWith(env.marker, { what: 'the timed-out sleep to end' });
  });

  it('notices through keepalives a jump host that hangs mid-command, and gives up on a hung one after its own ConnectTimeout', async () => {
    const { net, env } = ready();
    const target = net.targets[0] as string;
    const job = await env.json<JobJson>(['invoke', '-c', target, '--as-job', '--', `echo up; ${env.sleep} 300`]);
    await until(async () => (await env.json<JobJson[]>(['get', String(job.id + 1)]))[0]?.hasMoreData, { what: 'the command to start' });
    await net.fleet.freeze(JUMP_ROLES.bastion);
    try {
      const timedOut = await env.fleet(['invoke', '-c', 'behind-slow', '--', 'true']);
      expect(timedOut.stderr).toContain('behind-slow (1): jump host slow-bastion: connection timed out after 2s');
      // Keepalives every 5 s, three missed: the agent gives up on the connection within ~20 s.
      const failed = await untilState(env, job.id + 1, ['Failed'], 60_000);
      expect(failed.reason).toBe('connection lost while the command was running');
    } finally {
      await net.fleet.thaw(JUMP_ROLES.bastion);
    }
    const next = await env.fleet(['invoke', '-c', target, '--', 'echo back']);
    expect(next.stdout).toBe(`${target}: back\n`);
    // As directly, the command outlives the lost connection (no tty, no SIGHUP): end it here, by the pids it runs as.
    for (const pid of await processesWith(env.marker)) process.kill(pid, 'SIGKILL');
  });

  it('caps output behind a jump host as it does directly (FLEET_MAX_OUTPUT)', async () => {
    const { net, env } = ready();
    const target = net.targets[0] as string;
    const created = await env.fleet(['invoke', '-c', target, '--as-job', '--json', '--', 'seq 1 100000'], {
      env: { FLEET_MAX_OUTPUT: '64K' },
    });
    const parent = JSON.parse(created.stdout) as JobJson;
    expect((await env.fleet(['wait', String(parent.id)])).code).toBe(1);
    const [, ended] = await env.json<JobJson[]>(['get', String(parent.id), '--children']);
    expect(ended).toMatchObject({
      state: 'Failed',
      exitCode: 0,
      reason: expect.stringMatching(/^exit code 0, but \d+(\.\d)? KiB of output past FLEET_MAX_OUTPUT \(64 KiB\) was dropped$/),
    });
  });

  it('crosses the jump host on a few pooled connections for a whole fan-out, where plain ssh crosses it once per host', async () => {
    const { net, env } = ready();
    const before = net.bastionLogins();
    const result = await env.fleet(['invoke', '-c', net.targets.join(','), '--throttle', '4', '--', 'echo $HOME']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(net.targets.map((target, n) => `${target}: ${homeOf(n)}`).sort());
    // The last login is logged after the handshake it counts; fleet's are long done when the job ends.
    const byFleet = net.bastionLogins() - before;
    // Forwarded channels are not sshd sessions: up to 32 share one connection, so this fan-out crosses it once.
    expect(byFleet).toBe(1);

    const beforeOracle = net.bastionLogins();
    const oracle = await Promise.all(net.targets.map((target) => net.ssh(target, 'echo $HOME')));
    expect(
      oracle.map((answer) => answer.stdout),
      oracle.map((answer) => answer.stderr).join(''),
    ).toEqual(net.targets.map((_, n) => `${homeOf(n)}\n`));
    await until(() => net.bastionLogins() - beforeOracle === TARGETS, { what: 'one bastion login per plain ssh' });
  });
});

describe('hosts behind a ProxyCommand', () => {
  it('connects through `ssh -W %h:%p bastion1` as its transport, and ends the command with the connection', async () => {
    const { net, env } = ready();
    const result = await env.fleet(['invoke', '-c', 'by-command', '--', 'echo $HOME']);
    expect([result.code, result.stdout]).toEqual([0, `by-command: ${homeOf(0)}\n`]);
    const byCommand = await net.ssh('by-command', 'echo $HOME');
    expect(byCommand.stdout, byCommand.stderr).toBe(`${homeOf(0)}\n`);

    const proxies = await processesWith('-W', `${net.targets[0]}:${net.fleet.port}`);
    expect(proxies.length).toBeGreaterThan(0);
    const agents = (await env.json<{ pid: number }[]>(['agents'])).map((agent) => agent.pid);
    for (const pid of agents) process.kill(pid, 'SIGTERM');
    await until(() => agents.every((pid) => !isAlive(pid)), { what: 'the agents to stop' });
    await untilNoProcessesWith(['-W', `${net.targets[0]}:${net.fleet.port}`], {
      what: 'the proxy command to end with its connection',
    });
  });

  it('says why a proxy command ended before the handshake', async () => {
    const { net, env } = ready();
    const result = await env.fleet(['invoke', '-c', 'failing-command', '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('via ProxyCommand: the ProxyCommand exited with status 3: no way through');
    const oracle = await net.ssh('failing-command', 'true');
    expect(oracle.code).toBe(255);
  });
});
