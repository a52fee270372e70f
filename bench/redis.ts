// The benchmarks' redis-server: the tests' own, without its append-only file,
// so that no fsync sits in the path being measured.
import { startRedis, type TestRedis } from '../test/support/redis-server.js';

export const benchRedis = (): Promise<TestRedis> => startRedis(['--appendonly', 'no']);
