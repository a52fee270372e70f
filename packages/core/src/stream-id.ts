import { UsageError } from './errors.js';

/**
 * A Redis Stream entry id, `MS-SEQ` (milliseconds of Redis's clock, then a
 * sequence within that millisecond), held as its two parts. `seq` is a
 * bigint: Redis allows it up to 2^64 - 1.
 */
export interface StreamId {
  ms: number;
  seq: bigint;
}

const STREAM_ID = /^(\d{1,15})-(\d{1,20})$/;
const MAX_SEQ = 2n ** 64n - 1n;

/** Parses `MS-SEQ`; a malformed id is a {@link UsageError} naming `what` it was given as. */
export function parseStreamId(text: string, what: string): StreamId {
  const match = STREAM_ID.exec(text);
  const seq = match ? BigInt(match[2] as string) : MAX_SEQ + 1n;
  if (!match || seq > MAX_SEQ) {
    throw new UsageError(`${what} ${JSON.stringify(text.slice(0, 80))} is not an event id`, {
      hint: 'give an id the stream sent (its `id:` line), or leave it out to start from now',
    });
  }
  return { ms: Number(match[1]), seq };
}

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Negative, zero or positive as `a` is before, the same as, or after `b`. */
export function compareStreamIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/** The id just before this one: reading after it (XREAD is exclusive) starts with this entry. */
export function previousStreamId(id: StreamId): StreamId {
  if (id.seq > 0n) return { ms: id.ms, seq: id.seq - 1n };
  if (id.ms === 0) return id;
  return { ms: id.ms - 1, seq: MAX_SEQ };
}

/** The time an id was made, by Redis's clock, as an ISO string. */
export function streamIdTime(id: StreamId): string {
  return new Date(id.ms).toISOString();
}

/** `0-0`: before every entry. */
export const STREAM_START: StreamId = { ms: 0, seq: 0n };
