import type { RedisSelfReport } from './redis-memory.js';

/**
 * The Redis settings fleet needs, checked against what a Redis says of
 * itself: warnings in words, none when all is well or nothing could be
 * told. Fleet keeps jobs, their state and their output in Redis, so:
 *
 * - a Redis that evicts keys when full (any `maxmemory-policy` but
 *   `noeviction`, once `maxmemory` is set) silently loses jobs, and
 *   heartbeats (an agent taken for dead has its jobs failed `agent lost`);
 * - a Redis without the append-only file loses at a restart whatever it
 *   was given since its last snapshot, if it takes any. The embedded Redis
 *   fleet starts has both right, so only another is judged on it.
 */
export function judgeRedisSettings(report: RedisSelfReport, options: { embedded: boolean }): string[] {
  const warnings: string[] = [];
  const { maxmemoryBytes, maxmemoryPolicy, aofEnabled } = report;
  if (maxmemoryPolicy !== null && maxmemoryPolicy !== 'noeviction' && maxmemoryBytes !== null && maxmemoryBytes > 0) {
    warnings.push(
      `Redis evicts keys when full (maxmemory-policy ${maxmemoryPolicy}): it would silently lose jobs and their output; set maxmemory-policy noeviction`,
    );
  }
  if (!options.embedded && aofEnabled === false) {
    warnings.push(
      'Redis persistence is off (appendonly no): a Redis restart loses the jobs written since its last snapshot; set appendonly yes',
    );
  }
  return warnings;
}
