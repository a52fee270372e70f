import type { JobView } from '@fleet/core';
import { byIdOnce, type JobRecord } from '@fleet/store';
import type { CliContext } from '../context.js';
import { groupByShard, type ShardJobs } from '../job-shards.js';
import type { OutputHandler } from './output-page.js';
import { matchesHost, OutputPump, type PumpOptions } from './output-pump.js';
import type { OutputSink } from './output-sink.js';
import { ProgressLine } from './progress-line.js';

export interface ReceiveOutputOptions extends PumpOptions {
  /**
   * Go on until every job has finished (`receive --wait`, a synchronous
   * `invoke`); false takes what has been written so far and returns.
   */
  follow: boolean;
  /** Where the output goes: printed, grouped or written to per-host files. */
  sink: OutputSink;
  /**
   * The live line kept on the terminal while following; output is printed
   * around it.
   * @defaultValue none
   */
  progress?: ProgressLine | undefined;
}

/** What {@link receiveOutput} leaves the caller. */
export interface ReceivedOutput {
  /** The jobs as last read: their final records when followed, else as given. */
  records: JobRecord[];
  /** The leaves whose output was taken (one host's with `host`), read from Redis once, when first asked for. */
  leaves(): Promise<JobView[]>;
}

/**
 * The one way output leaves Redis for the user: pumps the jobs' records
 * into the sink (following them to their end, or not), keeps the progress
 * line out of the way of what is printed, then lets the sink finish (print the
 * groups, close the files). `receive` and a synchronous `invoke` both run it.
 */
export async function receiveOutput(
  context: CliContext,
  jobs: readonly JobRecord[],
  options: ReceiveOutputOptions,
): Promise<ReceivedOutput> {
  const { sink } = options;
  const progress = options.progress ?? new ProgressLine(true);
  const emit: OutputHandler = (page) => progress.around(() => sink.emit(page));
  // A job tree lives on one shard: each shard's share is pumped in turn, into the one sink.
  const shares = await groupByShard(context, jobs);
  const received: ShardJobs[] = [];
  try {
    for (const share of shares) {
      const pump = new OutputPump(share.context, share.records, { keep: options.keep, host: options.host, recurse: options.recurse }, emit);
      if (options.follow) received.push({ context: share.context, records: await pump.follow((round) => progress.update(round)) });
      else {
        await pump.drain();
        received.push(share);
      }
    }
  } finally {
    progress.end();
  }
  const records = byIdOnce(received.flatMap((share) => share.records));
  // Only some sinks and callers need the leaves (for a parent, every child's record): read them then, and once.
  let leaves: Promise<JobView[]> | undefined;
  const readLeaves = () => (leaves ??= leavesOf(received, options));
  await sink.finish(readLeaves);
  return { records, leaves: readLeaves };
}

async function leavesOf(shares: readonly ShardJobs[], options: PumpOptions): Promise<JobView[]> {
  const { host } = options;
  const read = await Promise.all(shares.map(({ context, records }) => context.store.jobs.leaves(records, { recurse: options.recurse })));
  const leaves = read.flat().map((leaf) => leaf.view);
  return host === undefined ? leaves : leaves.filter((leaf) => matchesHost(leaf.location, host));
}
