// The benchmarks' redis-server: the tests' own, without its append-only file,
// so that no fsync sits in the path being measured.
import { join } from 'node:path';
import { startRedis, type TestRedis } from '../test/support/redis-server.js';

export async function benchRedis(): Promise<TestRedis> {
  const redis = await startRedis(['--appendonly', 'no']);
  // However the benchmark ends (a failed run, Ctrl-C, a SIGTERM), its redis-server goes with it.
  process.once('exit', () => redis.killSync());
  exitOnSignals();
  return redis;
}

let signalsHandled = false;
/** SIGINT and SIGTERM end the benchmark through process.exit, so that every 'exit' handler (hosts, agents, Redis) runs. */
function exitOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/** The environment fleet runs in for a benchmark: HOME and state under `work`, the bench Redis, prefix `{bench}`. */
export const benchEnv = (work: string, redis: TestRedis, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: join(work, 'home'),
  FLEET_REDIS_URL: redis.url,
  FLEET_PREFIX: '{bench}',
  FLEET_STATE_DIR: join(work, 'state'),
  ...extra,
});
