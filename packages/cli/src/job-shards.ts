import type { JobSelector } from '@fleet/core';
import { byIdOnce, selectedJobs, type FleetStore, type JobRecord } from '@fleet/store';
import type { CliContext } from './context.js';

/**
 * Reaching jobs on whichever shard holds them (issue 21). A job tree lives
 * on one shard; a command given several jobs works on each shard's share
 * with a context whose store is that shard ({@link onShard}). With one
 * shard (a single Redis, the default) every function here is the plain
 * store's, with no extra round trip past reading the registry of shards.
 */

/** The jobs of one shard, and a context whose store is that shard. */
export interface ShardJobs {
  context: CliContext;
  records: JobRecord[];
}

/** The same context, working on `store` (one shard). */
export function onShard(context: CliContext, store: FleetStore): CliContext {
  return store === context.store ? context : { ...context, store };
}

/**
 * Resolves `JOB` arguments on every shard (an id on the one that holds it, a
 * name on all), as JobStore.select does on one: throws JobNotFoundError for
 * a selector that matches nothing anywhere. The shards' shares come in the
 * order of their lowest job id; each share is ordered by id.
 */
export async function selectByShard(context: CliContext, selectors: readonly JobSelector[]): Promise<ShardJobs[]> {
  const stores = await context.shards.all();
  if (stores.length === 1) return [{ context, records: await context.store.jobs.select(selectors) }];
  const matches = await Promise.all(stores.map((store) => store.jobs.match(selectors)));
  // Throws for a selector that no shard matched.
  selectedJobs(
    selectors,
    selectors.map((_, index) => matches.flatMap((shard) => shard[index] ?? [])),
  );
  return stores
    .map((store, at) => ({ context: onShard(context, store), records: byIdOnce((matches[at] ?? []).flat()) }))
    .filter((share) => share.records.length > 0)
    .sort((a, b) => (a.records[0]?.view.id ?? 0) - (b.records[0]?.view.id ?? 0));
}

/** Every shard's share of `records` (read from the shards, or built by hand), found by their ids. */
export async function groupByShard(context: CliContext, records: readonly JobRecord[]): Promise<ShardJobs[]> {
  const shares = await idsByShard(
    context,
    records.map((record) => record.view.id),
  );
  const byId = new Map(records.map((record) => [record.view.id, record]));
  return shares.map(({ store, ids }) => ({ context: onShard(context, store), records: ids.flatMap((id) => byId.get(id) ?? []) }));
}

/** Every shard, each as a context whose store it is: for what reads them all (`get`, the reaper). */
export async function everyShard(context: CliContext): Promise<CliContext[]> {
  return (await context.shards.all()).map((store) => onShard(context, store));
}

/** Fails lost agents' jobs on every shard (FleetStore.reap), as commands do before they read jobs. */
export async function reapEveryShard(context: CliContext): Promise<void> {
  await Promise.all((await context.shards.all()).map((store) => store.reap()));
}

/** {@link reapEveryShard}, then {@link selectByShard}: what `receive`, `stop` and `remove` start with. */
export async function reapAndSelect(context: CliContext, selectors: readonly JobSelector[]): Promise<ShardJobs[]> {
  await reapEveryShard(context);
  return selectByShard(context, selectors);
}

/** The records of `ids`, on whichever shard each lives, in the order of `ids`; ids no shard holds are left out. */
export async function readJobs(context: CliContext, ids: readonly number[]): Promise<JobRecord[]> {
  return readShares(await idsByShard(context, ids), ids);
}

/** The records of `ids` from the shards that hold them ({@link idsByShard}), in the order of `ids`. */
export async function readShares(shares: readonly { store: FleetStore; ids: number[] }[], ids: readonly number[]): Promise<JobRecord[]> {
  if (shares.length === 1 && shares[0] !== undefined) return shares[0].store.jobs.records(ids);
  const read = await Promise.all(shares.map(({ store, ids: held }) => store.jobs.records(held)));
  const byId = new Map(read.flat().map((record) => [record.view.id, record]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Each shard holding some of `ids`, with its share (in the order of `ids`). */
export async function idsByShard(context: CliContext, ids: readonly number[]): Promise<{ store: FleetStore; ids: number[] }[]> {
  const located = await context.shards.locateMany(ids);
  const shares = new Map<FleetStore, number[]>();
  for (const id of ids) {
    const store = located.get(id);
    if (store !== undefined) shares.set(store, [...(shares.get(store) ?? []), id]);
  }
  return [...shares].map(([store, held]) => ({ store, ids: held }));
}

/** {@link selectByShard}, every shard's share together, ordered by id: JobStore.select over every shard. */
export async function selectJobs(context: CliContext, selectors: readonly JobSelector[]): Promise<JobRecord[]> {
  return byIdOnce((await selectByShard(context, selectors)).flatMap((share) => share.records));
}

/** {@link reapEveryShard}, then {@link selectJobs}. */
export async function reapAndSelectAll(context: CliContext, selectors: readonly JobSelector[]): Promise<JobRecord[]> {
  await reapEveryShard(context);
  return selectJobs(context, selectors);
}
