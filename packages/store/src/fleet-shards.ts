import { DEFAULTS, isShardPrefixOf, shardIndexForJob, shardPrefixes } from '@fleet/core';
import { Cluster } from 'ioredis';
import { FleetStore } from './fleet-store.js';
import type { RedisClient } from './redis-connection.js';

export interface FleetShardsOptions {
  client: RedisClient;
  /** The base prefix (FLEET_PREFIX): shard 0, and the coordinator. */
  prefix: string;
  heartbeatTtlMs: number;
  /** How many shards new jobs spread over (FLEET_SHARDS); null: 1 on a single Redis, one per master on a Cluster. */
  count: number | null;
}

/**
 * Every shard of fleet's data (issue 21): one {@link FleetStore} per prefix.
 * A job tree lives on one shard, chosen when it is created, with its own
 * queues and indexes, so every transition stays in one Redis Cluster slot.
 * Shard 0 is the base prefix, exactly the layout of a single Redis, and the
 * coordinator: the id counter, the deployment id, the agents' control
 * channel, and the registry of the other shards' prefixes (`{p}:shards`),
 * which the first creator of a job on a new layout adds to. Readers and
 * agents take every registered shard, so that jobs made under another
 * shard count stay readable (and run) until they expire.
 */
export class FleetShards {
  readonly coordinator: FleetStore;
  /** The prefixes new jobs are spread over, shard 0 first. */
  readonly layout: readonly string[];
  private readonly stores = new Map<string, FleetStore>();
  private registered: Promise<void> | null = null;
  private known: { at: number; stores: Promise<FleetStore[]> } | null = null;

  constructor(private readonly options: FleetShardsOptions) {
    this.layout = shardPrefixes(options.prefix, options.count ?? defaultShardCount(options.client));
    this.coordinator = this.store(options.prefix);
  }

  get client(): RedisClient {
    return this.options.client;
  }

  /** The store of one shard's prefix (made once). */
  store(prefix: string): FleetStore {
    let store = this.stores.get(prefix);
    if (store === undefined) {
      store = new FleetStore({ ...this.options, prefix, coordinatorPrefix: this.options.prefix });
      this.stores.set(prefix, store);
    }
    return store;
  }

  /**
   * The shard a new top-level job goes on, by its id. Before the first job
   * on a layout of several shards, the layout is registered, so that every
   * reader and agent finds the shard before the job exists.
   */
  async forNewJob(rootId: number): Promise<FleetStore> {
    if (this.layout.length === 1) return this.coordinator;
    this.registered ??= (async () => {
      const others = this.layout.slice(1);
      await this.client.sadd(this.coordinator.keys.shards, ...others);
      this.refresh();
    })();
    await this.registered;
    return this.store(this.layout[shardIndexForJob(rootId, this.layout.length)] ?? this.options.prefix);
  }

  /**
   * Every shard that may hold jobs: the coordinator, the registered ones,
   * and this process's layout. The registry is read again once what was
   * read is older than `DEFAULTS.shardRegistryTtlMs` (a long-running
   * process meets shards registered after its start), or after {@link refresh}.
   */
  all(): Promise<FleetStore[]> {
    if (this.known === null || Date.now() - this.known.at > DEFAULTS.shardRegistryTtlMs) {
      const stores = (async () => {
        const registered = await this.client.smembers(this.coordinator.keys.shards);
        const prefixes = new Set([...this.layout, ...registered.filter((prefix) => isShardPrefixOf(prefix, this.options.prefix)).sort()]);
        return [...prefixes].map((prefix) => this.store(prefix));
      })();
      const known = { at: Date.now(), stores };
      this.known = known;
      stores.catch(() => {
        if (this.known === known) this.known = null;
      });
    }
    return this.known.stores;
  }

  /** Reads the registry again on the next {@link all} (an agent's beat). */
  refresh(): void {
    this.known = null;
  }

  /** The shard that holds job `id` (any job, child or not), or null when none does. */
  async locate(id: number): Promise<FleetStore | null> {
    return (await this.locateMany([id])).get(id) ?? null;
  }

  /** Where each of `ids` lives; ids no shard holds are left out. One round trip per shard, all at once. */
  async locateMany(ids: readonly number[]): Promise<Map<number, FleetStore>> {
    const stores = await this.all();
    const found = new Map<number, FleetStore>();
    if (stores.length === 1) {
      for (const id of ids) found.set(id, this.coordinator);
      return found;
    }
    const held = await Promise.all(stores.map((store) => existing(store, ids)));
    stores.forEach((store, index) => {
      for (const id of held[index] ?? []) if (!found.has(id)) found.set(id, store);
    });
    return found;
  }

  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map((store) => store.close()));
  }
}

/** 1 on a single Redis; on a Cluster, one shard per master, so that the default spreads over them. */
export function defaultShardCount(client: RedisClient): number {
  return client instanceof Cluster ? Math.max(1, client.nodes('master').length) : 1;
}

/** Which of `ids` have a record on this shard. */
async function existing(store: FleetStore, ids: readonly number[]): Promise<number[]> {
  const pipeline = store.client.pipeline();
  for (const id of ids) pipeline.exists(store.keys.job(id));
  const replies = (await pipeline.exec()) ?? [];
  return ids.filter((_, index) => {
    const [error, count] = replies[index] ?? [];
    if (error) throw error;
    return count === 1;
  });
}
