import type { SealedSecret } from '@fleet/core';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * The sealed copies of a job's secret (the `--ask-sudo-pass` password), one
 * per agent, in a hash beside the top-level job: agent id → sealed copy
 * (JSON). Only ciphertext: each copy opens only with that agent's private
 * sealing key (see core's sealing.ts). The hash expires with the job's
 * signatures (no leaf starts after them) and is deleted as soon as the tree
 * ends or is removed (transitions-lua.ts).
 */
export class SealedSecrets {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  async put(rootId: number, copies: ReadonlyMap<string, SealedSecret>, expiresAt: number): Promise<void> {
    if (copies.size === 0) return;
    const key = this.keys.sealed(rootId);
    const fields = [...copies].flatMap(([agentId, sealed]) => [agentId, JSON.stringify(sealed)]);
    await this.client
      .multi()
      .hset(key, ...fields)
      .pexpireat(key, expiresAt)
      .exec();
  }

  /** The copy sealed to this agent, or null when there is none (it was not vouched for, or the job ended). */
  async get(rootId: number, agentId: string): Promise<SealedSecret | null> {
    const text = await this.client.hget(this.keys.sealed(rootId), agentId);
    if (text === null) return null;
    try {
      return JSON.parse(text) as SealedSecret;
    } catch {
      return null;
    }
  }
}
