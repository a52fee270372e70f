import { judgeRedisSettings, parseRedisInfo, type RedisSelfReport } from '@fleet/core';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/**
 * What the Redis (each master of a cluster) says of its memory and
 * persistence, read with `INFO`, which fleet's minimal ACL allows and works
 * while Redis is full. `CONFIG GET` is not used: a managed Redis often
 * renames or forbids it. An empty list when INFO is refused or fails: the
 * checks built on it then say nothing rather than fail a command.
 */
export async function readRedisSelfReports(client: RedisClient): Promise<RedisSelfReport[]> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  const reports = await Promise.all(
    servers.map(async (server) => {
      try {
        const [memory, persistence] = await Promise.all([server.info('memory'), server.info('persistence')]);
        return parseRedisInfo(`${memory}\n${persistence}`);
      } catch {
        return null;
      }
    }),
  );
  return reports.filter((report): report is RedisSelfReport => report !== null);
}

/**
 * What is wrong with the Redis's settings for fleet (core's
 * judgeRedisSettings), each server's warnings once; none when INFO says
 * nothing. One round trip per server: for start-up logs and `fleet status`,
 * and for the CLI only when it meets a Redis it did not use last time.
 */
export async function redisSettingsWarnings(client: RedisClient, options: { embedded: boolean }): Promise<string[]> {
  const reports = await readRedisSelfReports(client);
  return [...new Set(reports.flatMap((report) => judgeRedisSettings(report, options)))];
}
