import type { Writable } from 'node:stream';
import {
  ContentMismatchError,
  pushFrames,
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
 * standard input (see push-frames.ts), a chunk at a time and waiting for
 * the input to drain, so that memory holds a chunk or so whatever the files'
 * size; then ends the input. Stops writing once `signal` is aborted. Content
 * that does not match its signed manifest throws ContentMismatchError before
 * a byte of the bad chunk is written: the caller then ends the input, and
 * the receiver, cut short, writes nothing under the file's name.
 */
export async function feedPush(
  input: Writable,
  command: PushCommandSpec,
  readContent: ContentReader,
  signal: AbortSignal,
  frameOptions: PushFrameOptions = {},
): Promise<void> {
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const frame of pushFrames(command, frameOptions)) {
      if (signal.aborted) return;
      if (frame.kind === 'text') yield Buffer.from(frame.text);
      else for await (const chunk of readContent(frame.manifest)) if (!signal.aborted) yield chunk;
    }
  }
  const whole = await writeWithBackpressure(input, bytes());
  if (!whole) throw new ReceiverClosedError('the receiver closed its input before the push was whole');
  if (!signal.aborted) input.end();
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
  return outcome;
}
