import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULTS, settledWithin } from '@fleet/core';
import type { RedisClient } from '@fleet/store';

/**
 * Whether Redis answers a PING within `ms`. A connection can stay `ready`
 * while nothing answers on it (a frozen or cut-off server keeps the TCP
 * session open), so only an answer counts.
 */
export async function redisAnswersWithin(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let answered = false;
  await settledWithin(
    client.ping().then(() => (answered = true)),
    ms,
  );
  return answered;
}

/**
 * Resolves once Redis has been unreachable for `ms` on end: the connection
 * closed and not back within `ms`, or a PING (one every heartbeat interval)
 * not answered within `ms`. A blip (a restart) does not resolve it, a Redis
 * gone or frozen does.
 */
export function redisUnreachableFor(client: RedisClient, ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let resolveGone!: () => void;
  const promise = new Promise<void>((resolve) => (resolveGone = resolve));
  const onClose = () => (timer ??= setTimeout(resolveGone, ms));
  const onReady = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  client.on('close', onClose);
  client.on('ready', onReady);
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      // Queued while the connection is down, a PING is answered once it is back: a blip within `ms` passes.
      const answered = await settledWithin(client.ping(), ms);
      if (!answered && !stop.signal.aborted) return resolveGone();
      await delay(DEFAULTS.heartbeatIntervalMs, undefined, { signal: stop.signal, ref: false }).catch(() => {});
    }
  })();
  return {
    promise,
    cancel: () => {
      stop.abort();
      clearTimeout(timer);
      client.off('close', onClose);
      client.off('ready', onReady);
    },
  };
}
