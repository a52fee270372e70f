import { describe, expect, it } from 'vitest';
import { formatRedisClusterSeeds, parseRedisClusterSeeds } from './redis-cluster-seeds.js';

describe('parseRedisClusterSeeds', () => {
  it('reads a bare seed list, without credentials or TLS', () => {
    expect(parseRedisClusterSeeds('h1:7000, h2:7001')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      username: null,
      password: null,
      tls: false,
    });
  });

  it('reads credentials and TLS given once for every node, percent-decoded', () => {
    expect(parseRedisClusterSeeds('rediss://fleet:p%40ss,w@h1:7000,h2:7001')).toEqual({
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      username: 'fleet',
      password: 'p@ss,w',
      tls: true,
    });
    expect(parseRedisClusterSeeds('redis://:pw@h1:7000')).toMatchObject({ username: null, password: 'pw', tls: false });
  });

  it('refuses what is not a seed list, without echoing the password', () => {
    for (const text of [
      'http://u:s3cret@h1:7000',
      'u:s3cret@h1:7000',
      'redis://u:s3cret@',
      'redis://u:s3cret@h1',
      'redis://u:s3cret,h1:7000',
    ]) {
      expect(() => parseRedisClusterSeeds(text), text).toThrow(/FLEET_REDIS_CLUSTER/);
      expect(() => parseRedisClusterSeeds(text), text).not.toThrow(/s3cret/);
    }
  });

  it('formats back to the same seeds', () => {
    for (const text of ['h1:7000,h2:7001', 'rediss://fleet:p%40ss%2Cw@h1:7000,h2:7001', 'redis://:pw@h1:7000', 'rediss://h1:7000']) {
      expect(formatRedisClusterSeeds(parseRedisClusterSeeds(text))).toBe(text);
    }
  });
});
