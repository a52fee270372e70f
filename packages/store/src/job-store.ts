import {
  ChildJobError,
  defaultJobName,
  describeCommand,
  JobNotFoundError,
  type JobRequest,
  type JobSigner,
  type JobSelector,
  type JobView,
} from '@fleet/core';
import { newJobHash, parseJobHash, type JobRecord } from './job-record.js';
import type { FleetKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** A job just created, and the leaf ids to hand to the queue now. */
export interface CreatedJob {
  job: JobView;
  dispatchIds: number[];
}

/** Job records in Redis: creation, lookup by id and name, listing and removal. */
export class JobStore {
  constructor(
    private readonly client: RedisClient,
    readonly keys: FleetKeys,
  ) {}

  /**
   * Creates a job in one transaction: a `start` job is one leaf; an `invoke` is
   * a parent and one child per host, ids N, N+1, … in host-list order. Children
   * beyond the throttle wait in a pending list and are dispatched as slots free.
   * Every leaf is signed with `signer`: agents run nothing unsigned.
   */
  async create(request: JobRequest, signer: JobSigner, now = new Date()): Promise<CreatedJob> {
    const isRemote = request.type === 'remote';
    const count = isRemote ? 1 + request.hosts.length : 1;
    const lastId = await this.client.incrby(this.keys.ids, count);
    const rootId = lastId - count + 1;
    const createdAt = now.toISOString();
    const command = describeCommand(request.run.command);
    const name = request.name ?? defaultJobName(rootId);
    const childIds = isRemote ? request.hosts.map((_, index) => rootId + 1 + index) : [];
    const spec = JSON.stringify(request.run);
    const prefix = this.keys.prefix;
    const signature = (jobId: number, location: string) => signer.sign({ prefix, jobId, location, spec });

    const tx = this.client.multi();
    tx.hset(
      this.keys.job(rootId),
      newJobHash({
        id: rootId,
        name,
        type: request.type,
        location: isRemote ? request.hosts.map((host) => host.raw).join(',') : 'localhost',
        command,
        parentId: null,
        childIds,
        createdAt,
        spec,
        ...(isRemote
          ? { fanOut: { throttle: request.throttle, maxErrors: request.maxErrors, batch: request.batch } }
          : { signature: signature(rootId, 'localhost') }),
        retentionMs: request.retentionMs,
      }),
    );
    tx.zadd(this.keys.roots, rootId, String(rootId));
    const names: (string | number)[] = [0, nameMember(name, rootId)];
    request.hosts.forEach((host, index) => {
      if (!isRemote) return;
      const id = childIds[index] as number;
      tx.hset(
        this.keys.job(id),
        newJobHash({
          id,
          name: defaultJobName(id),
          type: 'remote',
          location: host.raw,
          command,
          parentId: rootId,
          childIds: [],
          createdAt,
          signature: signature(id, host.raw),
        }),
      );
      names.push(0, nameMember(defaultJobName(id), id));
    });
    tx.zadd(this.keys.names, ...names);
    // The first children, up to the throttle (and within the first wave, with --batch); the rest wait.
    const first = Math.min(request.throttle, request.batch ?? Number.POSITIVE_INFINITY);
    const dispatchIds = isRemote ? childIds.slice(0, first) : [rootId];
    const pending = isRemote ? childIds.slice(first) : [];
    if (pending.length > 0) tx.rpush(this.keys.pending(rootId), ...pending.map(String));
    // Noted in the same transaction: if this process dies before BullMQ has them, the reaper dispatches them.
    tx.zadd(this.keys.dispatching, ...dispatchIds.flatMap((id) => [now.getTime(), String(id)]));
    // The watchdog's deadline: a leaf not started by then never will be, and is failed.
    const leaves = isRemote ? childIds : [rootId];
    tx.zadd(this.keys.deadlines, ...leaves.flatMap((id) => [signer.expiresAt, String(id)]));
    await tx.exec();

    const record = await this.record(rootId);
    if (!record) throw new JobNotFoundError(String(rootId));
    return { job: record.view, dispatchIds };
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

  async record(id: number): Promise<JobRecord | null> {
    return (await this.records([id]))[0] ?? null;
  }

  /** Every job that is not a child, oldest first. Expired entries are dropped from the index. */
  async roots(): Promise<JobRecord[]> {
    const ids = (await this.client.zrange(this.keys.roots, 0, '-1')).map((id) => Number(id));
    const records = await this.records(ids);
    const alive = new Set(records.map((record) => record.view.id));
    const gone = ids.filter((id) => !alive.has(id));
    if (gone.length > 0) await this.client.zrem(this.keys.roots, ...gone.map(String));
    return records;
  }

  /** The run spec a job was created with (JSON text, as its signatures cover it), or null. */
  async runSpec(record: JobRecord): Promise<string | null> {
    return this.client.hget(this.keys.job(record.rootId), 'spec');
  }

  /**
   * Resolves `JOB` arguments: an id selects that job (child or not); a name
   * selects every job bearing it. Throws {@link JobNotFoundError} for one that
   * matches nothing. The result is ordered by id, without repeats.
   */
  async select(selectors: readonly JobSelector[]): Promise<JobRecord[]> {
    const byId = new Map<number, JobRecord>();
    for (const selector of selectors) {
      const ids = selector.kind === 'id' ? [selector.id] : await this.idsNamed(selector.name);
      const found = await this.records(ids);
      if (found.length === 0) throw new JobNotFoundError(selector.kind === 'id' ? String(selector.id) : selector.name);
      for (const record of found) byId.set(record.view.id, record);
    }
    return [...byId.values()].sort((a, b) => a.view.id - b.view.id);
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
    for (const record of records) {
      const id = record.view.id;
      const children = record.isParent ? await this.leaves([record]) : [];
      const tx = this.client.multi();
      tx.del(
        this.keys.job(id),
        this.keys.output(id),
        this.keys.done(id),
        this.keys.pending(id),
        ...children.map((child) => this.keys.job(child.view.id)),
      );
      tx.zrem(this.keys.roots, String(id));
      tx.zrem(this.keys.names, nameMember(record.view.name, id), ...children.map((child) => nameMember(child.view.name, child.view.id)));
      const leaves = [id, ...record.view.childIds].map(String);
      tx.hdel(this.keys.running, ...leaves);
      tx.hdel(this.keys.routed, ...leaves);
      tx.zrem(this.keys.dispatching, ...leaves);
      tx.zrem(this.keys.deadlines, ...leaves);
      await tx.exec();
    }
  }
}

function nameMember(name: string, id: number): string {
  return `${name}\n${id}`;
}
