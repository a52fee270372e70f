import { describe, expect, it } from 'vitest';
import type { RedisSelfReport } from './redis-memory.js';
import { judgeRedisSettings } from './redis-settings.js';

const good: RedisSelfReport = {
  usedMemoryBytes: 1_000_000,
  maxmemoryBytes: 30 * 1024 * 1024,
  maxmemoryPolicy: 'noeviction',
  aofEnabled: true,
};

describe('judgeRedisSettings', () => {
  it('is content with noeviction and AOF', () => {
    expect(judgeRedisSettings(good, { embedded: false })).toEqual([]);
  });

  it('warns of any policy that evicts once maxmemory is set, volatile ones too (heartbeats and finished jobs carry a TTL)', () => {
    for (const policy of ['allkeys-lru', 'volatile-ttl', 'allkeys-random']) {
      expect(judgeRedisSettings({ ...good, maxmemoryPolicy: policy }, { embedded: false })).toEqual([
        `Redis evicts keys when full (maxmemory-policy ${policy}): it would silently lose jobs and their output; set maxmemory-policy noeviction`,
      ]);
    }
  });

  it('says nothing of the policy while there is no maxmemory: nothing is ever evicted', () => {
    expect(judgeRedisSettings({ ...good, maxmemoryBytes: 0, maxmemoryPolicy: 'allkeys-lru' }, { embedded: false })).toEqual([]);
  });

  it('warns of persistence off, except on the embedded Redis', () => {
    expect(judgeRedisSettings({ ...good, aofEnabled: false }, { embedded: false })).toEqual([
      'Redis persistence is off (appendonly no): a Redis restart loses the jobs written since its last snapshot; set appendonly yes',
    ]);
    expect(judgeRedisSettings({ ...good, aofEnabled: false }, { embedded: true })).toEqual([]);
  });

  it('says nothing of what the server would not tell', () => {
    const silent: RedisSelfReport = { usedMemoryBytes: null, maxmemoryBytes: null, maxmemoryPolicy: null, aofEnabled: null };
    expect(judgeRedisSettings(silent, { embedded: false })).toEqual([]);
  });
});
