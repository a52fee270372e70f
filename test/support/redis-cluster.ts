import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from './poll.js';
import { freePort } from './redis-server.js';
import { redisTlsArgs, type TestTls } from './test-tls.js';

const run = promisify(execFile);

/** A real three-master Redis Cluster on loopback ports, for one test file. */
export interface TestRedisCluster {
  /** `host:port,host:port,...`, as FLEET_REDIS_CLUSTER takes it. */
  seeds: string;
  stop(): Promise<void>;
}

/**
 * Who may log in: with `user`, only that ACL user (the `default` user is off),
 * as a cluster that holds credentials is set up. With `tls`, every node, and
 * the cluster bus, speaks TLS only, with that certificate.
 */
export interface RedisClusterOptions {
  user?: { name: string; password: string };
  tls?: TestTls;
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-cluster-'));
  const acl =
    options.user === undefined
      ? []
      : ['--user', 'default', 'off', '--user', options.user.name, 'on', `>${options.user.password}`, '~*', '&*', '+@all'];
  const login = [
    ...(options.user === undefined ? [] : ['--user', options.user.name, '--pass', options.user.password, '--no-auth-warning']),
    ...(options.tls === undefined ? [] : ['--tls', '--cacert', options.tls.ca]),
  ];
  const listen = (port: number) =>
    options.tls === undefined ? ['--port', String(port)] : [...redisTlsArgs(options.tls, port), '--tls-cluster', 'yes'];
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        ...listen(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        ...acl,
      ],
      { stdio: 'ignore' },
    ),
  );
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  await until(async () => (await Promise.all(ports.map((port) => ping(port, login)))).every(Boolean), { what: 'cluster nodes' });
  await run('redis-cli', [...login, '--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
  await until(
    async () => {
      const { stdout } = await run('redis-cli', [...login, '-p', String(ports[0]), 'cluster', 'info']);
      return stdout.includes('cluster_state:ok');
    },
    { what: 'the cluster to be ready' },
  );
  return {
    seeds: addresses.slice(0, 2).join(','),
    async stop() {
      for (const server of servers) server.kill('SIGKILL');
      await until(() => servers.every((server) => server.exitCode !== null || server.signalCode !== null), {
        what: 'cluster nodes to exit',
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function ping(port: number, login: string[]): Promise<boolean> {
  try {
    return (await run('redis-cli', [...login, '-p', String(port), 'ping'])).stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}
