import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPriorRun, parsePriorRun, ranRecordExpired, ranRecordName, type PriorRun } from '@fleet/core';

/** A signed job about to run: what names it, and what to say about this run if it is ever replayed. */
export interface RunToRemember {
  /** When its signature expires (epoch ms): the entry is kept until then. */
  expiresAt: number;
  /** The SHA-256 of its signed bytes, hex (the verdict's `digest`). */
  digest: string;
  jobId: number;
  agentId: string;
}

/** Whether a signed job may run: the first time only. */
export type RememberVerdict = { first: true } | { first: false; prior: PriorRun | null };

/** The signed jobs this agent (and every agent sharing its state directory) ran. */
export interface RanMemory {
  /** Records the run before it happens; a job already recorded must not run. */
  remember(run: RunToRemember): Promise<RememberVerdict>;
}

export interface RanDirectoryOptions {
  /** `<stateDir>/ran`. */
  dir: string;
  /** How often, at most, `remember` also prunes expired entries. @defaultValue 10 minutes */
  pruneIntervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * {@link RanMemory} as a directory with one file per signed job, created
 * with O_CREAT|O_EXCL (`wx`): of any number of agents, in any number of
 * processes, racing to run the same job, exactly one creates it. Recorded
 * first, then run: an agent that dies in between leaves the job recorded and
 * never run, the safe side. Entries go once their signature has expired
 * (no agent starts the job then), at open and now and then after.
 */
export class RanDirectory implements RanMemory {
  private prunedAt = 0;
  private pruning: Promise<void> | null = null;
  private readonly now: () => number;

  private constructor(private readonly options: RanDirectoryOptions) {
    this.now = options.now ?? Date.now;
  }

  static async open(options: RanDirectoryOptions): Promise<RanDirectory> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const memory = new RanDirectory(options);
    await memory.prune();
    return memory;
  }

  async remember(run: RunToRemember): Promise<RememberVerdict> {
    this.pruneNowAndThen();
    const file = join(this.options.dir, ranRecordName(run.expiresAt, run.digest));
    let handle: FileHandle;
    try {
      handle = await open(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return { first: false, prior: parsePriorRun(await readFile(file, 'utf8').catch(() => '')) };
    }
    try {
      await handle.writeFile(formatPriorRun({ agentId: run.agentId, jobId: run.jobId, at: new Date(this.now()).toISOString() }));
    } finally {
      await handle.close();
    }
    return { first: true };
  }

  /** Waits for a prune under way (tests). */
  async settled(): Promise<void> {
    await this.pruning;
  }

  private pruneNowAndThen(): void {
    if (this.pruning !== null || this.now() - this.prunedAt < (this.options.pruneIntervalMs ?? 10 * 60_000)) return;
    this.pruning = this.prune()
      .catch((error: unknown) => this.options.log?.(`ran-job memory not pruned: ${(error as Error).message}`))
      .finally(() => {
        this.pruning = null;
      });
  }

  private async prune(): Promise<void> {
    this.prunedAt = this.now();
    const now = this.now();
    for (const name of await readdir(this.options.dir)) {
      if (ranRecordExpired(name, now)) await unlink(join(this.options.dir, name)).catch(() => {});
    }
  }
}
