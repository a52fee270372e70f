import { spawn } from 'node:child_process';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS, RedisUnavailableError } from '@fleet/core';
import { Redis } from 'ioredis';
import { ensurePrivateStateDir } from './private-state-dir.js';

/** Files of the private redis-server fleet starts when no Redis is given. */
export function embeddedRedisPaths(stateDir: string) {
  const dir = join(stateDir, 'redis');
  return {
    dir,
    socket: join(dir, 'redis.sock'),
    pidFile: join(dir, 'redis.pid'),
    logFile: join(dir, 'redis.log'),
    lock: join(dir, 'start.lock'),
  };
}

/** Whether a unix socket is the embedded redis-server's of this state directory (started by fleet with the settings it needs). */
export function isEmbeddedRedisSocket(stateDir: string, socket: string): boolean {
  return socket === embeddedRedisPaths(stateDir).socket;
}

/** Unix socket paths longer than this do not fit in sockaddr_un. */
const MAX_SOCKET_PATH = 104;

/**
 * Returns the socket of the embedded redis-server, starting it first when it
 * is not running: a unix socket (no TCP port) and an append-only file in the
 * user's state directory, so jobs survive a restart. Concurrent callers are
 * serialised by a lock file, so only one server is ever started.
 */
export async function ensureEmbeddedRedis(stateDir: string): Promise<string> {
  const paths = embeddedRedisPaths(stateDir);
  if (paths.socket.length > MAX_SOCKET_PATH) {
    throw new RedisUnavailableError(`the embedded Redis socket path is too long: ${paths.socket}`, {
      hint: 'set FLEET_STATE_DIR to a shorter directory, or FLEET_REDIS_URL to a running Redis',
    });
  }
  await ensurePrivateStateDir(stateDir);
  if (await answers(paths.socket)) return paths.socket;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });

  const deadline = Date.now() + DEFAULTS.embeddedRedisStartMs;
  while (!(await takeLock(paths.lock))) {
    if (await answers(paths.socket)) return paths.socket;
    if (Date.now() > deadline) throw new RedisUnavailableError(`another fleet is starting Redis and did not finish (lock ${paths.lock})`);
    await delay(100);
  }
  try {
    if (await answers(paths.socket)) return paths.socket;
    await startServer(paths);
    while (Date.now() < deadline) {
      if (await answers(paths.socket)) return paths.socket;
      await delay(50);
    }
    throw new RedisUnavailableError(`redis-server did not come up on ${paths.socket}`, { hint: `see ${paths.logFile}` });
  } finally {
    await rm(paths.lock, { force: true });
  }
}

async function startServer(paths: ReturnType<typeof embeddedRedisPaths>): Promise<void> {
  const args = [
    '--port',
    '0',
    '--unixsocket',
    paths.socket,
    '--unixsocketperm',
    '700',
    '--dir',
    paths.dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'yes',
    '--pidfile',
    paths.pidFile,
    '--logfile',
    paths.logFile,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new RedisUnavailableError('no Redis was given and redis-server is not installed', {
              hint: 'install it (sudo apt-get install redis-server, or brew install redis), or set FLEET_REDIS_URL',
            })
          : new RedisUnavailableError(`cannot start redis-server: ${error.message}`, { cause: error }),
      );
    });
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new RedisUnavailableError(`redis-server exited with code ${code}`, { hint: `see ${paths.logFile}` }));
    });
  });
}

/** Takes the start lock; a lock older than 30 s is left over from a crash and is taken over. */
async function takeLock(lock: string): Promise<boolean> {
  try {
    const handle = await open(lock, 'wx');
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const info = await stat(lock).catch(() => null);
    if (info && Date.now() - info.mtimeMs > 30_000) await rm(lock, { force: true });
    return false;
  }
}

async function answers(socket: string): Promise<boolean> {
  const probe = new Redis({
    path: socket,
    lazyConnect: true,
    protocol: 2,
    connectTimeout: 1000,
    disconnectTimeout: 100,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
