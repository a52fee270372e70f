import { DEFAULTS, hostPrefixed, isFinalState, parseHostEntry, type JobView } from '@fleet/core';
import type { JobRecord, RedisClient, StoredEntry } from '@fleet/store';
import type { CliContext } from '../context.js';
import type { OutputHandler } from './output-page.js';

export interface PumpOptions {
  /** Keep records after printing them (`--keep`). */
  keep: boolean;
  /** Only this host's records (`--host`). */
  host?: string | undefined;
  /** A parent gives its children's records too (default); false gives the parent's own. */
  recurse: boolean;
}

interface Source {
  rootId: number;
  hostPrefix: boolean;
  jobIds: Set<number>;
  /** The selection takes all the tree's output (the top-level job itself, with its children). */
  whole: boolean;
  lastEntryId: string | null;
  /** How many of the tree's ended list (its leaves in the order they ended) have been read. */
  endedRead: number;
}

/**
 * Moves output records from Redis to the caller: what `receive` prints. Each
 * top-level job has one stream holding all its children's records in arrival
 * order; the pump reads it page by page, keeps the selected jobs' (and host's)
 * records, hands them on, and deletes them unless told to keep them.
 *
 * It also hands on, once each, the jobs whose output has ended (a page's
 * `ended`): the leaves selected (a parent's children, or the jobs themselves),
 * each after the drain that followed reading it as finished. Agents write all
 * output before they record the end, so that drain held its last record.
 */
export class OutputPump {
  private readonly sources = new Map<number, Source>();
  /** The jobs whose end is handed on and has not been yet. */
  private readonly awaitingEnd = new Set<number>();
  /** How many leaves had ended when they were last read; -1 before the first read. */
  private endedSeen = -1;
  /** How many leaves are awaited in all (their end handed on or not). */
  private readonly awaitedCount: number;

  constructor(
    private readonly context: CliContext,
    private readonly selected: readonly JobRecord[],
    private readonly options: PumpOptions,
    private readonly emit: OutputHandler,
  ) {
    for (const job of selected) {
      const source = this.sources.get(job.rootId) ?? {
        rootId: job.rootId,
        hostPrefix: hostPrefixed(job.view.type),
        jobIds: new Set(),
        whole: false,
        lastEntryId: null,
        endedRead: 0,
      };
      const leaves = job.isParent && options.recurse ? job.view.childIds : [job.view.id];
      source.whole ||= job.view.id === job.rootId && (options.recurse || !job.isParent);
      for (const id of job.isParent && options.recurse ? [job.view.id, ...leaves] : leaves) source.jobIds.add(id);
      this.sources.set(job.rootId, source);
      for (const id of leaves) this.awaitingEnd.add(id);
    }
    this.awaitedCount = this.awaitingEnd.size;
  }

  /** Hands on every selected record written so far, and the jobs that had ended before. */
  async drain(): Promise<void> {
    const ended = await this.context.store.jobs.finished([...this.awaitingEnd]);
    await this.drainEntries();
    await this.handOnEnded(ended);
  }

  private async drainEntries(): Promise<void> {
    for (const source of this.sources.values()) {
      for (;;) {
        const page = await this.context.store.output.read(source.rootId, source.lastEntryId);
        if (page.length === 0) break;
        source.lastEntryId = page[page.length - 1]?.entryId ?? source.lastEntryId;
        const mine = page.filter((entry) => this.wanted(source, entry));
        if (mine.length > 0) await this.emit({ entries: mine, hostPrefix: source.hostPrefix });
        if (!this.options.keep && mine.length > 0) {
          await this.context.store.transitions.acknowledge(
            source.rootId,
            mine.map((entry) => ({ entryId: entry.entryId, jobId: entry.jobId, bytes: entry.data.length })),
          );
        }
      }
    }
  }

  /**
   * Hands on records as they arrive until every selected job has finished;
   * returns their final records. `onRound` sees the jobs as read each round
   * (a progress line). While it follows a whole tree and takes what it
   * reads, it says so every little while: an agent at the output cap then
   * waits for it instead of dropping, until it stops saying so (it died).
   */
  async follow(onRound: (records: JobRecord[]) => void = () => {}): Promise<JobRecord[]> {
    const { store } = this.context;
    const ids = this.selected.map((job) => job.view.id);
    const reader = await this.context.connectAnother();
    const takesAll = !this.options.keep && this.options.host === undefined;
    const following = takesAll ? [...this.sources.values()].filter((source) => source.whole).map((source) => source.rootId) : [];
    const sayFollowing = () => store.output.follow(following).catch(() => {}); // a Redis gone shows in the reads
    await sayFollowing();
    const timer = setInterval(() => void sayFollowing(), DEFAULTS.outputFollowTtlMs / 4);
    timer.unref();
    try {
      return await this.followRounds(ids, reader, onRound);
    } finally {
      clearInterval(timer);
    }
  }

  private async followRounds(ids: number[], reader: RedisClient, onRound: (records: JobRecord[]) => void): Promise<JobRecord[]> {
    const { store } = this.context;
    for (;;) {
      await store.reap();
      const records = await store.jobs.records(ids);
      onRound(records);
      // Leaves are read again only when more of them have ended than last time.
      const endedCount = records.reduce((sum, { progress }) => sum + progress.completed + progress.failed + progress.stopped, 0);
      const ended = endedCount === this.endedSeen ? [] : await this.readEnded(endedCount);
      // Agents write all output before they record the end: this drain gets the rest of what had ended.
      await this.drainEntries();
      await this.handOnEnded(ended);
      if (records.every((record) => isFinalState(record.view.state))) return records;
      // Wakes on new output, or on a job's end (its done stream), whichever comes first.
      const streams = [...this.sources.values()];
      await reader.xread(
        'COUNT',
        1,
        'BLOCK',
        250,
        'STREAMS',
        ...streams.map((source) => store.keys.output(source.rootId)),
        ...streams.map((source) => store.keys.done(source.rootId)),
        ...streams.map((source) => source.lastEntryId ?? '0-0'),
        ...streams.map(() => '0-0'),
      );
    }
  }

  /**
   * The jobs, of those whose end is handed on, that have ended since the
   * last read: the ids at the tail of each tree's ended list, so that a
   * round costs what ended in it, not what is still running. Where the
   * lists account for fewer ends than the records count (a job created
   * before they existed), every awaited job's state is read instead.
   */
  private async readEnded(endedCount: number): Promise<JobRecord[]> {
    this.endedSeen = endedCount;
    const { jobs } = this.context.store;
    const sources = [...this.sources.values()];
    const lists = await jobs.endedSince(sources.map((source) => ({ rootId: source.rootId, from: source.endedRead })));
    const fresh: number[] = [];
    sources.forEach((source, index) => {
      const { ids, length } = lists[index] ?? { ids: [], length: source.endedRead };
      // Shorter than what was read: a Redis restart lost its tail, which is pushed again as the
      // lost ends are recorded again. Read it whole next time (only awaited ids are kept).
      source.endedRead = length < source.endedRead ? 0 : source.endedRead + ids.length;
      fresh.push(...ids.filter((id) => this.awaitingEnd.has(id)));
    });
    const records = (await jobs.records(fresh)).filter((record) => isFinalState(record.view.state));
    const handedOn = this.awaitedCount - this.awaitingEnd.size;
    if (handedOn + records.length >= endedCount) return records;
    return jobs.finished([...this.awaitingEnd]);
  }

  /** Hands on the ended jobs (one page for each source), each once. */
  private async handOnEnded(records: readonly JobRecord[]): Promise<void> {
    for (const source of this.sources.values()) {
      const ended: JobView[] = [];
      for (const record of records) {
        if (record.rootId !== source.rootId || !this.awaitingEnd.delete(record.view.id)) continue;
        if (this.options.host === undefined || matchesHost(record.view.location, this.options.host)) ended.push(record.view);
      }
      if (ended.length > 0) await this.emit({ entries: [], hostPrefix: source.hostPrefix, ended });
    }
  }

  private wanted(source: Source, entry: StoredEntry): boolean {
    if (!source.jobIds.has(entry.jobId)) return false;
    return this.options.host === undefined || matchesHost(entry.host, this.options.host);
  }
}

/** Whether `--host HOST` picks a child at `location`: the entry as written, or its host name alone. */
export function matchesHost(location: string, host: string): boolean {
  return location === host || hostOf(location) === host;
}

/** `alice@web1:2222` → `web1`, so that `--host web1` finds it. */
function hostOf(location: string): string | null {
  try {
    return parseHostEntry(location).host;
  } catch {
    return null;
  }
}
