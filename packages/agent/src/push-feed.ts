import type { Writable } from 'node:stream';
import {
  ContentMismatchError,
  entryFrames,
  probeFrames,
  type ContentManifest,
  type PushCommandSpec,
  type PushFrameOptions,
  type PushReport,
  type RunResult,
} from '@fleet/core';
import { writeWithBackpressure } from './write-with-backpressure.js';

/** A job's stored content, checked chunk by chunk against its signed manifest (ChunkStore.read, bound to the job). */
export type ContentReader = (manifest: ContentManifest) => AsyncIterable<Buffer>;

/** The receiver's input closed (it failed, or the channel went) before the push was written whole. */
export class ReceiverClosedError extends Error {
  override name = 'ReceiverClosedError';
}

/**
 * Writes a push's frames and the content of its files on a receiver's
 * standard input (see push-frames.ts): first the destination and the probe,
 * then, once the receiver has answered which files it already has
 * (`probed`, read from its output by the caller's {@link PushReport}), every
 * entry, with content only for the files it lacks. Content goes a chunk at
 * a time, waiting for the input to drain, so that memory holds a chunk or
 * so whatever the files' size; then the input ends. Each chunk counts once
 * written (`onTransferred`, for the progress line), and a file the host has
 * counts whole: it needs no moving. Stops writing once `signal` is aborted.
 * Content that does not match its signed manifest throws
 * ContentMismatchError before a byte of the bad chunk is written: the
 * caller then ends the input, and the receiver, cut short, writes nothing
 * under the file's name. `giveUp` (the receiver's outcome is known) stops
 * waiting for an input that will never drain: a dropped SSH connection
 * never closes its channel's stream. `frameOptions` goes in the `dest`
 * frame (deploy asks the receiver to verify what it wrote).
 */
export async function feedPush(
  input: Writable,
  command: PushCommandSpec,
  readContent: ContentReader,
  signal: AbortSignal,
  probed: Promise<ReadonlySet<number> | null>,
  onTransferred: (bytes: number) => void = () => {},
  giveUp?: AbortSignal,
  frameOptions: PushFrameOptions = {},
): Promise<void> {
  if (!(await writeWithBackpressure(input, [Buffer.from(probeFrames(command, frameOptions))], giveUp))) throw closed();
  const answer = await probed;
  if (signal.aborted) return;
  if (answer === null) throw new ReceiverClosedError(NO_PROBE_ANSWER);
  const have: ReadonlySet<number> = answer;
  for (const index of have) {
    const entry = command.entries[index];
    if (entry?.type === 'file') onTransferred(entry.manifest.size);
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const frame of entryFrames(command, have)) {
      if (signal.aborted) return;
      if (frame.kind === 'text') yield Buffer.from(frame.text);
      else
        for await (const chunk of readContent(frame.manifest)) {
          if (signal.aborted) return;
          yield chunk;
          // Handed to the input, and taken: the write-side generator resumes once the chunk is written.
          onTransferred(chunk.length);
        }
    }
  }
  if (!(await writeWithBackpressure(input, bytes(), giveUp))) throw closed();
  if (!signal.aborted) input.end();
}

const NO_PROBE_ANSWER = 'the receiver ended before it said which files it has';

function closed(): ReceiverClosedError {
  return new ReceiverClosedError('the receiver closed its input before the push was whole');
}

/**
 * How a push ended: content refused by its check comes first (it is why the
 * receiver was cut short), then any other failure of the feed itself (the
 * content could not be read: the receiver, cut short, would only say the
 * transfer was cut), else the receiver's failure with the path put in,
 * else a feed that broke off while the receiver said nothing.
 */
export function pushOutcome(outcome: Partial<RunResult>, report: PushReport, feedError: Error | null): Partial<RunResult> {
  if (feedError instanceof ContentMismatchError) return { ...outcome, failure: `refused: ${feedError.message}` };
  if (feedError !== null && !(feedError instanceof ReceiverClosedError)) {
    return { ...outcome, failure: `the push's content could not be read: ${feedError.message}` };
  }
  if (outcome.failure) return { ...outcome, failure: report.explain(outcome.failure) };
  if (feedError !== null && outcome.exitCode === 0) return { ...outcome, failure: feedError.message };
  // Exit 0 without the receiver's word for every entry: something else ran (a ForceCommand), or it was cut short.
  if (outcome.exitCode === 0 && !report.probedSeen) return { ...outcome, failure: NO_PROBE_ANSWER };
  if (outcome.exitCode === 0 && report.counts.changed + report.counts.unchanged < reportedEntries(report.command)) {
    return { ...outcome, failure: 'the receiver ended before it reported every file and link' };
  }
  return outcome;
}

/** How many entries the receiver reports, `changed` or `unchanged`: every file and link. */
function reportedEntries(command: PushCommandSpec): number {
  return command.entries.filter((entry) => entry.type !== 'dir').length;
}
