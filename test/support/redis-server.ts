import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { until } from './poll.js';

/** A real redis-server on a free loopback port in a temporary directory, for one test file. */
export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  client(): Redis;
  /** Stops redis-server as a restart would (SIGTERM: the AOF is flushed) and starts it again on the same port and files. */
  restart(): Promise<void>;
  /** SIGKILLs redis-server, as a crash would, and waits for it to exit; {@link start} brings it back on the same port and files. */
  kill(): Promise<void>;
  /** Starts redis-server again after {@link kill}, and waits for it to answer. */
  start(): Promise<void>;
  /** SIGSTOPs redis-server, as a hung or cut-off server: connections stay open, nothing answers. */
  freeze(): void;
  /** SIGCONTs it after {@link freeze}. */
  thaw(): void;
  stop(): Promise<void>;
  /** SIGKILLs redis-server at once, without waiting: for a process's 'exit' handler. */
  killSync(): void;
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

/** True when a Redis at `url` (or at `options` alone) answers PING. */
export async function redisAnswers(url: string | null, options: RedisOptions = {}): Promise<boolean> {
  const base: RedisOptions = { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...options };
  const probe = url === null ? new Redis(base) : new Redis(url, base);
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', ...extraArgs];
  let child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const answers = () => until(() => redisAnswers(url), { what: `redis-server on port ${port}` });
  await answers();
  const exited = (server: ChildProcess) =>
    until(() => server.exitCode !== null || server.signalCode !== null, { what: 'redis-server to exit' });
  return {
    url,
    port,
    dir,
    client() {
      const client = new Redis(url);
      clients.push(client);
      return client;
    },
    async restart() {
      child.kill('SIGTERM');
      await exited(child);
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await answers();
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await answers();
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
    async stop() {
      for (const client of clients) client.disconnect();
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
    killSync() {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    },
  };
}
