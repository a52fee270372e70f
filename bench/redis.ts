// The benchmarks' redis-server: the tests' own, without its append-only file,
// so that no fsync sits in the path being measured.
import { join } from 'node:path';
import { startRedis, type TestRedis } from '../test/support/redis-server.js';

export const benchRedis = (): Promise<TestRedis> => startRedis(['--appendonly', 'no']);

/** The environment fleet runs in for a benchmark: HOME and state under `work`, the bench Redis, prefix `{bench}`. */
export const benchEnv = (work: string, redis: TestRedis, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: join(work, 'home'),
  FLEET_REDIS_URL: redis.url,
  FLEET_PREFIX: '{bench}',
  FLEET_STATE_DIR: join(work, 'state'),
  ...extra,
});
