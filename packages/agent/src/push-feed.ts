import { ContentMismatchError, pushFrames, type ContentManifest, type PushCommandSpec, type PushReport, type RunResult } from '@fleet/core';

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
  input: NodeJS.WritableStream,
  command: PushCommandSpec,
  readContent: ContentReader,
  signal: AbortSignal,
): Promise<void> {
  for (const frame of pushFrames(command)) {
    if (signal.aborted) return;
    if (frame.kind === 'text') {
      await written(input, Buffer.from(frame.text));
      continue;
    }
    for await (const chunk of readContent(frame.manifest)) {
      if (signal.aborted) return;
      await written(input, chunk);
    }
  }
  input.end();
}

/** Writes `bytes`; resolves once the stream takes more, and rejects if it closes or fails first. */
function written(input: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      input.removeListener('drain', drained);
      input.removeListener('close', closed);
      input.removeListener('error', failed);
      if (error) reject(error);
      else resolve();
    };
    const drained = () => settle();
    const closed = () => settle(new ReceiverClosedError('the receiver closed its input before the push was whole'));
    const failed = (error: Error) => settle(new ReceiverClosedError(`the receiver's input failed: ${error.message}`));
    input.on('close', closed);
    input.on('error', failed);
    if (input.write(bytes)) settle();
    else input.on('drain', drained);
  });
}

/**
 * How a push ended: content refused by its check comes first (it is why the
 * receiver was cut short), else the receiver's failure with the path put
 * in, else a feed that broke off while the receiver said nothing.
 */
export function pushOutcome(outcome: Partial<RunResult>, report: PushReport, feedError: Error | null): Partial<RunResult> {
  if (feedError instanceof ContentMismatchError) return { ...outcome, failure: `refused: ${feedError.message}` };
  if (outcome.failure) return { ...outcome, failure: report.explain(outcome.failure) };
  if (feedError !== null && outcome.exitCode === 0) return { ...outcome, failure: feedError.message };
  return outcome;
}
