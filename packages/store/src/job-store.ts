import {
  ChildJobError,
  defaultJobName,
  describeCommand,
  isFinalState,
  isJobState,
  JobNotFoundError,
  planFanOut,
  plannedTransfer,
  type JobRequest,
  type JobSigner,
  type JobSelector,
  type JobView,
} from '@fleet/core';
import { childTemplateHash, newJobHash, parseJobHash, type JobRecord } from './job-record.js';
import type { FleetKeys } from './keys.js';
import type { LeafPlacement } from './dispatcher.js';
import type { RedisClient } from './redis-connection.js';
import type { Transitions } from './transitions.js';

/** A job just created, and the leaf ids to hand to the queue now. */
export interface CreatedJob {
  job: JobView;
  dispatchIds: number[];
}

export interface CreateJobOptions {
  /**
   * The creator follows the job's output itself (a synchronous invoke): it
   * counts as following for this long, until its first word as a follower
   * (OutputStore.follow), so that no agent drops output at the cap before.
   * @defaultValue not following
   */
  followMs?: number | undefined;
  /** @defaultValue now */
  now?: Date;
  /**
   * The ids {@link JobStore.reserveIds} gave for this job (its first), when
   * something was stored under them first (a push's content).
   * @defaultValue ids taken now
   */
  rootId?: number | undefined;
}

const ADD_TRANSFERRED = 'fleetAddTransferred';
const ADD_TRANSFERRED_LUA = `
if redis.call('hexists', KEYS[1], 'bytesDone') == 1 then
  return redis.call('hincrby', KEYS[1], 'bytesDone', ARGV[1])
end
return 0`;

/** How many ids a job takes: its own, and one per child. */
export function jobIdCount(request: Pick<JobRequest, 'type' | 'hosts'>): number {
  return request.type === 'remote' ? 1 + request.hosts.length : 1;
}

/** Job records in Redis: creation, lookup by id and name, listing and removal. */
type AddTransferredCommand = (jobKey: string, bytes: string) => Promise<unknown>;

export class JobStore {
  private readonly addTransferredCommand: AddTransferredCommand;

  constructor(
    private readonly client: RedisClient,
    readonly keys: FleetKeys,
    private readonly transitions: Transitions,
  ) {
    if (!(ADD_TRANSFERRED in client)) client.defineCommand(ADD_TRANSFERRED, { numberOfKeys: 1, lua: ADD_TRANSFERRED_LUA });
    this.addTransferredCommand = (client as unknown as { [ADD_TRANSFERRED]: AddTransferredCommand })[ADD_TRANSFERRED].bind(client);
  }

  /**
   * Creates a job in one atomic step (the transition script's `create`): a
   * `start` job is one leaf; an `invoke` is a parent and one child per host,
   * ids N, N+1, … in host-list order. Children beyond the throttle (or the
   * first wave) wait in a pending list and are dispatched as slots free.
   * Every leaf is signed with `signer`: agents run nothing unsigned.
   */
  async create(request: JobRequest, signer: JobSigner, options: CreateJobOptions = {}): Promise<CreatedJob> {
    const now = options.now ?? new Date();
    const isRemote = request.type === 'remote';
    const rootId = options.rootId ?? (await this.reserveIds(jobIdCount(request)));
    const createdAt = now.toISOString();
    const command = describeCommand(request.run.command);
    const name = request.name ?? defaultJobName(rootId);
    const spec = JSON.stringify(request.run);
    const prefix = this.keys.prefix;
    const signature = (jobId: number, location: string, rank: number, count: number) =>
      signer.sign({ prefix, jobId, location, rank, count, spec });
    const children = isRemote ? request.hosts.map((host, index) => ({ id: rootId + 1 + index, location: host.raw })) : [];
    const plan = planFanOut(children, { throttle: request.throttle, waveSize: request.waveSize });

    const root = newJobHash({
      id: rootId,
      name,
      type: request.type,
      location: isRemote ? children.map((child) => child.location).join(',') : 'localhost',
      command,
      parentId: null,
      childIds: children.map((child) => child.id),
      createdAt,
      spec,
      ...(isRemote
        ? { fanOut: { throttle: request.throttle, maxErrors: request.maxErrors, waveSize: request.waveSize, waveEnd: plan.waveEnd } }
        : { signature: signature(rootId, 'localhost', 0, 1) }),
      retentionMs: request.retentionMs,
      transfer: isRemote ? plannedTransfer(request.run.command, children.length) : undefined,
    });
    const dispatchIds = await this.transitions.create({
      rootId,
      rootName: name,
      root,
      child: childTemplateHash({ command, parentId: rootId, createdAt }),
      children: children.map((child, rank) => ({
        ...child,
        name: defaultJobName(child.id),
        signature: signature(child.id, child.location, rank, children.length),
      })),
      dispatchNow: isRemote ? plan.dispatchNow.length : 1,
      // The watchdog's deadline: a leaf not started by then never will be, and is failed.
      deadlineMs: signer.expiresAt,
      followMs: options.followMs,
    });

    const record = await this.record(rootId);
    if (!record) throw new JobNotFoundError(String(rootId));
    return { job: record.view, dispatchIds };
  }

  /**
   * Takes `count` consecutive ids for a job not created yet and returns the
   * first, its id: for storing what the job needs under it (a push's content)
   * before creating it with {@link CreateJobOptions.rootId}.
   */
  async reserveIds(count: number): Promise<number> {
    const lastId = await this.client.incrby(this.keys.ids, count);
    return lastId - count + 1;
  }

  /**
   * Adds to the bytes a transfer job (push, pull) has moved, which its
   * progress line shows: one command for whatever an agent moved for the job
   * since it last said (see the agent's TransferMeter). A job that is gone
   * (removed, expired) is left gone: the field is never written alone.
   */
  async addTransferred(rootId: number, bytes: number): Promise<void> {
    await this.addTransferredCommand(this.keys.job(rootId), String(Math.round(bytes)));
  }

  /** Records of the given ids, in the same order, skipping ids that no longer exist. */
  async records(ids: readonly number[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    const records: JobRecord[] = [];
    replies.forEach(([error, hash]) => {
      if (error) throw error;
      const record = parseJobHash(hash as Record<string, string>);
      if (record) records.push(record);
    });
    return records;
  }

  /**
   * Records of those of `ids` that have finished. Only the state of a leaf
   * is read until it has finished, so a reader can ask again as hosts finish
   * without fetching every record each time (a parent's state is rolled up
   * from its record, which is read).
   */
  async finished(ids: readonly number[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.job(id), 'state', 'kind');
    const replies = (await pipeline.exec()) ?? [];
    const candidates = ids.filter((_, index) => {
      const [state, kind] = (replies[index]?.[1] as (string | null)[] | undefined) ?? [];
      return kind === 'parent' || (typeof state === 'string' && isJobState(state) && isFinalState(state));
    });
    return (await this.records(candidates)).filter((record) => isFinalState(record.view.state));
  }

  /**
   * For each top-level job, the ids of its leaves that ended, in the order
   * they did, from the `from`th on (see {@link FleetKeys.ended}), and how
   * long the list is: shorter than `from` when a Redis restart lost its
   * last writes. One round trip for them all. Jobs created before the list
   * existed have none: a reader compares what it learns here with the
   * counts on the records.
   */
  async endedSince(cursors: readonly { rootId: number; from: number }[]): Promise<{ ids: number[]; length: number }[]> {
    if (cursors.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const { rootId, from } of cursors) pipeline.lrange(this.keys.ended(rootId), from, -1).llen(this.keys.ended(rootId));
    const replies = (await pipeline.exec()) ?? [];
    return cursors.map((_, index) => {
      const [rangeError, ids] = replies[index * 2] ?? [];
      const [lengthError, length] = replies[index * 2 + 1] ?? [];
      if (rangeError) throw rangeError;
      if (lengthError) throw lengthError;
      return { ids: (ids as string[]).map(Number), length: Number(length) };
    });
  }

  async record(id: number): Promise<JobRecord | null> {
    return (await this.records([id]))[0] ?? null;
  }

  /** Every job that is not a child, oldest first. Expired entries are dropped from the index. */
  async roots(): Promise<JobRecord[]> {
    const ids = (await this.client.zrange(this.keys.roots, 0, '-1')).map((id) => Number(id));
    const records = await this.records(ids);
    const alive = new Set(records.map((record) => record.view.id));
    await this.transitions.pruneRoots(ids.filter((id) => !alive.has(id)));
    return records;
  }

  /** Where each leaf runs and how (location and type), in the order of `ids`: what dispatch needs to route them. */
  async placements(ids: readonly number[]): Promise<LeafPlacement[]> {
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.job(id), 'location', 'type');
    return ((await pipeline.exec()) ?? []).map(([, value]) => {
      const [location, type] = (value as (string | null)[] | null) ?? [];
      return { location: location ?? '', type: type ?? '' };
    });
  }

  /** The run spec a job was created with (JSON text, as its signatures cover it), or null. */
  async runSpec(record: JobRecord): Promise<string | null> {
    return this.client.hget(this.keys.job(record.rootId), 'spec');
  }

  /** The stored `signature` field of each leaf, in the order of `ids` (null where there is none). */
  async signatures(ids: readonly number[]): Promise<(string | null)[]> {
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hget(this.keys.job(id), 'signature');
    return ((await pipeline.exec()) ?? []).map(([, value]) => (typeof value === 'string' ? value : null));
  }

  /**
   * Resolves `JOB` arguments: an id selects that job (child or not); a name
   * selects every job bearing it. Throws {@link JobNotFoundError} for one that
   * matches nothing. The result is ordered by id, without repeats.
   */
  async select(selectors: readonly JobSelector[]): Promise<JobRecord[]> {
    return selectedJobs(selectors, await this.match(selectors));
  }

  /** What each selector matches here, in the order of `selectors` (empty where nothing does): {@link select} across shards. */
  async match(selectors: readonly JobSelector[]): Promise<JobRecord[][]> {
    const matches: JobRecord[][] = [];
    for (const selector of selectors) {
      matches.push(await this.records(selector.kind === 'id' ? [selector.id] : await this.idsNamed(selector.name)));
    }
    return matches;
  }

  private async idsNamed(name: string): Promise<number[]> {
    // Names hold no control characters, so `name\n` is a prefix no other name shares.
    const members = await this.client.zrangebylex(this.keys.names, `[${name}\n`, `(${name}\u000b`);
    return members.map((member) => Number(member.slice(member.lastIndexOf('\n') + 1)));
  }

  /**
   * The jobs that ran on hosts under some jobs, in order and without repeats:
   * a parent's children in host-list order (its own record with `recurse:
   * false`), a leaf itself.
   */
  async leaves(records: readonly JobRecord[], options: { recurse?: boolean } = {}): Promise<JobRecord[]> {
    const recurse = options.recurse ?? true;
    const ids = records.flatMap((record) => (record.isParent && recurse ? record.view.childIds : [record.view.id]));
    return this.records([...new Set(ids)]);
  }

  /** Deletes top-level jobs with their children and output. Children cannot be removed alone. */
  async remove(records: readonly JobRecord[]): Promise<void> {
    for (const record of records) {
      if (record.view.parentId !== null) throw new ChildJobError(record.view.id, record.view.parentId);
    }
    await this.transitions.remove(records.map((record) => record.view.id));
  }
}

/**
 * The jobs selectors matched ({@link JobStore.match}, on one shard or
 * several: `matches[i]` are all the records selector i matched), ordered
 * by id, without repeats. Throws {@link JobNotFoundError} for a selector
 * that matched nothing.
 */
export function selectedJobs(selectors: readonly JobSelector[], matches: readonly (readonly JobRecord[])[]): JobRecord[] {
  selectors.forEach((selector, index) => {
    if ((matches[index] ?? []).length === 0) throw new JobNotFoundError(selector.kind === 'id' ? String(selector.id) : selector.name);
  });
  return byIdOnce(matches.flat());
}

/** Records ordered by id, each once. */
export function byIdOnce(records: readonly JobRecord[]): JobRecord[] {
  const byId = new Map(records.map((record) => [record.view.id, record]));
  return [...byId.values()].sort((a, b) => a.view.id - b.view.id);
}
