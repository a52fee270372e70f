import {
  escapeTerminalField,
  isFinalState,
  parseShardedCursor,
  RedisUnavailableError,
  type ShardedEventCursor,
  type JobSelector,
} from '@fleet/core';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { jsonForTerminal } from '../format/terminal-text.js';
import { Interrupts } from '../interrupts.js';
import { selectJobs } from '../job-shards.js';
import { RecordPrinter } from '../output/record-printer.js';
import { writeOrWait } from '../output/write-or-wait.js';
import { AwaitedJobs } from './awaited-jobs.js';
import { openEventFeed, type FeedItem } from './event-feed.js';
import { watchRecordedEnds } from './recorded-ends.js';
import { jobEventText } from './event-text.js';

/**
 * `fleet events [JOB...]`: prints job events as they happen, and with JOB
 * ids those jobs' trees' events from their creation and their output.
 * With JOB ids it returns once every one has ended: 0 when all Completed,
 * else 1 (as `wait`). Without, it follows until interrupted (SIGINT: 130).
 */
export async function followEvents(context: CliContext, selectors: readonly JobSelector[], json: boolean): Promise<number> {
  const jobs = selectors.length === 0 ? null : await selectJobs(context, selectors);
  const awaited = jobs === null ? null : new AwaitedJobs(jobs.map((record) => ({ id: record.view.id, rootId: record.rootId })));
  const interrupts = new Interrupts();
  const stop = new AbortController();
  interrupts.onFirst(() => stop.abort());
  // Ends the feed once the records show every job ended (the feed then gives the batch in hand, and stops).
  const ended = new AbortController();
  const signal = AbortSignal.any([stop.signal, ended.signal]);
  const printer = new EventPrinter(json);
  /** The cursor after the last item printed: where a feed opened again goes on. */
  let printed: string | null = null;
  try {
    let feed = await openEventFeed(context, { jobs, since: null, signal });
    const resumeAt = (): ShardedEventCursor | null =>
      printed !== null
        ? parseShardedCursor(printed, 'the last event id')
        : // Nothing printed yet: named jobs start over at their creation, every job where the feed stood.
          jobs === null
          ? new Map([...feed.position()].map(([name, events]) => [name, { events, outputs: new Map() }]))
          : null;
    const watch =
      awaited === null
        ? Promise.resolve()
        : watchRecordedEnds(context, awaited, () => feed.position(), signal).finally(() => ended.abort());
    try {
      reading: for (;;) {
        try {
          for await (const batch of feed.batches()) {
            for (const item of batch) {
              await printer.print(item);
              if (item.kind !== 'heartbeat') printed = item.cursor;
              if (item.kind === 'job' && awaited?.see(item.event) === true) break reading;
            }
          }
          break;
        } catch (error) {
          // Redis went away: `wait` would wait for it, and so does this, going on from where it stood.
          if (!(error instanceof RedisUnavailableError) || signal.aborted) throw error;
          await writeLine(process.stderr, `fleet: ${error.message}; reading again once Redis is back`);
          feed = await openEventFeed(context, { jobs, since: resumeAt(), signal });
        }
      }
    } finally {
      ended.abort();
      await watch;
    }
    await printer.finish();
  } finally {
    interrupts.release();
  }
  if (interrupts.reason !== undefined) throw interrupts.reason;
  return awaited === null || awaited.allCompleted ? EXIT.ok : EXIT.failed;
}

/** Prints feed items: one JSON object a line, or readable lines with output as `HOST: line` (as `receive`). */
class EventPrinter {
  private readonly output: RecordPrinter;

  constructor(private readonly json: boolean) {
    this.output = new RecordPrinter({ json: false, prefix: true });
  }

  async print(item: FeedItem): Promise<void> {
    if (item.kind === 'heartbeat') return;
    if (this.json) {
      const value = item.kind === 'job' ? item.event : item.kind === 'output' ? item.piece : { event: 'reset', reason: item.reason };
      await writeLine(process.stdout, jsonForTerminal(process.stdout, JSON.stringify(value)));
      return;
    }
    if (item.kind === 'output') {
      await this.output.emit({ entries: [item.entry], hostPrefix: true });
      return;
    }
    if (item.kind === 'reset') {
      await writeLine(process.stderr, `fleet: ${item.reason}; going on from now (fleet get shows where the jobs stand)`);
      return;
    }
    // A job that ended has written all its output: its last line first.
    if (item.event.state !== null && isFinalState(item.event.state)) await this.output.endOutputOf(item.event.jobId);
    const line = jobEventText(item.event);
    await writeLine(process.stdout, process.stdout.isTTY === true ? escapeTerminalField(line) : line);
  }

  finish(): Promise<void> {
    return this.json ? Promise.resolve() : this.output.finish();
  }
}

function writeLine(stream: NodeJS.WriteStream, line: string): Promise<void> {
  return writeOrWait(stream, `${line}\n`);
}
