import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { OutputClosedError } from '@fleet/core';

/**
 * Writes `text` and, when the stream is full, waits until it takes more.
 * A stream that closes (or was destroyed) meanwhile never drains: that is an
 * {@link OutputClosedError} (a pipe whose reader left: EPIPE, `| head`). An
 * aborted `signal` (the reader is known to be gone) ends the wait quietly.
 */
export async function writeOrWait(stream: Writable, text: string, encoding: BufferEncoding = 'utf8', signal?: AbortSignal): Promise<void> {
  if (text === '' || stream.write(text, encoding) || signal?.aborted === true) return;
  if (stream.destroyed) throw new OutputClosedError(new Error('the reader went away'));
  const waiting = new AbortController();
  signal?.addEventListener('abort', () => waiting.abort(), { once: true, signal: waiting.signal });
  const drained = once(stream, 'drain', { signal: waiting.signal });
  const closed = once(stream, 'close', { signal: waiting.signal }).then(() => {
    throw new OutputClosedError(new Error('the reader went away'));
  });
  try {
    await Promise.race([drained, closed]);
  } catch (error) {
    if (!waiting.signal.aborted) throw error;
  } finally {
    waiting.abort();
    drained.catch(() => {});
    closed.catch(() => {});
  }
}
