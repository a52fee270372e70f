import type { Writable } from 'node:stream';

/** What ends a sink for good: the writes after it go nowhere. */
const GONE = ['close', 'error', 'finish'] as const;

/**
 * Writes `chunks` to `sink` in order, one at a time: when the sink is full
 * (`write` returns false) it waits for 'drain' before reading the next, so
 * a slow reader at the far end (a command, a host behind a slow link) holds
 * back the source instead of filling the agent's memory: at most one chunk
 * waits in the sink. Leaves the sink open (the caller ends it, or keeps it
 * for more).
 *
 * @param giveUp when it aborts, the writer stops waiting and returns false:
 * a sink whose far end stopped reading and never closes (a hung host, whose
 * channel close is never answered) would otherwise hold it for ever.
 * @returns true once every chunk was handed to the sink; false when the sink
 * went away first (the reader ended without reading everything, as `head`
 * may), or on `giveUp`. An error of the source (stored content that fails
 * its check) is thrown, and nothing more is written.
 */
export async function writeWithBackpressure(
  sink: Writable,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  giveUp?: AbortSignal,
): Promise<boolean> {
  for await (const chunk of chunks) {
    if (isGone(sink) || giveUp?.aborted === true) return false;
    if (!sink.write(chunk) && !(await drained(sink, giveUp))) return false;
  }
  return !isGone(sink);
}

function isGone(sink: Writable): boolean {
  return sink.destroyed || sink.writableEnded || !sink.writable;
}

/** Resolves true on 'drain', false if the sink goes away instead or `giveUp` aborts. */
function drained(sink: Writable, giveUp: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (value: boolean) => () => {
      sink.off('drain', onDrain);
      for (const event of GONE) sink.off(event, onGone);
      giveUp?.removeEventListener('abort', onGone);
      resolve(value);
    };
    const onDrain = settle(true);
    const onGone = settle(false);
    sink.once('drain', onDrain);
    for (const event of GONE) sink.once(event, onGone);
    giveUp?.addEventListener('abort', onGone, { once: true });
  });
}
