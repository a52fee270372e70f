/**
 * Hands each chunk a readable stream emits to `onChunk`. When `onChunk`
 * returns a promise (the consumer is behind), the stream is paused until it
 * settles, so a fast command is slowed down instead of filling the agent's
 * memory. Resolves once the stream has ended or closed.
 */
export function forwardWithBackpressure(
  stream: NodeJS.ReadableStream,
  onChunk: (chunk: Buffer) => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const wait = onChunk(chunk);
      if (wait) {
        stream.pause();
        void wait.finally(() => stream.resume());
      }
    });
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}
