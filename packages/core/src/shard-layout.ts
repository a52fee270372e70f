import calculateSlot from 'cluster-key-slot';
import { UsageError } from './errors.js';

/** Redis Cluster's hash slots: a key's slot is the CRC16 of its hash tag, modulo this. */
export const HASH_SLOTS = 16384;

/** The most shards FLEET_SHARDS may ask for: each is a queue every agent takes work from. */
export const MAX_SHARDS = 256;

/**
 * The hash tag of a key prefix: the text between its first `{` and the next
 * `}`, when that is not empty (Redis Cluster's own rule), else null.
 */
export function hashTagOf(prefix: string): string | null {
  const open = prefix.indexOf('{');
  if (open === -1) return null;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return null;
  return prefix.slice(open + 1, close);
}

/** The Redis Cluster slot of every key under `prefix` (its hash tag's, or the whole prefix's). */
export function slotOfPrefix(prefix: string): number {
  return calculateSlot(prefix);
}

/**
 * The key prefixes of `count` shards (issue 21): each job tree lives under
 * one of them, with its own queues and indexes, so that every Lua
 * transition stays in one slot. Shard 0 is `base` itself (the layout fleet
 * has always used, and the coordinator's: the id counter, the deployment
 * id, the registry of shards). Every other shard's hash tag is the base's
 * with `:N` (and, where needed, `.M`) after it, chosen so that the shards'
 * slots fall into `count` equal ranges of the 16,384: on a Cluster whose
 * masters own equal contiguous ranges (as `redis-cli --cluster create`
 * makes them), `count` a multiple of the masters spreads the shards evenly
 * over them. Pure and deterministic: every process computes the same
 * layout from the same base and count.
 */
export function shardPrefixes(base: string, count: number): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new RangeError(`a shard count is a whole number from 1 to ${MAX_SHARDS}, not ${count}`);
  }
  if (count === 1) return [base];
  const tag = hashTagOf(base);
  if (tag === null) {
    throw new UsageError(`FLEET_PREFIX ${JSON.stringify(base)} has no hash tag ({...}), which shards need`, {
      hint: 'keep the default {fleet}, or put the part that names your deployment in braces',
    });
  }
  const bucketOf = (prefix: string) => Math.floor((slotOfPrefix(prefix) * count) / HASH_SLOTS);
  const withTag = (shardTag: string) => base.replace(`{${tag}}`, `{${shardTag}}`);
  const baseBucket = bucketOf(base);
  const buckets = Array.from({ length: count }, (_, bucket) => bucket).filter((bucket) => bucket !== baseBucket);
  const prefixes = [base];
  buckets.forEach((bucket, index) => {
    const shard = index + 1;
    for (let attempt = 0; ; attempt += 1) {
      const candidate = withTag(attempt === 0 ? `${tag}:${shard}` : `${tag}:${shard}.${attempt}`);
      if (bucketOf(candidate) === bucket) {
        prefixes.push(candidate);
        return;
      }
    }
  });
  return prefixes;
}

/**
 * Whether `prefix` could be a shard of `base` ({@link shardPrefixes}'s
 * form: the base with its tag followed by `:N` or `:N.M`, N below
 * {@link MAX_SHARDS}). The registry of shards is read from Redis: this is
 * how a reader keeps what a Redis writer put there from pointing it at
 * other keys.
 */
export function isShardPrefixOf(prefix: string, base: string): boolean {
  const tag = hashTagOf(base);
  if (tag === null || prefix === base) return false;
  const open = base.indexOf(`{${tag}}`);
  const before = base.slice(0, open);
  const after = base.slice(open + tag.length + 2);
  if (!prefix.startsWith(`${before}{${tag}:`) || !prefix.endsWith(`}${after}`)) return false;
  const shard = /^([1-9]\d{0,2})(\.[1-9]\d{0,5})?$/.exec(prefix.slice(before.length + tag.length + 2, prefix.length - after.length - 1));
  return shard !== null && Number(shard[1]) < MAX_SHARDS;
}

/**
 * A shard's short name, as event cursors carry it: `0` for the base prefix
 * (the coordinator), else what follows the base's tag and `:` in the
 * shard's tag (`2`, `5.1`). Null for a prefix that is not a shard of `base`.
 */
export function shardName(prefix: string, base: string): string | null {
  if (prefix === base) return '0';
  if (!isShardPrefixOf(prefix, base)) return null;
  const tag = hashTagOf(base) as string;
  return (hashTagOf(prefix) as string).slice(tag.length + 1);
}

/** FLEET_SHARDS: a whole number from 1 to {@link MAX_SHARDS}. */
export function parseShardCount(text: string): number {
  const count = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new UsageError(`FLEET_SHARDS: ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_SHARDS}`);
  }
  return count;
}

/**
 * The shard a new top-level job goes to: a hash of its id, modulo the count.
 * Not the id itself: a job takes one id and one per child, so ids of jobs of
 * the same size step alike, and `id % count` would put them all on one shard.
 * The hash is MurmurHash3's 32-bit finaliser, which spreads any such step.
 */
export function shardIndexForJob(rootId: number, count: number): number {
  let hash = rootId >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return (hash >>> 0) % count;
}
