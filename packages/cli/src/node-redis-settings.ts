import { randomBytes } from 'node:crypto';
import { DeployRefused, nodeAclRules, nodeAclUser, UsageError, withRedisCredentials, type HostEntry } from '@fleet/core';
import { targetToUrl, type RedisClient, type RedisTarget } from '@fleet/store';

/** How deploy gives nodes their Redis credentials. */
export interface NodeRedisChoice {
  /** `--node-redis-url` (or `FLEET_NODE_REDIS_URL`): what every node gets instead of this machine's URL. */
  nodeRedisUrl: string | null;
  /** `--node-acl`: deploy makes one ACL user per node, with a random password, on this machine's Redis. */
  nodeAcl: boolean;
}

/**
 * The choice `--node-redis-url` (or `FLEET_NODE_REDIS_URL`) and `--node-acl`
 * make, checked before Redis is opened. A bad URL is not echoed: it may hold
 * a password.
 */
export function nodeRedisChoice(flag: string | undefined, environment: string | undefined, nodeAcl: boolean): NodeRedisChoice {
  const given = flag ?? environment ?? '';
  const nodeRedisUrl = given === '' ? null : given;
  if (nodeRedisUrl !== null && !/^rediss?:\/\/\S+$/.test(nodeRedisUrl)) {
    throw new UsageError('--node-redis-url (FLEET_NODE_REDIS_URL) takes redis://USER:PASSWORD@HOST:PORT, or rediss:// for TLS');
  }
  if (nodeAcl && nodeRedisUrl !== null) {
    throw new UsageError('--node-acl makes each node a Redis user of its own; --node-redis-url gives them all one: choose one');
  }
  return { nodeRedisUrl, nodeAcl };
}

/** A node's Redis settings for its agent.env, and the ACL user made for it, if any. */
export interface NodeRedisSetting {
  env: Record<string, string>;
  aclUser: string | null;
}

/**
 * The Redis settings each node's agent is given. By default this machine's
 * own (its URL with its password, or its cluster seeds); `--node-redis-url`
 * gives every node that URL instead; `--node-acl` makes, before any node is
 * touched, one ACL user per node on this machine's Redis (`nodeAclRules`),
 * and gives each node this machine's address with its own user's name and
 * password, so no node holds this machine's password. A unix socket or a
 * loopback address only works for a node that is this machine, so for any
 * other node that entry is refused with what to pass instead. Per-host
 * refusals come from the returned function; one that concerns every node
 * (no right to make users) is thrown here.
 */
export async function nodeRedisSettings(
  client: RedisClient,
  target: RedisTarget,
  prefix: string,
  hosts: readonly HostEntry[],
  choice: NodeRedisChoice,
): Promise<(entry: HostEntry) => NodeRedisSetting> {
  const base = (entry: HostEntry): Record<string, string> =>
    choice.nodeRedisUrl === null
      ? controllerSetting(target, entry)
      : { FLEET_REDIS_URL: reachable(choice.nodeRedisUrl, entry, 'the --node-redis-url address', 'give --node-redis-url') };
  if (!choice.nodeAcl) return (entry) => ({ env: base(entry), aclUser: null });

  if (target.kind !== 'url') {
    throw new DeployRefused(
      `--node-acl needs a redis:// or rediss:// address (this machine's Redis is ${target.kind === 'cluster' ? 'a cluster' : 'a unix socket'}): make the users yourself and deploy with --node-redis-url`,
    );
  }
  const made = new Map<string, { user: string; password: string }>();
  for (const entry of hosts) {
    try {
      base(entry);
    } catch {
      continue; // refused for this host below, with its reason; no user is made for it
    }
    const user = nodeAclUser(entry.raw);
    const password = randomBytes(24).toString('hex');
    try {
      await client.call('ACL', 'SETUSER', user, ...nodeAclRules(prefix, password));
    } catch (error) {
      const words = error instanceof Error ? error.message : String(error);
      throw new DeployRefused(
        /NOPERM|no permissions/i.test(words)
          ? `--node-acl: your Redis user may not make users (ACL SETUSER: ${words}); nothing was deployed. Have an admin run, for each node, redis-cli ACL SETUSER ${user} ${nodeAclRules(prefix, 'A-LONG-PASSWORD').join(' ')} (one user per node), then deploy each with --node-redis-url redis://USER:PASSWORD@HOST:PORT; or deploy with a Redis user allowed ACL SETUSER`
          : `--node-acl: cannot make the Redis user ${user}: ${words}; nothing was deployed`,
      );
    }
    made.set(entry.raw, { user, password });
  }
  return (entry) => {
    const env = base(entry);
    const own = made.get(entry.raw);
    if (own === undefined) return { env, aclUser: null };
    return { env: { FLEET_REDIS_URL: withRedisCredentials(env.FLEET_REDIS_URL ?? '', own.user, own.password) }, aclUser: own.user };
  };
}

/** This machine's own Redis, for a node that can reach it. */
function controllerSetting(target: RedisTarget, entry: HostEntry): Record<string, string> {
  refuseLocal(entry);
  if (target.kind === 'cluster') return { FLEET_REDIS_CLUSTER: targetToUrl(target) };
  if (target.kind === 'socket') {
    if (isLoopback(entry.host)) return { FLEET_REDIS_URL: targetToUrl(target) };
    throw new DeployRefused(
      `this machine's Redis is a unix socket (${target.path}), which ${entry.host} cannot reach: deploy with --redis redis://ADDRESS:6379, an address ${entry.host} can reach`,
      entry.raw,
    );
  }
  return { FLEET_REDIS_URL: reachable(target.url, entry, "this machine's Redis", 'deploy with --redis') };
}

/** `url`, unless it is a loopback address and the node is another machine. */
function reachable(url: string, entry: HostEntry, what: string, remedy: string): string {
  refuseLocal(entry);
  if (isLoopback(entry.host) || !/^rediss?:\/\/([^@/]*@)?(127\.|localhost|\[::1\])/.test(url)) return url;
  throw new DeployRefused(
    `${what} is on a loopback address, which ${entry.host} cannot reach: ${remedy} redis://ADDRESS:6379, an address ${entry.host} can reach`,
    entry.raw,
  );
}

function refuseLocal(entry: HostEntry): void {
  if (entry.local) throw new DeployRefused('localhost runs on this machine already; deploy is for other nodes', entry.raw);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}
