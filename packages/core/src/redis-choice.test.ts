import { describe, expect, it } from 'vitest';
import { formatDetectedRedis, parseDetectedRedis, redisChangeNotice } from './redis-choice.js';

describe('the recorded Redis choice', () => {
  it('reads back what it wrote', () => {
    expect(parseDetectedRedis(formatDetectedRedis('embedded'))).toBe('embedded');
    expect(parseDetectedRedis(formatDetectedRedis('default-address'))).toBe('default-address');
  });

  it('is null for text that is not a choice', () => {
    expect(parseDetectedRedis('')).toBeNull();
    expect(parseDetectedRedis('{"detected":"redis://elsewhere:6379"}')).toBeNull();
    expect(parseDetectedRedis('[1]')).toBeNull();
  });
});

describe('the Redis change notice', () => {
  it('says nothing the first time, or when the Redis is the same', () => {
    expect(redisChangeNotice(null, '/s/redis/redis.sock', false)).toBeNull();
    expect(redisChangeNotice('/s/redis/redis.sock', '/s/redis/redis.sock', false)).toBeNull();
  });

  it('names both Redis and why when they differ', () => {
    expect(redisChangeNotice('/s/redis/redis.sock', 'redis://127.0.0.1:7000', true)).toBe(
      'Redis changed from /s/redis/redis.sock to redis://127.0.0.1:7000 (as FLEET_REDIS_URL, --redis or FLEET_REDIS_CLUSTER says); jobs kept in /s/redis/redis.sock are not seen here',
    );
    expect(redisChangeNotice('redis://127.0.0.1:7000', '/s/redis/redis.sock', false)).toMatch(
      /\(the Redis fleet chose when none was named\)/,
    );
  });
});
