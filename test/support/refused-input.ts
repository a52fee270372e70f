import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FleetEnv } from './fleet-env.js';
import type { TestRedis } from './redis-server.js';

/**
 * Runs `args(dir)` (a scratch directory holding a file `f`) and checks it
 * was refused as bad input: exit 2, `message` on stderr, and nothing of
 * this test's in Redis.
 */
export async function expectRefusedBeforeAnything(
  env: FleetEnv,
  redis: TestRedis,
  args: (dir: string) => string[],
  message: RegExp,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bad-input-'));
  try {
    await writeFile(join(dir, 'f'), 'x');
    const result = await env.fleet(args(dir));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await redis.client().keys(`${env.prefix}:*`)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
