import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { until } from './poll.js';

/** A real redis-server on a free loopback port in a temporary directory, for one test file. */
export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  client(): Redis;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', ...extraArgs],
    { stdio: 'ignore' },
  );
  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  await until(
    async () => {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    { what: `redis-server on port ${port}` },
  );
  return {
    url,
    port,
    dir,
    client() {
      const client = new Redis(url);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      child.kill('SIGKILL');
      await until(() => child.exitCode !== null || child.signalCode !== null, { what: 'redis-server to exit' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
