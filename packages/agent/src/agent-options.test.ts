import { DEFAULTS, UsageError } from '@fleet/core';
import type { FleetShards, RedisClient } from '@fleet/store';
import { describe, expect, it } from 'vitest';
import { resolveAgentOptions, type AgentOptions } from './agent-options.js';
import { SshPool } from './ssh/ssh-pool.js';
import type { RanMemory } from './ran-memory.js';
import type { TrustStore } from './trust-store.js';

const required: AgentOptions = {
  shards: {} as FleetShards,
  trust: {} as TrustStore,
  deployment: 'test',
  ranMemory: {} as RanMemory,
  connectAnother: () => Promise.resolve({} as RedisClient),
};

describe('resolveAgentOptions', () => {
  it('fills in every default from DEFAULTS: the shared queue, no idle exit, a real SSH pool', () => {
    const options = resolveAgentOptions(required);
    expect(options).toMatchObject({
      concurrency: DEFAULTS.agentConcurrency,
      threadLimit: DEFAULTS.threadLimit,
      stopGraceMs: DEFAULTS.stopGraceMs,
      drainGraceMs: DEFAULTS.drainGraceMs,
      heartbeatIntervalMs: DEFAULTS.heartbeatIntervalMs,
      serves: null,
      idleTimeoutMs: null,
    });
    expect(options.createSshPool(options.createClient)).toBeInstanceOf(SshPool);
  });

  it('keeps what it is given', () => {
    const options = resolveAgentOptions({
      ...required,
      concurrency: 3,
      threadLimit: 1,
      idleTimeoutMs: 0,
      serves: 'web1',
      stopGraceMs: 0,
      drainGraceMs: 0,
    });
    expect(options).toMatchObject({ concurrency: 3, threadLimit: 1, idleTimeoutMs: 0, serves: 'web1', stopGraceMs: 0, drainGraceMs: 0 });
  });

  it.each([
    { concurrency: 0 },
    { threadLimit: 1.5 },
    { stopGraceMs: -1 },
    { drainGraceMs: -1 },
    { heartbeatIntervalMs: Number.NaN },
    { idleTimeoutMs: -5 },
  ])('refuses %o', (bad) => {
    expect(() => resolveAgentOptions({ ...required, ...bad })).toThrow(UsageError);
  });
});
