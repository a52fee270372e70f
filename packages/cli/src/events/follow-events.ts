import { once } from 'node:events';
import { escapeTerminalField, isFinalState, type JobSelector } from '@fleet/core';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { jsonForTerminal } from '../format/terminal-text.js';
import { Interrupts } from '../interrupts.js';
import { RecordPrinter } from '../output/record-printer.js';
import { AwaitedJobs } from './awaited-jobs.js';
import { openEventFeed, type FeedItem } from './event-feed.js';
import { jobEventText } from './event-text.js';

/**
 * `fleet events [JOB...]`: prints job events as they happen, and with JOB
 * ids those jobs' trees' events from their creation and their output.
 * With JOB ids it returns once every one has ended: 0 when all Completed,
 * else 1 (as `wait`). Without, it follows until interrupted (SIGINT: 130).
 */
export async function followEvents(context: CliContext, selectors: readonly JobSelector[], json: boolean): Promise<number> {
  const { store } = context;
  const jobs = selectors.length === 0 ? null : await store.jobs.select(selectors);
  const awaited = jobs === null ? null : new AwaitedJobs(jobs.map((record) => record.view.id));
  const interrupts = new Interrupts();
  const stop = new AbortController();
  interrupts.onFirst(() => stop.abort());
  const printer = new EventPrinter(json);
  try {
    const feed = await openEventFeed(context, { jobs, since: null, signal: stop.signal });
    reading: for await (const batch of feed.batches()) {
      for (const item of batch) {
        await printer.print(item);
        if (awaited === null) continue;
        if (item.kind === 'reset' && jobs !== null) {
          // Events were lost: the jobs' records say which have ended meanwhile.
          for (const record of await store.jobs.records(jobs.map((job) => job.view.id))) awaited.endedAs(record.view.id, record.view.state);
        }
        if ((item.kind === 'job' && awaited.see(item.event)) || awaited.done) break reading;
      }
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

async function writeLine(stream: NodeJS.WriteStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, 'drain');
}
