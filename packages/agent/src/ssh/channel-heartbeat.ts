import type { Writable } from 'node:stream';

/**
 * Writes `byte` on a running command's channel every `intervalMs`, for the
 * host's orphan watcher, while the channel can still take it. ssh2 ends the
 * channel's writable side when the host closes it, but emits 'close' only
 * once the readable side has ended too, which output paused by back-pressure
 * can hold back: a write in between would be a write after end, an 'error'
 * event. So it writes only while the channel is writable and not ended, and
 * stops for good at the first of 'finish', 'end', 'exit' or 'close'.
 *
 * @returns what stops it (harmless to call twice).
 */
export function startChannelHeartbeat(channel: Writable, byte: string, intervalMs: number): () => void {
  const timer = setInterval(() => {
    if (channel.writable && !channel.writableEnded && !channel.destroyed) channel.write(byte);
    else stop();
  }, intervalMs);
  const stop = () => {
    clearInterval(timer);
    for (const event of ENDS) channel.off(event, stop);
  };
  for (const event of ENDS) channel.once(event, stop);
  return stop;
}

const ENDS = ['finish', 'end', 'exit', 'close'] as const;
