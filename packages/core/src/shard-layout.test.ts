import { describe, expect, it } from 'vitest';
import {
  HASH_SLOTS,
  hashTagOf,
  isShardPrefixOf,
  MAX_SHARDS,
  parseShardCount,
  shardIndexForJob,
  shardName,
  shardPrefixes,
  slotOfPrefix,
} from './shard-layout.js';

describe('hashTagOf', () => {
  it('reads the tag as Redis Cluster does: the first {...} that is not empty', () => {
    expect(hashTagOf('{fleet}')).toBe('fleet');
    expect(hashTagOf('team-{ops}-x')).toBe('ops');
    expect(hashTagOf('fleet')).toBeNull();
    expect(hashTagOf('{}fleet')).toBeNull();
    expect(hashTagOf('{fleet')).toBeNull();
  });
});

describe('shardPrefixes', () => {
  it('keeps the base prefix, unchanged, as the only shard by default', () => {
    expect(shardPrefixes('{fleet}', 1)).toEqual(['{fleet}']);
    // A prefix without a tag is fine on one Redis, as before.
    expect(shardPrefixes('fleet', 1)).toEqual(['fleet']);
  });

  it('makes shard 0 the base, and gives every other shard a tag of its own under the base', () => {
    const prefixes = shardPrefixes('{fleet}', 4);
    expect(prefixes[0]).toBe('{fleet}');
    expect(new Set(prefixes).size).toBe(4);
    for (const prefix of prefixes.slice(1)) expect(prefix).toMatch(/^\{fleet:[1-3](\.\d+)?\}$/);
  });

  it('puts one shard in each equal range of slots, so that equal masters get equal shares', () => {
    for (const count of [2, 3, 6, 12, 64]) {
      const ranges = shardPrefixes('{fleet}', count).map((prefix) => Math.floor((slotOfPrefix(prefix) * count) / HASH_SLOTS));
      expect(ranges.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index));
    }
  });

  it('keeps the text around the tag, and computes the same layout every time', () => {
    const prefixes = shardPrefixes('ops-{prod}-jobs', 3);
    expect(prefixes[0]).toBe('ops-{prod}-jobs');
    for (const prefix of prefixes.slice(1)) expect(prefix).toMatch(/^ops-\{prod:\d(\.\d+)?\}-jobs$/);
    expect(shardPrefixes('ops-{prod}-jobs', 3)).toEqual(prefixes);
  });

  it('refuses shards under a prefix without a hash tag, and counts out of range', () => {
    expect(() => shardPrefixes('fleet', 2)).toThrow(/FLEET_PREFIX "fleet" has no hash tag/);
    expect(() => shardPrefixes('{fleet}', 0)).toThrow(RangeError);
    expect(() => shardPrefixes('{fleet}', MAX_SHARDS + 1)).toThrow(RangeError);
  });
});

describe('parseShardCount', () => {
  it('takes a whole number from 1 to the limit, and says what it wanted otherwise', () => {
    expect(parseShardCount('3')).toBe(3);
    expect(parseShardCount(' 12 ')).toBe(12);
    for (const bad of ['0', '-1', '2.5', 'three', String(MAX_SHARDS + 1)]) {
      expect(() => parseShardCount(bad)).toThrow(`FLEET_SHARDS: ${JSON.stringify(bad)} is not a whole number from 1 to ${MAX_SHARDS}`);
    }
  });
});

describe('shardIndexForJob', () => {
  it('spreads jobs evenly, whatever step their ids take (one id per job and one per child)', () => {
    for (const step of [1, 2, 3, 4, 101]) {
      const counts = [0, 0, 0];
      for (let index = 0; index < 3000; index += 1) counts[shardIndexForJob(1 + index * step, 3)]! += 1;
      for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(100);
    }
    expect(shardIndexForJob(99, 1)).toBe(0);
    expect(shardIndexForJob(7, 5)).toBe(shardIndexForJob(7, 5));
  });
});

describe('isShardPrefixOf', () => {
  it('knows the layout’s own prefixes, and nothing else a Redis writer might register', () => {
    for (const prefix of shardPrefixes('ops-{prod}-jobs', 8).slice(1)) expect(isShardPrefixOf(prefix, 'ops-{prod}-jobs')).toBe(true);
    for (const other of [
      'ops-{prod}-jobs',
      '{prod:1}',
      'ops-{prod:1}-other',
      'ops-{prod:0}-jobs',
      'ops-{prod:1x}-jobs',
      `ops-{prod:${MAX_SHARDS}}-jobs`,
    ]) {
      expect(isShardPrefixOf(other, 'ops-{prod}-jobs')).toBe(false);
    }
    expect(isShardPrefixOf('{fleet:1}', 'fleet')).toBe(false);
  });
});

describe('shardName', () => {
  it('names the coordinator 0 and every other shard by its tag’s suffix', () => {
    const prefixes = shardPrefixes('ops-{prod}-jobs', 4);
    expect(shardName('ops-{prod}-jobs', 'ops-{prod}-jobs')).toBe('0');
    for (const prefix of prefixes.slice(1)) expect(shardName(prefix, 'ops-{prod}-jobs')).toBe(/\{prod:([^}]*)\}/.exec(prefix)?.[1]);
    expect(shardName('{other}', 'ops-{prod}-jobs')).toBeNull();
  });
});
