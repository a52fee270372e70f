import { describe, expect, it } from 'vitest';
import { describeOutputDroppedOutOfMemory, describeRedisFill, fullestRedis, isRedisOutOfMemory, parseRedisInfo } from './redis-memory.js';

/** Redis's reply error, as ioredis hands it on. */
class ReplyError extends Error {
  override name = 'ReplyError';
}

const MiB = 1024 * 1024;

describe('isRedisOutOfMemory', () => {
  it("knows Redis's refusal, sent as it is or from inside a script", () => {
    expect(isRedisOutOfMemory(new ReplyError("OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
    expect(
      isRedisOutOfMemory(new ReplyError("OOM command not allowed when used memory > 'maxmemory'. script: 0145ab, on @user_script:256.")),
    ).toBe(true);
  });

  it('knows it behind a discarded transaction', () => {
    const aborted = Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), {
      previousErrors: [new ReplyError("OOM command not allowed when used memory > 'maxmemory'.")],
    });
    expect(isRedisOutOfMemory(aborted)).toBe(true);
  });

  it('takes nothing else for it', () => {
    expect(isRedisOutOfMemory(new ReplyError('NOSCRIPT No matching script.'))).toBe(false);
    expect(isRedisOutOfMemory(new Error('connect ECONNREFUSED 127.0.0.1:6379'))).toBe(false);
    expect(isRedisOutOfMemory(new ReplyError('ERR the word OOM command not allowed, later'))).toBe(false);
    expect(isRedisOutOfMemory('OOM command not allowed')).toBe(false);
  });
});

describe('parseRedisInfo', () => {
  it('reads memory and persistence from INFO', () => {
    const info = [
      '# Memory',
      'used_memory:31457000',
      'used_memory_human:30.00M',
      'maxmemory:31457280',
      'maxmemory_human:30.00M',
      'maxmemory_policy:noeviction',
      '',
      '# Persistence',
      'loading:0',
      'aof_enabled:1',
    ].join('\r\n');
    expect(parseRedisInfo(info)).toEqual({
      usedMemoryBytes: 31457000,
      maxmemoryBytes: 31457280,
      maxmemoryPolicy: 'noeviction',
      aofEnabled: true,
    });
  });

  it('leaves out what a server does not say', () => {
    expect(parseRedisInfo('# Memory\r\nused_memory:abc\r\n')).toEqual({
      usedMemoryBytes: null,
      maxmemoryBytes: null,
      maxmemoryPolicy: null,
      aofEnabled: null,
    });
  });
});

describe('how full Redis is, in words', () => {
  it('gives maxmemory and what is used', () => {
    expect(describeRedisFill({ usedMemoryBytes: 31.4 * MiB, maxmemoryBytes: 30 * MiB })).toBe('maxmemory 30 MiB, used 31.4 MiB');
  });

  it('leaves out a limit of 0 (none) and what is unknown', () => {
    expect(describeRedisFill({ usedMemoryBytes: 2 * MiB, maxmemoryBytes: 0 })).toBe('used 2 MiB');
    expect(describeRedisFill({ usedMemoryBytes: null, maxmemoryBytes: null })).toBeNull();
  });

  it('picks the fullest server of a cluster', () => {
    const server = (used: number, max: number) => ({ usedMemoryBytes: used, maxmemoryBytes: max, maxmemoryPolicy: null, aofEnabled: null });
    expect(fullestRedis([server(10, 100), server(95, 100), server(50, 0)])).toEqual(server(95, 100));
    expect(fullestRedis([])).toBeNull();
  });

  it("says in a job's reason how much output was not stored", () => {
    expect(describeOutputDroppedOutOfMemory(6.7 * MiB)).toBe('output dropped: Redis out of memory (6.7 MiB not stored)');
  });
});
