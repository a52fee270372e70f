import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { spawnFleet } from './support/fleet-cli.js';
import { createFleetEnv, processesWith, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { freePort, startRedis, type TestRedis } from './support/redis-server.js';
import { startSshFleet, TEST_USER, type SshFleet } from './support/ssh-fleet.js';
import type { JobJson } from './support/use-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

const run = promisify(execFile);

// Issue 17 point 1, the partition: the agent in one network namespace, the
// host's sshd in another, joined by a veth pair. The link goes down, the
// agent is SIGKILLed: no FIN reaches sshd, and only the heartbeat's silence
// can end the command. Redis is reached over a unix socket from both sides.
const suffix = randomBytes(3).toString('hex');
const AGENT_NS = `fleet-orph-a-${suffix}`;
const HOST_NS = `fleet-orph-h-${suffix}`;
const HOST_ADDRESS = '10.231.77.2';
let dir = '';
let redis: TestRedis | undefined;
let fleet: SshFleet | undefined;
let env: FleetEnv | undefined;

beforeAll(async () => {
  for (const ns of [AGENT_NS, HOST_NS]) {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  await run('ip', ['link', 'add', 'orpha', 'netns', AGENT_NS, 'type', 'veth', 'peer', 'name', 'orphh', 'netns', HOST_NS]);
  await run('ip', ['-n', AGENT_NS, 'addr', 'add', '10.231.77.1/24', 'dev', 'orpha']);
  await run('ip', ['-n', HOST_NS, 'addr', 'add', `${HOST_ADDRESS}/24`, 'dev', 'orphh']);
  await run('ip', ['-n', AGENT_NS, 'link', 'set', 'orpha', 'up']);
  await run('ip', ['-n', HOST_NS, 'link', 'set', 'orphh', 'up']);
  dir = await mkdtemp(join(tmpdir(), 'fleet-partition-'));
  const socket = join(dir, 'redis.sock');
  redis = await startRedis(['--unixsocket', socket, '--unixsocketperm', '700']);
  const port = await freePort();
  fleet = await startSshFleet(1, { netns: HOST_NS, port, hostSshdOptions: () => [`ListenAddress=${HOST_ADDRESS}:${port}`] });
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[${HOST_ADDRESS}]:${port} ${fleet.hosts[0]?.publicKey}\n`);
  const sshConfig = join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    ['Host cut-off', `  HostName ${HOST_ADDRESS}`, `  Port ${port}`, `  User ${TEST_USER}`, `  IdentityFile ${fleet.clientKey}`]
      .concat([`  UserKnownHostsFile ${knownHosts}`, '  StrictHostKeyChecking yes', '  ConnectTimeout 5', ''])
      .join('\n'),
  );
  env = await createFleetEnv(null, { FLEET_REDIS_URL: `unix://${socket}`, FLEET_SSH_CONFIG: sshConfig });
});

afterEach(async () => {
  await run('ip', ['-n', AGENT_NS, 'link', 'set', 'orpha', 'up']);
});

afterAll(async () => {
  await env?.cleanup();
  await Promise.all([redis?.stop(), fleet?.close()]);
  for (const ns of [AGENT_NS, HOST_NS]) await run('ip', ['netns', 'delete', ns]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

it('a host cut off from its agent, which then dies, ends the command by the heartbeat’s silence, link still down', async () => {
  const fleetEnv = env as FleetEnv;
  const agent = spawnFleet(['agent'], { env: fleetEnv.env, wrap: ['ip', 'netns', 'exec', AGENT_NS] });
  const exited = new Promise((resolve) => agent.once('close', resolve));
  await until(async () => (await fleetEnv.json<{ pid: number }[]>(['agents'])).some((found) => found.pid === agent.pid), {
    what: 'the agent to register',
  });
  await fleetEnv.json<JobJson>([
    'invoke',
    '-c',
    'cut-off',
    '--as-job',
    '--',
    `sh -c '${fleetEnv.sleep} 300 & ${fleetEnv.sleep} 300; wait'`,
  ]);
  await until(async () => (await processesWith(fleetEnv.marker)).length >= 3, { what: 'the command tree to start', timeoutMs: 30_000 });
  await run('ip', ['-n', AGENT_NS, 'link', 'set', 'orpha', 'down']);
  const killed = Date.now();
  agent.kill('SIGKILL');
  await exited;
  expect(isAlive(agent.pid as number)).toBe(false);
  // sshd cannot know: the command runs on.
  expect((await processesWith(fleetEnv.marker)).length).toBeGreaterThanOrEqual(3);
  await untilNoProcessesWith(fleetEnv.marker, { what: 'the command tree to end', timeoutMs: 90_000 });
  console.log(`[no-orphan] partition: agent SIGKILL (link down) to the command tree gone: ${((Date.now() - killed) / 1000).toFixed(2)} s`);
}, 150_000);
