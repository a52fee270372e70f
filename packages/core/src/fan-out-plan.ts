/**
 * The creation-time window of a fan-out: which children start at once and
 * which wait in the pending list, under `--throttle` and `--batch` (waves).
 * Pure arithmetic, so that it is unit tested apart from Redis. Once the job
 * runs, the transition script moves the window on as children end, reading
 * the `waveSize` and `waveEnd` this plan stores.
 */
export interface FanOutRules {
  /** At most this many children run at once. */
  throttle: number;
  /** Children per wave (`--batch`), or null for no waves. */
  waveSize: number | null;
}

export interface FanOutPlan<T> {
  /** Handed to the queue as the job is created, in host-list order. */
  dispatchNow: T[];
  /** Wait in the pending list, in host-list order, until slots (or the next wave) free up. */
  pending: T[];
  /** How many children the first wave lets go in all (the index one past its last child); null without waves. */
  waveEnd: number | null;
}

/** Splits a fan-out's children (in host-list order) into those that start now and those that wait. */
export function planFanOut<T>(children: readonly T[], rules: FanOutRules): FanOutPlan<T> {
  const waveEnd = rules.waveSize === null ? null : Math.min(rules.waveSize, children.length);
  const first = Math.min(rules.throttle, waveEnd ?? children.length);
  return { dispatchNow: children.slice(0, first), pending: children.slice(first), waveEnd };
}
